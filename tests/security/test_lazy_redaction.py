"""An exchange's URL, headers and body excerpt are redacted when they leave it, not when it is recorded.

Never seen unredacted: every way out of an exchange (a field, a dump, repr, iteration, a copy, a pickle,
the scorecard) redacts first, with everything the redactor knows by then.
"""
from __future__ import annotations

import json
import pickle

import pytest

from edcert.harness.evidence import Exchange, Recorder, Redactor
from edcert.harness.scorecard import CheckResult
from tests.security._support import CANARY_SECRET

STUDENT = {"givenName": "Quillonia", "email": "quillonia@example.org"}
LATE_TOKEN = "late-bearer-token-0123456789"  # a made-up credential


URL = (f"https://v.example/users?filter=givenName%3D%27{STUDENT['givenName']}%27&access_token={CANARY_SECRET}"
       f"&note={LATE_TOKEN}")
REQUEST_HEADERS = {"Authorization": "Bearer sent-token-0123456789", "X-Api-Key": CANARY_SECRET,
                   "X-Echo": LATE_TOKEN, "Accept": "application/json"}
RESPONSE_HEADERS = {"set-cookie": f"session={CANARY_SECRET}", "x-request-note": f"for {LATE_TOKEN}",
                    "content-type": "application/json"}


def recorded(mode: str = "masked", url: str = URL) -> tuple[Recorder, Exchange]:
    recorder = Recorder(Redactor(mode, (CANARY_SECRET,)))  # type: ignore[arg-type]
    body = json.dumps({"users": [STUDENT], "echo": CANARY_SECRET, "later": LATE_TOKEN}).encode()
    exchange = recorder.record(method="GET", url=url, request_headers=dict(REQUEST_HEADERS), request_body=None,
                               status=200, response_headers=dict(RESPONSE_HEADERS), response_body=body,
                               elapsed_ms=1.0)
    return recorder, exchange


def leaked(text: str) -> list[str]:
    return [s for s in (CANARY_SECRET, LATE_TOKEN, "sent-token-0123456789", *STUDENT.values()) if s in text]


WAYS_OUT = ["attribute", "model_dump", "model_dump_json", "repr", "iteration", "check_result", "repro"]


@pytest.mark.parametrize("way_out", WAYS_OUT)
def test_every_way_out_of_an_exchange_is_redacted(way_out: str) -> None:
    recorder, exchange = recorded()
    # a credential first sent after the page was recorded (a token refreshed) is redacted in it too
    recorder.redactor.add_secret(LATE_TOKEN)
    out = {
        "attribute": lambda: " ".join(str(getattr(exchange, name)) for name in
                                      ("url", "request_headers", "response_headers", "response_body")),
        "model_dump": lambda: json.dumps(exchange.model_dump()),
        "model_dump_json": exchange.model_dump_json,
        "repr": lambda: repr(exchange) + str(exchange),
        "iteration": lambda: str(dict(exchange)),
        # what plugin._result does with the evidence it keeps
        "check_result": lambda: CheckResult.model_construct(evidence=[exchange.seal()]).model_dump_json(),
        "repro": exchange.repro,
    }[way_out]()
    assert leaked(out) == []
    if way_out != "repro":  # every field is there, redacted and masked
        assert "[masked]" in out and "[redacted]" in out
        for part in ("v.example/users", "application/json", "X-Api-Key", "set-cookie"):
            assert part in out, part


def test_ordering_exchanges_redacts_none_of_them() -> None:
    """plugin._result orders a check's exchanges (a collection's pages: thousands) by the URL as requested."""
    _, first = recorded(url=URL + "&offset=100")
    _, second = recorded(url=URL + "&offset=200")
    assert [e.id for e in sorted([second, first], key=Exchange.order_key)] == [first.id, second.id]
    assert first._pending is not None and second._pending is not None
    assert "url" not in first.__dict__
    assert first.url.startswith("https://v.example/users?") and first._pending is None  # read: redacted now
    assert CANARY_SECRET not in first.url and STUDENT["givenName"] not in first.url


def test_one_response_header_is_read_redacted_and_the_rest_waits() -> None:
    """OR12-SEC-003 reads the Content-Type of every page of a run: one header, not the whole exchange."""
    recorder, exchange = recorded()
    recorder.redactor.add_secret(LATE_TOKEN)
    assert exchange.response_header("Content-Type") == "application/json"
    assert exchange.response_header("SET-COOKIE") == "[redacted]"
    assert exchange.response_header("x-request-note") == "for [redacted]"
    assert exchange.response_header("x-absent") is None
    assert exchange._pending is not None and "response_body" not in exchange.__dict__  # nothing else redacted
    # the same answers once the exchange is sealed
    assert exchange.seal()._pending is None
    assert [exchange.response_header(n) for n in ("content-type", "Set-Cookie", "X-Request-Note", "x-absent")] == [
        "application/json", "[redacted]", "for [redacted]", None]


def test_a_pickled_or_copied_exchange_carries_only_what_was_redacted() -> None:
    recorder, exchange = recorded()
    recorder.redactor.add_secret(LATE_TOKEN)
    copied = exchange.model_copy()
    assert leaked(f"{copied.url} {copied.request_headers} {copied.response_headers} {copied.response_body}") == []
    pickled = pickle.dumps(exchange)
    assert leaked(pickled.decode("latin-1")) == []  # the URL as requested (for ordering) stays behind too
    assert pickle.loads(pickled).order_key() == ("GET", exchange.url)  # noqa: S301 - our own pickle


def test_full_evidence_keeps_the_students_data_but_never_the_secret() -> None:
    _, exchange = recorded("full")
    body = str(exchange.response_body)
    assert STUDENT["givenName"] in body and CANARY_SECRET not in body


def test_the_excerpt_still_names_the_whole_bodys_size() -> None:
    recorder = Recorder(Redactor("masked"))
    big = json.dumps({"users": [{"sourcedId": f"u-{i}"} for i in range(2000)]}).encode()
    exchange = recorder.record(method="GET", url="https://v.example/users", request_headers={}, request_body=None,
                               status=200, response_headers={}, response_body=big, elapsed_ms=1.0)
    assert str(exchange.response_body).endswith(f"[{len(big)} bytes in all]")
    assert exchange.response_bytes == len(big)
