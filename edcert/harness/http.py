"""The HTTP layer every check goes through.

:class:`VendorTransport` wraps a real httpx transport and adds, in this
order: a per-vendor rate limit, back-off for idempotent requests on
429/502/503/504 (honouring ``Retry-After`` within a budget), a cap on the
response size, and evidence recording of every exchange (auth requests
included), redacted before it is kept.
"""
from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx

from edcert.harness.errors import Failure, VendorTimeout, VendorUnreachable
from edcert.harness.evidence import Exchange, Recorder

RETRY_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class ResponseTooLarge(Failure):
    """The vendor sent more than the configured response-size cap."""


class RateLimiter:
    """At most ``rate`` requests per second, spaced evenly (thread-safe)."""

    def __init__(self, rate: float | None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self._next = 0.0
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            self._sleep(slot - now)


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
    ) -> None:
        self.inner = inner
        self.recorder = recorder
        self.limiter = RateLimiter(rate_limit, sleep=sleep)
        self.max_response_bytes = max_response_bytes
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self._sleep = sleep
        self.requests_sent = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        attempt = 0
        while True:
            response = self._send_once(request)
            if (
                response.status_code not in RETRY_STATUSES
                or request.method not in IDEMPOTENT
                or attempt >= self.max_retries
            ):
                return response
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            if wait is None:
                wait = min(0.25 * 2**attempt, self.max_retry_wait)
            if wait > self.max_retry_wait:
                return response  # the vendor asks for longer than our budget: report what it said
            self._sleep(wait)
            attempt += 1

    def _send_once(self, request: httpx.Request) -> httpx.Response:
        self.limiter.wait()
        body = request.read() if request.method != "GET" else b""
        started = time.perf_counter()
        self.requests_sent += 1
        try:
            response = self.inner.handle_request(request)
            content = self._read_capped(response, request)
        except ResponseTooLarge as exc:
            exchange = self._record(request, body, None, None, started, str(exc))
            exc.exchanges = [exchange]
            raise
        except httpx.TimeoutException as exc:
            exchange = self._record(request, body, None, None, started, f"timeout: {type(exc).__name__}")
            raise VendorTimeout(
                f"{request.method} {request.url.copy_with(query=None)} did not answer in time",
                exchanges=[exchange],
            ) from exc
        except httpx.TransportError as exc:
            self._record(request, body, None, None, started, f"{type(exc).__name__}: {exc}")
            raise VendorUnreachable(
                f"cannot reach {request.url.scheme}://{request.url.netloc.decode()} ({type(exc).__name__})"
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

    def _read_capped(self, response: httpx.Response, request: httpx.Request) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in _decoded(response):
                size += len(chunk)
                if size > self.max_response_bytes:
                    raise ResponseTooLarge(
                        f"{request.method} {request.url.copy_with(query=None)} sent more than "
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
            request_headers=dict(request.headers),
            request_body=body or None,
            status=None if response is None else response.status_code,
            response_headers={} if response is None else dict(response.headers),
            response_body=content,
            elapsed_ms=(time.perf_counter() - started) * 1000,
            error=error,
        )

    def close(self) -> None:
        self.inner.close()


def _decoded(response: httpx.Response) -> Iterator[bytes]:
    # iter_bytes() undoes Content-Encoding (gzip, deflate, br) chunk by chunk, so
    # the cap applies to decoded bytes: a gzip bomb stops at the cap too.
    yield from response.iter_bytes()


def _without_encoding(headers: httpx.Headers) -> httpx.Headers:
    out = httpx.Headers(headers)
    for name in ("content-encoding", "content-length", "transfer-encoding"):
        if name in out:
            del out[name]
    return out


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
                 auth: httpx.Auth | None = None, transport: httpx.BaseTransport | None = None) -> None:
        inner = transport or httpx.HTTPTransport(verify=verify_tls)
        self.transport = VendorTransport(
            inner, recorder, rate_limit=rate_limit, max_response_bytes=max_response_bytes,
            max_retries=max_retries, max_retry_wait=max_retry_wait,
        )
        self.auth = auth
        self._client = httpx.Client(
            transport=self.transport, auth=auth, timeout=timeout, follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": "edcert"},
        )

    def request(self, method: str, url: str, *, params: object = None, headers: dict[str, str] | None = None,
                data: dict[str, str] | None = None, content: bytes | None = None,
                auth: httpx.Auth | object | None = "default") -> httpx.Response:
        """Send a request. ``auth=None`` sends it anonymously; ``auth=X`` uses X instead of the default."""
        kwargs: dict[str, object] = {"params": params, "headers": headers, "data": data, "content": content}
        if auth != "default":
            kwargs["auth"] = auth
        return self._client.request(method, url, **kwargs)  # type: ignore[arg-type]

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


def json_body(response: httpx.Response, what: str) -> object:
    """Decode a JSON response or fail the check with evidence.

    A vendor answering an HTML error page, plain text or a truncated body is a
    failed requirement, never a crash.
    """
    evidence = [e for e in [exchange_of(response)] if e is not None]
    ctype = response.headers.get("content-type", "")
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError, RecursionError):
        snippet = "HTML page" if "<html" in response.text[:512].lower() else f"content-type {ctype or 'none'}"
        raise Failure(
            f"{what} did not answer valid JSON (HTTP {response.status_code}, {snippet})",
            expected="a JSON body", received=f"{len(response.content)} bytes that do not parse as JSON",
            exchanges=evidence,
        ) from None
