"""scorecard.html and junit.xml without a browser: plain language, chart, quick wins, policy sections, escaping."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from edcert.harness.evidence import Exchange
from edcert.harness.policy import Policy
from edcert.harness.scorecard import CheckResult, Harness, Outcome, Scorecard, Vendor
from edcert.harness.writers import write_all
from edcert.harness.writers.html import outcome_badge, pretty, render_html
from edcert.harness.writers.plain import (
    category_chart,
    effort_of,
    quick_wins,
    recommendation,
    standard_sentence,
    tally,
    words_for,
)
from tests.harness.policy_helpers import attestations, judge, profile, waivers

STD = "oneroster-1.2"
TODAY = date(2026, 11, 28)


def result(check_id: str, level: str, outcome: Outcome, category: str, **kw: object) -> CheckResult:
    return CheckResult(id=check_id, standard=STD, category=category, level=level,  # type: ignore[arg-type]
                       title=f"title {check_id}", why=f"why {check_id}", remediation=f"fix {check_id}",
                       ref=f"spec {check_id}", requirements=[f"OR12-REQ-{check_id[5:]}"], outcome=outcome,
                       **kw)  # type: ignore[arg-type]


def checks_mixed() -> list[CheckResult]:
    ex = Exchange(id=7, method="GET", url="https://v.example/ims/oneroster/rostering/v1p2/users?limit=1",
                  request_headers={"accept": "application/json", "authorization": "Bearer [redacted]"},
                  status=404, response_headers={"content-type": "text/plain"}, response_body='{"a": [1, 2]}',
                  response_bytes=13, elapsed_ms=12.4)
    return [
        result("OR12-AUTH-001", "required", Outcome.PASSED, "auth"),
        result("OR12-AUTH-007", "recommended", Outcome.FAILED, "auth", message="expires_in is missing"),
        result("OR12-OPS-001", "required", Outcome.PASSED, "operations"),
        result("OR12-PAGE-002", "required", Outcome.FAILED, "pagination", message="page starts at k+1",
               expected="record k", received="record k+1", evidence=[ex], repro="curl -sS https://v.example/x"),
        result("OR12-ERR-004", "recommended", Outcome.FAILED, "errors", message="text/plain"),
        result("OR12-REF-002", "required", Outcome.ERROR, "referential-integrity", message="no answer"),
        result("OR12-SORT-001", "recommended", Outcome.SKIPPED, "sorting", message="not claimed"),
    ]


def card(checks: list[CheckResult], policy: Policy | None = None, *, vendor: str = "Acme Rosters",
         evidence_mode: str = "masked", insecure: bool = False, complete: bool = True) -> Scorecard:
    judged = judge(checks, policy or Policy(today=TODAY), complete=complete)
    now = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
    extra: dict[str, Any] = {"insecure": True, "warnings": ["TLS certificate verification was OFF (--insecure)"]
                             } if insecure else {}
    return Scorecard(harness=Harness(version="0.1.0"), vendor=Vendor(name=vendor, product="RosterHub"),
                     started_at=now, finished_at=now, duration_s=3.2, complete=complete,
                     evidence_mode=evidence_mode,  # type: ignore[arg-type]
                     gate={"passed": judged.exit_code == 0, "exit_code": judged.exit_code, "reasons": judged.reasons},
                     **judged.scorecard_fields(), **extra)


def section(html: str, ident: str) -> str:
    start = html.index(f'id="{ident}"')
    end = html.find("<section", start)
    return html[start:end if end != -1 else len(html)]


def visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_sentence_says_what_works_and_what_does_not_by_category() -> None:
    sentence = standard_sentence(checks_mixed())
    assert sentence.startswith("Every roster list can be read; but ")
    # a must-have failure comes first, with its count; the undecided category is named as such
    assert "long lists lose or repeat records (1 of 1 checks)" in sentence
    assert sentence.index("long lists") < sentence.index("student data is not fully locked down (1 of 2)")
    assert "problems are not reported the standard way (1 of 1)" in sentence
    assert "could not tell whether links between records work" in sentence
    assert "sorted lists" not in sentence.lower()  # skipped only: not judged
    every = standard_sentence([result("OR12-AUTH-001", "required", Outcome.PASSED, "auth")])
    assert every == "Everything edcert tested works: student data is locked down."


def test_unknown_categories_get_neutral_words_and_effort() -> None:
    words = words_for("data-fidelity")
    assert words.topic == "Data fidelity" and "fail" in words.fails
    assert effort_of(result("DIST-X-001", "required", Outcome.FAILED, "data-fidelity")).size == "medium"
    assert effort_of(result("OR12-ERR-004", "recommended", Outcome.FAILED, "errors")).size == "small"
    assert effort_of(result("OR12-PAGE-004", "recommended", Outcome.FAILED, "pagination")).size == "small"
    assert effort_of(result("OR12-REF-001", "required", Outcome.FAILED, "referential-integrity")).size == "large"


def test_quick_wins_are_small_failed_not_waived_must_haves_first() -> None:
    checks = [*checks_mixed(), result("OR12-DM-009", "required", Outcome.FAILED, "data-model"),
              result("OR12-REF-001", "required", Outcome.FAILED, "referential-integrity")]
    wins = [c.id for c, _ in quick_wins(checks)]
    assert wins == ["OR12-DM-009", "OR12-AUTH-007", "OR12-ERR-004"]  # REF-001 is large, PAGE-002 medium


def test_chart_geometry_and_description() -> None:
    chart = category_chart(checks_mixed())
    topics = [row.topic for row in chart.rows]
    assert topics == ["Access control", "Roster lists", "Links between records", "Long lists", "Sorted lists",
                      "Error messages"]
    assert [t.topic for t in tally(checks_mixed())] == topics
    for row in chart.rows:
        assert abs(sum(s.width for s in row.segments) - chart.bar_width) < 0.1
    assert "Access control: 1 passed, 1 failed" in chart.description
    assert dict(chart.legend) == {"passed": "passed", "failed": "failed", "error": "undecided",
                                  "not_tested": "not tested"}


def test_recommendation_follows_the_gate() -> None:
    assert recommendation(card(checks_mixed())).tone == "bad"  # a required failure outranks the undecided one
    undecided = [c for c in checks_mixed() if c.outcome is not Outcome.FAILED]
    assert recommendation(card(undecided)).headline == "No recommendation yet: the test could not finish"
    failed = [c for c in checks_mixed() if c.outcome is not Outcome.ERROR]
    rec = recommendation(card(failed))
    assert rec.tone == "bad" and rec.headline == "Not recommended yet"
    assert "1 required problem must be fixed first" in rec.detail
    ok = [result("OR12-AUTH-001", "required", Outcome.PASSED, "auth")]
    assert recommendation(card(ok)).headline == "Recommended"
    assert recommendation(card(ok, insecure=True)).tone == "bad"
    assert recommendation(card(ok, complete=False)).tone == "unknown"


def test_first_screen_names_who_when_what_and_the_verdict_before_the_details() -> None:
    html = render_html(card([c for c in checks_mixed() if c.outcome is not Outcome.ERROR]))
    first = visible(html[:html.index('id="standards"')])
    assert "Acme Rosters" in first and "RosterHub" in first
    assert "28 November 2026, 09:30 UTC" in first
    assert "OneRoster 1.2 (class rosters from the student information system), with edcert 0.1.0" in first
    assert "District profile none" in first
    assert "Not recommended yet" in first and "Not certified" in first
    assert "Student personal data (names, emails, birth dates, identifiers) is masked" in first
    assert html.index('id="verdict"') < html.index('id="chart-title-1"') < html.index('id="quick-wins"') \
        < html.index('id="problems"') < html.index('id="all-checks"')


def test_chart_is_accessible_inline_svg_with_escaped_labels() -> None:
    evil = result("DIST-X-001", "required", Outcome.FAILED, "<b onmouseover=x>fidelity</b>")
    html = render_html(card([*checks_mixed(), evil]))
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert 'role="img"' in svg and 'aria-labelledby="chart-title-1 chart-desc-1"' in svg
    assert '<title id="chart-title-1">' in svg and '<desc id="chart-desc-1">' in svg
    assert ">Access control</text>" in svg and "1 of 2 pass" in svg
    assert "<b onmouseover" not in html and "&lt;b onmouseover=x&gt;fidelity&lt;/b&gt;" in svg
    assert "xmlns" not in svg and "http://" not in html.replace("https://v.example", "")


def test_every_check_has_its_detail_and_a_failure_its_evidence_and_repro() -> None:
    html = render_html(card(checks_mixed()))
    for c in checks_mixed():
        detail = html[html.index(f'id="check-{c.id}"'):]
        detail = detail[:detail.index("</details>\n")]
        for text in (f"why {c.id}", f"fix {c.id}", f"spec {c.id}", c.requirements[0]):
            assert text in detail, (c.id, text)
    problem = section(html, "problems")
    page = problem[problem.index('id="problem-OR12-PAGE-002"'):]
    assert "curl -sS https://v.example/x" in page
    assert "GET https://v.example/ims/oneroster/rostering/v1p2/users?limit=1" in page
    assert "HTTP 404 (12 ms, 13 bytes)" in page and "authorization: Bearer [redacted]" in page
    assert '{\n  &#34;a&#34;: [\n    1,' in page  # the JSON body indented for reading
    assert "<strong>Expected:</strong> record k" in page


def test_waived_failures_show_as_waived_never_passed_and_policy_sections_render(tmp_path: Path) -> None:
    policy = Policy(
        profile=profile(tmp_path, """
            name = "Rostering <only>"
            required_standards = ["oneroster-1.2"]
            required_attestations = ["ndpa-signed"]
            [minimum_score]
            "oneroster-1.2" = 40
        """),
        waivers=waivers(tmp_path, """
            [[waiver]]
            check = "OR12-PAGE-002"
            justification = "fix in release 5.2 <script>x</script>"
            expires = "2027-01-31"
            [[waiver]]
            check = "OR12-AUTH-001"
            justification = "stale"
            expires = "2026-12-31"
        """),
        attestations=attestations(tmp_path, """
            [[attestation]]
            id = "ndpa-signed"
            answer = "yes"
            evidence = "https://vendor.example/ndpa.pdf"
            date = 2025-08-01
            signer = "Jordan <Lee>"
        """),
        today=TODAY,
    )
    checks = [c for c in checks_mixed() if c.outcome is not Outcome.ERROR]
    sc = card(checks, policy)
    html = render_html(sc)
    paging = next(c for c in sc.checks if c.id == "OR12-PAGE-002")
    assert outcome_badge(paging).text == "waived until 2027-01-31"
    row = html[html.index('id="check-OR12-PAGE-002"'):]
    row = row[:row.index("</summary>")]
    assert "waived until 2027-01-31" in row and "passed" not in row
    header = visible(section(html, "summary"))
    assert "Rostering &lt;only&gt;" in header and "Re-test by" not in header
    score = sc.standards[0].score
    assert f"score {score:.0f}/100, district minimum 40" in visible(section(html, "verdict"))
    att = section(html, "attestations")
    assert "attested: yes" in att and "passed" not in att[att.index("<table>"):] and "Jordan &lt;Lee&gt;" in att
    assert "Required by the district profile: met" in att
    assert '<a href="https://vendor.example/ndpa.pdf" rel="noopener noreferrer">' in att
    wav = section(html, "waivers")
    assert "fix in release 5.2 &lt;script&gt;x&lt;/script&gt;" in wav and "<script>" not in html
    assert "passes now: remove it" in wav  # OR12-AUTH-001 passed: the waiver can go
    assert recommendation(sc).headline == "Recommended, with conditions"


def test_insecure_banner_and_full_evidence_are_stated() -> None:
    ok = [result("OR12-AUTH-001", "required", Outcome.PASSED, "auth")]
    html = render_html(card(ok, insecure=True, evidence_mode="full"))
    banner = section(html, "insecure")
    assert "certificate checking was turned off" in banner and "can never certify" in banner
    assert "FULL evidence was requested" in html
    plain = render_html(card(ok))
    assert 'id="insecure"' not in plain and "FULL evidence" not in plain


def test_page_forbids_scripts_and_external_resources() -> None:
    html = render_html(card(checks_mixed(), vendor='<script>alert(1)</script><img src=x onerror="alert(2)">'))
    assert "default-src 'none'" in html and "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html
    assert pretty("not json {") == "not json {"


def test_junit_carries_check_and_requirement_ids(tmp_path: Path) -> None:
    checks = [c.model_copy(update={"requirements": ["OR12-REQ-A", "OR12-REQ-B"]}) if c.id == "OR12-AUTH-001" else c
              for c in checks_mixed()]
    paths = write_all(card(checks), tmp_path)
    root = ET.parse(paths["junit.xml"]).getroot()
    case = next(tc for tc in root.iter("testcase") if tc.get("name", "").startswith("OR12-AUTH-001 "))
    props = [(p.get("name"), p.get("value")) for p in case.iter("property")]
    assert ("check_id", "OR12-AUTH-001") in props
    assert [v for n, v in props if n == "requirement"] == ["OR12-REQ-A", "OR12-REQ-B"]
    assert ("requirements", "OR12-REQ-A OR12-REQ-B") in props


def test_a_required_standard_the_vendor_does_not_claim_gets_its_own_badge_and_no_score(tmp_path: Path) -> None:
    policy = Policy(profile=profile(tmp_path, """
        name = "Rostering and LTI"
        required_standards = ["oneroster-1.2", "lti-1.3-tool"]
    """), today=TODAY)
    sc = card([result("OR12-AUTH-001", "required", Outcome.PASSED, "auth")], policy)
    html = render_html(sc)
    verdict = visible(section(html, "verdict"))
    assert "LTI 1.3 tool Cannot be tested yet" in verdict  # edcert has no LTI checks yet (not_implemented)
    cards = section(html, "standards")
    lti = cards[cards.index("LTI 1.3 tool"):]
    assert 'class="score"' not in lti
