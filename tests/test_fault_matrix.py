"""Every check proven both ways: it passes on the conformant sandbox and fails on its fault."""
from __future__ import annotations

from pathlib import Path

import pytest

from edcert.harness.registry import DEFAULT_PHASES, REGISTRY, phase_of
from edcert.harness.runner import run
from edcert.harness.scorecard import Outcome, Scorecard
from edcert.harness.suites import load_all_checks
from edcert.sandbox import FAULTS
from tests.sandbox_run import run_sandbox, sandbox_config
from tests.security._support import sandbox, tls_files

# Every standard the sandbox serves has a fault catalogue; the conformant run certifies all of them.
SANDBOXED_STANDARDS = {f.standard for f in FAULTS.values()}
# The plain-http sandbox on loopback has no certificate to verify and crosses no network: these do not apply.
LOOPBACK_NOT_APPLICABLE = {"OR12-SEC-001", "OR12-SEC-002"}
# Checks whose "fails when" side is no fault of the conformant app: a certificate problem, plain http to a
# network host, a hostile mode. Each scenario is run by test_non_fault_trip below, exactly like a fault.
NON_FAULT_TRIPS: dict[str, tuple[str, ...]] = {
    "certificate from an unknown CA": ("OR12-SEC-001",),
    "certificate for another host": ("OR12-SEC-001",),
    "plain http to a network host": ("OR12-SEC-002",),
    "hostile mode wrong-content-type": ("OR12-SEC-003",),
}


def default_phase_ids() -> set[str]:
    """The checks a normal run (no --phase) runs: fuzz-phase checks have their own matrix (tests/fuzz)."""
    load_all_checks()
    return {s.id for s in REGISTRY if phase_of(s) in DEFAULT_PHASES}


def not_passed(scorecard: Scorecard) -> dict[str, str]:
    return {c.id: f"{c.outcome.value}: {c.message}" for c in scorecard.checks
            if c.outcome in (Outcome.FAILED, Outcome.ERROR)}


def test_conformant_sandbox_passes_every_applicable_check() -> None:
    result = run_sandbox()
    sc = result.scorecard
    assert not_passed(sc) == {}
    assert {c.outcome for c in sc.checks if c.id not in LOOPBACK_NOT_APPLICABLE} <= {Outcome.PASSED}
    assert {c.id: c.outcome for c in sc.checks if c.id in LOOPBACK_NOT_APPLICABLE} == dict.fromkeys(
        LOOPBACK_NOT_APPLICABLE, Outcome.NOT_APPLICABLE)
    assert sc.complete
    assert result.exit_code == 0
    assert all(s.verdict == "certified" for s in sc.standards)
    load_all_checks()
    expected = {s.id for s in REGISTRY if s.standard in SANDBOXED_STANDARDS and s.module.startswith("edcert.")}
    assert {c.id for c in sc.checks} == expected & default_phase_ids()


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_trips_exactly_its_checks(fault: str) -> None:
    # a fault breaks one standard's requirement: its standard's checks are the ones to run
    sc = run_sandbox((fault,), only=[FAULTS[fault].standard]).scorecard
    tripped = not_passed(sc)
    assert sorted(tripped) == sorted(set(FAULTS[fault].trips) & default_phase_ids()), tripped
    errors = {k: v for k, v in tripped.items() if v.startswith("error")}
    assert errors == {}, "a fault is a vendor defect: it must fail checks, not leave them undecided"
    assert sc.complete


def test_every_check_has_a_fault_and_every_fault_names_real_checks() -> None:
    load_all_checks()
    ids = {s.id for s in REGISTRY if s.standard in SANDBOXED_STANDARDS and s.module.startswith("edcert.")}
    tripped = {t for f in FAULTS.values() for t in f.trips} | {t for ts in NON_FAULT_TRIPS.values() for t in ts}
    assert ids - tripped == set(), "checks no fault trips (untested)"
    assert tripped - ids == set(), "faults name checks that do not exist"
    assert [f.name for f in FAULTS.values() if not f.trips] == [], "faults that trip nothing"


def _trip_scorecard(scenario: str, tmp_path: Path) -> Scorecard:
    if scenario == "certificate from an unknown CA":
        tls = tls_files(tmp_path, "127.0.0.1")
        with sandbox(ssl_certfile=str(tls.certfile), ssl_keyfile=str(tls.keyfile)) as (server, _):
            return run(sandbox_config(server.base_url, timeout=5), keyword="transport").scorecard  # no ca_bundle
    if scenario == "certificate for another host":
        tls = tls_files(tmp_path, "vendor.example")
        with sandbox(ssl_certfile=str(tls.certfile), ssl_keyfile=str(tls.keyfile)) as (server, _):
            return run(sandbox_config(server.base_url, timeout=5, ca_bundle=str(tls.ca_bundle)),
                       keyword="transport").scorecard
    if scenario == "plain http to a network host":
        # Judged from the configuration alone: the URL never needs to answer.
        return run(sandbox_config("http://vendor.example.invalid", timeout=2), keyword="check_https").scorecard
    assert scenario == "hostile mode wrong-content-type"
    with sandbox(hostile="wrong-content-type") as (server, _):
        return run(sandbox_config(server.base_url)).scorecard


@pytest.mark.parametrize("scenario", sorted(NON_FAULT_TRIPS))
def test_non_fault_trip(scenario: str, tmp_path: Path) -> None:
    sc = _trip_scorecard(scenario, tmp_path)
    tripped = not_passed(sc)
    assert sorted(c for c, v in tripped.items() if v.startswith("failed")) == sorted(NON_FAULT_TRIPS[scenario]), \
        tripped
    for check_id in NON_FAULT_TRIPS[scenario]:
        assert tripped[check_id].startswith("failed"), "a certificate or transport problem fails, never errors"


def test_conformant_tls_sandbox_passes_the_transport_checks(tmp_path: Path) -> None:
    tls = tls_files(tmp_path, "127.0.0.1")
    with sandbox(ssl_certfile=str(tls.certfile), ssl_keyfile=str(tls.keyfile)) as (server, _):
        assert server.base_url.startswith("https://")
        sc = run(sandbox_config(server.base_url, ca_bundle=str(tls.ca_bundle)), keyword="transport").scorecard
    assert {c.id: c.outcome for c in sc.checks} == {
        "OR12-SEC-001": Outcome.PASSED, "OR12-SEC-002": Outcome.PASSED, "OR12-SEC-003": Outcome.PASSED}
