"""Session fixtures of the fuzz phase: one fuzz run per standard and run, shared by its checks."""
from __future__ import annotations

import pytest

from edcert.conformance.fuzz._engine import FuzzReport, FuzzSettings, fuzz
from edcert.conformance.fuzz._openapi import ROSTERING_12, stored
from edcert.conformance.oneroster._fixtures import OneRosterSession


def settings_of(request: pytest.FixtureRequest, allow_writes: bool) -> FuzzSettings:
    """The ``[fuzz]`` table of the vendor configuration (defaults when it has none)."""
    from edcert.plugin import active_run

    state = active_run(request.config)
    table = None if state is None else state.config.fuzz
    if table is None:
        return FuzzSettings(allow_writes=allow_writes)
    return FuzzSettings(seed=table.seed, max_examples=table.max_examples, negative_examples=table.negative_examples,
                        time_budget=table.time_budget, allow_writes=allow_writes)


@pytest.fixture(scope="session")
def oneroster_fuzz(request: pytest.FixtureRequest, oneroster: OneRosterSession) -> FuzzReport:
    """The OneRoster 1.2 provider fuzzed against edcert's OpenAPI description of Rostering, once per run."""
    config = settings_of(request, oneroster.config.allow_writes)
    report: FuzzReport = oneroster.state.resource(
        "fuzz:oneroster-1.2",
        lambda: fuzz(stored(ROSTERING_12), base_url=oneroster.base, client=oneroster.client, config=config),
    )
    return report
