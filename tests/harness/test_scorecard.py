from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import jsonschema

from edcert.harness.evidence import Exchange
from edcert.harness.scorecard import (
    CheckResult,
    Harness,
    Outcome,
    Scorecard,
    Vendor,
    exit_code_for,
    json_schema,
    score_standard,
    shipped_json_schema,
)
from edcert.harness.writers import write_all
from edcert.harness.writers.html import render_html


def result(check_id: str, level: str, outcome: Outcome, standard: str = "oneroster-1.2", **kw: object) -> CheckResult:
    return CheckResult(id=check_id, standard=standard, category="auth", level=level, title=f"title {check_id}",
                       why="why", remediation="fix it", ref="spec §1", outcome=outcome, **kw)  # type: ignore[arg-type]


def card(checks: list[CheckResult], vendor_name: str = "Acme") -> Scorecard:
    standards = [score_standard("oneroster-1.2", checks)]
    now = datetime(2026, 11, 28, tzinfo=UTC)
    return Scorecard(harness=Harness(version="0.1.0"), vendor=Vendor(name=vendor_name), started_at=now,
                     finished_at=now, duration_s=0.0, standards=standards, checks=checks,
                     gate={"passed": True, "exit_code": exit_code_for(standards, checks)})


def test_shipped_schema_matches_the_model() -> None:
    assert shipped_json_schema() == json.loads(json.dumps(json_schema())), (
        "regenerate edcert/harness/scorecard.schema.json from Scorecard.model_json_schema()")


def test_certified_only_when_every_required_check_passed() -> None:
    ok = [result("A-B-001", "required", Outcome.PASSED), result("A-B-002", "recommended", Outcome.FAILED)]
    s = score_standard("oneroster-1.2", ok)
    assert s.verdict == "certified"
    assert s.score == 60.0  # 3 of 5 weighted points
    bad = [result("A-B-001", "required", Outcome.FAILED), result("A-B-002", "recommended", Outcome.PASSED)]
    assert score_standard("oneroster-1.2", bad).verdict == "not_certified"
    assert score_standard("oneroster-1.2", bad).failed_required == ["A-B-001"]
    errored = [result("A-B-001", "required", Outcome.ERROR)]
    assert score_standard("oneroster-1.2", errored).verdict == "not_certified"
    skipped = [result("A-B-001", "required", Outcome.SKIPPED)]
    assert score_standard("oneroster-1.2", skipped).verdict == "not_certified"


def test_exit_codes_follow_the_gate() -> None:
    passed = [result("A-B-001", "required", Outcome.PASSED)]
    failed = [*passed, result("A-B-002", "required", Outcome.FAILED), result("A-B-003", "required", Outcome.ERROR)]
    errored = [*passed, result("A-B-003", "required", Outcome.ERROR)]
    for checks, code in ((passed, 0), (failed, 1), (errored, 3)):
        assert exit_code_for([score_standard("oneroster-1.2", checks)], checks) == code
    assert exit_code_for([score_standard("oneroster-1.2", passed)], passed, complete=False) == 3


def test_written_scorecard_validates_against_the_shipped_schema(tmp_path: Path) -> None:
    ex = Exchange(id=1, method="GET", url="https://v.example/users", request_headers={}, status=500)
    checks = [result("A-B-001", "required", Outcome.FAILED, message="boom", evidence=[ex], repro="curl x"),
              result("A-B-002", "optional", Outcome.NOT_APPLICABLE)]
    paths = write_all(card(checks), tmp_path)
    data = json.loads(paths["scorecard.json"].read_text())
    jsonschema.validate(data, shipped_json_schema())
    for key in ("id", "standard", "category", "level", "title", "outcome", "message"):
        assert key in data["checks"][0]
    assert data["schema_version"] == 1 and data["standards"][0]["verdict"] == "not_certified"


def test_junit_has_a_testcase_per_check(tmp_path: Path) -> None:
    checks = [result("A-B-001", "required", Outcome.FAILED, message="bad"),
              result("A-B-002", "required", Outcome.PASSED), result("A-B-003", "optional", Outcome.SKIPPED)]
    paths = write_all(card(checks), tmp_path)
    root = ET.parse(paths["junit.xml"]).getroot()
    cases = root.findall(".//testcase")
    assert len(cases) == 3
    assert cases[0].find("failure") is not None and cases[2].find("skipped") is not None
    ids = [p.get("value") for p in root.findall(".//testcase/properties/property[@name='check_id']")]
    assert ids == ["A-B-001", "A-B-002", "A-B-003"]


def test_html_escapes_vendor_text_and_is_self_contained() -> None:
    evil = "<script>alert(1)</script>{{ 7*7 }}"
    ex = Exchange(id=1, method="GET", url="https://v.example/x", request_headers={}, status=200,
                  response_body=evil)
    checks = [result("A-B-001", "required", Outcome.FAILED, message=evil, evidence=[ex])]
    html = render_html(card(checks, vendor_name=evil))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "http://" not in html.replace("https://v.example", "") and "https://" not in html.replace(
        "https://v.example", "")
    assert html.index('id="verdict"') < html.index('id="problems"') < html.index('id="all-checks"')
