"""HTTP/1.1 on the wire through the standard library's ``http.client``, as an httpx transport.

Every vendor request of a run goes through :class:`edcert.harness.http.VendorClient`, an httpx client; this
is the transport underneath it, in place of httpx's own (httpcore and h11). Both speak the same HTTP/1.1
and keep connections alive; ``http.client`` reads a page's headers and body with about half the CPU
(0.4-0.5 ms for a 75 KB page of 100 users against 0.85-1.0 ms, measured side by side on the sandbox), and a
large district is some 3,000 pages. Everything httpx adds above the transport (auth, the client's headers,
the evidence and limits of :class:`~edcert.harness.http.VendorTransport`) is unchanged.

Errors are httpx's, so callers see what they saw before: a timeout is an ``httpx.TimeoutException``, a
refused or failed connection (a certificate that does not verify included, with the ``ssl`` error as its
cause) an ``httpx.ConnectError``, an answer cut short or malformed an ``httpx.RemoteProtocolError``.
Redirects are never followed (``http.client`` never does), no proxy is used (edcert's clients do not read
the environment's), and nothing is added to the request: it goes out with exactly httpx's headers. One
limit differs from httpcore's: ``http.client`` refuses an answer with more than 100 header lines (httpcore
allowed 100 KB of headers), as a malformed answer.
"""
from __future__ import annotations

import email.parser
import http.client
import re
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from http.client import CONTINUE, NO_CONTENT, NOT_MODIFIED, HTTPMessage, UnknownProtocol, _read_headers
from typing import Any

import httpx

READ_CHUNK = 64 * 1024  # at most this much is handed over per read: the caller's size cap and deadline apply
KEEPALIVE_EXPIRY = 5.0  # seconds a connection may sit idle and still be used again (httpx's default)
SAFE_TO_RESEND = frozenset({"GET", "HEAD", "OPTIONS"})

_Origin = tuple[str, str, int]

# A header line as the standard library's email parser reads it plainly: a name of the characters it allows in
# one (email.feedparser's headerRE), a colon, a value with no line break in it, the line's end. Anything else (a
# folded line, a line that is not a header, a bare carriage return, the first line "From ...") is left to it.
_PLAIN_HEADER = re.compile(rb"[!-9;-~]+:[^\r\n]*\r?\n")


def _parse_headers(fp: Any) -> HTTPMessage:
    """``http.client.parse_headers(fp)``, exactly, at about a third of its CPU for plain header lines.

    The standard library reads the header lines (its limits: 65,536 bytes a line, 100 lines) and hands them,
    as text, to the email package's parser, which is built for mail: 110 us of CPU an answer in a large run,
    0.35 s over the 3,042 answers of the large district. Plain lines (all of a vendor's, as a rule) are split
    here into the same (name, value) pairs the parser's compat32 policy keeps (the value without the spaces
    and tabs after the colon or the line's end); any other line sends the whole header to the parser.
    """
    lines = _read_headers(fp)  # the last one is the blank line (or the connection's end)
    message = HTTPMessage()
    for line in lines[:-1]:
        if _PLAIN_HEADER.fullmatch(line) is None:
            return email.parser.Parser(_class=HTTPMessage).parsestr(b"".join(lines).decode("iso-8859-1"))
        name, _, value = line.decode("iso-8859-1").partition(":")
        message.set_raw(name, value.lstrip(" \t").rstrip("\r\n"))
    return message


