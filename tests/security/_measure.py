"""Run the edcert CLI in this process and write what it cost: ``python -m tests.security._measure OUT.json ARGS...``.

A test starts it as a subprocess, so the peak resident memory (``ru_maxrss``)
and the elapsed time are edcert's own, not the test process's.
"""
from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's own peak resident memory.

    Linux carries ``ru_maxrss`` over an exec from the process that forked us (a test worker that already
    grew large), so read the memory map's own high-water mark (VmHWM), which starts afresh at exec.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    out, argv = Path(sys.argv[1]), sys.argv[2:]
    started = time.monotonic()
    code: int = 0
    try:
        from edcert.harness.cli import main as cli_main

        cli_main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        out.write_text(json.dumps({"exit_code": code, "elapsed_s": time.monotonic() - started,
                                   "peak_rss_mb": peak_rss_mb()}))
    sys.exit(code)


if __name__ == "__main__":
    main()
