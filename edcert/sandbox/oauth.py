"""OAuth 2.0 client-credentials token endpoint (RFC 6749 section 4.4) of the sandbox.

Client authentication: HTTP Basic (``client_secret_basic``) or ``client_id`` /
``client_secret`` in the form body (``client_secret_post``), not both.
"""
from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from edcert.sandbox.state import SandboxState

Endpoint = Callable[[Request], Awaitable[Response]]

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _oauth_error(status: int, error: str, description: str, *, basic_challenge: bool = False) -> Response:
    headers = dict(_NO_STORE)
    if basic_challenge:
        headers["WWW-Authenticate"] = 'Basic realm="edcert-sandbox"'
    return JSONResponse({"error": error, "error_description": description}, status_code=status, headers=headers)


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return None
    return unquote_plus(client_id), unquote_plus(secret)


def token_endpoint(state: SandboxState, *, scopes: Sequence[str]) -> Endpoint:
    """``POST /oauth/token`` issuing bearer tokens for ``scopes`` (all of them when none is asked)."""
    supported = tuple(scopes)

    async def endpoint(request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            return _oauth_error(400, "invalid_request", "the body must be application/x-www-form-urlencoded")
        try:
            pairs = parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True)
        except (UnicodeDecodeError, ValueError):
            return _oauth_error(400, "invalid_request", "malformed form body")
        form: dict[str, str] = {}
        for key, value in pairs:
            if key in form:
                return _oauth_error(400, "invalid_request", f"parameter {key!r} given more than once")
            form[key] = value

        # client authentication
        auth_header = request.headers.get("authorization")
        body_id, body_secret = form.get("client_id"), form.get("client_secret")
        if auth_header is not None:
            if body_secret is not None:
                return _oauth_error(400, "invalid_request", "use one client authentication method, not two")
            creds = _basic_credentials(auth_header)
            if creds is None:
                return _oauth_error(401, "invalid_client", "malformed Basic credentials", basic_challenge=True)
            client_id, secret = creds
            if body_id is not None and body_id != client_id:
                return _oauth_error(400, "invalid_request", "client_id does not match the Basic credentials")
        elif body_id is not None and body_secret is not None:
            client_id, secret = body_id, body_secret
        else:
            return _oauth_error(401, "invalid_client", "client authentication is required", basic_challenge=True)
        id_ok = hmac.compare_digest(client_id.encode(), state.client_id.encode())
        secret_ok = hmac.compare_digest(secret.encode(), state.client_secret.encode())
        if state.faulty("oneroster.auth.token-ignores-secret"):
            secret_ok = True
        if not (id_ok and secret_ok):
            return _oauth_error(401, "invalid_client", "unknown client or wrong secret", basic_challenge=True)

        # grant
        grant_type = form.get("grant_type")
        if not grant_type:
            return _oauth_error(400, "invalid_request", "grant_type is required")
        if grant_type != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "only client_credentials is supported")

        # scope
        requested = form.get("scope", "").split()
        unknown = [s for s in requested if s not in supported]
        if unknown:
            return _oauth_error(400, "invalid_scope", f"unknown scope {unknown[0]!r}")
        granted = [s for s in supported if s in requested] if requested else list(supported)

        token = state.tokens.issue(client_id, granted)
        body: dict[str, object] = {"access_token": token, "token_type": "Bearer"}
        if not state.faulty("oneroster.auth.token-no-expiry"):
            body["expires_in"] = state.tokens.ttl
        body["scope"] = " ".join(granted)
        return JSONResponse(body, headers=_NO_STORE)

    return endpoint
