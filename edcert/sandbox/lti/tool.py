"""The sandbox's conformant LTI 1.3 tool: login initiation, launch, Deep Linking response and JWKS.

It plays a tool a district would buy, so that edcert's lti-1.3-tool suite has a reference vendor (and
each fault in ``tool_faults.py`` a way to break it). Routes, under the mount point (``/lti/tool``):

* ``GET|POST /login`` — OIDC third-party initiated login; answers 302 to the platform's auth endpoint
  with a fresh state (also set as a cookie: the browser binding) and nonce.
* ``POST /launch`` — the redirect_uri: validates the id_token (Security Framework §5.1.3) and shows
  the launch page (200) or refuses it (401, fails closed). An LtiDeepLinkingRequest gets an
  auto-submitting form posting a signed LtiDeepLinkingResponse to the platform's return URL.
* ``GET /jwks`` — the tool's public key (generated when the app is made, never stored).

Registration: the sandbox trusts a platform on the loopback interface (an ``http(s)://127.0.0.1:port``
or ``localhost`` issuer) that publishes its JWKS at ``{issuer}/.well-known/jwks.json``, its OIDC
auth endpoint at ``{issuer}/auth`` and its OAuth 2.0 token endpoint at ``{issuer}/token``, for
client_id ``TOOL_CLIENT_ID`` and deployment ``TOOL_DEPLOYMENT_ID``.
What it received is kept in ``ToolState.record`` (the recording). A launch carrying the NRPS or AGS
claim makes the tool call those services before it answers (``_use_services``).
"""
from __future__ import annotations

import html
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from edcert.harness.http import shared_ssl_context
from edcert.lti import claims as c
from edcert.lti.jose import PRIVATE_MEMBERS, import_jwks, new_key, peek, public_jwk, sign, verify
from edcert.sandbox.state import SandboxState

TOOL_CLIENT_ID = "edcert-sandbox-lti-tool"
TOOL_DEPLOYMENT_ID = "edcert-sandbox-deployment-1"
STATE_COOKIE = "lti_tool_state"
LEEWAY = 60
PLATFORM_JWKS_PATH = "/.well-known/jwks.json"
PLATFORM_AUTH_PATH = "/auth"
PLATFORM_TOKEN_PATH = "/token"
LAUNCH_OK = "LTI launch accepted"
MAX_RECORD = 500


@dataclass
class _PendingLogin:
    issuer: str
    nonce: str
    created: float


@dataclass
class ToolState:
    """The tool's keys, open logins and recording (one per app)."""

    sandbox: SandboxState
    _key: RSAKey | None = None
    pending: dict[str, _PendingLogin] = field(default_factory=dict)
    platform_keys: dict[str, KeySet] = field(default_factory=dict)
    links_opened: set[str] = field(default_factory=set)  # resource links an instructor launched (a fault reads it)
    record: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> RSAKey:
        # made on first use: most apps built in tests never launch an LTI tool
        if self._key is None:
            self._key = new_key()
        return self._key

    def faulty(self, name: str) -> bool:
        return self.sandbox.faulty(name)

    def remember(self, entry: dict[str, Any]) -> None:
        if len(self.record) >= MAX_RECORD:
            del self.record[0]
        self.record.append(entry)


class Refused(Exception):
    """The launch is refused; the message says why (shown to the user, recorded)."""


def _trusted_issuer(iss: object) -> bool:
    if not isinstance(iss, str):
        return False
    parts = urlsplit(iss)
    return parts.scheme in ("http", "https") and parts.hostname in ("127.0.0.1", "localhost") \
        and not parts.query and not parts.fragment


