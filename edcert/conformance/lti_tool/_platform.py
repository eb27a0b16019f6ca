"""The platform side edcert serves while it certifies a tool: its JWKS, and places that record what arrives.

The tool under test fetches edcert's public key from ``{issuer}/.well-known/jwks.json``. The OIDC auth
endpoint (``/auth``) and the Deep Linking return URL are never reached by edcert's own browser (it reads
the redirect and the form instead); they answer, and record, anything the tool sends there directly.
"""
from __future__ import annotations

from typing import Any

from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from edcert.harness.errors import ConfigError
from edcert.lti.jose import new_key, public_jwks
from edcert.sandbox.server import SandboxServer  # a generic loopback uvicorn runner, no sandbox behaviour

JWKS_PATH = "/.well-known/jwks.json"
AUTH_PATH = "/auth"
DL_RETURN_PATH = "/deep-link-return"


class TestPlatform:
    """edcert's platform for one run: a signing key (published), an attacker key (never published), a server."""

    __test__ = False  # not a pytest test class

    def __init__(self, host: str, port: int, issuer: str | None) -> None:
        self.key: RSAKey = new_key()
        # A second key pair the tool has never seen: tokens it signs must be refused.
        self.attacker_key: RSAKey = new_key()
        self.received: list[dict[str, Any]] = []
        try:
            self.server = SandboxServer(self._app(), host=host, port=port).start()
        except RuntimeError as exc:
            raise ConfigError(f"lti_tool.platform_host/platform_port: edcert's test platform cannot listen: {exc}"
                              ) from None
        self.issuer = (issuer or self.server.base_url).rstrip("/")

    def _app(self) -> Starlette:
        async def jwks(request: Request) -> Response:
            return JSONResponse(public_jwks(self.key), headers={"Cache-Control": "max-age=60"})

        async def record(request: Request) -> Response:
            self.received.append({"path": request.url.path, "method": request.method,
                                  "query": dict(request.query_params)})
            return PlainTextResponse("edcert test platform: recorded", status_code=400)

        return Starlette(routes=[
            Route(JWKS_PATH, jwks, methods=["GET"]),
            Route(AUTH_PATH, record, methods=["GET", "POST"]),
            Route(DL_RETURN_PATH, record, methods=["POST"]),
        ])

    @property
    def auth_url(self) -> str:
        return self.issuer + AUTH_PATH

    @property
    def deep_link_return_url(self) -> str:
        return self.issuer + DL_RETURN_PATH

    def close(self) -> None:
        self.server.stop()
