"""District profiles: must-haves, demotions, minimum scores, weights, required standards, bad files."""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

import pytest

from edcert.harness.errors import ConfigError
from edcert.harness.policy import Policy
from edcert.harness.profile import load_profile
from edcert.harness.registry import REGISTRY
from edcert.harness.scorecard import CheckResult, Outcome, exit_code_for, score_standard
from edcert.harness.suites import load_all_checks
from tests.harness.policy_helpers import STD, TODAY, judge, profile, result, write

PROFILES = resources.files("edcert.fixtures").joinpath("profiles")


@pytest.fixture(scope="module", autouse=True)
def _catalogue() -> None:
    load_all_checks()


@pytest.mark.parametrize("name", ["rostering-only.toml", "lms-and-tools.toml", "state-reporting-edfi.toml"])
def test_example_profiles_load_and_name_only_real_checks(name: str) -> None:
    path = Path(str(PROFILES.joinpath(name)))
    loaded = load_profile(path, REGISTRY)
    assert loaded.name and loaded.file == name
    assert loaded.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert loaded.required_standards and loaded.retest_interval_days


def test_promoting_a_recommended_check_flips_the_verdict_when_it_fails(tmp_path: Path) -> None:
    checks = [result("OR12-AUTH-001", "required", Outcome.PASSED),
              result("OR12-PAGE-004", "recommended", Outcome.FAILED, category="pagination")]
    plain = judge(checks)
    assert plain.standards[0].verdict == "certified" and plain.exit_code == 0
    promoted = judge(checks, Policy(profile=profile(tmp_path, """
        name = "Sync"
        [checks]
        promote = ["OR12-PAGE-004"]
    """), today=TODAY))
    std = promoted.standards[0]
    assert std.verdict == "not_certified" and promoted.exit_code == 1
    assert std.failed_required == ["OR12-PAGE-004"]
    page = next(c for c in promoted.checks if c.id == "OR12-PAGE-004")
    assert page.must_have and page.promoted and page.level == "recommended"
    assert "1 must-have check(s) failed" in std.summary


def test_promoted_check_that_passes_keeps_the_standard_certified(tmp_path: Path) -> None:
    checks = [result("OR12-AUTH-001", "required", Outcome.PASSED),
              result("OR12-PAGE-004", "recommended", Outcome.PASSED, category="pagination")]
    judged = judge(checks, Policy(profile=profile(tmp_path, """
        name = "Sync"
        [checks]
        promote = ["OR12-PAGE-004"]
    """), today=TODAY))
    assert judged.standards[0].verdict == "certified" and judged.exit_code == 0


def test_demoting_a_required_check_ungates_it_but_it_still_shows_and_counts(tmp_path: Path) -> None:
    checks = [result("OR12-AUTH-001", "required", Outcome.FAILED),
              result("OR12-AUTH-002", "required", Outcome.PASSED)]
    plain = judge(checks)
    assert plain.exit_code == 1 and plain.standards[0].failed_required == ["OR12-AUTH-001"]
    demoted = judge(checks, Policy(profile=profile(tmp_path, """
        name = "No tokens needed"
        [checks]
        demote = ["OR12-AUTH-001"]
    """), today=TODAY))
    std = demoted.standards[0]
    assert std.verdict == "certified" and demoted.exit_code == 0 and std.failed_required == []
    auth1 = next(c for c in demoted.checks if c.id == "OR12-AUTH-001")
    assert auth1.outcome is Outcome.FAILED and auth1.demoted and not auth1.must_have
    assert std.counts["failed"] == 1
    assert plain.standards[0].score == 50.0  # 3 of 6
    assert std.score == 60.0  # the demoted check weighs as a recommended one (2): 3 of 5


def test_minimum_score_withholds_certification(tmp_path: Path) -> None:
    # required passed (3) + recommended failed (2): score 60
    checks = [result("OR12-AUTH-001", "required", Outcome.PASSED),
              result("OR12-AUTH-005", "recommended", Outcome.FAILED)]
    assert judge(checks).standards[0].score == 60.0
    met = judge(checks, Policy(profile=profile(tmp_path, f'name = "p"\n[minimum_score]\n"{STD}" = 60\n'),
                               today=TODAY))
    assert met.standards[0].verdict == "certified" and met.exit_code == 0
    assert met.standards[0].minimum_score == 60 and not met.standards[0].below_minimum_score
    below = judge(checks, Policy(profile=profile(tmp_path, f'name = "p"\n[minimum_score]\n"{STD}" = 60.1\n'),
                                 today=TODAY))
    std = below.standards[0]
    assert std.verdict == "not_certified" and below.exit_code == 1 and std.below_minimum_score
    assert std.failed_required == [] and "below the district's minimum of 60.1" in std.summary
    assert any("below the district's minimum" in r for r in below.reasons)


