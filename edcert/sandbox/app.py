"""The sandbox's root ASGI app: a thin composition of the standards it serves.

Today: the OAuth 2.0 token endpoint (``POST /oauth/token``), the OneRoster
1.2 Rostering provider under ``/ims/oneroster/rostering/v1p2`` with its Gradebook
and Resources services (``sandbox/oneroster/services.py``), the OneRoster 1.1
provider (OAuth 1.0a signed) under ``/ims/oneroster/v1p1``, the Ed-Fi API under
``/edfi`` (its discovery root, with its own token endpoint) and the LTI 1.3
platform and tool under ``/lti``.
"""
from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from edcert.fixtures.districts import ROSTERING_BASE, District
from edcert.sandbox.edfi import EDFI_MOUNT
from edcert.sandbox.edfi.app import create_edfi_app, not_found_problem
from edcert.sandbox.faults import validate_faults
from edcert.sandbox.hostile import HostileMiddleware, HostileState, generate_canary_key, validate_hostile
from edcert.sandbox.lti.platform import PLATFORM_PATH, create_platform_app
from edcert.sandbox.lti.tool import create_tool_app
from edcert.sandbox.oauth import token_endpoint
from edcert.sandbox.oneroster.app import create_oneroster_app
from edcert.sandbox.oneroster.app_v1p1 import V1P1_BASE, V1P1_SCOPES
from edcert.sandbox.oneroster.model import ROSTERING_SCOPES
from edcert.sandbox.oneroster.services import GRADEBOOK_BASE, RESOURCES_BASE, SERVICE_SCOPES, create_service_apps
from edcert.sandbox.oneroster.services_v1p1 import ACCEPTED_SCOPES_V1P1, create_v1p1_app
from edcert.sandbox.state import Clock, SandboxState, TokenStore

TOKEN_PATH = "/oauth/token"
V1P1_TOKEN_PATH = "/oauth/v1p1/token"
V1P1_SERVICE_SCOPES = (*V1P1_SCOPES, *sorted(set().union(*ACCEPTED_SCOPES_V1P1.values())))
LTI_TOOL_BASE = "/lti/tool"


def create_app(
    district: District,
    *,
    faults: Iterable[str] = (),
    client_id: str,
    client_secret: str,
    token_ttl: int = 3600,
    clock: Clock = time.monotonic,
    hostile: str | None = None,
    canary_key: str | None = None,
) -> Starlette:
    """The reference sandbox over ``district`` with ``faults`` switched on.

    Raises ValueError for a fault name missing from the catalogue. ``token_ttl``
    (seconds) and ``clock`` exist for tests of token expiry. ``hostile`` names a
    hostile-vendor mode (``hostile.py``) wrapped around the whole app; its
    record of what it saw is ``app.state.hostile``. ``canary_key`` is the
    private key (PEM) the ``echo-secrets`` mode leaks (a fresh one when omitted).
    """
    if isinstance(faults, str):
        raise TypeError("faults is a collection of fault names, not a single string")
    state = SandboxState(
        client_id=client_id,
        client_secret=client_secret,
        faults=validate_faults(faults),
        tokens=TokenStore(ttl=token_ttl, clock=clock),
    )
    middleware = []
    hostile_state = None
    if hostile is not None and validate_hostile(hostile) is not None:
        if hostile == "echo-secrets" and canary_key is None:
            canary_key = generate_canary_key()
        hostile_state = HostileState(mode=hostile, client_secret=client_secret, canary_key_pem=canary_key)
        middleware.append(Middleware(HostileMiddleware, state=hostile_state,
                                     token_path=(TOKEN_PATH, EDFI_MOUNT + TOKEN_PATH),
                                     protocol_posts=(f"{LTI_TOOL_BASE}/login", f"{LTI_TOOL_BASE}/launch")))
    services = functools.cache(lambda: create_service_apps(district, state))  # one provider for both
    app = Starlette(
        routes=[
            Route(TOKEN_PATH, token_endpoint(state, scopes=ROSTERING_SCOPES + SERVICE_SCOPES), methods=["POST"]),
            # OneRoster 1.1 over OAuth 2.0 (a provider's option; 1.1 itself signs with OAuth 1.0a): v1p1 scopes
            Route(V1P1_TOKEN_PATH, token_endpoint(state, scopes=V1P1_SERVICE_SCOPES), methods=["POST"]),
            Mount(ROSTERING_BASE, app=LazyApp(lambda: create_oneroster_app(district, state))),
            Mount(GRADEBOOK_BASE, app=LazyApp(lambda: services()[0])),
            Mount(RESOURCES_BASE, app=LazyApp(lambda: services()[1])),
            Mount(V1P1_BASE, app=LazyApp(lambda: create_v1p1_app(district, state))),
            Mount(PLATFORM_PATH, app=LazyApp(lambda: create_platform_app(state))),
            # Ed-Fi: its own discovery root, token endpoint and token store (client mode records its traffic);
            # always over the small district (its writes search linearly; a large one would only be slow)
            Mount(EDFI_MOUNT, app=LazyApp(lambda: create_edfi_app(state, clock=clock))),
            Mount(LTI_TOOL_BASE, app=(lti_tool := create_tool_app(state))),
        ],
        middleware=middleware,
        exception_handlers={404: _not_found},
    )
    app.state.sandbox = state
    app.state.hostile = hostile_state
    app.state.lti_tool = lti_tool.state.lti_tool  # what the LTI tool received (its recording)
    return app


class LazyApp:
    """An ASGI app built on its first request (or first look at its ``state``).

    Building every standard's provider costs about a second (the Ed-Fi store, the 1.1 views, the services'
    derived records); a run certifying one standard, like each run of the fault matrix, never pays for the
    others. The state every app shares (faults, tokens) is made up front, so a later build behaves the same.
    """

    def __init__(self, build: Callable[[], ASGIApp]) -> None:
        self._build = build
        self._app: ASGIApp | None = None
        self._lock = threading.Lock()

    @property
    def app(self) -> ASGIApp:
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = self._build()
        return self._app

    @property
    def state(self) -> Any:
        """The built app's state (tests read an app's recording through its mount)."""
        return self.app.state  # type: ignore[attr-defined]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


_UNKNOWN_OBJECT = {"imsx_codeMajor": "failure", "imsx_severity": "error", "imsx_description": "unknown object",
                   "imsx_CodeMinor": {"imsx_codeMinorField": [{"imsx_codeMinorFieldName": "TargetEndSystem",
                                                               "imsx_codeMinorFieldValue": "unknownobject"}]}}


async def _not_found(request: Request, exc: Exception) -> Response:
    # A path no mount matches (e.g. a sourcedId holding a newline, which a Mount's pattern does not cross)
    # still lies under a service's base: answer there as that service would, not with Starlette's plain text.
    if request.url.path.startswith(tuple(base + "/" for base in (ROSTERING_BASE, GRADEBOOK_BASE, RESOURCES_BASE))):
        return JSONResponse(_UNKNOWN_OBJECT, status_code=404)
    if request.url.path.startswith(EDFI_MOUNT + "/"):  # Ed-Fi answers problem details
        return not_found_problem()
    if request.url.path.startswith(V1P1_BASE + "/"):  # 1.1 wraps its status in statusInfoSet
        return JSONResponse({"statusInfoSet": [_UNKNOWN_OBJECT]}, status_code=404)
    detail = exc.detail if isinstance(exc, HTTPException) else "Not Found"
    return PlainTextResponse(detail, status_code=404)