class _Response(http.client.HTTPResponse):
    """``http.client``'s answer, its header read by :func:`_parse_headers`.

    ``begin`` is the standard library's, line for line (the same in Python 3.8 to 3.13), but for the one
    call that reads the header (tests/harness/test_wire.py compares it with the running Python's).
    """

    def begin(self):  # type: ignore[no-untyped-def]
        if self.headers is not None:
            # we've already started reading the response
            return

        # read until we get a non-100 response
        while True:
            version, status, reason = self._read_status()
            if status != CONTINUE:
                break
            # skip the header from the 100 response
            skipped_headers = _read_headers(self.fp)
            if self.debuglevel > 0:
                print("headers:", skipped_headers)
            del skipped_headers

        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            # Some servers might still return "0.9", treat it as 1.0 anyway
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11   # use HTTP/1.1 code for HTTP/1.x where x>=1
        else:
            raise UnknownProtocol(version)

        self.headers = self.msg = _parse_headers(self.fp)

        if self.debuglevel > 0:
            for hdr, val in self.headers.items():
                print("header:", hdr + ":", val)

        # are we using the chunked-style of transfer encoding?
        tr_enc = self.headers.get("transfer-encoding")
        if tr_enc and tr_enc.lower() == "chunked":
            self.chunked = True
            self.chunk_left = None
        else:
            self.chunked = False

        # will the connection close at the end of the response?
        self.will_close = self._check_close()

        # do we have a Content-Length?
        # NOTE: RFC 2616, S4.4, #3 says we ignore this if tr_enc is "chunked"
        self.length = None
        length = self.headers.get("content-length")
        if length and not self.chunked:
            try:
                self.length = int(length)
            except ValueError:
                self.length = None
            else:
                if self.length < 0:  # ignore nonsensical negative lengths
                    self.length = None
        else:
            self.length = None

        # does the body have a fixed length? (of zero)
        if (status == NO_CONTENT or status == NOT_MODIFIED or
            100 <= status < 200 or      # 1xx codes
            self._method == "HEAD"):
            self.length = 0

        # if the connection remains open, and we aren't using chunked, and
        # a content-length was not provided, then assume that the connection
        # WILL close.
        if (not self.will_close and
            not self.chunked and
            self.length is None):
            self.will_close = True


class _Connection(http.client.HTTPConnection):
    response_class = _Response


class _TLSConnection(http.client.HTTPSConnection):
    response_class = _Response