def test_category_weights_change_the_score_as_computed(tmp_path: Path) -> None:
    checks = [result("OR12-AUTH-001", "required", Outcome.PASSED, category="auth"),
              result("OR12-SORT-001", "recommended", Outcome.FAILED, category="sorting"),
              result("OR12-FILT-001", "recommended", Outcome.PASSED, category="filtering")]
    assert judge(checks).standards[0].score == round(100 * 5 / 7, 1)  # (3 + 2) of (3 + 2 + 2)
    weighted = profile(tmp_path, 'name = "w"\n[category_weights]\nauth = 2.0\nsorting = 0.5\n')
    # auth 3*2=6 passed, sorting 2*0.5=1 failed, filtering 2*1=2 passed: 8 of 9
    assert judge(checks, Policy(profile=weighted, today=TODAY)).standards[0].score == round(100 * 8 / 9, 1)
    assert score_standard(STD, checks, weighted).score == round(100 * 8 / 9, 1)
    ignored = profile(tmp_path, 'name = "w"\n[category_weights]\nsorting = 0\n')
    assert score_standard(STD, checks, ignored).score == 100.0


def test_required_standard_not_claimed_fails_the_gate(tmp_path: Path) -> None:
    p = profile(tmp_path, 'name = "two"\nrequired_standards = ["oneroster-1.2", "oneroster-1.1"]\n')
    judged = Policy(profile=p, today=TODAY).judge(
        [result("OR12-AUTH-001", "required", Outcome.PASSED)], [STD], [STD], True,
        implemented={STD, "oneroster-1.1"})
    missing = next(s for s in judged.standards if s.standard == "oneroster-1.1")
    assert missing.status == "not_claimed" and missing.verdict == "not_certified" and missing.required
    assert "Not claimed" in missing.summary
    assert judged.exit_code == 1
    assert any("not claimed by the vendor" in r for r in judged.reasons)


def test_required_standard_edcert_cannot_test_is_reported_and_leaves_the_gate_undecided(tmp_path: Path) -> None:
    p = profile(tmp_path, 'name = "lti"\nrequired_standards = ["oneroster-1.2", "lti-1.3-tool"]\n')
    ok = judge([result("OR12-AUTH-001", "required", Outcome.PASSED)], Policy(profile=p, today=TODAY))
    lti = next(s for s in ok.standards if s.standard == "lti-1.3-tool")
    assert lti.status == "not_implemented" and "edcert cannot test this standard yet" in lti.summary
    assert ok.exit_code == 3
    # a definite failure elsewhere still fails the gate (1), as for any undecided check
    bad = judge([result("OR12-AUTH-001", "required", Outcome.FAILED)], Policy(profile=p, today=TODAY))
    assert bad.exit_code == 1


def test_a_standard_the_profile_does_not_require_does_not_gate(tmp_path: Path) -> None:
    p = profile(tmp_path, 'name = "edfi"\nrequired_standards = []\n')
    judged = judge([result("OR12-AUTH-001", "required", Outcome.FAILED)], Policy(profile=p, today=TODAY))
    std = judged.standards[0]
    assert std.verdict == "not_certified" and not std.required
    assert judged.exit_code == 0
    assert "does not count for the gate" in std.summary


def test_retest_by_and_profile_identity_are_in_the_scorecard_sections(tmp_path: Path) -> None:
    path = write(tmp_path, "district.toml", 'name = "Annual"\nretest_interval_days = 365\n')
    judged = judge([result("OR12-AUTH-001", "required", Outcome.PASSED)],
                   Policy(profile=load_profile(path), today=date(2026, 3, 1)))
    assert judged.retest_by == date(2027, 3, 1)
    assert judged.profile is not None
    assert judged.profile.name == "Annual" and judged.profile.file == "district.toml"
    assert judged.profile.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert judged.profile.retest_by == date(2027, 3, 1) and "Re-test every 365 days" in judged.profile.summary


