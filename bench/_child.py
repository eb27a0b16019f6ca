"""Run the edcert CLI in a fresh process and write what it cost: ``python -m bench._child OUT.json ARGS...``.

Peak memory is this process's own high-water mark (VmHWM, read at the end): ``ru_maxrss`` would carry
over the exec from the (large) benchmark process that started it.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from bench._support import vmhwm_mb


def main() -> None:
    out, argv = Path(sys.argv[1]), sys.argv[2:]
    started = time.perf_counter()
    cpu = time.process_time()
    code = 0
    try:
        from edcert.harness.cli import main as cli_main

        cli_main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        out.write_text(json.dumps({"exit_code": code, "wall_s": time.perf_counter() - started,
                                   "cpu_s": time.process_time() - cpu, "peak_rss_mb": vmhwm_mb()}))


if __name__ == "__main__":
    main()
