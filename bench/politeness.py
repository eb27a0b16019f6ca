"""P5 politeness: with ``rate_limit = 20``, the server never sees more than 21 requests in any second,
and the run takes about requests / 20 seconds (no slower: the limit is used, not wasted).

``python -m bench.politeness [SIZE]`` (default: small, about 135 requests, ~7 s). Arrival times are noted
by the sandbox itself (``bench._sandbox``), so the figure is what a vendor would see.
"""
from __future__ import annotations

import bisect
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._support import Timer, ratio, sandbox_process, save
from edcert.harness.config import parse_config
from edcert.harness.runner import run
from edcert.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from edcert.sandbox.vendor import SECRET_ENV, sandbox_vendor_data

RATE = 20.0


def busiest_second(times: list[float]) -> int:
    """The most requests inside any window [t, t + 1 s) that starts at a request."""
    times = sorted(times)
    return max((bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times)), default=0)


def main(size: str = "small") -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="edcert-bench-polite-") as tmp:
        arrivals = Path(tmp) / "arrivals.txt"
        with sandbox_process(size, arrivals=arrivals) as (base_url, _pid):
            data = sandbox_vendor_data(base_url, DEFAULT_CLIENT_ID)
            # the vendor's limit, stated in every table: the sandbox claims ten standards, each with its own
            # client, and every one of them talks to the same host
            for table in (t for key, t in data.items() if key != "vendor"):
                table["rate_limit"] = RATE
            config = parse_config(data, env={SECRET_ENV: DEFAULT_CLIENT_SECRET})
            began = time.time()
            with Timer() as timer:
                result = run(config)
        times = [float(line) for line in arrivals.read_text().split()]
    requests = len(result.requests)
    ideal = requests / RATE
    figures = {
        "size": size, "rate_limit": RATE, "requests": requests, "requests_seen_by_server": len(times),
        "busiest_second": busiest_second(times), "busiest_second_target": 21,
        "wall_s": round(timer.wall, 3), "requests_over_rate_s": round(ideal, 3),
        "before_first_request_s": round(min(times) - began, 3),
        "first_to_last_request_s": round(max(times) - min(times), 3),
        "wall_over_ideal": ratio(timer.wall, ideal),
        "requests_span_over_ideal": ratio(max(times) - min(times), ideal), "over_ideal_target": "0.9..1.1",
        "exit_code": result.exit_code,
    }
    # judged on the span the rate limit governs: start-up (imports, pytest collecting the checks) happens
    # before the first request whatever the rate, and is shown apart
    figures["met"] = figures["busiest_second"] <= 21 and 0.9 <= figures["requests_span_over_ideal"] <= 1.1
    save("politeness", figures)
    return figures


if __name__ == "__main__":
    main(*sys.argv[1:])
