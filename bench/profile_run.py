"""Profile one full OneRoster 1.2 run with pyinstrument: ``python -m bench.profile_run [SIZE]`` (default medium).

The sandbox runs in its own process (``bench._sandbox``), so the profile is edcert's alone. Writes the
text profile to bench/results/profile-SIZE.txt. Needs ``pip install -e '.[bench]'``.
"""
from __future__ import annotations

import sys

from pyinstrument import Profiler

from bench._support import RESULTS, sandbox_process
from bench.end_to_end import STANDARD, rostering_config
from edcert.harness.runner import run


def main(size: str = "medium") -> None:
    with sandbox_process(size) as (url, _pid):
        config = rostering_config(url)
        profiler = Profiler(interval=0.002)
        profiler.start()
        result = run(config, only=[STANDARD])
        profiler.stop()
    out = RESULTS.parent / f"profile-{size}.txt"
    out.write_text(profiler.output_text(unicode=False, color=False))
    print(f"profile written to {out}; {len(result.scorecard.checks)} checks, exit {result.exit_code}")


if __name__ == "__main__":
    main(*sys.argv[1:])
