"""The fuzz phase both ways: no false positive on the conformant sandbox, every fuzz fault caught.

Modelled on tests/test_fault_matrix.py, for the opt-in phase: the conformant sandbox yields zero
failures with a fixed seed (over more than 1,000 generated requests for every standard, each run alone),
and each fault that lists a fuzz check (``edcert.sandbox.fuzz_faults`` and cascades of other
fault modules) trips exactly the fuzz checks it lists, run with its standard only.
"""
from __future__ import annotations

import pytest

from edcert.fixtures.districts import ROSTERING_BASE
from edcert.harness.registry import REGISTRY, phase_of
from edcert.harness.scorecard import Outcome
from edcert.harness.suites import load_all_checks
from edcert.sandbox import FAULTS
from edcert.sandbox.edfi import EDFI_MOUNT
from edcert.sandbox.fuzz_faults import DISCOVERY_PATH
from edcert.sandbox.oneroster.app_v1p1 import V1P1_BASE
from edcert.sandbox.oneroster.services import GRADEBOOK_BASE, RESOURCES_BASE
from tests.sandbox_run import run_sandbox
from tests.test_fault_matrix import not_passed

EDFI_DATA = EDFI_MOUNT + "/data/v3"

SEED = 1
OWN_SPEC = {"own_spec_url": ROSTERING_BASE + DISCOVERY_PATH}  # on the vendor's host: the base URL is prefixed
CONFORMANT = {"seed": SEED, "max_examples": 25, "negative_examples": 10, "time_budget": 600}
# Examples per operation so that every standard gets more than 1,000 generated requests (the bar):
# its operations x max_examples, plus negative_examples per flat collection and the ignored_auth probes.
CONFORMANT_RUNS = {  # standard: (where its generated requests go, settings over CONFORMANT)
    "oneroster-1.2": (ROSTERING_BASE, {}),  # 41 operations
    "oneroster-gradebook-1.2": (GRADEBOOK_BASE, {"max_examples": 50}),  # 19 operations
    "oneroster-resources-1.2": (RESOURCES_BASE, {"max_examples": 200}),  # 5 operations
    "oneroster-1.1": (V1P1_BASE, {}),  # 41 operations, each request signed with OAuth 1.0a
    "edfi-api": (EDFI_DATA, {"max_examples": 50}),  # 20 read operations (writes need allow_writes)
}
# a fault run only has to meet its trigger once: fewer requests
FAULT_RUN = {"seed": SEED, "max_examples": 4, "negative_examples": 4, "time_budget": 600}
# Resources has one flat collection: it takes more cases per operation to meet a trigger (still cheap)
FAULT_RUNS = {"oneroster-resources-1.2": FAULT_RUN | {"max_examples": 12, "negative_examples": 8},
              "oneroster-gradebook-1.2": FAULT_RUN | {"max_examples": 12, "negative_examples": 8}}
# a trigger hypothesis meets only among more cases (an offset above a million)
FAULT_RUN_OF = dict.fromkeys(("oneroster.fuzz.undocumented-status-on-huge-offset",
                              "oneroster11.fuzz.undocumented-status-on-huge-offset"),
                             FAULT_RUN | {"max_examples": 8, "negative_examples": 6})
OWN_FAULT_PREFIXES = ("oneroster.ownspec.", "edfi.ownspec.")


def fuzz_ids() -> set[str]:
    load_all_checks()
    return {s.id for s in REGISTRY if phase_of(s) == "fuzz"}


@pytest.mark.parametrize("standard", sorted(CONFORMANT_RUNS))
def test_conformant_sandbox_has_no_fuzz_failure_over_1000_generated_requests(standard: str) -> None:
    base, settings = CONFORMANT_RUNS[standard]
    # the vendor's own documents have their own test (below)
    result = run_sandbox(phases=("fuzz",), only=[standard], fuzz=CONFORMANT | settings, edfi_writes=False,
                         keyword="not own_spec")
    sc = result.scorecard
    assert not_passed(sc) == {}
    ids = {s.id for s in REGISTRY if s.standard == standard and s.category == "fuzz"} & fuzz_ids()
    assert {c.id: c.outcome for c in sc.checks} == dict.fromkeys(sorted(ids), Outcome.PASSED)
    assert len(ids) == 7
    generated = [method for method, url, _ in result.requests if base + "/" in url]
    assert len(generated) >= 1000
    assert set(generated) == {"GET"}  # reads only: the Ed-Fi table allows no writes here
    assert sc.complete
    # the fuzz phase alone runs no required check, so it certifies nothing: the gate says so
    assert {s.verdict for s in sc.standards} == {"not_certified"}


def test_edfi_writes_are_fuzzed_only_when_allowed_and_raise_no_false_positive() -> None:
    result = run_sandbox(phases=("fuzz",), only=["edfi-api"], keyword="not own_spec",
                         fuzz=FAULT_RUN | {"max_examples": 3, "negative_examples": 2})
    assert not_passed(result.scorecard) == {}
    methods = {method for method, url, _ in result.requests if EDFI_DATA + "/" in url}
    assert methods == {"GET", "POST", "PUT", "DELETE"}  # the sandbox's [edfi] table allows writes


def test_conformant_sandbox_agrees_with_its_own_published_document() -> None:
    sc = run_sandbox(phases=("fuzz",), fuzz=FAULT_RUN | OWN_SPEC, keyword="own_spec").scorecard
    assert {c.id: c.outcome for c in sc.checks} == {"OR12-OWN-001": Outcome.PASSED, "EDFI-OWN-001": Outcome.PASSED}


@pytest.mark.parametrize("fault", sorted(f.name for f in FAULTS.values() if set(f.trips) & fuzz_ids()))
def test_fuzz_fault_trips_exactly_its_fuzz_checks(fault: str) -> None:
    # the standard's fuzz checks without an own document; an own-document fault with it, and that check only
    own = fault.startswith(OWN_FAULT_PREFIXES)
    settings = FAULT_RUN_OF.get(fault) or FAULT_RUNS.get(FAULTS[fault].standard, FAULT_RUN)
    sc = run_sandbox((fault,), phases=("fuzz",), fuzz=settings | OWN_SPEC if own else settings,
                     keyword="own_spec" if own else "not own_spec", only=[FAULTS[fault].standard]).scorecard
    tripped = not_passed(sc)
    assert sorted(tripped) == sorted(set(FAULTS[fault].trips) & fuzz_ids()), tripped
    assert all(v.startswith("failed") for v in tripped.values()), tripped


def test_every_fuzz_check_is_tripped_by_a_fault() -> None:
    tripped = {t for f in FAULTS.values() for t in f.trips}
    assert fuzz_ids() - tripped == set()
    assert {s.category for s in REGISTRY if s.id in fuzz_ids()} == {"fuzz", "own-spec"}
    assert {s.level.value for s in REGISTRY if s.id in fuzz_ids()} == {"recommended"}
