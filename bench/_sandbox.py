"""The benchmark sandbox: ``python -m bench._sandbox SIZE [FAULT...]`` prints its URL, serves until stdin closes.

With ``EDCERT_BENCH_ARRIVALS=FILE`` it also notes the arrival time (``time.time()``) of every HTTP request
edcert sent (its User-Agent) and writes them, one per line, to FILE when it stops: the politeness benchmark
judges the rate limit by what the server saw, not by what edcert says it did. With
``EDCERT_BENCH_LATENCY_MS=N`` every request is answered N ms later: a vendor across a network, where a round
trip costs tens of milliseconds, instead of loopback, where it costs nothing.
"""
from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from edcert.fixtures.districts import generate_district
from edcert.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxServer, create_app


class Arrivals:
    def __init__(self, app: ASGIApp, latency_s: float = 0.0) -> None:
        self.app = app
        self.times: list[float] = []
        self.latency_s = latency_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            # the vendor's own requests to itself (the sandbox's Ed-Fi SIS syncing into its own API when edcert
            # asks it to) are not edcert's: only requests edcert sent (User-Agent edcert) are noted
            agent = dict(scope.get("headers") or []).get(b"user-agent", b"")
            if agent == b"edcert":
                self.times.append(time.time())
            if self.latency_s:
                await asyncio.sleep(self.latency_s)  # requests wait side by side, as on a network
        await self.app(scope, receive, send)


def main() -> None:
    size, faults = sys.argv[1], tuple(sys.argv[2:])
    app = create_app(generate_district(size), faults=faults, client_id=DEFAULT_CLIENT_ID,
                     client_secret=DEFAULT_CLIENT_SECRET)
    arrivals = Arrivals(app, int(os.environ.get("EDCERT_BENCH_LATENCY_MS", "0")) / 1000)
    with SandboxServer(arrivals) as server:
        # The app's first request sets it up (about a second on the large district): made here, not by whichever
        # side of a comparison happens to ask first. Not edcert's (its User-Agent), so not an arrival either.
        httpx.get(f"{server.base_url}/ims/oneroster/rostering/v1p2/orgs", params={"limit": 1},
                  headers={"User-Agent": "edcert-bench-warmup"})
        print(server.base_url, flush=True)
        sys.stdin.read()
    where = os.environ.get("EDCERT_BENCH_ARRIVALS")
    if where:
        Path(where).write_text("".join(f"{t!r}\n" for t in arrivals.times))


if __name__ == "__main__":
    main()