def test_without_a_profile_the_verdicts_are_those_of_score_standard_and_exit_code_for() -> None:
    checks = [result("OR12-AUTH-001", "required", Outcome.PASSED),
              result("OR12-AUTH-002", "required", Outcome.ERROR),
              result("OR12-AUTH-005", "recommended", Outcome.FAILED)]
    judged = judge(checks)
    assert judged.standards == [score_standard(STD, checks)]
    assert judged.exit_code == exit_code_for([score_standard(STD, checks)], checks) == 3
    assert judged.profile is None and judged.retest_by is None and judged.waivers is None
    assert judged.attestations is None


def test_must_have_defaults_to_the_level_when_reading_older_scorecards() -> None:
    data = result("OR12-AUTH-001", "required", Outcome.PASSED).model_dump()
    del data["must_have"]
    assert CheckResult.model_validate(data).must_have is True
    data["level"] = "recommended"
    assert CheckResult.model_validate(data).must_have is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('description = "no name"\n', "missing key 'name'"),
        ('name = "x"\nrequired_standard = ["oneroster-1.2"]\n', "unknown key 'required_standard'"),
        ('name = "x"\nrequired_standards = ["oneroster-9"]\n', "unknown standard 'oneroster-9'"),
        ('name = "x"\n[minimum_score]\n"edfi" = 80\n', "unknown standard 'edfi'"),
        ('name = "x"\n[minimum_score]\n"oneroster-1.2" = 101\n', "'minimum_score.oneroster-1.2'"),
        ('name = "x"\n[checks]\npromote = ["not an id"]\n', "is not a check id"),
        ('name = "x"\n[checks]\npromote = ["OR12-NOPE-001"]\n', "unknown check 'OR12-NOPE-001'"),
        ('name = "x"\n[checks]\npromote = ["OR12-AUTH-005"]\ndemote = ["OR12-AUTH-005"]\n',
         "cannot be both promoted and demoted"),
        ('name = "x"\n[category_weights]\npaging = 2\n', "unknown category 'paging'"),
        ('name = "x"\n[category_weights]\nauth = -1\n', "'category_weights.auth'"),
        ('name = "x"\nretest_interval_days = 0\n', "'retest_interval_days'"),
        ('name = "x"\nrequired_attestations = ["ndpa"]\n', "unknown attestation 'ndpa'"),
        ('name = "x"\nrequired_standards = "oneroster-1.2"\n', "'required_standards'"),
        ("name = \n", "not valid TOML"),
    ],
)
def test_bad_profiles_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "bad.toml", text)
    with pytest.raises(ConfigError) as info:
        load_profile(path, REGISTRY)
    assert message in str(info.value)
    assert str(info.value).startswith(f"--profile {path}") and "\n" not in str(info.value)


def test_missing_profile_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_profile(tmp_path / "absent.toml")


def test_a_scorecard_with_every_policy_section_validates_and_round_trips(tmp_path: Path) -> None:
    import jsonschema

    from edcert.harness.attestations import load_attestations
    from edcert.harness.scorecard import Harness, Scorecard, Vendor, shipped_json_schema
    from edcert.harness.writers import write_all
    from edcert.harness.writers.json import read_json
    from tests.harness.policy_helpers import waivers

    fixtures = Path(str(resources.files("edcert.fixtures")))
    policy = Policy(
        profile=load_profile(fixtures / "profiles" / "lms-and-tools.toml", REGISTRY),
        waivers=waivers(tmp_path, '[[waiver]]\ncheck = "OR12-AUTH-001"\njustification = "x"\nexpires = 2027-01-01\n'),
        attestations=load_attestations(fixtures / "attestations" / "example.toml"), today=TODAY)
    judged = judge([result("OR12-AUTH-001", "required", Outcome.FAILED),
                    result("OR12-OPS-025", "recommended", Outcome.PASSED, category="operations")], policy)
    now = datetime(2026, 11, 28, tzinfo=UTC)
    card = Scorecard(harness=Harness(version="0"), vendor=Vendor(name="v"), started_at=now, finished_at=now,
                     duration_s=0.0, gate={"exit_code": judged.exit_code, "reasons": judged.reasons},
                     **judged.scorecard_fields())
    paths = write_all(card, tmp_path / "out")
    data = json.loads(paths["scorecard.json"].read_text())
    jsonschema.validate(data, shipped_json_schema())
    assert read_json(paths["scorecard.json"]) == card
    assert {s["standard"]: s["status"] for s in data["standards"]} == {
        "oneroster-1.2": "tested", "lti-1.3-tool": "not_implemented"}
    assert data["attestations"]["required_unmet"] == ["accessibility-conformance-report"]  # answered partial
    assert judged.exit_code == 1
