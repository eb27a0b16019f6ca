"""Data fidelity against the district's own roster file: normalisation, not-applicable, masking, reports."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from edcert.conformance.oneroster._fidelity import norm
from edcert.fixtures.districts import generate_district
from edcert.harness.config import load_config
from edcert.harness.errors import ConfigError
from edcert.harness.scorecard import Outcome, shipped_json_schema
from edcert.harness.writers.markdown import render_markdown
from edcert.sandbox.oneroster.fidelity import ALTERED_NAME, LOST_ENROLLMENTS
from tests.sandbox_run import run_sandbox, vendor_toml

FID = [f"OR12-FID-{n:03d}" for n in range(1, 7)]


@pytest.mark.parametrize(("key", "from_csv", "served"), [
    ("beginDate", "2026-08-17", "2026-08-17"),
    ("dateLastModified", "2026-06-01T02:00:00.000Z", "2026-06-01T02:00:00Z"),
    ("dateLastModified", "2026-06-01T02:00:00.000Z", "2026-06-01T04:00:00+02:00"),
    ("enabledUser", "true", True),
    ("classType", "scheduled", "Scheduled"),
    ("grades", ("09", "10"), ["09", "10"]),
    ("periods", ("1", "2"), "1,2"),
    ("course", {"sourcedId": "c1", "type": "course", "href": ""}, {"sourcedId": "c1", "type": "course",
                                                                   "href": "https://vendor/x/courses/c1"}),
    ("terms", [{"sourcedId": "t2"}, {"sourcedId": "t1"}], [{"sourcedId": "t1"}, {"sourcedId": "t2"}]),
])
def test_what_the_bindings_write_differently_compares_equal(key: str, from_csv: object, served: object) -> None:
    value = list(from_csv) if isinstance(from_csv, tuple) else from_csv
    assert norm(key, value) == norm(key, served)


@pytest.mark.parametrize(("key", "from_csv", "served"), [
    ("givenName", "Zavin", "Zavi"),
    ("givenName", "Zavin", "zavin"),  # case is data in a name, unlike in an enumeration
    ("grades", ["04"], ["03"]),
    ("beginDate", "2026-08-17", "2026-08-18"),
    ("dateLastModified", "2026-06-01T02:00:00.000Z", "2026-06-01T02:00:01Z"),
    ("course", {"sourcedId": "c1"}, {"sourcedId": "c2"}),
    ("terms", [{"sourcedId": "t1"}, {"sourcedId": "t2"}], [{"sourcedId": "t1"}]),
    ("middleName", "Ora", None),
])
def test_a_different_value_stays_different(key: str, from_csv: object, served: object) -> None:
    assert norm(key, from_csv) != norm(key, served)


def test_without_a_roster_file_every_fidelity_check_is_not_applicable() -> None:
    sc = run_sandbox(keyword="fidelity", roster_csv=None).scorecard
    outcomes = {c.id: c for c in sc.checks if c.category == "data-fidelity"}
    assert sorted(outcomes) == FID
    assert {c.outcome for c in outcomes.values()} == {Outcome.NOT_APPLICABLE}
    assert all("roster_csv" in c.message for c in outcomes.values())


def test_roster_csv_is_read_relative_to_the_configuration_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "rosters").mkdir()
    (tmp_path / "rosters" / "ours.zip").write_bytes(b"PK")
    monkeypatch.setenv("EDCERT_TEST_SECRET", "x" * 8)
    config = load_config(vendor_toml(tmp_path / "vendor.toml", "http://127.0.0.1:1", roster_csv="rosters/ours.zip",
                                     fidelity_sample=3))
    assert config.oneroster is not None
    assert config.oneroster.roster_csv == str(tmp_path / "rosters" / "ours.zip")
    assert config.oneroster.fidelity_sample == 3
    with pytest.raises(ConfigError, match=r"roster_csv .*no such file"):
        load_config(vendor_toml(tmp_path / "v2.toml", "http://127.0.0.1:1", roster_csv="missing.zip"))


def test_student_traces_mask_names_unless_evidence_is_full(tmp_path: Path) -> None:
    district = generate_district("small")
    names = {u["givenName"] for u in district.users} | {u["familyName"] for u in district.users}
    masked = run_sandbox((ALTERED_NAME,), keyword="fidelity", out_dir=tmp_path / "masked").scorecard
    trace = next(c for c in masked.checks if c.id == "OR12-FID-006")
    assert trace.outcome is Outcome.FAILED and trace.student_traces is not None
    assert len(trace.student_traces) == 25
    assert [t.student for t in trace.student_traces] == [f"Student {n}" for n in range(1, 26)]
    wrong = [t for t in trace.student_traces if not t.matched]
    assert wrong and all("different first name" in t.summary for t in wrong)
    for name in ("scorecard.json", "scorecard.html", "scorecard.md"):
        text = (tmp_path / "masked" / name).read_text()
        leaked = sorted(n for n in names if f"{n} " in text or f"'{n}'" in text or f'"{n}"' in text)
        assert leaked == [], (name, leaked[:5])

    from edcert.harness.runner import run
    from edcert.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxServer, create_app
    from tests.sandbox_run import sandbox_config

    app = create_app(district, faults=(ALTERED_NAME,), client_id=DEFAULT_CLIENT_ID,
                     client_secret=DEFAULT_CLIENT_SECRET)
    with SandboxServer(app) as server:
        full = run(sandbox_config(server.base_url), keyword="fidelity", evidence_mode="full").scorecard
    traces = next(c for c in full.checks if c.id == "OR12-FID-006").student_traces
    assert traces is not None
    by_name = {f"{u['givenName']} {u['familyName'][0]}." for u in district.users}
    assert all(t.student in by_name for t in traces)
    assert any("first name: the vendor shows" in m for t in traces for m in t.mismatches)


def test_lost_enrollments_are_named_per_student_in_every_report(tmp_path: Path) -> None:
    result = run_sandbox((LOST_ENROLLMENTS,), keyword="fidelity", out_dir=tmp_path)
    trace = next(c for c in result.scorecard.checks if c.id == "OR12-FID-006")
    wrong = [t for t in trace.student_traces or [] if not t.matched]
    assert wrong
    sentence = wrong[0].summary
    assert "in the district's file, the vendor shows" in sentence and "missing " in sentence
    assert f"({wrong[0].grade}, {wrong[0].school})" in sentence
    data = json.loads((tmp_path / "scorecard.json").read_text())
    jsonschema.validate(data, shipped_json_schema())
    assert any(c.get("student_traces") for c in data["checks"])
    html = (tmp_path / "scorecard.html").read_text()
    assert 'id="data-fidelity"' in html and "Start with the student" in html
    assert html.count('<span class="badge bad">differs</span>') == len(wrong)
    markdown = render_markdown(result.scorecard)
    assert "## Data fidelity" in markdown and markdown.count("| **differs** |") == len(wrong)


def test_a_sample_of_zero_traces_nobody() -> None:
    sc = run_sandbox(keyword="student_trace", fidelity_sample=0).scorecard
    (trace,) = [c for c in sc.checks if c.id == "OR12-FID-006"]
    assert trace.outcome is Outcome.NOT_APPLICABLE and "fidelity_sample is 0" in trace.message


@pytest.mark.parametrize(("version", "mode"), [("1.1", "bulk"), ("1.2", "delta")])
def test_another_export_of_the_same_district_passes(tmp_path: Path, version: str, mode: str) -> None:
    # 1.1 says less about roles; a delta file carries status and dateLastModified, which are then compared
    from edcert.fixtures.roster_csv import district_zip

    path = tmp_path / f"district-{version}-{mode}.zip"
    path.write_bytes(district_zip(generate_district("small"), version, mode))
    sc = run_sandbox(keyword="fidelity", roster_csv=str(path)).scorecard
    assert {c.id: c.outcome.value for c in sc.checks} == dict.fromkeys(FID, "passed")


def test_a_delta_file_compares_status_and_modification_times(tmp_path: Path) -> None:
    from edcert.fixtures.roster_csv import district_zip

    district = generate_district("small")
    district.users[0] = {**district.users[0], "dateLastModified": "2020-01-01T00:00:00Z"}
    path = tmp_path / "older.zip"
    path.write_bytes(district_zip(district, "1.2", "delta"))
    sc = run_sandbox(keyword="fidelity", roster_csv=str(path)).scorecard
    outcomes = {c.id: c for c in sc.checks}
    assert outcomes["OR12-FID-002"].outcome is Outcome.FAILED
    assert "1 user served with other values (dateLastModified 1)" in outcomes["OR12-FID-002"].message
    assert outcomes["OR12-FID-001"].outcome is Outcome.PASSED


def test_the_demo_compares_another_district_with_its_own_export(tmp_path: Path) -> None:
    from edcert.fixtures.roster_csv import SANDBOX_ROSTER, read_roster_zip
    from edcert.harness.cli import _district_roster

    assert _district_roster("small", None, tmp_path) is None  # the shipped bundle (SANDBOX_ROSTER)
    assert _district_roster(str(SANDBOX_ROSTER), None, tmp_path) == SANDBOX_ROSTER.resolve()
    tiny = generate_district("small", seed=7)
    written = _district_roster("some-district.json", tiny, tmp_path)
    assert written is not None and written.parent == tmp_path
    assert read_roster_zip(written).district.counts()["orgs"] == len(tiny.orgs)


def test_cascades_add_to_the_trips_of_existing_faults_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    from edcert.sandbox import faults

    assert faults.FAULTS["oneroster.paging.off-by-one"].trips[-3:] == tuple(FID[:3])  # ours, after its own
    module = types.ModuleType("edcert_test_cascades")
    module.FAULTS = ()  # type: ignore[attr-defined]
    module.CASCADES = {"oneroster.no-such-fault": ("OR12-FID-001",)}  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(faults, "FAULT_MODULES", (module.__name__,))
    with pytest.raises(ValueError, match=r"CASCADES names the unknown fault 'oneroster\.no-such-fault'"):
        faults._catalogue()
