"""Every check proven both ways: it passes on the conformant sandbox and fails on its fault."""
from __future__ import annotations

import pytest

from edcert.harness.registry import REGISTRY
from edcert.harness.scorecard import Outcome, Scorecard
from edcert.harness.suites import load_all_checks
from edcert.sandbox import FAULTS
from tests.sandbox_run import run_sandbox

SANDBOXED_STANDARDS = {"oneroster-1.2"}


def not_passed(scorecard: Scorecard) -> dict[str, str]:
    return {c.id: f"{c.outcome.value}: {c.message}" for c in scorecard.checks
            if c.outcome in (Outcome.FAILED, Outcome.ERROR)}


def test_conformant_sandbox_passes_every_applicable_check() -> None:
    result = run_sandbox()
    sc = result.scorecard
    assert not_passed(sc) == {}
    assert {c.outcome for c in sc.checks} <= {Outcome.PASSED}
    assert sc.complete
    assert result.exit_code == 0
    assert all(s.verdict == "certified" for s in sc.standards)
    load_all_checks()
    expected = {s.id for s in REGISTRY if s.standard in SANDBOXED_STANDARDS and s.module.startswith("edcert.")}
    assert {c.id for c in sc.checks} == expected


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_trips_exactly_its_checks(fault: str) -> None:
    sc = run_sandbox((fault,)).scorecard
    tripped = not_passed(sc)
    assert sorted(tripped) == sorted(FAULTS[fault].trips), tripped
    errors = {k: v for k, v in tripped.items() if v.startswith("error")}
    assert errors == {}, "a fault is a vendor defect: it must fail checks, not leave them undecided"
    assert sc.complete


def test_every_check_has_a_fault_and_every_fault_names_real_checks() -> None:
    load_all_checks()
    ids = {s.id for s in REGISTRY if s.standard in SANDBOXED_STANDARDS and s.module.startswith("edcert.")}
    tripped = {t for f in FAULTS.values() for t in f.trips}
    assert ids - tripped == set(), "checks no fault trips (untested)"
    assert tripped - ids == set(), "faults name checks that do not exist"
    assert [f.name for f in FAULTS.values() if not f.trips] == [], "faults that trip nothing"
