"""Requirements as data: the shipped tables, the references checks make, and `edcert coverage`."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from edcert.harness.errors import HarnessError
from edcert.harness.registry import REGISTRY, CheckSpec, Level, check
from edcert.harness.requirements import coverage, load_requirements, parse_table
from edcert.harness.suites import load_all_checks

TABLE = {"standard": "demo-std", "title": "Demo", "requirements": [
    {"id": "DEMO-REQ-A", "section": "§1", "level": "MUST", "summary": "a"},
    {"id": "DEMO-REQ-B", "section": "§2", "level": "SHOULD", "summary": "b"},
    {"id": "DEMO-REQ-C", "section": "§3", "level": "MUST", "summary": "c", "not_tested": "cannot be provoked"},
]}


def _spec(check_id: str, *requirements: str, standard: str = "demo-std") -> CheckSpec:
    return CheckSpec(id=check_id, standard=standard, category="c", level=Level.REQUIRED, title="t", why="w",
                     remediation="r", ref="x", requirements=requirements)


def _builtin() -> list[CheckSpec]:
    load_all_checks()
    return [s for s in REGISTRY if s.module.startswith("edcert.")]


def test_shipped_oneroster_table_loads_with_unique_ids() -> None:
    tables = load_requirements()
    table = tables["oneroster-1.2"]
    ids = [r.id for r in table.requirements]
    assert len(ids) == len(set(ids)) and len(ids) >= 100
    assert all(r.id.startswith("OR12-REQ-") for r in table.requirements)
    assert {r.level for r in table.requirements} == {"MUST", "SHOULD", "MAY"}


def test_every_builtin_check_names_known_requirements_and_no_must_is_left_bare() -> None:
    specs = _builtin()
    assert len([s for s in specs if s.standard == "oneroster-1.2"]) >= 110
    report = coverage(load_requirements(), specs)
    for cov in report:
        assert cov.checks_without_requirements == [], f"{cov.standard}: checks without requirements"
        assert cov.unknown_references == {}, f"{cov.standard}: unknown requirement ids"
        assert cov.uncovered_musts == [], f"{cov.standard}: MUSTs with no check and no reason"
        assert cov.problems == []


def test_a_required_check_enforces_at_least_one_must() -> None:
    tables = load_requirements()
    for spec in _builtin():
        if spec.level is Level.REQUIRED:
            levels = {req.level for rid in spec.requirements if (req := tables[spec.standard].get(rid))}
            assert "MUST" in levels, f"{spec.id} is required but names no MUST requirement"


def test_coverage_reports_unknown_references_missing_requirements_and_bare_musts() -> None:
    tables = {"demo-std": parse_table(TABLE, source="test")}
    [cov] = coverage(tables, [_spec("DEMO-X-001", "DEMO-REQ-B", "DEMO-REQ-NOPE"), _spec("DEMO-X-002"),
                              _spec("DEMO-X-003", "DEMO-REQ-C")])
    assert cov.unknown_references == {"DEMO-X-001": ["DEMO-REQ-NOPE"]}
    assert cov.checks_without_requirements == ["DEMO-X-002"]
    assert [r.id for r in cov.uncovered_musts] == ["DEMO-REQ-A"]
    assert [r.id for r in cov.tested_but_said_untested] == ["DEMO-REQ-C"]
    assert len(cov.problems) == 4
    rows = {r.id: checks for r, checks in cov.rows}
    assert rows == {"DEMO-REQ-A": [], "DEMO-REQ-B": ["DEMO-X-001"], "DEMO-REQ-C": ["DEMO-X-003"]}


def test_a_check_of_a_standard_without_table_is_all_unknown() -> None:
    [cov] = coverage({}, [_spec("LOCAL-X-001", "LOCAL-REQ-A", standard="district-local")])
    assert cov.rows == [] and cov.unknown_references == {"LOCAL-X-001": ["LOCAL-REQ-A"]}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"level": "must"}, "level 'must'"),
        ({"id": "bad id"}, "must look like"),
        ({"summary": " "}, "'summary' must be a non-empty string"),
        ({"colour": "red"}, "unknown key(s) colour"),
        ({"not_tested": ""}, "'not_tested' must be a non-empty reason"),
    ],
)
def test_malformed_tables_are_refused(change: dict[str, str], message: str) -> None:
    bad = {**TABLE, "requirements": [{**TABLE["requirements"][0], **change}]}  # type: ignore[dict-item]
    with pytest.raises(HarnessError, match="requirement table test: .*" + message.replace("(", r"\(")
                       .replace(")", r"\)")):
        parse_table(bad, source="test")


def test_duplicate_ids_and_duplicate_standards_are_refused(tmp_path: Path) -> None:
    twice = {**TABLE, "requirements": [TABLE["requirements"][0], TABLE["requirements"][0]]}
    with pytest.raises(HarnessError, match="DEMO-REQ-A is listed twice"):
        parse_table(twice, source="test")
    body = ('standard = "s"\ntitle = "t"\n[[requirements]]\nid = "S-REQ-A"\nsection = "1"\nlevel = "MAY"\n'
            'summary = "x"\n')
    (tmp_path / "a.toml").write_text(body)
    (tmp_path / "b.toml").write_text(body)
    with pytest.raises(HarnessError, match=r"a\.toml and b\.toml both describe s"):
        load_requirements(tmp_path)
    (tmp_path / "b.toml").write_text("not toml [")
    with pytest.raises(HarnessError, match=r"b\.toml"):
        load_requirements(tmp_path)


def test_the_decorator_refuses_a_malformed_requirement_id() -> None:
    with pytest.raises(ValueError, match="requirement id 'page limit'"):
        check(id="TEST-REQ-001", standard="s", category="c", level="required", title="t", why="w",
              remediation="r", ref="x", requirements=("page limit",))


def _edcert(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edcert", *args], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ), check=False)


def test_coverage_cli_json_lists_each_requirement_with_its_checks() -> None:
    proc = _edcert("coverage", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    std = next(s for s in json.loads(proc.stdout) if s["standard"] == "oneroster-1.2")
    assert std["standard"] == "oneroster-1.2" and std["uncovered_musts"] == [] and std["problems"] == []
    rows = {r["id"]: r for r in std["requirements"]}
    assert rows["OR12-REQ-PAGE-LIMIT"]["checks"] == ["OR12-PAGE-001"]
    assert rows["OR12-REQ-OP-getAllClasses"]["level"] == "MUST"
    assert rows["OR12-REQ-GRADEBOOK"]["checks"] == [] and rows["OR12-REQ-GRADEBOOK"]["not_tested"]
    covered = {c for r in std["requirements"] for c in r["checks"]}
    assert covered == {s.id for s in _builtin() if s.standard == "oneroster-1.2"}


def test_coverage_cli_table_and_bad_standard() -> None:
    proc = _edcert("coverage", "--standard", "oneroster-1.2")
    assert proc.returncode == 0, proc.stderr
    assert "OR12-REQ-FILT-EQUALITY" in proc.stdout and "OR12-FILT-001, OR12-FILT-002" in proc.stdout
    assert "MUSTs with no check and no reason: none" in proc.stdout
    bad = _edcert("coverage", "--standard", "nope")
    assert bad.returncode == 2 and bad.stderr.startswith("edcert: error: --standard nope")
