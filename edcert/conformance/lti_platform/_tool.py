"""edcert as an LTI 1.3 tool: the login-initiation, launch and JWKS endpoints it serves for one run.

They record what arrives; the checks judge it. The login endpoint answers like a conformant tool (a
redirect to the platform's auth endpoint with a fresh nonce and state), so a real browser launching
from the LMS works too (``launch_mode = "person"``).
"""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route


@dataclass(frozen=True)
class LoginArrival:
    """A login initiation edcert received, and the auth request it answered with."""

    method: str
    params: dict[str, str]
    state: str
    nonce: str
    at: float


@dataclass(frozen=True)
class LaunchArrival:
    """What the platform posted (or redirected) to edcert's launch URL."""

    method: str
    params: dict[str, str]
    at: float


@dataclass
class ToolEndpoints:
    """The tool's endpoints as a Starlette app, and what they received."""

    key: RSAKey
    client_id: str
    auth_url: str
    logins: list[LoginArrival] = field(default_factory=list)
    launches: list[LaunchArrival] = field(default_factory=list)
    jwks_fetches: int = 0
    tool_url: str = ""
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/login", self._login, methods=["GET", "POST"]),
            Route("/launch", self._launch, methods=["GET", "POST"]),
            Route("/jwks", self._jwks, methods=["GET"]),
        ])

    async def _params(self, request: Request) -> dict[str, str]:
        params = dict(request.query_params)
        if request.method == "POST":
            body = (await request.body())[:65536].decode("utf-8", errors="replace")
            params.update(parse_qsl(body, keep_blank_values=True))
        return params

    async def _login(self, request: Request) -> Response:
        params = await self._params(request)
        state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        with self._changed:
            self.logins.append(LoginArrival(request.method, params, state, nonce, time.time()))
            self._changed.notify_all()
        # the endpoints listen a moment before they are told their address (a configured port can be reached at
        # once, by a person's click in the platform): meanwhile it is the address the login came to
        tool_url = self.tool_url or str(request.base_url).rstrip("/")
        query = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
                 "client_id": params.get("client_id") or self.client_id, "redirect_uri": f"{tool_url}/launch",
                 "login_hint": params.get("login_hint", ""), "nonce": nonce, "state": state}
        if "lti_message_hint" in params:
            query["lti_message_hint"] = params["lti_message_hint"]
        sep = "&" if "?" in self.auth_url else "?"
        return RedirectResponse(self.auth_url + sep + urlencode(query), status_code=302)

    async def _launch(self, request: Request) -> Response:
        params = await self._params(request)
        with self._changed:
            self.launches.append(LaunchArrival(request.method, params, time.time()))
            self._changed.notify_all()
        return HTMLResponse("<!doctype html><p>edcert received the launch; you may close this window.</p>")

    async def _jwks(self, request: Request) -> Response:
        self.jwks_fetches += 1
        return JSONResponse({"keys": [{**self.key.as_dict(private=False), "alg": "RS256", "use": "sig"}]})

    def login_for(self, state: str | None) -> LoginArrival | None:
        with self._changed:
            return next((login for login in self.logins if login.state == state), None)

    def wait_for_launch(self, after: int, timeout: float) -> LaunchArrival | None:
        """The first launch arriving after the first ``after`` ones, waiting at most ``timeout`` seconds."""
        ends = time.monotonic() + timeout
        with self._changed:
            while len(self.launches) <= after:
                remaining = ends - time.monotonic()
                if remaining <= 0:
                    return None
                self._changed.wait(remaining)
            return self.launches[after]
