"""A body's excerpt is redacted when it leaves the exchange, not when it is recorded: never seen unredacted."""
from __future__ import annotations

import json
import pickle

import pytest

from edcert.harness.evidence import Exchange, Recorder, Redactor
from edcert.harness.scorecard import CheckResult
from tests.security._support import CANARY_SECRET

STUDENT = {"givenName": "Quillonia", "email": "quillonia@example.org"}
LATE_TOKEN = "late-bearer-token-0123456789"  # a made-up credential


def recorded(mode: str = "masked") -> tuple[Recorder, Exchange]:
    recorder = Recorder(Redactor(mode, (CANARY_SECRET,)))  # type: ignore[arg-type]
    body = json.dumps({"users": [STUDENT], "echo": CANARY_SECRET, "later": LATE_TOKEN}).encode()
    exchange = recorder.record(method="GET", url="https://v.example/users", request_headers={}, request_body=None,
                               status=200, response_headers={}, response_body=body, elapsed_ms=1.0)
    return recorder, exchange


def leaked(text: str) -> list[str]:
    return [s for s in (CANARY_SECRET, LATE_TOKEN, *STUDENT.values()) if s in text]


@pytest.mark.parametrize("way_out", ["attribute", "model_dump", "model_dump_json", "repr", "check_result"])
def test_every_way_out_of_an_exchange_is_redacted(way_out: str) -> None:
    recorder, exchange = recorded()
    # a credential first sent after the page was recorded (a token refreshed) is redacted in it too
    recorder.redactor.add_secret(LATE_TOKEN)
    out = {
        "attribute": lambda: str(exchange.response_body),
        "model_dump": lambda: json.dumps(exchange.model_dump()),
        "model_dump_json": exchange.model_dump_json,
        "repr": lambda: repr(exchange) + str(exchange),
        # what plugin._result does with the evidence it keeps
        "check_result": lambda: CheckResult.model_construct(evidence=[exchange.seal()]).model_dump_json(),
    }[way_out]()
    assert leaked(out) == []
    if way_out != "repr":  # the redacted body is there, masked
        assert "[masked]" in out and "[redacted]" in out


def test_a_pickled_or_copied_exchange_carries_only_the_redacted_body() -> None:
    recorder, exchange = recorded()
    recorder.redactor.add_secret(LATE_TOKEN)
    assert leaked(str(exchange.model_copy().response_body)) == []
    assert leaked(pickle.dumps(exchange).decode("latin-1")) == []


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
