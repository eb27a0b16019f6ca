"""OAuth 2.0 client credentials (RFC 6749 §4.4) as an httpx.Auth.

The token request is prepared by authlib (client authentication and body);
the token is cached until ``expires_in`` runs out and refreshed once on 401.
"""
from __future__ import annotations

from collections.abc import Generator, Sequence

import httpx
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749 import OAuth2Token
from authlib.oauth2.rfc6749.parameters import prepare_token_request

from edcert.harness.errors import TokenError


class OAuth2ClientCredentials(httpx.Auth):
    """Bearer tokens from a client-credentials grant.

    Args:
        token_url: The vendor's token endpoint.
        client_id: The client id.
        client_secret: The client secret (never logged: evidence redacts it).
        scopes: Scopes to ask for; none means the server's default.
        auth_method: ``client_secret_basic`` (default) or ``client_secret_post``.
    """

    requires_response_body = True

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        scopes: Sequence[str] = (),
        auth_method: str = "client_secret_basic",
    ) -> None:
        self.token_url = token_url
        self.scopes = tuple(scopes)
        self._client_auth = ClientAuth(client_id, client_secret, auth_method)
        self._token: OAuth2Token | None = None
        self.tokens_fetched = 0

    def _token_request(self) -> httpx.Request:
        extra = {"scope": " ".join(self.scopes)} if self.scopes else {}
        body = prepare_token_request("client_credentials", **extra)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        url, headers, body = self._client_auth.prepare("POST", self.token_url, headers, body)
        return httpx.Request("POST", url, headers=headers, content=body.encode())

    def _accept(self, response: httpx.Response) -> None:
        if response.status_code != 200:
            raise TokenError(
                f"token endpoint {self.token_url} refused the configured client credentials "
                f"(HTTP {response.status_code}{_oauth_error(response)})"
            )
        try:
            data = response.json()
        except (ValueError, UnicodeDecodeError, RecursionError):  # incl. 100,000-deep nesting, 10,000-digit ints
            raise TokenError(f"token endpoint {self.token_url} did not answer JSON") from None
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
            raise TokenError(f"token endpoint {self.token_url} answered without an access_token")
        self._token = OAuth2Token(data)
        self.tokens_fetched += 1

    def _valid(self) -> bool:
        return self._token is not None and not self._token.is_expired(leeway=30)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if not self._valid():
            self._accept((yield self._token_request()))
        assert self._token is not None
        request.headers["Authorization"] = f"Bearer {self._token['access_token']}"
        response = yield request
        if response.status_code == 401:
            self._accept((yield self._token_request()))
            request.headers["Authorization"] = f"Bearer {self._token['access_token']}"
            yield request

    @property
    def access_token(self) -> str | None:
        """The current token, for checks that replay a request with a changed token."""
        return None if self._token is None else str(self._token["access_token"])


def _oauth_error(response: httpx.Response) -> str:
    try:
        data = response.json()
    except (ValueError, UnicodeDecodeError, RecursionError):
        return ""
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return f", error={data['error'][:60]}"
    return ""
