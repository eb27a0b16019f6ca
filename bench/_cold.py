"""One side of P1 as the first thing a fresh process does: ``python -m bench._cold SIDE BASE_URL PLAN.json OUT.json``.

SIDE is ``edcert`` (``edcert.harness.runner.run`` with P1's configuration, as ``edcert run`` does it once per
process) or ``floor`` (the plain httpx script on the minimal set in PLAN.json). OUT.json gets the run's wall and
CPU time (``run_s``, ``cpu_s``, imports excluded), the whole process's (``process_s``, from before the imports),
the minor page faults the process took (``faults``: a process's first run touches fresh memory, which the
in-process repeats of P1 reuse) and its peak memory (``peak_mb``, its own largest resident set, VmHWM: what a
district's machine needs for one run; ``ru_maxrss`` would be at least the bench process's, inherited over exec).
"""
from __future__ import annotations

import time

STARTED = time.perf_counter()

import json  # noqa: E402 - the clock starts before the imports
import resource  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402


def main() -> None:
    side, base_url, plan, out = sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
    from bench._support import Timer, vmhwm_mb

    if side == "edcert":
        from bench.end_to_end import STANDARD, rostering_config
        from edcert.harness.runner import run

        config = rostering_config(base_url)
        with Timer(collect=True) as timer:
            code = run(config, only=[STANDARD]).exit_code
        wall, cpu = timer.wall, timer.cpu
    elif side == "floor":
        from bench.end_to_end import floor

        pages, probes = json.loads(plan.read_text())
        low = floor(base_url, pages, [tuple(p) for p in probes])
        code, wall, cpu = 0, low["wall_s"], low["cpu_s"]
    else:
        raise SystemExit(f"unknown side {side!r} (edcert or floor)")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out.write_text(json.dumps({"side": side, "exit_code": code, "run_s": wall, "cpu_s": cpu,
                               "process_s": time.perf_counter() - STARTED,
                               "faults": usage.ru_minflt, "peak_mb": vmhwm_mb()}))  # not ru_maxrss: the parent's


if __name__ == "__main__":
    main()
