"""One vendor, one rate limit: every client of a run that talks to the same host shares its limiter."""
from __future__ import annotations

import time

import httpx

from edcert.harness.evidence import Recorder, Redactor
from edcert.harness.http import VendorClient, host_limiter


def client(rate: float) -> VendorClient:
    return VendorClient(timeout=5, rate_limit=rate, max_response_bytes=1_000_000, max_retries=0, max_retry_wait=1,
                        verify_tls=True, recorder=Recorder(Redactor()),
                        transport=httpx.MockTransport(lambda request: httpx.Response(200, json={})))


def seconds_for(urls: list[str], rate: float) -> float:
    """Each URL sent once by its own client (as each standard of a run has its own), one after another."""
    clients = [client(rate) for _ in urls]
    started = time.monotonic()
    for c, url in zip(clients, urls, strict=True):
        c.get(url)
    return time.monotonic() - started


def test_clients_of_one_host_share_its_rate_limit() -> None:
    # rate 2/s: two requests to one host are half a second apart, whichever client sends them
    assert seconds_for(["https://shared.example/a", "https://shared.example/b"], 2) >= 0.45


def test_other_hosts_keep_their_own() -> None:
    assert seconds_for(["https://one.example/a", "https://other.example/a"], 2) < 0.45
    assert host_limiter("h.example", 5) is host_limiter("h.example", 5)
    assert host_limiter("h.example", 5) is not host_limiter("i.example", 5)