def create_tool_app(sandbox: SandboxState) -> Starlette:
    """The tool as an ASGI app; its state (keys, recording) is ``app.state.lti_tool``."""
    tool = ToolState(sandbox)

    async def login(request: Request) -> Response:
        params = dict(request.query_params)
        if request.method == "POST":
            if tool.faulty("lti-tool.login.post-unsupported"):
                return PlainTextResponse("method not allowed", status_code=405)
            params.update(await _form(request))
        elif tool.faulty("lti-tool.login.get-unsupported"):
            return PlainTextResponse("method not allowed", status_code=405)
        tool.remember({"endpoint": "login", "method": request.method, "params": params})
        iss = params.get("iss", "")
        if not _trusted_issuer(iss) or not params.get("login_hint") or not params.get("target_link_uri"):
            return PlainTextResponse("login refused: unknown platform or missing login_hint/target_link_uri", 400)
        if params.get("client_id", TOOL_CLIENT_ID) != TOOL_CLIENT_ID:
            return PlainTextResponse("login refused: unknown client_id", 400)
        state = secrets.token_urlsafe(24)
        nonce = "edcert-fixed-nonce" if tool.faulty("lti-tool.login.fixed-nonce") else secrets.token_urlsafe(24)
        if len(tool.pending) > 5000:
            tool.pending.clear()
        tool.pending[state] = _PendingLogin(issuer=iss, nonce=nonce, created=time.time())
        redirect_uri = str(request.url_for("lti_tool_launch"))
        if tool.faulty("lti-tool.login.unregistered-redirect-uri"):
            redirect_uri = redirect_uri.rsplit("/", 1)[0] + "/callback"
        auth: dict[str, str] = {**c.AUTH_FIXED, "client_id": TOOL_CLIENT_ID, "redirect_uri": redirect_uri,
                                "login_hint": params["login_hint"], "state": state, "nonce": nonce}
        if tool.faulty("lti-tool.login.response-mode-missing"):
            del auth["response_mode"]
        if "lti_message_hint" in params and not tool.faulty("lti-tool.login.message-hint-dropped"):
            auth["lti_message_hint"] = params["lti_message_hint"]
        response = RedirectResponse(f"{iss.rstrip('/')}{PLATFORM_AUTH_PATH}?{urlencode(auth)}", status_code=302)
        response.set_cookie(STATE_COOKIE, state, httponly=True, secure=request.url.scheme == "https",
                            samesite="none" if request.url.scheme == "https" else "lax")
        return response

    async def launch(request: Request) -> Response:
        form = await _form(request)
        token, state = form.get("id_token"), form.get("state")
        entry: dict[str, Any] = {"endpoint": "launch", "state": state}
        try:
            if not isinstance(token, str) or not isinstance(state, str):
                raise Refused("id_token and state are required")
            login_ = _bound_login(tool, state, request.cookies.get(STATE_COOKIE))
            claims = await _validate(tool, token, login_)
            _check_link_known(tool, claims)
            entry["claims"] = claims
        except Refused as exc:
            entry["refused"] = str(exc)
            tool.remember(entry)
            return HTMLResponse(f"<!doctype html><title>Launch refused</title><p>{html.escape(str(exc))}</p>", 401)
        tool.remember(entry)
        if c.NRPS_CLAIM in claims or c.AGS_CLAIM in claims:
            entry["services"] = await _use_services(tool, claims, login_.issuer)
        if claims.get(c.MESSAGE_TYPE) == c.DEEP_LINKING_REQUEST:
            return _deep_linking_response(tool, claims, login_.issuer, str(request.url_for("lti_tool_launch")))
        return HTMLResponse(f"<!doctype html><title>{LAUNCH_OK}</title><h1>{LAUNCH_OK}</h1>"
                            f"<p>{html.escape(str(claims.get(c.TARGET_LINK_URI, '')))}</p>")

    async def jwks(request: Request) -> Response:
        jwk = tool.key.as_dict(private=True)
        if not tool.faulty("lti-tool.jwks.private-parts"):
            jwk = {k: v for k, v in jwk.items() if k not in PRIVATE_MEMBERS}
        if tool.faulty("lti-tool.jwks.missing-kid"):
            jwk.pop("kid", None)
        return JSONResponse({"keys": [jwk]}, headers={"Cache-Control": "max-age=300"})

    app = Starlette(routes=[
        Route("/login", login, methods=["GET", "POST"], name="lti_tool_login"),
        Route("/launch", launch, methods=["POST"], name="lti_tool_launch"),
        Route("/jwks", jwks, methods=["GET"], name="lti_tool_jwks"),
    ])
    app.state.lti_tool = tool
    return app


