"""The limits of VendorTransport, one by one, without a network: deadline, budget, inflation, parsing."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from edcert.harness.errors import BudgetExhausted, Failure, VendorBrokeConnection, VendorTimeout
from edcert.harness.evidence import Recorder, Redactor
from edcert.harness.http import DECODE_CHUNK, ResponseTooLarge, VendorTransport, _decoded, exchange_of, json_body
from edcert.sandbox.hostile import gzip_bomb_blocks
from tests.security._support import ROOT


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Chunks(httpx.SyncByteStream):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks


def transport(handler: httpx.MockTransport, clock: Clock, **kwargs: object) -> VendorTransport:
    return VendorTransport(handler, Recorder(Redactor()), clock=clock, sleep=lambda s: None, **kwargs)  # type: ignore[arg-type]


def test_a_dripped_body_ends_at_the_overall_deadline() -> None:
    clock = Clock()

    def drip() -> Iterator[bytes]:
        for byte in b'{"users": []}' * 100:
            clock.now += 1.0  # one byte a second: each read is well within any read timeout
            yield bytes([byte])

    t = transport(httpx.MockTransport(lambda r: httpx.Response(200, stream=Chunks(drip()))), clock, deadline=5.0)
    with pytest.raises(VendorTimeout, match="did not finish its answer within 5 s") as info:
        t.handle_request(httpx.Request("GET", "https://v.example/users"))
    assert info.value.exchanges and info.value.exchanges[0].status == 200
    assert clock.now <= 7


def test_the_run_budget_stops_further_requests() -> None:
    clock = Clock()
    sent: list[httpx.Request] = []
    t = transport(httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200)), clock, run_budget=10.0)
    t.handle_request(httpx.Request("GET", "https://v.example/a"))
    clock.now = 11.0
    with pytest.raises(BudgetExhausted, match="run_budget = 10 s"):
        t.handle_request(httpx.Request("GET", "https://v.example/b"))
    assert [r.url.path for r in sent] == ["/a"]


def test_retry_after_beyond_the_budget_is_noted_in_the_evidence() -> None:
    clock = Clock()
    t = transport(httpx.MockTransport(lambda r: httpx.Response(429, headers={"Retry-After": "3600"})), clock,
                  max_retry_wait=5.0)
    response = t.handle_request(httpx.Request("GET", "https://v.example/a"))
    exchange = exchange_of(response)
    assert response.status_code == 429 and exchange is not None
    assert "retry after 3600 s" in (exchange.error or "")


def test_a_gzip_bomb_is_inflated_in_bounded_steps() -> None:
    head, block = gzip_bomb_blocks()
    response = httpx.Response(200, headers={"Content-Encoding": "gzip"},
                              stream=Chunks(iter([head + block * 60])))  # one 60 KB read, 61 MiB inflated
    sizes = []
    for chunk in _decoded(response):
        sizes.append(len(chunk))
        if sum(sizes) > 4 * 1024 * 1024:
            break
    assert max(sizes) <= DECODE_CHUNK


def test_the_size_cap_stops_a_streamed_gzip_bomb() -> None:
    head, block = gzip_bomb_blocks()
    blocks = iter([head, *([block] * 2047)])
    t = transport(httpx.MockTransport(lambda r: httpx.Response(200, headers={"Content-Encoding": "gzip"},
                                                               stream=Chunks(blocks))), Clock(),
                  max_response_bytes=3_000_000)
    with pytest.raises(ResponseTooLarge):
        t.handle_request(httpx.Request("GET", "https://v.example/bomb"))
    assert next(blocks, None) is not None, "edcert stopped reading long before the end"


def test_a_connection_cut_mid_body_is_the_vendors_failure() -> None:
    def cut() -> Iterator[bytes]:
        yield b'{"users": ['
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")

    t = transport(httpx.MockTransport(lambda r: httpx.Response(200, stream=Chunks(cut()))), Clock())
    with pytest.raises(VendorBrokeConnection, match="middle of its answer") as info:
        t.handle_request(httpx.Request("GET", "https://v.example/users"))
    assert isinstance(info.value, Failure) and info.value.exchanges


@pytest.mark.parametrize("body", [
    b"[" * 100_000 + b"]" * 100_000,  # RecursionError
    b'{"n": ' + b"9" * 10_000 + b"}",  # ValueError: Python's int-string conversion limit
    b'{"s": "caf\xe9 \xff"}',  # UnicodeDecodeError
    b"OK",
])
def test_hostile_json_is_a_failure_not_a_crash(body: bytes) -> None:
    response = httpx.Response(200, content=body, headers={"Content-Type": "application/json"})
    with pytest.raises(Failure, match="did not answer valid JSON"):
        json_body(response, "GET /users")


def test_demo_and_serve_take_hostile_modes(tmp_path: Path) -> None:
    env = {**os.environ, "EDCERT_SANDBOX_CLIENT_SECRET": "demo-secret-123"}
    listed = subprocess.run([sys.executable, "-m", "edcert", "sandbox", "hostile", "--format", "json"],
                            capture_output=True, text=True, cwd=ROOT, timeout=60, check=True)
    assert len(json.loads(listed.stdout)) >= 17
    demo = subprocess.run([sys.executable, "-m", "edcert", "demo", "--hostile", "deep-nesting", "--no-progress",
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env=env, check=False)
    assert demo.returncode == 1, demo.stdout + demo.stderr
    assert "hostile mode deep-nesting" in demo.stdout and "Traceback" not in demo.stderr
    with subprocess.Popen([sys.executable, "-m", "edcert", "sandbox", "serve", "--hostile", "endless-429"],
                          stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env) as serve:
        _check_hostile_server(serve)


def _check_hostile_server(serve: subprocess.Popen[str]) -> None:
    try:
        assert serve.stdout is not None
        first = serve.stdout.readline()
        assert "in hostile mode endless-429" in first
        base = first.split()[3]
        token = httpx.post(f"{base}/oauth/token", data={"grant_type": "client_credentials"},
                           auth=("edcert-sandbox", "demo-secret-123")).json()["access_token"]
        answer = httpx.get(f"{base}/ims/oneroster/rostering/v1p2/users", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 429 and answer.headers["Retry-After"] == "3600"
    finally:
        serve.terminate()
        serve.wait(timeout=30)


def test_bad_hostile_name_is_a_usage_error() -> None:
    proc = subprocess.run([sys.executable, "-m", "edcert", "sandbox", "serve", "--hostile", "nope"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert proc.returncode == 2 and proc.stderr.startswith("edcert: error: unknown hostile mode 'nope'")


def test_decompressing_invalid_gzip_is_a_failure() -> None:
    t = transport(httpx.MockTransport(lambda r: httpx.Response(200, headers={"Content-Encoding": "gzip"},
                                                               stream=Chunks(iter([b"not gzip at all"])))), Clock())
    with pytest.raises(Failure, match="does not decode"):
        t.handle_request(httpx.Request("GET", "https://v.example/x"))


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000, b'{"access_token": ' + b"7" * 10_000 + b"}"])
@pytest.mark.parametrize("status", [200, 401])
def test_a_hostile_token_endpoint_is_a_token_error_not_a_crash(body: bytes, status: int) -> None:
    from edcert.harness.auth import OAuth2ClientCredentials
    from edcert.harness.errors import TokenError
    from edcert.harness.http import VendorClient

    client = VendorClient(timeout=5, rate_limit=None, max_response_bytes=1_000_000, max_retries=0, max_retry_wait=0,
                          verify_tls=True, recorder=Recorder(Redactor()), token_urls=("https://v.example/token",),
                          auth=OAuth2ClientCredentials("https://v.example/token", "id", "secret"),
                          transport=httpx.MockTransport(lambda r: httpx.Response(status, content=body)))
    with pytest.raises(TokenError):
        client.get("https://v.example/users")
