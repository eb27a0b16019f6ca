"""The transport under every vendor request (``http.client`` on the wire), against a scripted TCP server.

Each test's server is a real socket on 127.0.0.1 that answers each request as its script says, so what
is checked is what goes over a connection: keep-alive, a server closing a connection, bodies cut short,
chunked bodies, timeouts, and the errors callers see (httpx's, as with httpx's own transport).
"""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

import httpx
import pytest

from edcert.harness.errors import VendorBrokeConnection
from edcert.harness.evidence import Recorder, Redactor
from edcert.harness.http import VendorClient
from edcert.harness.wire import WireTransport


@dataclass
class Seen:
    connections: int = 0
    requests: list[tuple[int, bytes]] = field(default_factory=list)  # (connection number, request head + body)
    closed_by_client: list[int] = field(default_factory=list)


# script(connection number, request number on it, the request) -> bytes to send, then "keep", "close" or "hang"
Script = Callable[[int, int, bytes], tuple[bytes, str]]


def _read_request(sock: socket.socket) -> bytes | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


@contextmanager
def scripted_server(script: Script) -> Iterator[tuple[str, Seen]]:
    seen = Seen()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve(conn: socket.socket, number: int) -> None:
        with conn, suppress(OSError):  # a client that closes with an answer unread resets the connection
            for request_no in range(100):
                request = _read_request(conn)
                if request is None:
                    seen.closed_by_client.append(number)
                    return
                seen.requests.append((number, request))
                answer, then = script(number, request_no, request)
                if answer:
                    conn.sendall(answer)
                if then == "close":
                    return
                if then == "hang":
                    stop.wait(5)
                    return

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            seen.connections += 1
            threading.Thread(target=serve, args=(conn, seen.connections - 1), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", seen
    finally:
        stop.set()
        thread.join()
        listener.close()


def ok(body: bytes = b'{"ok": true}', *extra: bytes) -> bytes:
    head = [b"HTTP/1.1 200 OK", b"Content-Type: application/json", b"Content-Length: %d" % len(body), *extra]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def client(**kwargs: object) -> httpx.Client:
    return httpx.Client(transport=WireTransport(False), timeout=kwargs.pop("timeout", 5.0), **kwargs)  # type: ignore[arg-type]


def test_a_connection_is_kept_alive_and_answers_arrive_whole_with_their_header_bytes() -> None:
    def script(c: int, r: int, req: bytes) -> tuple[bytes, str]:
        return ok(b'{"n": %d}' % r, b"X-Name: Ren\xe9e"), "keep"

    with scripted_server(script) as (url, seen), client() as http:
        answers = [http.get(f"{url}/users?limit=100&offset={i}") for i in range(3)]
    assert [a.json() for a in answers] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert seen.connections == 1 and len(seen.requests) == 3
    assert answers[0].headers.raw[-1] == (b"X-Name", b"Ren\xe9e")  # the bytes as sent, nothing re-encoded
    assert answers[0].http_version == "HTTP/1.1" and answers[0].reason_phrase == "OK"
    # the request went out with httpx's headers, the target as given
    assert seen.requests[1][1].startswith(b"GET /users?limit=100&offset=1 HTTP/1.1\r\n")
    assert b"\r\nHost: 127.0.0.1:" in seen.requests[1][1]


def test_an_idle_connection_the_server_closed_is_not_used_again() -> None:
    with scripted_server(lambda c, r, req: (ok(), "close")) as (url, seen), client() as http:
        first = http.get(f"{url}/a")
        time.sleep(0.2)  # the server has closed the kept-alive connection by now
        second = http.get(f"{url}/b")
    assert first.status_code == second.status_code == 200
    assert seen.connections == 2


def closes_its_second_request(c: int, r: int, req: bytes) -> tuple[bytes, str]:
    # the first connection answers once, then closes on the next request without a word (a keep-alive
    # connection the server dropped just as the request arrived); every later connection answers
    return (b"", "close") if c == 0 and r == 1 else (ok(), "keep")


def test_a_get_the_server_dropped_on_a_reused_connection_is_sent_again_once() -> None:
    with scripted_server(closes_its_second_request) as (url, seen), client() as http:
        http.get(f"{url}/a")
        again = http.get(f"{url}/b")
    assert again.status_code == 200
    assert seen.connections == 2
    assert [c for c, _ in seen.requests] == [0, 0, 1]  # /b went out twice: on the dropped connection, then anew


def test_a_post_the_server_dropped_is_never_sent_twice() -> None:
    with scripted_server(closes_its_second_request) as (url, seen), client() as http:
        http.get(f"{url}/a")
        with pytest.raises(httpx.RemoteProtocolError):
            http.post(f"{url}/grades", content=b"{}")
    assert [req.split(b" ")[0] for _, req in seen.requests] == [b"GET", b"POST"]


def test_a_new_connection_closed_without_an_answer_is_the_vendors_broken_connection() -> None:
    with scripted_server(lambda c, r, req: (b"", "close")) as (url, seen):
        with client() as http, pytest.raises(httpx.RemoteProtocolError):
            http.get(f"{url}/a")
        with vendor_client() as vendor, pytest.raises(VendorBrokeConnection):
            vendor.get(f"{url}/a")
    assert seen.connections == 2  # one each: a fresh connection failing is not retried


def test_a_body_shorter_than_its_content_length_is_a_broken_connection() -> None:
    cut = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b'{"users": ['
    with scripted_server(lambda c, r, req: (cut, "close")) as (url, _):
        with client() as http, pytest.raises(httpx.RemoteProtocolError):
            http.get(f"{url}/users")
        with vendor_client() as vendor, pytest.raises(VendorBrokeConnection) as caught:
            vendor.get(f"{url}/users")
    assert "in the middle of its answer" in caught.value.message


def test_a_chunked_body_is_read_whole_and_the_connection_kept() -> None:
    chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
               b"5\r\n{\"a\":\r\n3\r\n 1}\r\n0\r\n\r\n")
    with scripted_server(lambda c, r, req: (chunked, "keep")) as (url, seen), client() as http:
        answers = [http.get(f"{url}/x") for _ in range(2)]
    assert [a.json() for a in answers] == [{"a": 1}, {"a": 1}]
    assert seen.connections == 1