async def _form(request: Request) -> dict[str, str]:
    # an urlencoded form, read without python-multipart (the sandbox has no file uploads)
    body = (await request.body())[:1_000_000]
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


def _bound_login(tool: ToolState, state: str, cookie: str | None) -> _PendingLogin:
    # The state must come back in the form AND match the cookie set on this browser at login (CSRF).
    if tool.faulty("lti-tool.launch.state-not-checked"):
        found = tool.pending.get(state) or (tool.pending.get(cookie) if cookie else None)
    else:
        if not cookie:
            raise Refused("no state cookie: the launch did not come from the browser that logged in")
        if cookie != state:
            raise Refused("state does not match this browser's login")
        found = tool.pending.get(state)
    if found is None:
        raise Refused("unknown or already used state")
    if not tool.faulty("lti-tool.launch.replay-accepted"):
        tool.pending = {k: v for k, v in tool.pending.items() if v is not found}
    return found


async def _platform_keys(tool: ToolState, issuer: str, refresh: bool = False) -> KeySet:
    if refresh or issuer not in tool.platform_keys:
        try:
            verify = shared_ssl_context(trust_env=False)  # certifi's CAs, as httpx without trust_env
            async with httpx.AsyncClient(timeout=5, trust_env=False, verify=verify) as client:
                answer = await client.get(issuer.rstrip("/") + PLATFORM_JWKS_PATH)
            tool.platform_keys[issuer] = import_jwks(answer.json())
        except (httpx.HTTPError, ValueError) as exc:
            raise Refused(f"the platform's JWKS cannot be read ({type(exc).__name__})") from None
    return tool.platform_keys[issuer]


async def _validate(tool: ToolState, token: str, login: _PendingLogin) -> dict[str, Any]:
    """The id_token's claims when it passes the Security Framework §5.1.3 steps; Refused otherwise."""
    fault = tool.faulty
    try:
        header, unverified = peek(token)
    except ValueError as exc:
        raise Refused(f"malformed id_token: {exc}") from None
    alg = header.get("alg")
    if alg == "none" and fault("lti-tool.launch.alg-none-accepted"):
        claims = unverified
    elif alg != "RS256":
        raise Refused(f"alg must be RS256, not {alg!r}")
    else:
        claims = await _verified(tool, token, header, unverified, login)
    if fault("lti-tool.launch.claims-trusted-after-signature"):
        return claims
    _check_id_token_claims(tool, claims, login)
    _check_lti_claims(tool, claims)
    return claims


async def _verified(tool: ToolState, token: str, header: dict[str, Any], unverified: dict[str, Any],
                    login: _PendingLogin) -> dict[str, Any]:
    fault = tool.faulty
    keys = await _platform_keys(tool, login.issuer)
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        if not fault("lti-tool.launch.kid-optional"):
            raise Refused("the id_token header has no kid")
        return _any_key(token, keys)
    found = keys.get_by_kid(kid) if kid in {k.kid for k in keys} else None
    if found is None:
        keys = await _platform_keys(tool, login.issuer, refresh=True)  # the platform may have rotated its keys
        found = keys.get_by_kid(kid) if kid in {k.kid for k in keys} else None
    if found is None:
        if not fault("lti-tool.launch.unknown-kid-tries-all-keys"):
            raise Refused("the id_token's kid is not in the platform's JWKS")
        return _any_key(token, keys)
    if fault("lti-tool.launch.signature-not-verified"):
        return unverified
    try:
        return verify(token, found)
    except ValueError:
        raise Refused("the id_token's signature does not verify") from None


def _any_key(token: str, keys: KeySet) -> dict[str, Any]:
    for key in keys:
        try:
            return verify(token, key)
        except ValueError:
            continue
    raise Refused("the id_token's signature does not verify with any platform key")


