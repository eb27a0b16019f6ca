"""The platform side edcert serves while it certifies a tool: its JWKS, the LTI Advantage services, and
places that record what arrives.

The tool under test fetches edcert's public key from ``{issuer}/.well-known/jwks.json``. The OIDC auth
endpoint (``/auth``) and the Deep Linking return URL are never reached by edcert's own browser (it reads
the redirect and the form instead); they answer, and record, anything the tool sends there directly.
For the services (``/token``, NRPS at ``/nrps/memberships``, AGS under ``/ags/lineitems``) the platform
answers as a conformant one would and records every request, with what was wrong with it, for the checks.
"""
from __future__ import annotations

import json
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl

import httpx
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from edcert.harness.errors import ConfigError
from edcert.harness.http import ssl_context
from edcert.harness.loopback import SandboxServer  # a generic loopback uvicorn runner
from edcert.lti import claims as c
from edcert.lti.jose import import_jwks, new_key, peek, public_jwks, verify

JWKS_PATH = "/.well-known/jwks.json"
AUTH_PATH = "/auth"
DL_RETURN_PATH = "/deep-link-return"
TOKEN_PATH = "/token"  # noqa: S105 - a URL path, not a secret
NRPS_PATH = "/nrps/memberships"
LINEITEMS_PATH = "/ags/lineitems"
LINEITEM_ID = "edcert-lineitem-1"
NRPS_PAGE = 2  # members per page: the roster below needs two pages, so a tool must follow rel="next"
OFFERED_SCOPES = (c.SCOPE_NRPS, c.SCOPE_LINEITEM, c.SCOPE_RESULT_READONLY, c.SCOPE_SCORE)