def test_an_answer_that_ends_its_connection_is_read_to_the_end_and_not_reused() -> None:
    http10 = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + b'{"till": "close"}'
    with scripted_server(lambda c, r, req: (http10, "close")) as (url, seen), client() as http:
        answers = [http.get(f"{url}/x") for _ in range(2)]
    assert [a.json() for a in answers] == [{"till": "close"}] * 2
    assert answers[0].http_version == "HTTP/1.0"
    assert seen.connections == 2


def test_an_answer_left_half_read_closes_its_connection() -> None:
    big = ok(b"x" * 300_000)
    with scripted_server(lambda c, r, req: (big, "keep")) as (url, seen), client() as http:
        with http.stream("GET", f"{url}/big") as streamed:
            next(streamed.iter_raw())  # one read, then the answer is dropped
        assert len(http.get(f"{url}/big").content) == 300_000
    assert seen.connections == 2


def test_a_server_that_never_answers_times_out() -> None:
    with (scripted_server(lambda c, r, req: (b"", "hang")) as (url, _), client(timeout=0.3) as http,
          pytest.raises(httpx.ReadTimeout)):
        http.get(f"{url}/slow")


def test_a_header_http_cannot_carry_is_refused_before_anything_is_sent() -> None:
    with (scripted_server(lambda c, r, req: (ok(), "keep")) as (url, seen), client() as http,
          pytest.raises(httpx.LocalProtocolError)):
        http.get(f"{url}/a", headers={"Authorization": "Bearer x\r\nX-Injected: 1"})
    assert seen.requests == []


def test_closing_drops_idle_connections_and_later_requests_open_new_ones() -> None:
    with scripted_server(lambda c, r, req: (ok(), "keep")) as (url, seen):
        transport = WireTransport(False)
        with httpx.Client(transport=transport) as http:
            http.get(f"{url}/a")
            transport.close()
            for _ in range(50):  # the server sees the end of the first connection
                if seen.closed_by_client:
                    break
                time.sleep(0.01)
            assert seen.closed_by_client == [0]
            http.get(f"{url}/b")
            http.get(f"{url}/c")
    assert seen.connections == 2  # after close(), connections are kept again


def test_a_refused_connection_is_a_connect_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    with client() as http, pytest.raises(httpx.ConnectError):
        http.get(f"http://127.0.0.1:{port}/")


@contextmanager
def vendor_client() -> Iterator[VendorClient]:
    vendor = VendorClient(timeout=5, rate_limit=None, max_response_bytes=1_000_000, max_retries=0,
                          max_retry_wait=0, verify_tls=False, recorder=Recorder(Redactor()))
    try:
        yield vendor
    finally:
        vendor.close()