def _check_id_token_claims(tool: ToolState, claims: dict[str, Any], login: _PendingLogin) -> None:
    fault = tool.faulty
    now = time.time()
    if claims.get("iss") != login.issuer and not fault("lti-tool.launch.iss-not-checked"):
        raise Refused("iss is not the platform the login came from")
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if TOOL_CLIENT_ID not in audiences and not fault("lti-tool.launch.aud-not-checked"):
        raise Refused("aud does not name this tool's client_id")
    azp = claims.get("azp")
    if not fault("lti-tool.launch.azp-not-checked") and (
            (len(audiences) > 1 and azp is None) or (azp is not None and azp != TOOL_CLIENT_ID)):
        raise Refused("azp is not this tool's client_id")
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or not isinstance(iat, int | float):
        raise Refused("exp and iat must be numbers")
    if exp < now - LEEWAY and not fault("lti-tool.launch.expired-accepted"):
        raise Refused("the id_token has expired")
    if iat > now + LEEWAY and not fault("lti-tool.launch.future-iat-accepted"):
        raise Refused("the id_token is issued in the future")
    if not fault("lti-tool.launch.nonce-not-checked"):
        if not claims.get("nonce"):
            raise Refused("the id_token has no nonce")
        if claims["nonce"] != login.nonce:
            raise Refused("the nonce is not the one this login issued")
    sub = claims.get("sub")
    if sub is not None and (not isinstance(sub, str) or (not sub and not fault("lti-tool.launch.empty-sub-accepted"))):
        raise Refused("sub must be a non-empty string")


def _check_lti_claims(tool: ToolState, claims: dict[str, Any]) -> None:
    fault = tool.faulty
    if claims.get(c.VERSION) != c.LTI_VERSION and not fault("lti-tool.launch.version-not-checked"):
        raise Refused("the LTI version claim must be 1.3.0")
    message_type = claims.get(c.MESSAGE_TYPE)
    if message_type is None and fault("lti-tool.launch.message-type-not-checked"):
        message_type = c.RESOURCE_LINK_REQUEST
    if message_type not in c.MESSAGE_TYPES:
        raise Refused("unknown or missing message_type")
    deployment = claims.get(c.DEPLOYMENT_ID)
    if deployment != TOOL_DEPLOYMENT_ID and not fault("lti-tool.launch.deployment-not-checked"):
        raise Refused("deployment_id missing or not registered")
    roles = claims.get(c.ROLES)
    if not isinstance(roles, list) and not (roles is None and fault("lti-tool.launch.roles-not-required")):
        raise Refused("the roles claim must be an array")
    if "sub" not in claims:
        raise Refused("sub is required")
    if message_type == c.RESOURCE_LINK_REQUEST:
        link = claims.get(c.RESOURCE_LINK)
        if not (isinstance(link, dict) and link.get("id")) and not fault("lti-tool.launch.resource-link-not-required"):
            raise Refused("resource_link.id is required")
        if not claims.get(c.TARGET_LINK_URI):
            raise Refused("target_link_uri is required")
    else:
        settings = claims.get(c.DL_SETTINGS)
        if not isinstance(settings, dict) or not settings.get("deep_link_return_url") \
                or not isinstance(settings.get("accept_types"), list):
            raise Refused("deep_linking_settings with deep_link_return_url and accept_types is required")
    if fault("lti-tool.launch.requires-email") and claims.get("name") and not claims.get("email"):
        raise Refused("an email address is required")
    learner = any(isinstance(r, str) and r.endswith("Learner") for r in roles or [])
    if fault("lti-tool.launch.learner-requires-context") and learner and c.CONTEXT not in claims:
        raise Refused("learners must launch from a course")


def _role(claims: dict[str, Any], name: str) -> bool:
    roles = claims.get(c.ROLES)
    return isinstance(roles, list) and any(isinstance(r, str) and r.endswith(name) for r in roles)


