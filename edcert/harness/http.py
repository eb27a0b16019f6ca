"""The HTTP layer every check goes through.

:class:`VendorTransport` wraps a real httpx transport (:mod:`edcert.harness.wire`'s, unless a test
injects another) and adds, in this order: a write guard (no POST/PUT/PATCH/DELETE unless the configuration
allows writes; the token endpoint's POST excepted), a run budget, a per-vendor
rate limit, back-off for idempotent requests on 429/502/503/504 (honouring
``Retry-After`` within a budget), a cap on the response size applied while
decoding (a gzip bomb stops at the cap too), an overall deadline per request
(httpx's read timeout restarts with every chunk, so a body dripped byte by
byte would otherwise never time out), and evidence recording of every
exchange (auth requests included), redacted before it is kept. Redirects are
never followed: a redirect is an answer like any other, so credentials never
travel to another host.
"""
from __future__ import annotations

import contextvars
import email.utils
import json
import os
import ssl
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx
import msgspec

from edcert.harness.errors import (
    BudgetExhausted,
    Failure,
    TLSRejected,
    VendorBrokeConnection,
    VendorTimeout,
    VendorUnreachable,
    WriteRefused,
)
from edcert.harness.evidence import Exchange, Recorder
from edcert.harness.wire import WireTransport

RETRY_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DECODE_CHUNK = 64 * 1024  # most decoded bytes one step of decompression may produce


class ResponseTooLarge(Failure):
    """The vendor sent more than the configured response-size cap."""


