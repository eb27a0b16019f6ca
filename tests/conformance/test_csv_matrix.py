"""Every CSV check proven both ways: each broken bundle trips exactly its checks, the conformant ones none.

The bundles and the checks each must trip are committed under ``edcert/fixtures/csv/`` (``expected.toml``).
Each bundle is read once and every check function of its version judges that read, exactly as the session
fixture and the plugin do in a run; a few bundles also go through the whole runner (scorecard, exit code).
"""
from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from edcert.conformance.oneroster_csv._validator import DEFAULT_MAX_FILE_BYTES, BundleReport, validate_bundle
from edcert.fixtures.csv_bundles import FIXTURE_DIR, write_fixtures
from edcert.harness.config import parse_config
from edcert.harness.errors import Failure, HarnessError, NotApplicable
from edcert.harness.registry import REGISTRY, CheckSpec
from edcert.harness.runner import run
from edcert.harness.scorecard import Outcome
from edcert.harness.suites import load_all_checks

ENTRIES: list[dict[str, Any]] = tomllib.loads((FIXTURE_DIR / "expected.toml").read_text("utf-8"))["bundle"]
CSV_STANDARDS = {"oneroster-csv-1.1", "oneroster-csv-1.2"}


def csv_checks(version: str) -> list[CheckSpec]:
    load_all_checks()
    return [s for s in REGISTRY if s.standard == f"oneroster-csv-{version}" and s.module.startswith("edcert.")]


def judge_all(report: BundleReport, version: str) -> dict[str, str]:
    """Outcome per check id, classified as the plugin classifies it."""
    outcomes = {}
    for spec in csv_checks(version):
        assert spec.func is not None
        try:
            spec.func(report)
        except Failure:
            outcomes[spec.id] = "failed"
        except NotApplicable:
            outcomes[spec.id] = "not_applicable"
        except HarnessError:
            outcomes[spec.id] = "error"
        else:
            outcomes[spec.id] = "passed"
    return outcomes


@cache
def outcomes_of(file: str) -> dict[str, str]:
    entry = next(e for e in ENTRIES if e["file"] == file)
    report = validate_bundle(FIXTURE_DIR / file, entry["version"],
                             max_file_bytes=entry.get("max_file_bytes", DEFAULT_MAX_FILE_BYTES))
    return judge_all(report, entry["version"])


def test_committed_bundles_are_what_the_generator_writes(tmp_path: Path) -> None:
    written = write_fixtures(tmp_path)
    committed = sorted(p.name for p in FIXTURE_DIR.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == committed, "run: python -m edcert.fixtures.csv_bundles"
    for path in [*written, tmp_path / "expected.toml"]:
        assert path.read_bytes() == (FIXTURE_DIR / path.name).read_bytes(), path.name


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_bundle_trips_exactly_its_checks(entry: dict[str, Any]) -> None:
    outcomes = outcomes_of(entry["file"])
    tripped = {cid for cid, outcome in outcomes.items() if outcome in ("failed", "error")}
    assert tripped == set(entry["fails"]), entry["defect"]
    undecided = {cid for cid, outcome in outcomes.items() if outcome == "error"}
    assert all(cid.endswith("-PKG-006") for cid in undecided), "only an over-size file leaves a check undecided"


def test_every_csv_check_is_tripped_by_a_bundle_and_every_bundle_names_real_checks() -> None:
    ids = {s.id for v in ("1.1", "1.2") for s in csv_checks(v)}
    tripped = {cid for e in ENTRIES for cid in e["fails"]}
    assert ids - tripped == set(), "checks no broken bundle trips (untested)"
    assert tripped - ids == set(), "expected.toml names checks that do not exist"
    assert [e["file"] for e in ENTRIES if not e["fails"] and not e["file"].startswith("conformant-")] == []


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_conformant_bundles_pass_and_together_exercise_every_check(version: str) -> None:
    passed: set[str] = set()
    for entry in ENTRIES:
        if entry["file"].startswith(f"conformant-{version}-"):
            outcomes = outcomes_of(entry["file"])
            assert set(outcomes.values()) <= {"passed", "not_applicable"}, outcomes
            passed |= {cid for cid, outcome in outcomes.items() if outcome == "passed"}
    assert passed == {s.id for s in csv_checks(version)}, "a check no conformant bundle lets pass"


@pytest.mark.parametrize(
    ("file", "exit_code", "verdict"),
    [
        ("conformant-1.2-bulk.zip", 0, "certified"),
        ("conformant-1.1-delta.zip", 0, "certified"),
        ("broken-1.2-bom.zip", 0, "certified"),  # a recommended rule: reported, the gate still passes
        ("broken-1.1-enum-case.zip", 1, "not_certified"),
        ("broken-1.2-not-a-zip.zip", 1, "not_certified"),
        ("broken-1.2-file-over-limit.zip", 3, "not_certified"),
    ],
)
def test_the_runner_turns_a_bundle_into_a_scorecard(tmp_path: Path, file: str, exit_code: int, verdict: str) -> None:
    entry = next(e for e in ENTRIES if e["file"] == file)
    table = {"path": str(FIXTURE_DIR / file), "version": entry["version"]}
    if "max_file_bytes" in entry:
        table["max_file_bytes"] = entry["max_file_bytes"]
    config = parse_config({"vendor": {"name": "csv test"}, "oneroster_csv": table})
    result = run(config, out_dir=tmp_path)
    sc = result.scorecard
    assert result.exit_code == exit_code
    assert [s.standard for s in sc.standards] == [f"oneroster-csv-{entry['version']}"]
    assert sc.standards[0].verdict == verdict
    assert {c.id for c in sc.checks} == {s.id for s in csv_checks(entry["version"])}
    tripped = {c.id for c in sc.checks if c.outcome in (Outcome.FAILED, Outcome.ERROR)}
    assert tripped == set(entry["fails"])
    assert set(result.paths) >= {"scorecard.json", "scorecard.html", "junit.xml"}
    for check in sc.checks:
        if check.outcome is Outcome.FAILED:
            assert check.message.startswith("1 finding(s)") and check.received and check.expected
            assert f"OneRoster {entry['version']} CSV binding" in check.expected