def _check_link_known(tool: ToolState, claims: dict[str, Any]) -> None:
    """The conformant tool creates an activity on its first launch by anyone; a fault waits for a teacher."""
    link = claims.get(c.RESOURCE_LINK)
    link_id = link.get("id") if isinstance(link, dict) else None
    if _role(claims, "Instructor") and isinstance(link_id, str):
        tool.links_opened.add(link_id)
    elif tool.faulty("lti-tool.launch.learner-needs-known-link") and _role(claims, "Learner") \
            and link_id not in tool.links_opened:
        raise Refused("this activity has not been set up by a teacher yet")


async def _use_services(tool: ToolState, claims: dict[str, Any], issuer: str) -> list[str]:
    """Read the roster (NRPS, every page) and post the launching user's score (AGS), as a grading tool does
    when a teacher opens it. Returns what happened, for the recording; a failed call never fails the launch."""
    fault = tool.faulty
    done: list[str] = []
    nrps, ags = claims.get(c.NRPS_CLAIM) or {}, claims.get(c.AGS_CLAIM) or {}
    wanted = (c.SCOPE_SCORE, c.SCOPE_LINEITEM, c.SCOPE_RESULT_READONLY)
    scopes = ([c.SCOPE_NRPS] if nrps else []) + [s for s in ags.get("scope", []) if s in wanted]
    if fault("lti-tool.svc.asks-unknown-scope"):
        scopes.append("https://purl.imsglobal.org/spec/lti-ags/scope/everything")
    token_url = issuer.rstrip("/") + PLATFORM_TOKEN_PATH
    now = int(time.time())
    assertion: dict[str, Any] = {"iss": TOOL_CLIENT_ID, "sub": TOOL_CLIENT_ID, "aud": token_url, "iat": now,
                                 "exp": now + 300, "jti": uuid.uuid4().hex,
                                 c.DEPLOYMENT_ID: claims.get(c.DEPLOYMENT_ID)}
    if fault("lti-tool.svc.assertion-without-jti"):
        del assertion["jti"]
    try:
        verify = shared_ssl_context(trust_env=False)  # certifi's CAs, as httpx without trust_env
        async with httpx.AsyncClient(timeout=10, trust_env=False, verify=verify) as client:
            answer = await client.post(token_url, data={
                "grant_type": "client_credentials", "client_assertion_type": c.CLIENT_ASSERTION_TYPE,
                "client_assertion": sign(assertion, tool.key), "scope": " ".join(scopes)})
            token = answer.json().get("access_token") if answer.status_code == 200 else None
            done.append(f"token: HTTP {answer.status_code}")
            if not token:
                return done
            bearer = {"Authorization": f"Bearer {token}"}
            url = nrps.get("context_memberships_url")
            accept = "application/json" if fault("lti-tool.svc.nrps-accept-json") else c.MEDIA_MEMBERSHIPS
            pages = 0
            while url and pages < 20:
                page = await client.get(url, headers={**bearer, "Accept": accept})
                pages += 1
                done.append(f"memberships page {pages}: HTTP {page.status_code}")
                url = None if fault("lti-tool.svc.nrps-ignores-next") else page.links.get("next", {}).get("url")
            no_score = fault("lti-tool.svc.no-score-for-learners") and _role(claims, "Learner")
            if ags.get("lineitem") and c.SCOPE_SCORE in ags.get("scope", []) and not no_score:
                score: dict[str, Any] = {
                    "userId": claims.get("sub"), "scoreGiven": 7, "scoreMaximum": 10,
                    "activityProgress": "Completed", "gradingProgress": "FullyGraded",
                    "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds")}
                if fault("lti-tool.svc.score-missing-maximum"):
                    del score["scoreMaximum"]
                media = "application/json" if fault("lti-tool.svc.score-wrong-media-type") else c.MEDIA_SCORE
                lineitem = urlsplit(ags["lineitem"])
                scores_url = lineitem._replace(path=lineitem.path.rstrip("/") + "/scores").geturl()
                posted = await client.post(scores_url, json=score, headers={**bearer, "Content-Type": media})
                done.append(f"score: HTTP {posted.status_code}")
            done += await _use_lineitems(client, fault, ags, bearer)
    except (httpx.HTTPError, ValueError) as exc:
        done.append(f"failed: {type(exc).__name__}")
    return done


