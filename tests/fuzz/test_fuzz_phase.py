"""The fuzz phase both ways: no false positive on the conformant sandbox, every fuzz fault caught.

Modelled on tests/test_fault_matrix.py, for the opt-in phase: the conformant sandbox yields zero
failures with a fixed seed (over more than 1,000 generated requests for Rostering, hundreds for each other
standard), and each fault that lists a fuzz check (``edcert.sandbox.fuzz_faults`` and cascades of other
fault modules) trips exactly the fuzz checks it lists, run with its standard only.
"""
from __future__ import annotations

import pytest

from edcert.fixtures.districts import ROSTERING_BASE
from edcert.harness.registry import REGISTRY, phase_of
from edcert.harness.scorecard import Outcome
from edcert.harness.suites import load_all_checks
from edcert.sandbox import FAULTS
from edcert.sandbox.fuzz_faults import DISCOVERY_PATH
from edcert.sandbox.oneroster.app_v1p1 import V1P1_BASE
from edcert.sandbox.oneroster.services import GRADEBOOK_BASE, RESOURCES_BASE
from tests.sandbox_run import run_sandbox
from tests.test_fault_matrix import not_passed

SEED = 1
# enough for > 1,000 generated requests over the 41 operations (25 per operation, 10 invalid-query ones per
# flat collection), within tens of seconds
OWN_SPEC = {"own_spec_url": ROSTERING_BASE + DISCOVERY_PATH}  # on the vendor's host: the base URL is prefixed
CONFORMANT = {"seed": SEED, "max_examples": 25, "negative_examples": 10, "time_budget": 600}
# a fault run only has to meet its trigger once: fewer requests
FAULT_RUN = {"seed": SEED, "max_examples": 8, "negative_examples": 6, "time_budget": 600}
# Resources has one flat collection: it takes more cases per operation to meet a trigger (still cheap)
FAULT_RUNS = {"oneroster-resources-1.2": FAULT_RUN | {"max_examples": 25, "negative_examples": 10},
              "oneroster-gradebook-1.2": FAULT_RUN | {"max_examples": 25, "negative_examples": 10}}


def fuzz_ids() -> set[str]:
    load_all_checks()
    return {s.id for s in REGISTRY if phase_of(s) == "fuzz"}


def test_conformant_sandbox_has_no_fuzz_failure_over_1000_generated_requests() -> None:
    result = run_sandbox(phases=("fuzz",), fuzz=CONFORMANT)
    sc = result.scorecard
    assert not_passed(sc) == {}
    assert {c.id: c.outcome for c in sc.checks} == {
        **dict.fromkeys(sorted(fuzz_ids() - {"OR12-OWN-001"}), Outcome.PASSED),
        "OR12-OWN-001": Outcome.SKIPPED}  # no own document configured
    def generated(base: str) -> int:
        return len([url for method, url, _ in result.requests if method == "GET" and base + "/" in url])

    assert generated(ROSTERING_BASE) >= 1000
    assert generated(GRADEBOOK_BASE) >= 400  # 19 operations
    assert generated(RESOURCES_BASE) >= 100  # 5 operations
    assert generated(V1P1_BASE) >= 400  # 41 operations, each request signed with OAuth 1.0a
    assert sc.complete
    # the fuzz phase alone runs no required check, so it certifies nothing: the gate says so
    assert {s.verdict for s in sc.standards} == {"not_certified"}


def test_conformant_sandbox_agrees_with_its_own_published_document() -> None:
    sc = run_sandbox(phases=("fuzz",), fuzz=FAULT_RUN | OWN_SPEC, keyword="own_spec").scorecard
    assert {c.id: c.outcome for c in sc.checks} == {"OR12-OWN-001": Outcome.PASSED}


@pytest.mark.parametrize("fault", sorted(f.name for f in FAULTS.values() if set(f.trips) & fuzz_ids()))
def test_fuzz_fault_trips_exactly_its_fuzz_checks(fault: str) -> None:
    # the standard's fuzz checks without an own document; an own-document fault with it, and that check only
    own = fault.startswith("oneroster.ownspec.")
    settings = FAULT_RUNS.get(FAULTS[fault].standard, FAULT_RUN)
    sc = run_sandbox((fault,), phases=("fuzz",), fuzz=settings | OWN_SPEC if own else settings,
                     keyword="own_spec" if own else None, only=[FAULTS[fault].standard]).scorecard
    tripped = not_passed(sc)
    assert sorted(tripped) == sorted(set(FAULTS[fault].trips) & fuzz_ids()), tripped
    assert all(v.startswith("failed") for v in tripped.values()), tripped


def test_every_fuzz_check_is_tripped_by_a_fault() -> None:
    tripped = {t for f in FAULTS.values() for t in f.trips}
    assert fuzz_ids() - tripped == set()
    assert {s.category for s in REGISTRY if s.id in fuzz_ids()} == {"fuzz", "own-spec"}
    assert {s.level.value for s in REGISTRY if s.id in fuzz_ids()} == {"recommended"}
