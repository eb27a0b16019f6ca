"""A run lets go of the vendor's records when it ends: freed at once, not left for the garbage collector."""
from __future__ import annotations

import gc

from edcert.fixtures.districts import generate_district
from edcert.harness.runner import run
from edcert.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxServer, create_app
from tests.sandbox_run import sandbox_config


def _record_dicts() -> list[int]:
    return [id(o) for o in gc.get_objects() if isinstance(o, dict) and "sourcedId" in o]


def test_a_run_frees_the_records_it_read_without_a_garbage_collection() -> None:
    # A check that fails or does not apply leaves its traceback in a reference cycle with its frames, one
    # of which holds the session. Were the records still reachable from it, they would outlive the run as
    # cyclic garbage (1.8 s of collection on a large district, paid by whatever runs next).
    app = create_app(generate_district("small"), faults=("oneroster.paging.wrong-total-count",),
                     client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET)
    with SandboxServer(app) as server:
        config = sandbox_config(server.base_url)
        gc.unfreeze()  # what an earlier test kept out of the collector's scans (and out of get_objects)
        gc.collect()
        served = set(_record_dicts())  # the sandbox's own district stays alive while it serves
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            result = run(config, only=["oneroster-1.2"])
            left = [i for i in _record_dicts() if i not in served]
        finally:
            if was_enabled:
                gc.enable()
    outcomes = {c.outcome for c in result.scorecard.checks}
    assert {"passed", "failed", "not_applicable"} <= outcomes  # tracebacks of both kinds were made
    # what stays is a few answers to probes, held by the frames of checks that raised; the collections
    # the run read (most of the district) are gone
    assert len(left) < len(served) // 10, f"{len(left)} records read by the run are still alive ({len(served)} served)"