async def _use_lineitems(client: httpx.AsyncClient, fault: Callable[[str], bool], ags: dict[str, Any],
                         bearer: dict[str, str]) -> list[str]:
    """Create a line item of the tool's own and read the launch line item's results (AGS 2.0 §3.2-3.3)."""
    done = []
    offered = ags.get("scope", [])
    if ags.get("lineitems") and c.SCOPE_LINEITEM in offered:
        media = "application/json" if fault("lti-tool.svc.lineitem-wrong-media-type") else c.MEDIA_LINEITEM
        item = {"label": "Fractions quiz", "scoreMaximum": 20, "resourceId": "fractions-quiz", "tag": "quiz"}
        created = await client.post(ags["lineitems"], json=item, headers={**bearer, "Content-Type": media})
        done.append(f"lineitem: HTTP {created.status_code}")
    if ags.get("lineitem") and c.SCOPE_RESULT_READONLY in offered:
        accept = "application/json" if fault("lti-tool.svc.results-accept-json") else c.MEDIA_RESULTS
        lineitem = urlsplit(ags["lineitem"])
        results_url = lineitem._replace(path=lineitem.path.rstrip("/") + "/results").geturl()
        read = await client.get(results_url, headers={**bearer, "Accept": accept})
        done.append(f"results: HTTP {read.status_code}")
    return done


def _deep_linking_response(tool: ToolState, claims: dict[str, Any], issuer: str, launch_url: str) -> Response:
    settings = claims[c.DL_SETTINGS]
    accept = settings.get("accept_types") or []
    offered: list[dict[str, Any]] = [
        {"type": "ltiResourceLink", "title": "Fractions practice", "url": launch_url,
         "custom": {"activity": "fractions"}, "lineItem": {"scoreMaximum": 10, "label": "Fractions practice"}},
        {"type": "link", "title": "Fractions explained", "url": "https://example.org/fractions"},
    ]
    if tool.faulty("lti-tool.dl.link-without-url"):
        del offered[1]["url"]
    items = [item for item in offered if item["type"] in accept]
    if not settings.get("accept_multiple", True) and not tool.faulty("lti-tool.dl.ignores-accept-multiple"):
        items = items[:1]
    elif tool.faulty("lti-tool.dl.ignores-accept-multiple"):
        items = offered
    now = int(time.time())
    response: dict[str, Any] = {
        "iss": issuer if tool.faulty("lti-tool.dl.iss-is-platform") else TOOL_CLIENT_ID,
        "aud": claims["iss"], "iat": now, "exp": now + 300, "nonce": uuid.uuid4().hex,
        c.MESSAGE_TYPE: c.DEEP_LINKING_RESPONSE, c.VERSION: c.LTI_VERSION,
        c.DEPLOYMENT_ID: claims.get(c.DEPLOYMENT_ID), c.DL_CONTENT_ITEMS: items,
    }
    if "data" in settings and not tool.faulty("lti-tool.dl.data-not-echoed"):
        response[c.DL_DATA] = settings["data"]
    key = tool.key
    if tool.faulty("lti-tool.dl.signed-with-unpublished-key"):
        key = new_key(tool.key.kid)
    jwt = sign(response, key)
    action = html.escape(str(settings["deep_link_return_url"]), quote=True)
    if tool.faulty("lti-tool.dl.no-auto-submit-form"):
        return HTMLResponse(f'<!doctype html><a href="{action}?JWT={jwt}">Return to your course</a>')
    return HTMLResponse(
        "<!doctype html><title>Returning to the platform</title>"
        f'<body onload="document.forms[0].submit()"><form method="post" action="{action}">'
        f'<input type="hidden" name="JWT" value="{jwt}"><noscript><button>Continue</button></noscript>'
        "</form></body>")


__all__ = ["LAUNCH_OK", "TOOL_CLIENT_ID", "TOOL_DEPLOYMENT_ID", "ToolState", "create_tool_app", "public_jwk"]
