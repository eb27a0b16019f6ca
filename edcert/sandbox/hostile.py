"""Hostile-vendor modes: the reference sandbox turned against edcert on purpose.

A fault (``faults.py``) breaks one requirement of a standard; a hostile mode
attacks the harness itself: answers that are not JSON, nested 100,000 deep,
2 GB long, a gzip bomb, dripped one byte a second, cut mid-body, redirect
loops and redirects to another host, endless 429s and pages, script markup in
every string, secrets echoed back. Each mode names what edcert must do about
it (``expect``); ``tests/security/test_hostile.py`` proves it for every mode.

A mode wraps the conformant app as an ASGI middleware and, except where it
says otherwise, spoils only the successful (HTTP 200) answers of the data
endpoints: the token endpoint and the refusals (401, 403, 404) stay correct,
so the checks that do not read data (most auth checks) still run and pass.
"""
from __future__ import annotations

import asyncio
import base64
import json
import logging
import threading
import zlib
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.responses import StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edcert.fixtures.districts import ROSTERING_BASE


@dataclass(frozen=True)
class HostileMode:
    """One way a vendor can attack the harness.

    Attributes:
        name: The mode's name (``--hostile NAME``).
        sentence: What the sandbox does.
        expect: What edcert must do about it.
    """

    name: str
    sentence: str
    expect: str


_CATALOGUE: tuple[tuple[str, str, str], ...] = (
    ("not-json", "Data answers are 200 with a body that is not JSON (labelled application/json).",
     "The checks reading data fail with evidence; the auth checks still pass."),
    ("wrong-content-type", "Data answers carry valid JSON labelled Content-Type text/html.",
     "OR12-SEC-003 fails; everything else still passes."),
    ("invalid-utf8", "Data answers carry bytes that are not UTF-8 inside a JSON string.",
     "The checks reading data fail (not valid JSON); no crash."),
    ("deep-nesting", "Data answers open 100,000 nested JSON arrays.",
     "The checks reading data fail (not valid JSON); no recursion crash, memory stays bounded."),
    ("huge-numbers", "Data answers carry a number with 10,000 digits.",
     "The checks reading data fail (Python's int-string limit is a parse failure, not a crash)."),
    ("huge-body", "Data answers stream a 2 GiB body.",
     "edcert stops reading at max_response_bytes; the checks fail; memory stays bounded."),
    ("gzip-bomb", "Data answers are gzip streams (about 2 MB) that inflate to 2 GiB.",
     "edcert inflates at most max_response_bytes, 64 KiB at a time; the checks fail; memory stays bounded."),
    ("drip", "Data answers are dripped one byte per second.",
     "Each request ends at its overall deadline (timeout), the run at run_budget; the checks fail or error."),
    ("reset-mid-body", "Data answers break the connection halfway through the body.",
     "The checks reading data fail (the vendor broke the connection) with evidence."),
    ("redirect-loop", "Data answers redirect (302) to themselves.",
     "edcert does not follow redirects: the checks fail with the 302 as evidence."),
    ("redirect-other-host", "Data answers redirect (307) to the same path on another host name.",
     "edcert does not follow: no request, and no credential, ever reaches the other host."),
    ("endless-429", "Data answers are 429 with Retry-After: 3600, forever.",
     "edcert does not wait an hour: it gives up within max_retry_wait, notes why, and the checks fail."),
    ("every-tenth-500", "Every tenth data answer is a 500.",
     "The checks hit by a 500 fail; the others still pass."),
    ("endless-pages", "Collections never end: offset is ignored, every page is full of new sourcedIds, "
                      "the Link rel=next cycles back to the first page.",
     "Reading stops at max_pages (or the query reader's bound): the checks fail, the run ends."),
    ("script-injection", "Every string value of every data answer carries script markup and template syntax.",
     "The reports show it escaped and never evaluated; the checks it breaks fail."),
    ("echo-secrets", "Every answer echoes the request's Authorization header; error and token answers also "
                     "echo the client secret and a private signing key (PEM and JWK).",
     "No secret and no key reaches any report, log or repro command."),
    ("writes-fail", "Any POST, PUT, PATCH or DELETE other than the token request (and LTI's login and launch form "
                    "posts) is recorded and answered 500.",
     "A certification run sends none: the run passes and the sandbox recorded no write."),
)

HOSTILE: dict[str, HostileMode] = {
    name: HostileMode(name=name, sentence=sentence, expect=expect) for name, sentence, expect in _CATALOGUE
}

