"""OAuth 1.0a signature verification (RFC 5849 §3.2) for the sandbox's OneRoster 1.1 provider.

oauthlib's :class:`SignatureOnlyEndpoint` verifies two-legged requests (consumer key and secret, no
token): HMAC-SHA1 or HMAC-SHA256 over the method, the URL and every query parameter, an
``oauth_timestamp`` within ``TIMESTAMP_WINDOW`` seconds of the server's clock and an
``oauth_nonce`` never seen before with that timestamp. The verdict says *why* a request was
refused (OAuth Problem Reporting names: ``timestamp_refused``, ``nonce_used``,
``signature_invalid``...), so clients can tell clock skew from a wrong secret.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256, RequestValidator, SignatureOnlyEndpoint
from oauthlib.oauth1.rfc5849.errors import OAuth1Error

TIMESTAMP_WINDOW = 300  # seconds either side of the server's clock
_DUMMY_CLIENT = "edcert-dummy-client"


@dataclass(frozen=True)
class Verdict:
    ok: bool
    problem: str = ""  # an OAuth Problem Reporting name when refused


class _Validator(RequestValidator):  # type: ignore[misc]
    """What oauthlib asks the server: the one consumer's secret, the timestamp window, seen nonces."""

    def __init__(self, verifier: OAuth1Verifier) -> None:
        super().__init__()
        self._v = verifier

    enforce_ssl = False  # the sandbox serves loopback http; TLS is judged by other checks
    allowed_signature_methods = (SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256)

    @property
    def timestamp_lifetime(self) -> int:
        return 10**10 if self._v.faulty("stale-timestamp-accepted") else TIMESTAMP_WINDOW

    @property
    def dummy_client(self) -> str:
        return _DUMMY_CLIENT

    def check_client_key(self, client_key: str) -> bool:
        return 0 < len(client_key) <= 255

    def check_nonce(self, nonce: str) -> bool:
        return 8 <= len(nonce) <= 128

    def validate_client_key(self, client_key: str, request: OAuthRequest) -> bool:
        return client_key == self._v.client_id

    def get_client_secret(self, client_key: str, request: OAuthRequest) -> str:
        return self._v.client_secret if client_key == self._v.client_id else "edcert-dummy-secret"

    def validate_timestamp_and_nonce(self, client_key: str, timestamp: str, nonce: str, request: OAuthRequest,
                                     request_token: Any = None, access_token: Any = None) -> bool:
        return self._v.remember_nonce(client_key, timestamp, nonce)


class OAuth1Verifier:
    """Verifies OAuth 1.0a signed requests of one consumer.

    ``faulty(name)`` answers whether a verification fault (``signature-not-verified``,
    ``query-not-covered``, ``stale-timestamp-accepted``, ``nonce-replay-accepted``,
    ``spaces-encoded-as-plus``) is on.
    """

    def __init__(self, client_id: str, client_secret: str, faulty: Callable[[str], bool],
                 clock: Callable[[], float] = time.time) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.faulty = faulty
        self._clock = clock
        self._nonces: dict[tuple[str, str, str], float] = {}
        self._second_look = False  # the query-not-covered fault verifies one request twice
        self._endpoint = SignatureOnlyEndpoint(_Validator(self))

    def remember_nonce(self, client_key: str, timestamp: str, nonce: str) -> bool:
        """False when this nonce was already used with this timestamp (a replay)."""
        now = self._clock()
        if len(self._nonces) > 10_000:
            self._nonces = {k: t for k, t in self._nonces.items() if now - t < 2 * TIMESTAMP_WINDOW}
        key = (client_key, timestamp, nonce)
        if key in self._nonces and not self._second_look and not self.faulty("nonce-replay-accepted"):
            return False
        self._nonces[key] = now
        return True

    def verify(self, url: str, method: str, headers: dict[str, str]) -> Verdict:
        """Is this request signed by the consumer, fresh and not replayed?"""
        if self.faulty("spaces-encoded-as-plus"):
            url = _plus_for_spaces(url)
        try:
            valid, request = self._endpoint.validate_request(url, method, None, headers)
        except (ValueError, OAuth1Error):  # an Authorization header that does not parse is no signature
            return Verdict(False, "parameter_absent")
        if valid:
            return Verdict(True)
        if request is None:
            return Verdict(False, "parameter_absent")
        try:
            stamp = int(request.timestamp)
        except (TypeError, ValueError):
            return Verdict(False, "parameter_absent")
        if abs(self._clock() - stamp) > self._endpoint.request_validator.timestamp_lifetime:
            return Verdict(False, "timestamp_refused")
        if "signature" not in request.validator_log:  # refused before the signature was computed
            return Verdict(False, "nonce_used")
        if not request.validator_log["client"]:
            return Verdict(False, "consumer_key_unknown")
        if self.faulty("signature-not-verified"):
            return Verdict(True)
        if self.faulty("query-not-covered") and self._valid_without_query(url, method, headers):
            return Verdict(True)
        return Verdict(False, "signature_invalid")

    def _valid_without_query(self, url: str, method: str, headers: dict[str, str]) -> bool:
        parts = urlsplit(url)
        kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.startswith("oauth_")]
        bare = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), parts.fragment))
        self._second_look = True
        try:
            valid, _ = self._endpoint.validate_request(bare, method, None, headers)
        finally:
            self._second_look = False
        return bool(valid)


def _plus_for_spaces(url: str) -> str:
    """The classic signing bug: spaces in parameter values signed as literal '+' signs."""
    parts = urlsplit(url)
    pairs = [(k, v.replace(" ", "+")) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(pairs), parts.fragment))