def test_the_answers_begin_is_the_standard_librarys_but_for_the_header_parser() -> None:
    """``_Response.begin`` is a copy of the running Python's: were a Python to change it, this fails."""
    import http.client
    import inspect
    import textwrap

    from edcert.harness.wire import _Response

    ours = textwrap.dedent(inspect.getsource(_Response.begin)).replace("  # type: ignore[no-untyped-def]", "")
    assert ours.count("_parse_headers(self.fp)") == 1
    assert ours.replace("_parse_headers(self.fp)", "parse_headers(self.fp)") == \
        textwrap.dedent(inspect.getsource(http.client.HTTPResponse.begin))


_HEADERS = {  # header blocks as a vendor might send them, and whether each is plain (read without the email parser)
    "a page's": (b"date: Sun, 29 Nov 2026 22:00:00 GMT\r\nserver: uvicorn\r\ncontent-length: 75\r\n"
                 b"content-type: application/json\r\nX-Total-Count: 150191 \r\nLink: <http://h/x?offset=1>; "
                 b'rel="next"\r\n\r\n', True),
    "repeated names, odd spacing": (b"Set-Cookie: a=1\r\nset-cookie:b=2\r\nX-A:\t \tv\t \r\nX-Empty:\r\n\r\n", True),
    "bare line ends, latin-1": (b"X-Name: Zo\xeb\nContent-Length: 2\n\n", True),
    "none": (b"\r\n", True),
    "the connection's end before a blank line": (b"X-A: 1\r\nX-B: 2\r\n", True),
    "a folded value": (b"X-A: one\r\n two\r\n\tthree\r\nX-B: 2\r\n\r\n", False),
    "a line that is not a header": (b"X-A: 1\r\nnot a header\r\nX-B: 2\r\n\r\n", False),
    "a space in a name": (b"X-A: 1\r\nBad Name: 2\r\nX-B: 3\r\n\r\n", False),
    "a bare carriage return": (b"X-A: 1\rX-B: 2\r\nX-C: 3\r\n\r\n", False),
    "a first line From": (b"From nobody Mon Jan 1\r\nX-A: 1\r\n\r\n", False),
    "an empty name": (b": v\r\nX-A: 1\r\n\r\n", False),
    "a continuation first": (b" leading\r\nX-A: 1\r\n\r\n", False),
    "a NUL and a DEL": (b"X-A: a\x00b\x7f\r\n\r\n", True),
}


@pytest.mark.parametrize("name", list(_HEADERS))
def test_a_header_reads_as_the_standard_library_reads_it(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import email.parser
    import http.client
    import io

    from edcert.harness import wire

    block, plain = _HEADERS[name]
    if block == b"\r\n" or block.endswith((b"\n\r\n", b"\n\n")):
        block += b"BODY"  # after the blank line, what the body reader is to read
    their_fp = io.BytesIO(block)
    theirs = http.client.parse_headers(their_fp)
    parsed: list[str] = []

    class Parser(email.parser.Parser):
        def parsestr(self, text: str, headersonly: bool = False) -> object:
            parsed.append(text)
            return super().parsestr(text, headersonly)

    monkeypatch.setattr(wire.email.parser, "Parser", Parser)
    fp = io.BytesIO(block)
    ours = wire._parse_headers(fp)
    assert fp.read() == their_fp.read()  # the same bytes read (the body left for the body)
    assert type(ours) is type(theirs) and ours.items() == theirs.items()
    for key in {k.lower() for k in theirs} | {"content-length", "missing"}:
        assert ours.get(key) == theirs.get(key) and ours.get_all(key) == theirs.get_all(key)
    assert (not parsed) is plain  # plain lines split here; anything else by the email parser


@pytest.mark.parametrize("block", [b"X-A: " + b"a" * 70_000 + b"\r\n\r\n",
                                   b"".join(b"X-%d: 1\r\n" % i for i in range(101)) + b"\r\n"])
def test_a_header_past_the_standard_librarys_limits_is_refused_as_it_refuses_it(block: bytes) -> None:
    import http.client
    import io

    from edcert.harness import wire

    with pytest.raises(http.client.HTTPException) as theirs:
        http.client.parse_headers(io.BytesIO(block))
    with pytest.raises(http.client.HTTPException) as ours:
        wire._parse_headers(io.BytesIO(block))
    assert type(ours.value) is type(theirs.value) and str(ours.value) == str(theirs.value)