SCRIPT_PAYLOAD = '<script>alert("edcert")</script>{{7*7}}{% raw %}${7*7}<img src=x onerror=alert(1)>'
HUGE_BODY_BYTES = 2 * 1024**3
DRIP_INTERVAL = 1.0
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_STREAM_CHUNK = 64 * 1024


def validate_hostile(name: str | None) -> str | None:
    """Check a hostile-mode name against the catalogue (``None``: no mode).

    Raises:
        ValueError: The name is not in the catalogue.
    """
    if name is not None and name not in HOSTILE:
        raise ValueError(f"unknown hostile mode '{name}'; see `edcert sandbox hostile`")
    return name


@dataclass
class HostileState:
    """What a hostile sandbox saw, for the tests: unexpected writes, requests that followed a redirect."""

    mode: str
    client_secret: str
    canary_key_pem: str | None = None
    writes: list[tuple[str, str]] = field(default_factory=list)
    cross_host_requests: list[tuple[str, str, bool]] = field(default_factory=list)
    redirect_hosts: set[str] = field(default_factory=set)
    data_answers: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def canary_jwk(self) -> dict[str, str]:
        """The private key as a JWK (the form a vendor's debug output might leak)."""
        if self.canary_key_pem is None:
            return {}
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        key = load_pem_private_key(self.canary_key_pem.encode(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            return {}
        numbers = key.private_numbers()
        return {"kty": "RSA", "n": _b64int(numbers.public_numbers.n), "e": _b64int(numbers.public_numbers.e),
                "d": _b64int(numbers.d), "p": _b64int(numbers.p), "q": _b64int(numbers.q)}


def _b64int(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def generate_canary_key() -> str:
    """A fresh RSA private key as PKCS#8 PEM (the echo-secrets mode's canary)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


class _QuietReset(logging.Filter):
    # reset-mid-body returns without finishing its answer on purpose; uvicorn logs that as an error.
    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


_QUIET = _QuietReset()


class HostileMiddleware:
    """ASGI middleware applying one hostile mode around the conformant sandbox."""

    def __init__(self, app: ASGIApp, *, state: HostileState, token_path: str | tuple[str, ...],
                 protocol_posts: tuple[str, ...] = ()) -> None:
        self.app = app
        self.state = state
        # the sandbox has more than one token endpoint (OneRoster's, Ed-Fi's)
        self.token_paths = (token_path,) if isinstance(token_path, str) else tuple(token_path)
        # POSTs a protocol itself consists of (LTI's login and launch form posts): never a data write
        self.protocol_posts = frozenset(protocol_posts)
        if state.mode == "reset-mid-body":
            logging.getLogger("uvicorn.error").addFilter(_QUIET)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        st = self.state
        host = _header(scope, b"host")
        if host in st.redirect_hosts:
            with st.lock:
                st.cross_host_requests.append((scope["method"], scope["path"], _header(scope, b"authorization") != ""))
            await _send(send, 421, [(b"content-type", b"text/plain")], b"misdirected: this host only redirects")
            return
        mode = st.mode
        if mode == "writes-fail" and scope["method"] in _WRITES and scope["path"] not in self.token_paths \
                and not (scope["method"] == "POST" and scope["path"] in self.protocol_posts):
            with st.lock:
                st.writes.append((scope["method"], scope["path"]))
            await _send(send, 500, [(b"content-type", b"application/json")],
                        json.dumps(_status_payload("internal_server_error", "unexpected write")).encode())
            return
        if mode == "echo-secrets":
            await self._echo(scope, receive, send)
            return
        is_data = scope["path"].startswith(ROSTERING_BASE)
        offset = 0
        if is_data and mode == "endless-pages":
            scope, offset = _from_first_page(scope)
        status, headers, body = await _capture(self.app, scope, receive)
        if not is_data or status != 200:
            await _send(send, status, headers, body)
            return
        with st.lock:
            st.data_answers += 1
            nth = st.data_answers
        await self._spoil(scope, receive, send, headers, body, nth, offset)

    async def _spoil(self, scope: Scope, receive: Receive, send: Send, headers: list[tuple[bytes, bytes]], body: bytes,
                     nth: int, offset: int) -> None:
        mode = self.state.mode
        json_type = [(b"content-type", b"application/json")]
        if mode == "not-json":
            await _send(send, 200, json_type, b"OK: your request was accepted and will be processed.\n")
        elif mode == "wrong-content-type":
            await _send(send, 200, _replace(headers, b"content-type", b"text/html; charset=utf-8"), body)
        elif mode == "invalid-utf8":
            await _send(send, 200, json_type, _prepend_member(body, b'"edcertNote": "caf\xe9 \xff\xfe"'))
        elif mode == "deep-nesting":
            await _send(send, 200, json_type,
                        _prepend_member(body, b'"edcertDeep": ' + b"[" * 100_000 + b"]" * 100_000))
        elif mode == "huge-numbers":
            await _send(send, 200, json_type, _prepend_member(body, b'"edcertCount": ' + b"9" * 10_000))
        elif mode == "huge-body":
            await _stream(scope, receive, send, _huge_body(), {"content-type": "application/json",
                                                      "content-length": str(HUGE_BODY_BYTES)})
        elif mode == "gzip-bomb":
            await _stream(scope, receive, send, _gzip_bomb(), {"content-type": "application/json",
                                                      "content-encoding": "gzip"})
        elif mode == "drip":
            await _stream(scope, receive, send, _drip(body), {"content-type": "application/json",
                                                     "content-length": str(len(body))})
        elif mode == "reset-mid-body":
            await send({"type": "http.response.start", "status": 200,
                        "headers": [*json_type, (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
            # Returning without the rest makes the server drop the connection mid-body.
        elif mode == "redirect-loop":
            await _send(send, 302, [(b"location", _path_and_query(scope).encode())], b"")
        elif mode == "redirect-other-host":
            other = _other_host(_header(scope, b"host"))
            with self.state.lock:
                self.state.redirect_hosts.add(other)
            location = f"{scope.get('scheme', 'http')}://{other}{_path_and_query(scope)}"
            await _send(send, 307, [(b"location", location.encode())], b"")
        elif mode == "endless-429":
            await _send(send, 429, [*json_type, (b"retry-after", b"3600")],
                        json.dumps(_status_payload("server_busy", "slow down")).encode())
        elif mode == "every-tenth-500" and nth % 10 == 0:
            await _send(send, 500, json_type,
                        json.dumps(_status_payload("internal_server_error", "something broke")).encode())
        elif mode == "endless-pages":
            await self._endless_page(scope, send, headers, body, offset)
        elif mode == "script-injection":
            await _send(send, 200, headers, json.dumps(_inject(json.loads(body))).encode())
        else:
            await _send(send, 200, headers, body)

    async def _endless_page(self, scope: Scope, send: Send, headers: list[tuple[bytes, bytes]], body: bytes,
                            offset: int) -> None:
        data = json.loads(body)
        if isinstance(data, dict):
            for value in data.values():
                if isinstance(value, list):
                    for record in value:
                        if isinstance(record, dict) and isinstance(record.get("sourcedId"), str):
                            record["sourcedId"] = f"{record['sourcedId']}-p{offset}"
        first = scope["path"] + "?" + urlencode([(k, v) for k, v in _query(scope) if k != "offset"])
        out = _replace(headers, b"x-total-count", b"1000000000")
        out = _replace(out, b"link", f'<{first}>; rel="next", <{first}>; rel="first"'.encode())
        await _send(send, 200, out, json.dumps(data).encode())

    async def _echo(self, scope: Scope, receive: Receive, send: Send) -> None:
        status, headers, body = await _capture(self.app, scope, receive)
        st = self.state
        authorization = _header(scope, b"authorization")
        headers = _replace(headers, b"x-echo-authorization", authorization.encode("latin-1"))
        if status >= 400 or scope["path"] in self.token_paths:
            try:
                data = json.loads(body)
            except ValueError:
                data = None
            if isinstance(data, dict):
                data["debug"] = {"receivedAuthorization": authorization, "clientSecret": st.client_secret,
                                 "signingKey": st.canary_key_pem, "signingJwk": st.canary_jwk()}
                body = json.dumps(data).encode()
        await _send(send, status, headers, body)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


def _query(scope: Scope) -> list[tuple[str, str]]:
    return parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)


def _path_and_query(scope: Scope) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    path: str = scope["path"]
    return path + (f"?{query}" if query else "")


def _other_host(host: str) -> str:
    name, _, port = host.rpartition(":") if host.count(":") == 1 else (host, "", "")
    other = "localhost" if name != "localhost" else "127.0.0.1"
    return f"{other}:{port}" if port else other


def _from_first_page(scope: Scope) -> tuple[Scope, int]:
    pairs = _query(scope)
    offset = next((int(v) for k, v in pairs if k == "offset" and v.isdigit()), 0)
    rewritten = [(k, "0" if k == "offset" else v) for k, v in pairs]
    return {**scope, "query_string": urlencode(rewritten).encode()}, offset


def _status_payload(code_minor: str, description: str) -> dict[str, Any]:
    return {"imsx_codeMajor": "failure", "imsx_severity": "error", "imsx_description": description,
            "imsx_CodeMinor": {"imsx_codeMinorField": [
                {"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": code_minor}]}}


def _prepend_member(body: bytes, member: bytes) -> bytes:
    stripped = body.lstrip()
    if stripped.startswith(b"{") and stripped[1:].lstrip().startswith(b"}"):
        return b"{" + member + b"}"
    if stripped.startswith(b"{"):
        return b"{" + member + b", " + stripped[1:]
    return b"{" + member + b', "body": ' + stripped + b"}"


def _inject(value: Any) -> Any:
    if isinstance(value, str):
        return value + SCRIPT_PAYLOAD
    if isinstance(value, list):
        return [_inject(v) for v in value]
    if isinstance(value, dict):
        return {k: _inject(v) for k, v in value.items()}
    return value


def _replace(headers: Iterable[tuple[bytes, bytes]], name: bytes, value: bytes) -> list[tuple[bytes, bytes]]:
    return [*((k, v) for k, v in headers if k.lower() != name), (name, value)]


async def _capture(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    status = 500
    headers: list[tuple[bytes, bytes]] = []
    body = bytearray()

    async def collect(message: Message) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = int(message["status"])
            headers = [(bytes(k).lower(), bytes(v)) for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    await app(scope, receive, collect)
    return status, headers, bytes(body)


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers = [(k, v) for k, v in headers if k.lower() not in (b"content-length", b"transfer-encoding")]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _stream(scope: Scope, receive: Receive, send: Send, chunks: AsyncIterator[bytes],
                  headers: dict[str, str]) -> None:
    # StreamingResponse stops the generator when the client goes away (edcert hanging up at its cap).
    response = StreamingResponse(chunks, status_code=200, headers=headers)
    await response(scope, receive, send)


async def _huge_body() -> AsyncIterator[bytes]:
    # Never built in memory: one 64 KiB chunk of JSON whitespace, sent again and again.
    head = b'{"users": ['
    yield head
    chunk = b" " * _STREAM_CHUNK
    sent = len(head)
    while sent + len(chunk) <= HUGE_BODY_BYTES:
        yield chunk
        sent += len(chunk)
        await asyncio.sleep(0)


_BOMB: tuple[bytes, bytes] | None = None


def gzip_bomb_blocks() -> tuple[bytes, bytes]:
    """(head, block): a gzip member's start, and a block that inflates to 1 MiB of spaces each time it follows.

    After a full flush the compressor starts from scratch, so the same input compresses to the same
    block: head + block * 2047 inflates to 2 GiB while only about 2 MB cross the wire.
    """
    global _BOMB
    if _BOMB is None:
        mib = 1024 * 1024
        compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
        head = compressor.compress(b'{"users": [' + b" " * (mib - 11)) + compressor.flush(zlib.Z_FULL_FLUSH)
        block = compressor.compress(b" " * mib) + compressor.flush(zlib.Z_FULL_FLUSH)
        again = compressor.compress(b" " * mib) + compressor.flush(zlib.Z_FULL_FLUSH)
        if again != block:  # pragma: no cover - zlib guarantees it; fail loudly rather than serve garbage
            raise RuntimeError("zlib full flush did not reset the compressor")
        _BOMB = (head, block)
    return _BOMB


async def _gzip_bomb() -> AsyncIterator[bytes]:
    head, block = gzip_bomb_blocks()
    yield head
    for _ in range(HUGE_BODY_BYTES // (1024 * 1024) - 1):
        yield block
        await asyncio.sleep(0)


async def _drip(body: bytes) -> AsyncIterator[bytes]:
    for i in range(len(body)):
        yield body[i : i + 1]
        await asyncio.sleep(DRIP_INTERVAL)


__all__ = ["HOSTILE", "SCRIPT_PAYLOAD", "HostileMiddleware", "HostileMode", "HostileState", "generate_canary_key",
           "validate_hostile"]