class TestPlatform:
    """edcert's platform for one run: a signing key (published), an attacker key (never published), a server."""

    __test__ = False  # not a pytest test class

    def __init__(self, host: str, port: int, issuer: str | None, *, client_id: str = "",
                 tool_jwks_url: str = "", verify_tls: bool = True, ca_bundle: str | None = None) -> None:
        self.key: RSAKey = new_key()
        # A second key pair the tool has never seen: tokens it signs must be refused.
        self.attacker_key: RSAKey = new_key()
        self.client_id = client_id
        self.tool_jwks_url = tool_jwks_url
        self.verify_tls = verify_tls
        self.ca_bundle = ca_bundle  # the tool's JWKS is verified as every request of the run is
        self.received: list[dict[str, Any]] = []
        self.members: list[dict[str, Any]] = []
        self._tokens: dict[str, set[str]] = {}
        self._jtis: set[str] = set()
        try:
            self.server = SandboxServer(self._app(), host=host, port=port).start()
        except RuntimeError as exc:
            raise ConfigError(f"lti_tool.platform_host/platform_port: edcert's test platform cannot listen: {exc}"
                              ) from None
        self.issuer = (issuer or self.server.base_url).rstrip("/")

    # -- what the launch tells the tool -----------------------------------------------------------

    @property
    def auth_url(self) -> str:
        return self.issuer + AUTH_PATH

    @property
    def token_url(self) -> str:
        return self.issuer + TOKEN_PATH

    @property
    def deep_link_return_url(self) -> str:
        return self.issuer + DL_RETURN_PATH

    @property
    def lineitem_url(self) -> str:
        return f"{self.issuer}{LINEITEMS_PATH}/{LINEITEM_ID}"

    def service_claims(self, user: str, role: str = c.ROLE_INSTRUCTOR) -> dict[str, Any]:
        """The NRPS and AGS claims of a services launch; the roster holds ``user`` (in ``role``) and four
        classmates."""
        self.members = [{"user_id": user, "status": "Active", "roles": [role]}] + [
            {"user_id": f"edcert-student-{n}", "status": "Active", "roles": [c.ROLE_LEARNER]} for n in range(1, 5)]
        return {
            c.NRPS_CLAIM: {"context_memberships_url": self.issuer + NRPS_PATH, "service_versions": ["2.0"]},
            c.AGS_CLAIM: {"scope": list(OFFERED_SCOPES[1:]), "lineitems": self.issuer + LINEITEMS_PATH,
                          "lineitem": self.lineitem_url},
        }

    def requests(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.received if r["path"] == path]

    # -- the server ---------------------------------------------------------------------------------

    def _app(self) -> Starlette:
        async def jwks(request: Request) -> Response:
            return JSONResponse(public_jwks(self.key), headers={"Cache-Control": "max-age=60"})

        async def record(request: Request) -> Response:
            await self._remember(request)
            return PlainTextResponse("edcert test platform: recorded", status_code=400)

        return Starlette(routes=[
            Route(JWKS_PATH, jwks, methods=["GET"]),
            Route(AUTH_PATH, record, methods=["GET", "POST"]),
            Route(DL_RETURN_PATH, record, methods=["POST"]),
            Route(TOKEN_PATH, self._token, methods=["POST"]),
            Route(NRPS_PATH, self._memberships, methods=["GET"]),
            Route(LINEITEMS_PATH, self._create_lineitem, methods=["POST"]),
            Route(LINEITEMS_PATH + "/{item}/scores", self._scores, methods=["POST"]),
            Route(LINEITEMS_PATH + "/{item}/results", self._results, methods=["GET"]),
            Route(LINEITEMS_PATH + "/{item}", self._lineitem, methods=["GET"]),
        ])

    async def _remember(self, request: Request, **extra: Any) -> dict[str, Any]:
        body = (await request.body())[:100_000]
        entry = {"path": request.url.path, "method": request.method, "url": str(request.url),
                 "query": dict(request.query_params), "headers": dict(request.headers),
                 "body": body.decode("utf-8", errors="replace"), "problems": [], **extra}
        if len(self.received) < 1000:
            self.received.append(entry)
        return entry

    async def _tool_keys(self) -> Any:
        verify = ssl_context(self.verify_tls, self.ca_bundle)
        async with httpx.AsyncClient(timeout=10, trust_env=False, verify=verify) as client:
            return import_jwks((await client.get(self.tool_jwks_url)).json())

    async def _token(self, request: Request) -> Response:
        entry = await self._remember(request)
        form = dict(parse_qsl(entry["body"], keep_blank_values=True))
        problems: list[str] = entry["problems"]
        if form.get("grant_type") != "client_credentials":
            problems.append(f"grant_type is {form.get('grant_type')!r}, not client_credentials")
        if form.get("client_assertion_type") != c.CLIENT_ASSERTION_TYPE:
            problems.append("client_assertion_type is not the JWT bearer type")
        assertion = form.get("client_assertion", "")
        try:
            header, claims = peek(assertion)
        except ValueError as exc:
            problems.append(f"client_assertion is not a JWT ({exc})")
            return JSONResponse({"error": "invalid_client"}, status_code=400)
        problems += self._assertion_problems(header, claims)
        try:
            keys = await self._tool_keys()
            if header.get("kid") not in {k.kid for k in keys}:
                problems.append("the assertion's kid is not in the tool's JWKS")
            else:
                verify(assertion, keys)
        except (httpx.HTTPError, ValueError) as exc:
            problems.append(f"the assertion does not verify against the tool's JWKS ({exc})")
        if problems:
            return JSONResponse({"error": "invalid_client"}, status_code=400)
        asked = set(form.get("scope", "").split())
        entry["scopes"] = sorted(asked)
        granted = asked & set(OFFERED_SCOPES)
        if asked - granted:
            # RFC 6749 §3.3: the platform may grant less than asked; the tool asked for what it was never offered
            entry["scope_problems"] = sorted(asked - granted)
        if not granted:
            return JSONResponse({"error": "invalid_scope"}, status_code=400)
        token = secrets.token_urlsafe(24)
        self._tokens[token] = granted
        return JSONResponse({"access_token": token, "token_type": "bearer", "expires_in": 3600,
                             "scope": " ".join(sorted(granted))})

    def _assertion_problems(self, header: dict[str, Any], claims: dict[str, Any]) -> list[str]:
        problems = []
        now = time.time()
        if header.get("alg") != "RS256" or not header.get("kid"):
            problems.append("the assertion header is not RS256 with a kid")
        if claims.get("iss") != self.client_id or claims.get("sub") != self.client_id:
            problems.append("iss and sub must both be the client_id")
        aud = claims.get("aud")
        if self.token_url not in ([aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []):
            problems.append("aud does not name the token endpoint")
        exp, iat = claims.get("exp"), claims.get("iat")
        if not isinstance(exp, int | float) or exp < now or not isinstance(iat, int | float) or iat > now + 60:
            problems.append("exp/iat missing or not current")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            problems.append("no jti")
        elif jti in self._jtis:
            problems.append("the jti was used before")
        else:
            self._jtis.add(jti)
        return problems

    def _bearer(self, request: Request, entry: dict[str, Any], scope: str) -> bool:
        header = request.headers.get("authorization", "")
        scopes = self._tokens.get(header[7:]) if header[:7].lower() == "bearer " else None
        if scopes is None:
            entry["problems"].append("no valid bearer token from the token endpoint")
            return False
        if scope not in scopes:
            entry["problems"].append(f"the token was not granted {scope}")
            return False
        return True

    async def _memberships(self, request: Request) -> Response:
        entry = await self._remember(request)
        if not self._bearer(request, entry, c.SCOPE_NRPS):
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        if c.MEDIA_MEMBERSHIPS not in request.headers.get("accept", ""):
            entry["problems"].append(f"Accept is {request.headers.get('accept')!r}, not {c.MEDIA_MEMBERSHIPS}")
        start = int(request.query_params.get("page", "0") or 0)
        page = self.members[start:start + NRPS_PAGE]
        headers = {}
        if start + NRPS_PAGE < len(self.members):
            headers["Link"] = f'<{self.issuer}{NRPS_PATH}?page={start + NRPS_PAGE}>; rel="next"'
        body = {"id": str(request.url), "context": {"id": "edcert-course-1"}, "members": page}
        return JSONResponse(body, headers=headers, media_type=c.MEDIA_MEMBERSHIPS)

    async def _lineitem(self, request: Request) -> Response:
        entry = await self._remember(request)
        if not self._bearer(request, entry, c.SCOPE_LINEITEM):
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        return JSONResponse({"id": self.lineitem_url, "scoreMaximum": 10, "label": "edcert activity"},
                            media_type=c.MEDIA_LINEITEM)

    async def _create_lineitem(self, request: Request) -> Response:
        """POST {lineitems}: a line item the tool creates (AGS 2.0 §3.2); what is wrong goes in the record."""
        entry = await self._remember(request)
        if not self._bearer(request, entry, c.SCOPE_LINEITEM):
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        if request.headers.get("content-type", "").split(";")[0].strip() != c.MEDIA_LINEITEM:
            entry["problems"].append(f"Content-Type is {request.headers.get('content-type')!r}, "
                                     f"not {c.MEDIA_LINEITEM}")
        try:
            item = json.loads(entry["body"])
        except ValueError:
            item = None
        if not isinstance(item, dict):
            entry["problems"].append("the body is not a JSON line item")
            return JSONResponse({"error": "invalid line item"}, status_code=400)
        label, maximum = item.get("label"), item.get("scoreMaximum")
        if not isinstance(label, str) or not label.strip():
            entry["problems"].append("label is missing or blank")
        if isinstance(maximum, bool) or not isinstance(maximum, int | float) or maximum <= 0:
            entry["problems"].append(f"scoreMaximum {maximum!r} is not a number greater than 0")
        created = {**item, "id": f"{self.issuer}{LINEITEMS_PATH}/edcert-created-{len(self.received)}"}
        return JSONResponse(created, status_code=201, media_type=c.MEDIA_LINEITEM)

    async def _results(self, request: Request) -> Response:
        """GET {lineitem}/results (AGS 2.0 §3.3): needs result.readonly and asks for the result container."""
        entry = await self._remember(request)
        if not self._bearer(request, entry, c.SCOPE_RESULT_READONLY):
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        if c.MEDIA_RESULTS not in request.headers.get("accept", ""):
            entry["problems"].append(f"Accept is {request.headers.get('accept')!r}, not {c.MEDIA_RESULTS}")
        return JSONResponse([], media_type=c.MEDIA_RESULTS)

    async def _scores(self, request: Request) -> Response:
        entry = await self._remember(request)
        if not self._bearer(request, entry, c.SCOPE_SCORE):
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        if request.headers.get("content-type", "").split(";")[0].strip() != c.MEDIA_SCORE:
            entry["problems"].append(f"Content-Type is {request.headers.get('content-type')!r}, not {c.MEDIA_SCORE}")
        return Response(status_code=204)

    def close(self) -> None:
        self.server.stop()
