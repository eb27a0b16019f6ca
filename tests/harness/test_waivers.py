"""Waivers: a waived failure is shown as waived (never passed), expires, and is flagged when no longer needed."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from edcert.harness.errors import ConfigError
from edcert.harness.policy import Policy
from edcert.harness.registry import REGISTRY
from edcert.harness.scorecard import Harness, Outcome, Scorecard, Vendor
from edcert.harness.suites import load_all_checks
from edcert.harness.waivers import load_waivers, today_for_run
from edcert.harness.writers.junit import write_junit
from tests.harness.policy_helpers import TODAY, judge, profile, result, waivers, write

WAIVE_AUTH_001 = """
    [[waiver]]
    check = "OR12-AUTH-001"
    justification = "The vendor ships the fix in January; the district accepts the risk until then."
    expires = 2027-01-31
    approved_by = "District data office"
"""


@pytest.fixture(scope="module", autouse=True)
def _catalogue() -> None:
    load_all_checks()


def test_an_active_waiver_keeps_a_required_failure_from_blocking(tmp_path: Path) -> None:
    checks = [result("OR12-AUTH-001", "required", Outcome.FAILED), result("OR12-AUTH-002", "required", Outcome.PASSED)]
    assert judge(checks).exit_code == 1
    judged = judge(checks, Policy(waivers=waivers(tmp_path, WAIVE_AUTH_001), today=TODAY))
    std = judged.standards[0]
    assert judged.exit_code == 0 and std.verdict == "certified"
    waived = next(c for c in judged.checks if c.id == "OR12-AUTH-001")
    # shown as waived, never as passed: the outcome stays failed and the counts and score are unchanged
    assert waived.outcome is Outcome.FAILED and waived.waived
    assert waived.waiver is not None and waived.waiver.status == "active"
    assert waived.waiver.approved_by == "District data office" and "until 2027-01-31" in waived.waiver.summary
    assert std.counts["failed"] == 1 and std.counts["passed"] == 1 and std.score == 50.0
    assert std.waived == ["OR12-AUTH-001"] and std.failed_required == []
    assert "waived" in std.summary
    assert judged.waivers is not None and judged.waivers.active == ["OR12-AUTH-001"]


def test_a_waiver_holds_through_its_expiry_day_and_is_ignored_the_day_after(tmp_path: Path) -> None:
    checks = [result("OR12-AUTH-001", "required", Outcome.FAILED)]
    loaded = waivers(tmp_path, WAIVE_AUTH_001)
    last_day = judge(checks, Policy(waivers=loaded, today=date(2027, 1, 31)))
    assert last_day.exit_code == 0
    assert last_day.waivers is not None and last_day.waivers.entries[0].days_left == 0
    assert "expires in 0 day(s)" in last_day.waivers.entries[0].summary
    after = judge(checks, Policy(waivers=loaded, today=date(2027, 2, 1)))
    assert after.exit_code == 1 and after.standards[0].verdict == "not_certified"
    assert after.standards[0].failed_required == ["OR12-AUTH-001"] and after.standards[0].waived == []
    assert after.waivers is not None
    assert after.waivers.expired == ["OR12-AUTH-001"] and after.waivers.active == []
    entry = after.waivers.entries[0]
    assert entry.status == "expired" and entry.days_left == -1 and "ignored" in entry.summary
    check = after.checks[0]
    assert check.waiver is not None and check.waiver.status == "expired" and not check.waived


def test_unused_and_now_passing_waivers_are_flagged(tmp_path: Path) -> None:
    loaded = waivers(tmp_path, """
        [[waiver]]
        check = "OR12-AUTH-001"
        justification = "fixed since?"
        expires = 2027-06-30

        [[waiver]]
        check = "OR12-AUTH-002"
        justification = "not applicable to us"
        expires = 2027-06-30

        [[waiver]]
        check = "OR12-AUTH-003"
        justification = "edcert could not decide last time"
        expires = 2027-06-30

        [[waiver]]
        check = "OR12-PAGE-004"
        justification = "not run in this run"
        expires = 2027-06-30
    """)
    checks = [result("OR12-AUTH-001", "required", Outcome.PASSED),
              result("OR12-AUTH-002", "required", Outcome.NOT_APPLICABLE),
              result("OR12-AUTH-003", "required", Outcome.ERROR)]
    judged = judge(checks, Policy(waivers=loaded, today=TODAY))
    report = judged.waivers
    assert report is not None
    assert report.now_passing == ["OR12-AUTH-001"]
    assert report.unused == ["OR12-AUTH-002", "OR12-AUTH-003", "OR12-PAGE-004"] and report.active == []
    by_check = {e.check: e for e in report.entries}
    assert "can be removed" in by_check["OR12-AUTH-001"].summary
    assert by_check["OR12-PAGE-004"].outcome is None and "not run" in by_check["OR12-PAGE-004"].summary
    # an error is never waived: edcert could not decide, so the gate stays undecided
    assert judged.exit_code == 3
    assert "1 no longer needed because the check passes now" in report.summary


def test_a_waived_promoted_check_does_not_block_either(tmp_path: Path) -> None:
    checks = [result("OR12-AUTH-001", "required", Outcome.PASSED),
              result("OR12-PAGE-004", "recommended", Outcome.FAILED, category="pagination")]
    p = profile(tmp_path, 'name = "p"\n[checks]\npromote = ["OR12-PAGE-004"]\n')
    assert judge(checks, Policy(profile=p, today=TODAY)).exit_code == 1
    w = waivers(tmp_path, '[[waiver]]\ncheck = "OR12-PAGE-004"\njustification = "ok"\nexpires = 2027-01-01\n')
    judged = judge(checks, Policy(profile=p, waivers=w, today=TODAY))
    assert judged.exit_code == 0 and judged.standards[0].waived == ["OR12-PAGE-004"]


def test_junit_marks_a_waived_failure_skipped_with_its_expiry(tmp_path: Path) -> None:
    checks = [result("OR12-AUTH-001", "required", Outcome.FAILED), result("OR12-AUTH-002", "required", Outcome.FAILED)]
    judged = judge(checks, Policy(waivers=waivers(tmp_path, WAIVE_AUTH_001), today=TODAY))
    now = datetime(2026, 11, 28, tzinfo=UTC)
    card = Scorecard(harness=Harness(version="0"), vendor=Vendor(name="v"), started_at=now, finished_at=now,
                     duration_s=0.0, gate={"exit_code": judged.exit_code}, **judged.scorecard_fields())
    write_junit(card, tmp_path / "junit.xml")
    suite = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "1" and suite.get("skipped") == "1"
    cases = {c.get("name", "").split()[0]: c for c in suite.findall("testcase")}
    skipped = cases["OR12-AUTH-001"].find("skipped")
    assert skipped is not None and skipped.get("message", "").startswith("waived until 2027-01-31: The vendor")
    assert cases["OR12-AUTH-001"].find("failure") is None and cases["OR12-AUTH-002"].find("failure") is not None
    props = {p.get("name"): p.get("value") for p in cases["OR12-AUTH-001"].iter("property")}
    assert props["waiver"] == "active" and props["waiver_expires"] == "2027-01-31"


def test_today_comes_from_edcert_today_when_set() -> None:
    assert today_for_run({"EDCERT_TODAY": "2027-02-01"}) == date(2027, 2, 1)
    assert isinstance(today_for_run({}), date)
    with pytest.raises(ConfigError, match="EDCERT_TODAY='tomorrow': not a YYYY-MM-DD date"):
        today_for_run({"EDCERT_TODAY": "tomorrow"})


def test_example_waiver_file_with_every_key_loads(tmp_path: Path) -> None:
    loaded = load_waivers(write(tmp_path, "w.toml", WAIVE_AUTH_001), REGISTRY)
    w = loaded.by_check["OR12-AUTH-001"]
    assert w.expires == date(2027, 1, 31) and w.approved_by == "District data office"
    assert len(loaded.sha256) == 64 and loaded.file == "w.toml"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[waiver]]\ncheck = "OR12-NOPE-001"\njustification = "x"\nexpires = 2027-01-01\n',
         "'waiver[1].check': unknown check 'OR12-NOPE-001'"),
        ('[[waiver]]\ncheck = "page 4"\njustification = "x"\nexpires = 2027-01-01\n', "is not a check id"),
        ('[[waiver]]\ncheck = "OR12-AUTH-001"\nexpires = 2027-01-01\n', "missing key 'waiver[1].justification'"),
        ('[[waiver]]\ncheck = "OR12-AUTH-001"\njustification = "  "\nexpires = 2027-01-01\n',
         "must say why the failure is accepted"),
        ('[[waiver]]\ncheck = "OR12-AUTH-001"\njustification = "x"\nexpires = "next year"\n',
         "'waiver[1].expires'"),
        ('[[waiver]]\ncheck = "OR12-AUTH-001"\njustification = "x"\nexpires = 2027-01-01\napprover = "me"\n',
         "unknown key 'waiver[1].approver'"),
        ('[[waiver]]\ncheck = "OR12-AUTH-001"\njustification = "x"\nexpires = 2027-01-01\n'
         '[[waiver]]\ncheck = "OR12-AUTH-001"\njustification = "y"\nexpires = 2027-01-01\n', "has two waivers"),
        ('[waiver]\ncheck = "OR12-AUTH-001"\n', "'waiver'"),
        ("[[waiver]\n", "not valid TOML"),
    ],
)
def test_bad_waiver_files_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "bad.toml", text)
    with pytest.raises(ConfigError) as info:
        load_waivers(path, REGISTRY)
    assert message in str(info.value)
    assert str(info.value).startswith(f"--waivers {path}") and "\n" not in str(info.value)
