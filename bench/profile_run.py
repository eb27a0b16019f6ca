"""Profile one full OneRoster 1.2 run with pyinstrument: ``python -m bench.profile_run [SIZE]`` (default medium).

The sandbox runs in its own process (``bench._sandbox``), so the profile is edcert's alone. Writes the
text profile to bench/results/profile-SIZE.txt. Needs ``pip install -e '.[bench]'``.
"""
from __future__ import annotations

import sys

from pyinstrument import Profiler

from bench._support import RESULTS, sandbox_process
from bench.end_to_end import CONCURRENCY, PAGE_SIZE
from edcert.harness.config import parse_config
from edcert.harness.runner import run
from edcert.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from edcert.sandbox.vendor import SECRET_ENV, sandbox_vendor_data


def main(size: str = "medium") -> None:
    with sandbox_process(size) as (url, _pid):
        data = sandbox_vendor_data(url, DEFAULT_CLIENT_ID, page_size=PAGE_SIZE, concurrency=CONCURRENCY)
        config = parse_config(data, env={SECRET_ENV: DEFAULT_CLIENT_SECRET})
        profiler = Profiler(interval=0.002)
        profiler.start()
        run(config)
        profiler.stop()
    out = RESULTS.parent / f"profile-{size}.txt"
    out.write_text(profiler.output_text(unicode=False, color=False))
    print(f"profile written to {out}")


if __name__ == "__main__":
    main(*sys.argv[1:])
