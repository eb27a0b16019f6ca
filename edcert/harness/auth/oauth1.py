"""OAuth 1.0a two-legged request signing (RFC 5849) as an httpx.Auth, the way OneRoster 1.1 authenticates.

Every request is signed by oauthlib's :class:`oauthlib.oauth1.Client` (consumer key and secret, no
token): the signature base string covers the method, the URL and *every* query parameter, so a
filter value with spaces and quotes is signed exactly as it is sent. Nothing here builds a signature
by hand.

A provider that refuses the timestamp (clock skew between this machine and the vendor's server) is
reported as such, in one line, rather than as a plain 401: that is a problem of the run, not of the
vendor, and the fix is a clock, not the credentials.
"""
from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Generator

import httpx
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256, SIGNATURE_TYPE_AUTH_HEADER, Client
from oauthlib.oauth1 import SIGNATURE_TYPE_QUERY as _QUERY

from edcert.harness.errors import TokenError

SIGNATURE_METHODS = {"HMAC-SHA1": SIGNATURE_HMAC_SHA1, "HMAC-SHA256": SIGNATURE_HMAC_SHA256}
SIGNATURE_TYPES = {"header": SIGNATURE_TYPE_AUTH_HEADER, "query": _QUERY}
# OAuth Problem Reporting (the oauth_problem values providers use for a refused timestamp)
_TIMESTAMP_PROBLEMS = ("timestamp_refused", "timestamp refused", "stale timestamp", "timestamp is too old",
                       "timestamp given is invalid", "clock skew")


class OAuth1Signer(httpx.Auth):
    """Signs each request with OAuth 1.0a (HMAC-SHA1 or HMAC-SHA256), two-legged.

    Args:
        client_id: The consumer key.
        client_secret: The consumer secret (never logged: evidence redacts the Authorization header).
        signature_method: ``HMAC-SHA1`` (default) or ``HMAC-SHA256``.
        signature_type: ``header`` (``Authorization: OAuth ...``, default) or ``query`` (oauth_* parameters).
        timestamp: A fixed oauth_timestamp (seconds), for probes of the provider's timestamp window.
        nonce: A fixed oauth_nonce, for probes of the provider's replay protection.
        report_clock_skew: Raise :class:`TokenError` naming clock skew when the provider refuses the timestamp.
        tamper: Changes the request *after* it was signed (probes that the signature covers the query).
    """

    def __init__(self, client_id: str, client_secret: str, *, signature_method: str = "HMAC-SHA1",
                 signature_type: str = "header", timestamp: int | None = None, nonce: str | None = None,
                 report_clock_skew: bool = True,
                 tamper: Callable[[httpx.Request], None] | None = None) -> None:
        if signature_method not in SIGNATURE_METHODS:
            raise ValueError(f"unsupported OAuth 1.0a signature method {signature_method!r}")
        self.client_id = client_id
        self._secret = client_secret
        self.signature_method = signature_method
        self.signature_type = signature_type
        self.timestamp = timestamp
        self.nonce = nonce
        self.report_clock_skew = report_clock_skew
        self.tamper = tamper

    def variant(self, **changes: object) -> OAuth1Signer:
        """The same credentials with some settings changed (a wrong secret, an old timestamp...)."""
        settings: dict[str, object] = {
            "client_id": self.client_id, "client_secret": self._secret, "signature_method": self.signature_method,
            "signature_type": self.signature_type, "timestamp": self.timestamp, "nonce": self.nonce,
            "report_clock_skew": False, "tamper": self.tamper,
        }
        settings.update(changes)
        return OAuth1Signer(**settings)  # type: ignore[arg-type]

    def sign(self, request: httpx.Request) -> None:
        """Sign ``request`` in place (its URL and Authorization header)."""
        client = Client(
            self.client_id, client_secret=self._secret, signature_method=SIGNATURE_METHODS[self.signature_method],
            signature_type=SIGNATURE_TYPES[self.signature_type],
            timestamp=None if self.timestamp is None else str(self.timestamp), nonce=self.nonce,
        )
        # GET/DELETE carry no body; a form body would be signed too (oauthlib reads it), JSON bodies are not.
        body = request.content.decode() if request.content and _is_form(request) else None
        headers = {"Content-Type": request.headers["Content-Type"]} if body is not None else {}
        uri, signed_headers, _ = client.sign(str(request.url), request.method, body=body, headers=headers)
        request.url = httpx.URL(uri)
        if "Authorization" in signed_headers:
            request.headers["Authorization"] = signed_headers["Authorization"]

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request)
        if self.tamper is not None:
            self.tamper(request)
        response = yield request
        if self.report_clock_skew and response.status_code == 401:
            response.read()
            if timestamp_refused(response):
                raise TokenError(clock_skew_message(response))


def _is_form(request: httpx.Request) -> bool:
    media: str = request.headers.get("Content-Type", "").split(";")[0].strip()
    return media == "application/x-www-form-urlencoded"


def timestamp_refused(response: httpx.Response) -> bool:
    """Does a 401 say the OAuth 1.0a timestamp was refused (rather than the signature or the key)?"""
    said = (response.headers.get("WWW-Authenticate", "") + " " + response.text[:2000]).lower()
    return any(p in said for p in _TIMESTAMP_PROBLEMS)


def clock_skew_message(response: httpx.Response, now: float | None = None) -> str:
    """One line telling the operator the provider refused edcert's timestamp, with the skew when known."""
    skew = ""
    date = response.headers.get("Date")
    if date:
        try:
            server = email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            server = None
        if server is not None:
            delta = (time.time() if now is None else now) - server
            skew = f" (this machine's clock is {abs(delta):.0f} s {'ahead of' if delta > 0 else 'behind'} the " \
                   "provider's Date header)"
    return ("the provider refused the OAuth 1.0a timestamp of edcert's signed request: the clocks of this machine "
            f"and the provider differ too much{skew}; synchronise this machine's clock (NTP) and run again")