class RateLimiter:
    """At most ``rate`` requests per second, spaced evenly (thread-safe).

    Requests are released one at a time, in order, on evenly spaced slots; and never more than
    ``rate`` of them within any second of actual release. Slots alone would let a late release (a
    thread descheduled on a busy machine, a sleep that overshot) be followed at once by on-time
    ones, and the vendor would see a burst above its limit; the window alone would allow bursts.
    """

    def __init__(self, rate: float | None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self._next = 0.0
        self._released: deque[float] = deque(maxlen=max(1, int(rate or 1)))
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:  # held while sleeping: requests are released one after another
            now = self._clock()
            slot = max(now, self._next)
            if len(self._released) == self._released.maxlen:
                slot = max(slot, self._released[0] + 1.0)
            if slot > now:
                self._sleep(slot - now)
                now = self._clock()
            self._next = slot + self.interval
            self._released.append(now)


# kept for the life of the process: a run's short-lived clients (an LTI launch's redirect chain) must find the
# limiter their host's earlier requests went through, and the vendor's limit holds across runs too
_SHARED_LIMITERS: dict[tuple[str, float, object], RateLimiter] = {}
_SHARED_LOCK = threading.Lock()


def host_limiter(host: str, rate: float, sleep: Callable[[float], None] = time.sleep) -> RateLimiter:
    """The rate limiter of one vendor host, shared by every client of the process that talks to it.

    A run certifies several standards of one vendor, each through its own client (OneRoster 1.2, 1.1,
    gradebook, Ed-Fi...); with a limiter per client, ``rate_limit = 20`` let the vendor see 20 requests a
    second per standard (74-136 in one second with the sandbox's ten).
    """
    key = (host, rate, sleep)
    with _SHARED_LOCK:
        found = _SHARED_LIMITERS.get(key)
        if found is None:
            found = _SHARED_LIMITERS[key] = RateLimiter(rate, sleep=sleep)
        return found


# True in a thread (and the tasks it hands to a pool) that reads ahead for checks still to come: its
# requests wait while a check's own request waits for a free connection.
BACKGROUND: contextvars.ContextVar[bool] = contextvars.ContextVar("edcert_background", default=False)


class InFlight:
    """At most ``limit`` requests on the wire at once (thread-safe); ``None`` = no limit.

    The configured ``concurrency`` bounds every request of a service, whichever thread sends it. A request
    sent for the check running now goes before the background reader's (:data:`BACKGROUND`), so reading
    ahead never delays a check behind more than the requests already on the wire.
    """

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self._busy = 0
        self._foreground_waiting = 0
        self._cond = threading.Condition()

    @contextmanager
    def slot(self) -> Iterator[None]:
        if self.limit is None:
            yield
            return
        background = BACKGROUND.get()
        with self._cond:
            if not background:
                self._foreground_waiting += 1
            try:
                while self._busy >= self.limit or (background and self._foreground_waiting):
                    self._cond.wait()
            finally:
                if not background:
                    self._foreground_waiting -= 1
            self._busy += 1
        try:
            yield
        finally:
            with self._cond:
                self._busy -= 1
                self._cond.notify_all()


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class VendorTransport(httpx.BaseTransport):
    """Rate limit, retries, size cap and evidence around a real transport."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        recorder: Recorder,
        *,
        rate_limit: float | None = None,
        max_response_bytes: int = 50 * 1024 * 1024,
        max_retries: int = 3,
        max_retry_wait: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        deadline: float | None = None,
        run_budget: float | None = None,
        allow_writes: bool = False,
        token_urls: tuple[str, ...] = (),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.recorder = recorder
        self.rate_limit = rate_limit
        # one per vendor host, shared with the run's other clients (host_limiter); made on first request
        self._limiters: dict[str, RateLimiter] = {}
        self.max_response_bytes = max_response_bytes
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self._sleep = sleep
        self._clock = clock
        self.deadline = deadline
        self.run_budget = run_budget
        self._run_ends = None if run_budget is None else clock() + run_budget
        self.allow_writes = allow_writes
        self.token_urls = frozenset(_bare(httpx.URL(u)) for u in token_urls)
        self.requests_sent = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._guard_write(request)
        attempt = 0
        while True:
            response = self._send_once(request)
            if response.status_code not in RETRY_STATUSES or request.method not in IDEMPOTENT:
                return response
            if attempt >= self.max_retries:
                _note(response, f"edcert gave up after {attempt} retr{'y' if attempt == 1 else 'ies'} "
                                f"(max_retries = {self.max_retries})")
                return response
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            if wait is None:
                wait = min(0.25 * 2**attempt, self.max_retry_wait)
            if wait > self.max_retry_wait:
                # The vendor asks for longer than our budget: report what it said instead of waiting.
                _note(response, f"edcert gave up: the vendor asked to retry after {wait:g} s, more than "
                                f"max_retry_wait ({self.max_retry_wait:g} s)")
                return response
            remaining = self._remaining()
            if remaining is not None and wait >= remaining:
                _note(response, f"edcert gave up: waiting {wait:g} s would overrun the run budget")
                return response
            self._sleep(wait)
            attempt += 1

    def _guard_write(self, request: httpx.Request) -> None:
        # A certification run reads; a write could change a district's real data. The token
        # endpoint's POST is the one write every run needs, and only to the configured URL.
        if request.method not in WRITES or self.allow_writes:
            return
        if request.method == "POST" and _bare(request.url) in self.token_urls:
            return
        raise WriteRefused(
            f"edcert refused to send {_where(request)}: the vendor "
            "configuration does not set allow_writes = true (certification runs are read-only)"
        )

    def _remaining(self) -> float | None:
        return None if self._run_ends is None else self._run_ends - self._clock()

    def _send_once(self, request: httpx.Request) -> httpx.Response:
        remaining = self._remaining()
        if remaining is not None and remaining <= 0:
            raise BudgetExhausted(
                f"edcert sent no {_where(request)}: the run's time budget "
                f"(run_budget = {self.run_budget:g} s) is spent"
            )
        if self.rate_limit:
            host = request.url.netloc.decode("ascii", "replace")
            limiter = self._limiters.get(host)
            if limiter is None:
                limiter = self._limiters[host] = host_limiter(host, self.rate_limit, self._sleep)
            limiter.wait()
        body = request.read() if request.method != "GET" else b""
        started = time.perf_counter()
        limit = self.deadline
        if remaining is not None:
            limit = remaining if limit is None else min(limit, remaining)
        ends = None if limit is None else self._clock() + limit
        self.requests_sent += 1
        try:
            response = self.inner.handle_request(request)
        except httpx.TimeoutException as exc:
            exchange = self._record(request, body, None, None, started, f"timeout: {type(exc).__name__}")
            raise VendorTimeout(f"{_where(request)} did not answer in time", exchanges=[exchange]) from exc
        except httpx.TransportError as exc:
            exchange = self._record(request, body, None, None, started, f"{type(exc).__name__}: {exc}")
            host = f"{request.url.scheme}://{request.url.netloc.decode()}"
            reason = _tls_rejection(exc)
            if reason is not None:
                raise TLSRejected(f"the TLS certificate of {host} does not verify ({reason})",
                                  exchanges=[exchange]) from exc
            if isinstance(exc, httpx.ConnectError | httpx.UnsupportedProtocol | httpx.ProxyError):
                raise VendorUnreachable(f"cannot reach {host} ({type(exc).__name__})",
                                        exchanges=[exchange]) from exc
            raise VendorBrokeConnection(
                f"{_where(request)}: the vendor broke the connection before answering ({type(exc).__name__})",
                expected="a complete HTTP answer", received=f"{type(exc).__name__}", exchanges=[exchange],
            ) from exc
        try:
            content = self._read_capped(response, request, ends, limit)
        except Failure as exc:
            exchange = self._record(request, body, response, None, started, exc.message)
            exc.exchanges = [exchange]
            raise
        except httpx.TimeoutException as exc:
            exchange = self._record(request, body, response, None, started, f"timeout: {type(exc).__name__}")
            raise VendorTimeout(f"{_where(request)} did not finish its answer in time", exchanges=[exchange]) from exc
        except httpx.TransportError as exc:
            exchange = self._record(request, body, response, None, started, f"{type(exc).__name__}: {exc}")
            raise VendorBrokeConnection(
                f"{_where(request)}: the vendor broke the connection in the middle of its answer "
                f"({type(exc).__name__})",
                expected="a complete body", received="an incomplete body", exchanges=[exchange],
            ) from exc
        result = httpx.Response(
            status_code=response.status_code,
            headers=_without_encoding(response.headers),
            content=content,
            request=request,
            extensions=response.extensions,
        )
        exchange = self._record(request, body, result, content, started, None)
        result.extensions = {**result.extensions, "edcert_exchange": exchange}
        return result

    def _read_capped(self, response: httpx.Response, request: httpx.Request, ends: float | None,
                     limit: float | None) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in _decoded(response):
                if ends is not None and self._clock() > ends:
                    raise VendorTimeout(
                        f"{_where(request)} did not finish its answer within "
                        f"{limit:g} s (edcert stopped reading after {size} bytes)",
                        expected=f"a whole answer within {limit:g} s", received=f"{size} bytes in {limit:g} s",
                    )
                size += len(chunk)
                if size > self.max_response_bytes:
                    raise ResponseTooLarge(
                        f"{_where(request)} sent more than "
                        f"{self.max_response_bytes} bytes; edcert stopped reading",
                        expected=f"at most {self.max_response_bytes} bytes",
                        received=f"more than {self.max_response_bytes} bytes",
                    )
                chunks.append(chunk)
        finally:
            response.close()
        return b"".join(chunks)

    def _record(self, request: httpx.Request, body: bytes, response: httpx.Response | None,
                content: bytes | None, started: float, error: str | None) -> Exchange:
        return self.recorder.record(
            method=request.method,
            url=str(request.url),
            # items(): what dict(headers) gives (repeated names joined by ", "), without a scan per name
            request_headers=dict(request.headers.items()),
            request_body=body or None,
            status=None if response is None else response.status_code,
            response_headers={} if response is None else dict(response.headers.items()),
            response_body=content,
            elapsed_ms=(time.perf_counter() - started) * 1000,
            error=error,
        )

    def close(self) -> None:
        self.inner.close()


def _decoded(response: httpx.Response) -> Iterator[bytes]:
    # gzip and deflate are undone here, DECODE_CHUNK bytes at a time, so the size cap applies to
    # decoded bytes and no single step inflates more than that: httpx's own decoder would expand a
    # whole network read at once (64 KiB of a gzip bomb is ~64 MiB). edcert offers only these two
    # encodings (Accept-Encoding); anything else is left to httpx.
    try:
        ready = response.content  # read already (an in-process transport): decoded by httpx
    except httpx.ResponseNotRead:
        pass
    else:
        for start in range(0, len(ready), DECODE_CHUNK):
            yield ready[start : start + DECODE_CHUNK]
        return
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        yield from response.iter_raw()
        return
    if encoding not in ("gzip", "x-gzip", "deflate"):
        yield from response.iter_bytes()
        return
    decoder = zlib.decompressobj(zlib.MAX_WBITS | 16 if "gzip" in encoding else zlib.MAX_WBITS)
    try:
        for raw in response.iter_raw():
            pending = raw
            while True:
                out = decoder.decompress(pending, DECODE_CHUNK)
                if out:
                    yield out
                pending = decoder.unconsumed_tail
                if not pending and len(out) < DECODE_CHUNK:
                    break
        tail = decoder.flush()
    except zlib.error:
        raise Failure(f"the body does not decode as its Content-Encoding ({encoding}) says",
                      expected=f"a valid {encoding} stream", received="bytes that do not decompress") from None
    if tail:
        yield tail


def _where(request: httpx.Request) -> str:
    """``GET https://host/path``: the request named in a message (its query left out; it may hold a secret)."""
    return f"{request.method} {request.url.copy_with(query=None)}"


def _bare(url: httpx.URL) -> str:
    return str(url.copy_with(query=None, fragment=None)).rstrip("/")


def _note(response: httpx.Response, note: str) -> None:
    exchange = exchange_of(response)
    if exchange is not None:
        exchange.error = note if not exchange.error else f"{exchange.error}; {note}"


def _tls_rejection(exc: BaseException) -> str | None:
    """Why certificate verification failed, when that is what broke the connection."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen.verify_message or str(seen)
        seen = seen.__cause__ or seen.__context__
    return None


def ssl_context(verify_tls: bool, ca_bundle: str | None = None) -> ssl.SSLContext | bool:
    """What httpx should verify with: the usual CAs plus ``ca_bundle``, or ``False`` (``--insecure``)."""
    if not verify_tls:
        return False
    return shared_ssl_context(ca_bundle)


# Verifying contexts by what they were built from (see shared_ssl_context).
_SSL_CONTEXTS: dict[tuple[object, ...], ssl.SSLContext] = {}
_SSL_CONTEXTS_LOCK = threading.Lock()


def _file_key(path: str | None) -> tuple[object, ...] | None:
    """A file's name and what says it changed (device, inode, size, modification time)."""
    if not path:
        return (None,)
    try:
        found = os.stat(path)
    except OSError:
        return None  # not cached: building the context raises as it always did
    return (path, found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns)


def shared_ssl_context(ca_bundle: str | None = None, *, trust_env: bool = True) -> ssl.SSLContext:
    """httpx's verifying context (plus ``ca_bundle``), built once per process for each set of CAs.

    Building one reads the whole CA bundle: about 35 ms of CPU, measured, paid by every client that
    verifies (httpx's default), so by every standard of a run and by each key fetch of the sandbox's LTI
    endpoints. One context serves any number of clients and threads, as one client's context always served
    its connections on several threads: edcert never changes it once built, but for its ALPN protocols, set to
    the same ``http/1.1`` by every transport that uses it (httpcore on each connection, edcert's wire transport
    once; none speaks HTTP/2).
    The CAs are what httpx itself would load: ``SSL_CERT_FILE`` or ``SSL_CERT_DIR`` when ``trust_env``, else
    certifi's; a CA file is read again when it changes.
    """
    env_file = os.environ.get("SSL_CERT_FILE") if trust_env else None
    env_dir = os.environ.get("SSL_CERT_DIR") if trust_env and not env_file else None
    files = (_file_key(env_file), _file_key(ca_bundle))
    key = None if None in files else (trust_env, env_dir, *files)
    with _SSL_CONTEXTS_LOCK:
        found = None if key is None else _SSL_CONTEXTS.get(key)
        if found is None:
            found = httpx.create_ssl_context(trust_env=trust_env)
            if ca_bundle:
                found.load_verify_locations(cafile=ca_bundle)
            if key is not None:
                _SSL_CONTEXTS[key] = found
    return found


def _without_encoding(headers: httpx.Headers) -> httpx.Headers:
    out = httpx.Headers(headers)
    for name in ("content-encoding", "content-length", "transfer-encoding"):
        if name in out:
            del out[name]
    return out


class _Cookies(httpx.Cookies):
    """httpx's cookie jar, which leaves alone an answer that sets no cookie.

    httpx hands every answer to the standard library's ``CookieJar.extract_cookies`` (through urllib
    request and response wrappers it builds for the purpose): about 0.2 ms of CPU a request, measured, a
    fifth of what edcert's client spends on a page. An answer without ``Set-Cookie`` (or ``Set-Cookie2``) adds
    nothing to the jar, so it is not handed over; one with it is, as before.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


class VendorClient:
    """An httpx client for one vendor service: auth, limits, evidence.

    Args:
        settings: Timeouts, rate limit, size cap and retry budget.
        recorder: Where exchanges go.
        auth: The default auth for requests (``None`` for anonymous).
        transport: The real transport underneath (tests may inject another).
    """

    def __init__(self, *, timeout: float, rate_limit: float | None, max_response_bytes: int,
                 max_retries: int, max_retry_wait: float, verify_tls: bool, recorder: Recorder,
                 auth: httpx.Auth | None = None, transport: httpx.BaseTransport | None = None,
                 ca_bundle: str | None = None, run_budget: float | None = None, allow_writes: bool = False,
                 token_urls: tuple[str, ...] = (), max_in_flight: int | None = None) -> None:
        inner = transport or WireTransport(ssl_context(verify_tls, ca_bundle))
        self.transport = VendorTransport(
            inner, recorder, rate_limit=rate_limit, max_response_bytes=max_response_bytes,
            max_retries=max_retries, max_retry_wait=max_retry_wait, deadline=timeout, run_budget=run_budget,
            allow_writes=allow_writes, token_urls=token_urls,
        )
        self.auth = auth
        self.in_flight = InFlight(max_in_flight)
        # follow_redirects stays False: a redirect to another host must never carry the credentials there.
        self._client = httpx.Client(
            transport=self.transport, auth=auth, timeout=timeout, follow_redirects=False, trust_env=False,
            headers={"Accept": "application/json", "Accept-Encoding": "gzip, deflate", "User-Agent": "edcert"},
        )
        # httpx copies any jar given to it into a plain Cookies: the jar is set where the client keeps it
        if isinstance(getattr(self._client, "_cookies", None), httpx.Cookies):
            self._client._cookies = _Cookies()

    def request(self, method: str, url: str, *, params: object = None, headers: dict[str, str] | None = None,
                data: dict[str, str] | None = None, content: bytes | None = None,
                auth: httpx.Auth | object | None = "default") -> httpx.Response:
        """Send a request. ``auth=None`` sends it anonymously; ``auth=X`` uses X instead of the default."""
        kwargs: dict[str, object] = {"params": params, "headers": headers, "data": data, "content": content}
        if auth != "default":
            kwargs["auth"] = auth
        with self.in_flight.slot():
            response = self._client.request(method, url, **kwargs)  # type: ignore[arg-type]
        # httpx wraps the stream of every response it returns in a stream that points back at the response: a
        # reference cycle, so each answer (a page and its body) would wait for the cyclic garbage collector,
        # which a run pauses while it reads (RunState.gc_paused). The body is read whole by now: an in-memory
        # stream of the same bytes replaces the wrapper, and the answer is freed as soon as no one holds it.
        response.stream = httpx.ByteStream(response.content)
        return response

    def get(self, url: str, **kwargs: object) -> httpx.Response:
        return self.request("GET", url, **kwargs)  # type: ignore[arg-type]

    @property
    def requests_sent(self) -> int:
        return self.transport.requests_sent

    def close(self) -> None:
        self._client.close()


def exchange_of(response: httpx.Response) -> Exchange | None:
    """The recorded (redacted) exchange behind a response."""
    found = response.extensions.get("edcert_exchange")
    return found if isinstance(found, Exchange) else None


_DECODER = msgspec.json.Decoder()


def decode_json(content: bytes) -> object:
    """``json.loads(content)``, exactly, at about twice its speed.

    msgspec decodes a whole page in compiled code; what it gives equals what the standard library gives
    (integers of any size included). Anything it refuses (a byte-order mark, UTF-16, a lone surrogate
    escape, NaN, a number past float range, invalid JSON) goes to the standard library, so every answer
    decodes, or fails to, exactly as ``httpx.Response.json()`` would.
    """
    try:
        return _DECODER.decode(content)
    except msgspec.MsgspecError:
        return json.loads(content)


def json_body(response: httpx.Response, what: str) -> object:
    """Decode a JSON response or fail the check with evidence.

    A vendor answering an HTML error page, plain text or a truncated body is a
    failed requirement, never a crash.
    """
    evidence = [e for e in [exchange_of(response)] if e is not None]
    ctype = response.headers.get("content-type", "")
    try:
        return decode_json(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        snippet = "HTML page" if "<html" in response.text[:512].lower() else f"content-type {ctype or 'none'}"
        raise Failure(
            f"{what} did not answer valid JSON (HTTP {response.status_code}, {snippet})",
            expected="a JSON body", received=f"{len(response.content)} bytes that do not parse as JSON",
            exchanges=evidence,
        ) from None