class WireTransport(httpx.BaseTransport):
    """Requests sent with ``http.client``, over connections kept alive per origin (thread-safe).

    Args:
        verify: The SSL context https connections verify with, or ``False`` (no verification).
        keepalive_expiry: How long an idle connection is kept for the next request.
    """

    def __init__(self, verify: ssl.SSLContext | bool = True, *,
                 keepalive_expiry: float = KEEPALIVE_EXPIRY) -> None:
        if verify is True:
            verify = httpx.create_ssl_context()
        elif verify is False:
            verify = httpx.create_ssl_context(verify=False)
        verify.set_alpn_protocols(["http/1.1"])  # what httpx's transport offers too
        self.context = verify
        self.keepalive_expiry = keepalive_expiry
        self._idle: dict[_Origin, list[tuple[http.client.HTTPConnection, float]]] = {}
        self._lock = threading.Lock()
        # bumped by close(): a connection opened before it is not kept when its answer ends (httpx's transport,
        # once closed, also serves later requests on new connections: clients may share one)
        self._generation = 0

    # -- connections ---------------------------------------------------------------------------------------

    def _checkout(self, origin: _Origin) -> http.client.HTTPConnection | None:
        """An idle connection to ``origin`` still fit to use, or ``None``."""
        now = time.monotonic()
        while True:
            with self._lock:
                idle = self._idle.get(origin)
                if not idle:
                    return None
                conn, since = idle.pop()
            if now - since < self.keepalive_expiry and conn.sock is not None and not _readable(conn.sock):
                return conn
            conn.close()  # expired, or closed (or spoken to) by the server while idle

    def _checkin(self, origin: _Origin, conn: http.client.HTTPConnection, generation: int) -> None:
        with self._lock:
            if generation == self._generation and conn.sock is not None:
                self._idle.setdefault(origin, []).append((conn, time.monotonic()))
                return
        conn.close()

    def _connect(self, origin: _Origin, timeout: float | None) -> http.client.HTTPConnection:
        scheme, host, port = origin
        conn: http.client.HTTPConnection
        if scheme == "https":
            conn = _TLSConnection(host, port, timeout=timeout, context=self.context)
        else:
            conn = _Connection(host, port, timeout=timeout)
        try:
            conn.connect()
        except TimeoutError as exc:
            conn.close()
            raise httpx.ConnectTimeout(f"timed out connecting to {host}:{port}") from exc
        except OSError as exc:  # refused, unreachable, a name that does not resolve, a TLS handshake refused
            conn.close()
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}") from exc
        return conn

    # -- requests ------------------------------------------------------------------------------------------

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"the URL's scheme is {url.scheme!r}: edcert speaks http and https")
        origin: _Origin = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        timeouts = request.extensions.get("timeout") or {}
        body = request.read()
        target = url.raw_path.decode("ascii")
        headers = request.headers.raw
        generation = self._generation
        while True:
            conn = self._checkout(origin)
            reused = conn is not None
            if conn is None:
                conn = self._connect(origin, timeouts.get("connect"))
            try:
                response = self._exchange(conn, request.method, target, headers, body, timeouts)
            except _Stale:
                # a kept-alive connection the server closed just before our request reached it: nothing of
                # the request was answered, so a GET is sent again on another connection (never a POST); a new
                # connection failing so is the vendor's answer, not retried
                conn.close()
                if reused and request.method in SAFE_TO_RESEND:
                    continue
                raise httpx.RemoteProtocolError("the server closed the connection without answering") from None
            except BaseException:
                conn.close()
                raise
            break
        return httpx.Response(
            status_code=response.status,
            headers=[(name.encode("latin-1"), value.encode("latin-1")) for name, value in response.getheaders()],
            stream=_Body(self, origin, generation, conn, response),
            extensions={"http_version": b"HTTP/1.0" if response.version == 10 else b"HTTP/1.1",
                        "reason_phrase": response.reason.encode("latin-1", "replace")},
        )

    def _exchange(self, conn: http.client.HTTPConnection, method: str, target: str,
                  headers: list[tuple[bytes, bytes]], body: bytes,
                  timeouts: dict[str, Any]) -> http.client.HTTPResponse:
        assert conn.sock is not None
        try:
            conn.sock.settimeout(timeouts.get("write"))
            conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                conn.putheader(name, value)
            conn.endheaders(body or None)
        except TimeoutError as exc:
            raise httpx.WriteTimeout("timed out sending the request") from exc
        except (ValueError, http.client.HTTPException) as exc:  # a header or target HTTP cannot carry
            raise httpx.LocalProtocolError(f"edcert could not send the request: {exc}") from exc
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            raise _Stale from None
        except OSError as exc:
            raise httpx.WriteError(f"{type(exc).__name__}: {exc}") from exc
        try:
            conn.sock.settimeout(timeouts.get("read"))
            return conn.getresponse()
        except TimeoutError as exc:
            raise httpx.ReadTimeout("timed out waiting for the answer") from exc
        except (http.client.RemoteDisconnected, ConnectionResetError, ConnectionAbortedError):
            raise _Stale from None
        except http.client.HTTPException as exc:  # a status line or headers that are not HTTP
            raise httpx.RemoteProtocolError(f"{type(exc).__name__}: {exc}") from exc
        except OSError as exc:
            raise httpx.ReadError(f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._generation += 1
            idle = [conn for conns in self._idle.values() for conn, _ in conns]
            self._idle.clear()
        for conn in idle:
            conn.close()


class _Stale(Exception):
    """The connection was closed before any answer came."""


class _Body(httpx.SyncByteStream):
    """A response's body as it arrives; the connection goes back to the pool once the body is read whole."""

    def __init__(self, transport: WireTransport, origin: _Origin, generation: int,
                 conn: http.client.HTTPConnection, response: http.client.HTTPResponse) -> None:
        self._transport = transport
        self._origin = origin
        self._generation = generation
        self._conn: http.client.HTTPConnection | None = conn
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        response = self._response
        try:
            while True:
                chunk = response.read1(READ_CHUNK)  # what one read of the socket brings, like httpcore
                if not chunk:
                    break
                yield chunk
            response.read()  # the end: marks the answer complete, so the connection may be used again
        except TimeoutError as exc:
            self._discard()
            raise httpx.ReadTimeout("timed out reading the answer") from exc
        except http.client.IncompleteRead as exc:
            self._discard()
            raise httpx.RemoteProtocolError("the server closed the connection before the whole body came") from exc
        except http.client.HTTPException as exc:  # a malformed chunked body
            self._discard()
            raise httpx.RemoteProtocolError(f"{type(exc).__name__}: {exc}") from exc
        except OSError as exc:
            self._discard()
            raise httpx.ReadError(f"{type(exc).__name__}: {exc}") from exc
        if response.length not in (None, 0):  # a declared length the connection ended short of
            self._discard()
            raise httpx.RemoteProtocolError("the server closed the connection before the whole body came")

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._response.isclosed() and not self._response.will_close:
            self._transport._checkin(self._origin, conn, self._generation)
        else:  # not read to its end, or the server ends the connection: not reusable
            self._response.close()
            conn.close()

    def _discard(self) -> None:
        conn, self._conn = self._conn, None
        self._response.close()
        if conn is not None:
            conn.close()


def _readable(sock: socket.socket) -> bool:
    """True when an idle connection has something to read: the server closed it (or sent what it should not)."""
    poller = select.poll()  # not select(): any descriptor number
    try:
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True
