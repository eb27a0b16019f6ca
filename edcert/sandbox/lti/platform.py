"""The sandbox's conformant LTI 1.3 platform (with Names and Roles and Assignment and Grade Services).

It is the counterpart edcert certifies a platform against, and the reference vendor of
``lti-1.3-platform``: a launch-start link that begins a third-party initiated login to the registered
tool, the OIDC auth endpoint, id_tokens signed RS256 with keys made per app, its JWKS, an OAuth 2.0 token
endpoint taking RFC 7523 client assertions, NRPS and AGS. Everything it receives is recorded
(``PlatformState.received``) without secrets.

The registered tool lives on loopback: its login, launch and JWKS URLs are ``{tool_url}/login``,
``/launch`` and ``/jwks`` on any port of 127.0.0.1 or localhost (a loopback redirect URI may use any
port, RFC 8252 §7.3). The launch-start link names the tool's address (``?tool_url=``), because edcert
listens on a port chosen per run; ``user=student|instructor``, ``pii=none``, ``message=deep_link``,
``link=latest`` (launch the resource link the last Deep Linking response created) and ``context=b`` (the
second course) choose what it launches.
"""
from __future__ import annotations

import html
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from edcert.harness.http import shared_ssl_context
from edcert.lti import claims as c
from edcert.lti.claims import (
    AGS_CLAIM,
    CLIENT_ASSERTION_TYPE,
    CONTEXT_COURSE,
    MEDIA_LINEITEM,
    MEDIA_LINEITEMS,
    MEDIA_MEMBERSHIPS,
    MEDIA_RESULTS,
    NRPS_CLAIM,
    ROLE_INSTRUCTOR,
    ROLE_LEARNER,
    SCOPE_LINEITEM,
    SCOPE_LINEITEM_READONLY,
    SCOPE_NRPS,
    SCOPE_RESULT_READONLY,
    SCOPE_SCORE,
)
from edcert.sandbox.state import SandboxState, TokenStore

PLATFORM_PATH = "/lti/platform"
TOOL_CLIENT_ID = "edcert-lti-tool"
DEPLOYMENT_ID = "sandbox-deployment-1"
CONTEXT_ID = "sandbox-course-1"
CONTEXT_B_ID = "sandbox-course-2"  # a second course: the 1EdTech AGS test's context B
CONTEXTS = {CONTEXT_ID: ("SBX-1", "Sandbox course"), CONTEXT_B_ID: ("SBX-2", "Sandbox course B")}
SCOPES = (SCOPE_NRPS, SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_RESULT_READONLY, SCOPE_SCORE)
_F = "lti-platform."
_LOOPBACK = frozenset({"127.0.0.1", "localhost"})
_ACTIVITY = frozenset({"Initialized", "Started", "InProgress", "Submitted", "Completed"})
_GRADING = frozenset({"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"})


@dataclass(frozen=True)
class Member:
    user_id: str
    given_name: str
    family_name: str
    role: str

    @property
    def email(self) -> str:
        return f"{self.given_name.lower()}.{self.family_name.lower()}@sandbox.example"


MEMBERS = (
    Member("u-teacher-1", "Ada", "Lovelace", ROLE_INSTRUCTOR),
    *(Member(f"u-student-{n}", given, "Student", ROLE_LEARNER)
      for n, given in enumerate(("Alan", "Grace", "Edsger", "Barbara", "Donald"), start=1)),
)
USERS = {"student": MEMBERS[1], "instructor": MEMBERS[0]}


@dataclass(frozen=True)
class CreatedLink:
    """A resource link the platform created from an ltiResourceLink item of a Deep Linking response."""

    id: str
    url: str | None
    title: str | None
    custom: dict[str, str]


@dataclass
class PendingLaunch:
    tool_url: str
    user: Member
    pii: bool
    deep_link: bool = False
    link: CreatedLink | None = None  # a launch of a deep-linked resource link, else the course's own link
    context: str = CONTEXT_ID

    @property
    def target(self) -> str:
        """The target_link_uri: the deep-linked item's url (DL 2.0 §3.2), else the tool's launch URL."""
        return self.link.url if self.link is not None and self.link.url else f"{self.tool_url}/launch"


@dataclass
class LineItem:
    id: str
    body: dict[str, Any]
    context: str
    scores: dict[str, dict[str, Any]] = field(default_factory=dict)  # user_id -> the score applied
    first: dict[str, dict[str, Any]] = field(default_factory=dict)  # user_id -> the first score (a fault reads it)


@dataclass
class PlatformState:
    """What the sandbox platform knows: its keys, pending launches, the tool's address, grades, a recording."""

    sandbox: SandboxState
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": _kid()}, private=True))
    foreign_key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, private=True))
    launches: dict[str, PendingLaunch] = field(default_factory=dict)  # lti_message_hint -> launch
    tool_url: str | None = None
    tokens: TokenStore = field(default_factory=TokenStore)
    used_jti: set[str] = field(default_factory=set)
    lineitems: dict[str, LineItem] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)
    deep_link_requests: dict[str, str] = field(default_factory=dict)  # data of an open DL request -> deployment
    content_items: list[dict[str, Any]] = field(default_factory=list)  # what Deep Linking responses added
    links: list[CreatedLink] = field(default_factory=list)  # resource links created from those items

    def faulty(self, name: str) -> bool:
        return self.sandbox.faulty(_F + name)

    def record(self, request: Request, **details: Any) -> None:
        """Keep what arrived: method, path, the parameter names and the harmless values (never secrets)."""
        self.received.append({"method": request.method, "path": request.url.path, **details})


def _kid() -> str:
    return "sandbox-" + secrets.token_hex(4)


def _issuer(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}{PLATFORM_PATH}"


def _loopback_tool(url: str) -> str | None:
    """``url`` as a tool base when it is an http(s) URL on loopback, else None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.hostname not in _LOOPBACK or parts.query or parts.fragment:
        return None
    return url.rstrip("/")


def _registered_redirect(uri: str) -> bool:
    parts = urlsplit(uri)
    return (parts.scheme in ("http", "https") and parts.hostname in _LOOPBACK and parts.path == "/launch"
            and not parts.fragment)


def _autosubmit(action: str, fields: dict[str, str]) -> HTMLResponse:
    inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in fields.items())
    page = (f'<!doctype html><html><body onload="document.forms[0].submit()"><form method="post" '
            f'action="{html.escape(action)}">{inputs}<noscript><button>Continue</button></noscript></form>'
            "</body></html>")
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})


def _local_error(message: str) -> HTMLResponse:
    return HTMLResponse(f"<!doctype html><html><body><h1>Launch refused</h1><p>{html.escape(message)}</p>"
                        "</body></html>", status_code=400)


def _error_redirect(redirect_uri: str, error: str, description: str, state: str | None) -> Response:
    params = {"error": error, "error_description": description, **({"state": state} if state else {})}
    sep = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(redirect_uri + sep + urlencode(params), status_code=302)


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status,
                        headers={"Cache-Control": "no-store"})


async def _params(request: Request) -> dict[str, str]:
    if request.method == "POST":
        body = (await request.body()).decode("utf-8", errors="replace")
        return dict(parse_qsl(body, keep_blank_values=True))
    return dict(request.query_params)


class _Platform:
    def __init__(self, state: PlatformState) -> None:
        self.state = state

    # -- launches ---------------------------------------------------------------------------------------

    async def launch_start(self, request: Request) -> Response:
        """Begin a launch: an auto-submitting form to the tool's login URL (third-party initiated login)."""
        st = self.state
        tool_url = _loopback_tool(request.query_params.get("tool_url", ""))
        q = request.query_params
        user = USERS.get(q.get("user", "student"))
        context = CONTEXT_B_ID if q.get("context") == "b" else CONTEXT_ID
        st.record(request, tool_url=tool_url, user=q.get("user"), pii=q.get("pii"), message=q.get("message"),
                  link=q.get("link"), context=context)
        if tool_url is None or user is None:
            return _local_error("tool_url must be the registered tool on loopback; user is student or instructor")
        link = None
        if q.get("link") == "latest":  # the resource link the last Deep Linking response created
            if not st.links:
                return _local_error("no resource link has been created through Deep Linking yet")
            link = st.links[-1]
        st.tool_url = tool_url
        hint = secrets.token_urlsafe(16)
        pending = PendingLaunch(tool_url, user, pii=q.get("pii", "full") != "none",
                                deep_link=q.get("message") == "deep_link", link=link, context=context)
        st.launches[hint] = pending
        issuer = _issuer(request)
        deployment = "another-deployment" if st.faulty("login.deployment-mismatch") else DEPLOYMENT_ID
        fields = {
            "iss": issuer + "/" if st.faulty("login.iss-trailing-slash") else issuer,
            "login_hint": user.user_id,
            "target_link_uri": pending.target,
            "lti_message_hint": hint,
            "lti_deployment_id": deployment,
            "client_id": TOOL_CLIENT_ID,
        }
        return _autosubmit(f"{tool_url}/login", fields)

    async def auth(self, request: Request) -> Response:
        """The OIDC authorization endpoint (LTI 1.3 Core §5.1.1.2; OIDC Core §3.1.2)."""
        st = self.state
        p = await _params(request)
        st.record(request, params=sorted(p), client_id=p.get("client_id"), redirect_uri=p.get("redirect_uri"),
                  response_type=p.get("response_type"))
        client_id = p.get("client_id", "")
        if client_id != TOOL_CLIENT_ID and not st.faulty("auth.unknown-client-accepted"):
            return _local_error("unknown client_id")  # RFC 6749 §4.1.2.1: never redirect for an unknown client
        redirect_uri = p.get("redirect_uri", "")
        state = p.get("state")
        if not _registered_redirect(redirect_uri):
            if st.faulty("auth.redirects-unregistered"):
                return _error_redirect(redirect_uri, "invalid_request", "redirect_uri is not registered", state)
            return _local_error("redirect_uri is not registered for this client")
        if p.get("response_type") != "id_token" and not st.faulty("auth.any-response-type"):
            return _error_redirect(redirect_uri, "unsupported_response_type", "response_type must be id_token",
                                   state)
        if p.get("scope") != "openid" or p.get("response_mode") != "form_post" or p.get("prompt") != "none":
            return _error_redirect(redirect_uri, "invalid_request",
                                   "scope=openid, response_mode=form_post and prompt=none are required", state)
        nonce = p.get("nonce")
        if not nonce and not st.faulty("auth.ignores-nonce"):
            return _error_redirect(redirect_uri, "invalid_request", "nonce is required", state)
        launch = st.launches.pop(p.get("lti_message_hint", ""), None)
        if launch is None or launch.user.user_id != p.get("login_hint"):
            return _error_redirect(redirect_uri, "login_required", "no such launch for this user", state)
        token = self._id_token(request, launch, client_id, nonce or "")
        return _autosubmit(redirect_uri, {"id_token": token, **({"state": state} if state is not None else {})})

    def _id_token(self, request: Request, launch: PendingLaunch, client_id: str, nonce: str) -> str:
        st = self.state
        now = int(time.time())
        issuer = _issuer(request)
        user = launch.user
        student_no_pii = user.role == ROLE_LEARNER and not launch.pii
        pad = " " if st.faulty("idt.padded-whitespace") or (student_no_pii and st.faulty("idt.student-no-pii-padded")) \
            else ""
        roles: Any = [user.role]
        if st.faulty("idt.instructor-as-learner") and user.role == ROLE_INSTRUCTOR and launch.pii:
            roles = [ROLE_LEARNER]
        if st.faulty("idt.roles-string"):
            roles = " ".join(roles)
        context = launch.context
        label, title = CONTEXTS[context]
        link: dict[str, Any] = {"id": "sandbox-link-1", "title": "Sandbox activity" + pad}
        if launch.link is not None:
            link = {"id": launch.link.id, **({"title": launch.link.title} if launch.link.title else {})}
            if st.faulty("dl.link-drops-title"):
                link["title"] = "Sandbox activity"
        claims: dict[str, Any] = {
            "iss": issuer, "aud": client_id, "sub": user.user_id, "iat": now, "exp": now + 300,
            "nonce": secrets.token_urlsafe(12) if st.faulty("idt.wrong-nonce") or (
                user.role == ROLE_INSTRUCTOR and not launch.deep_link and st.faulty("idt.instructor-wrong-nonce"))
            else nonce,
            c.MESSAGE_TYPE: c.RESOURCE_LINK_REQUEST, c.VERSION: c.LTI_VERSION,
            c.DEPLOYMENT_ID: DEPLOYMENT_ID,
            c.TARGET_LINK_URI: (f"{launch.tool_url}/elsewhere" if st.faulty("idt.target-link-mismatch")
                                else launch.target),
            c.RESOURCE_LINK: link,
            c.ROLES: roles,
            c.CONTEXT: {"id": context, "label": label, "title": title + pad, "type": [CONTEXT_COURSE]},
            NRPS_CLAIM: {"context_memberships_url": f"{issuer}/contexts/{context}/memberships",
                         "service_versions": ["2.0"]},
            AGS_CLAIM: {"scope": [SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_RESULT_READONLY, SCOPE_SCORE],
                        "lineitems": f"{issuer}/contexts/{context}/lineitems"},
        }
        if launch.link is not None and launch.link.custom:
            claims[c.CUSTOM] = dict(launch.link.custom)
        if st.faulty("idt.no-resource-link"):
            del claims[c.RESOURCE_LINK]
        if launch.deep_link:
            self._deep_linking_request(claims, issuer)
        instructor = user.role == ROLE_INSTRUCTOR and not launch.deep_link
        if st.faulty("idt.expired") or (instructor and not launch.pii and st.faulty("idt.instructor-no-pii-expired")):
            claims["iat"], claims["exp"] = now - 7200, now - 3600
        leak = st.faulty("idt.pii-in-anonymous") or (st.faulty("idt.student-pii-in-anonymous")
                                                     and user.role == ROLE_LEARNER)
        if launch.pii or leak:
            claims.update(name=f"{user.given_name} {user.family_name}", given_name=user.given_name,
                          family_name=user.family_name, email=user.email)
            if st.faulty("idt.wrong-user-email") and user.role == ROLE_LEARNER:
                claims["email"] = MEMBERS[2].email
        alg = "RS384" if st.faulty("idt.rs384") else "RS256"
        key = st.key
        if st.faulty("idt.foreign-key") or (instructor and st.faulty("idt.instructor-foreign-key")):
            key = RSAKey.import_key(st.foreign_key.as_dict(private=True), parameters={"kid": str(st.key.kid)})
        return jwt.encode({"alg": alg, "kid": key.kid, "typ": "JWT"}, claims, key, algorithms=[alg])

    def _deep_linking_request(self, claims: dict[str, Any], issuer: str) -> None:
        """Turn a resource link launch into an LtiDeepLinkingRequest (Deep Linking 2.0 §4.4)."""
        st = self.state
        claims.pop(c.RESOURCE_LINK, None)
        claims[c.MESSAGE_TYPE] = c.DEEP_LINKING_REQUEST
        data = secrets.token_urlsafe(12)
        st.deep_link_requests[data] = DEPLOYMENT_ID
        claims[c.DL_SETTINGS] = {
            "deep_link_return_url": f"{issuer}/deep_links", "accept_types": ["link", "file", "html", "ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"], "accept_multiple": True,
            "auto_create": True, "data": data,
        }
        if st.faulty("dl.no-settings"):
            del claims[c.DL_SETTINGS]["accept_presentation_document_targets"]

    async def deep_link_return(self, request: Request) -> Response:
        """The deep_link_return_url: verify the tool's LtiDeepLinkingResponse (DL 2.0 §4.5; SF §5.2) and add items."""
        st = self.state
        form = await _params(request)
        st.record(request, params=sorted(form))
        token = form.get("JWT", "")
        keys = await self._tool_keys()
        if keys is None:
            return _local_error("the tool's JWKS cannot be read")
        try:
            claims = jwt.decode(token, keys, algorithms=["RS256"]).claims
        except (JoseError, ValueError):
            if not st.faulty("dl.response-signature-unchecked"):
                return _local_error("the Deep Linking response's signature does not verify")
            try:
                claims = _unverified(token).claims
            except ValueError:
                return _local_error("the Deep Linking response is not a JWT")
        aud = claims.get("aud")
        deployment = st.deep_link_requests.pop(str(claims.get(c.DL_DATA)), None)
        problems = [
            claims.get("iss") != TOOL_CLIENT_ID and "iss is not the client_id",
            _issuer(request) not in (aud if isinstance(aud, list) else [aud]) and "aud is not this platform",
            st.faulty("dl.rejects-response") and "aud must be the token endpoint",
            claims.get(c.MESSAGE_TYPE) != c.DEEP_LINKING_RESPONSE and "message_type is not LtiDeepLinkingResponse",
            claims.get(c.VERSION) != c.LTI_VERSION and "version is not 1.3.0",
            (deployment is None or claims.get(c.DEPLOYMENT_ID) != deployment)
            and "data or deployment_id does not match an open Deep Linking request",
            (not isinstance(claims.get("exp"), int | float) or claims["exp"] < time.time() - 5)
            and "exp is missing or past",
            not isinstance(claims.get(c.DL_CONTENT_ITEMS, []), list) and "content_items is not an array",
        ]
        refused = [p for p in problems if p]
        if refused:
            return _local_error("Deep Linking response refused: " + "; ".join(str(p) for p in refused))
        items = claims.get(c.DL_CONTENT_ITEMS, [])
        st.content_items.extend(i for i in items if isinstance(i, dict))
        for item in items:
            if isinstance(item, dict) and item.get("type") == "ltiResourceLink":
                st.links.append(_created_link(item, lossy=st.faulty("dl.link-loses-item")))
        return HTMLResponse(f"<!doctype html><p>{len(items)} item(s) added to the course.</p>")

    async def _tool_keys(self) -> KeySet | None:
        if self.state.tool_url is None:
            return None
        try:
            verify = shared_ssl_context(trust_env=False)  # certifi's CAs, as httpx without trust_env
            async with httpx.AsyncClient(timeout=5.0, trust_env=False, verify=verify) as client:
                return KeySet.import_key_set((await client.get(f"{self.state.tool_url}/jwks")).json())
        except (httpx.HTTPError, ValueError, JoseError, TypeError, KeyError):
            return None

    async def jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [{**self.state.key.as_dict(private=False), "alg": "RS256", "use": "sig"}]})

    # -- the token endpoint (1EdTech Security Framework §4.1.1, RFC 7523) ---------------------------------

    async def token(self, request: Request) -> Response:
        st = self.state
        form = dict(parse_qsl((await request.body()).decode("utf-8", errors="replace"), keep_blank_values=True))
        st.record(request, params=sorted(form), grant_type=form.get("grant_type"), scope=form.get("scope"))
        if form.get("grant_type") != "client_credentials" and not st.faulty("token.any-grant-type"):
            return _oauth_error(400, "unsupported_grant_type", "grant_type must be client_credentials")
        if form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE or not form.get("client_assertion"):
            return _oauth_error(400, "invalid_request", "a jwt-bearer client_assertion is required")
        problem = await self._assertion_problem(form["client_assertion"], f"{_issuer(request)}/token")
        if problem == "signature" and st.faulty("token.500-on-bad-signature"):
            return Response("Internal Server Error", status_code=500)
        if problem:
            return _oauth_error(401, "invalid_client", f"client assertion refused: {problem}")
        requested = form.get("scope", "").split()
        unknown = [s for s in requested if s not in SCOPES]
        if unknown:
            return _oauth_error(400, "invalid_scope", f"unknown scope {unknown[0]!r}")
        granted = requested or list(SCOPES)
        body: dict[str, Any] = {"access_token": st.tokens.issue(TOOL_CLIENT_ID, granted), "token_type": "bearer",
                                "scope": " ".join(granted)}
        if not st.faulty("token.no-expires-in"):
            body["expires_in"] = st.tokens.ttl
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    async def _assertion_problem(self, assertion: str, audience: str) -> str | None:
        st = self.state
        if st.tool_url is None:
            return "no tool is registered yet (start a launch first)"
        keys = await self._tool_keys()
        if keys is None:
            return "the tool's JWKS cannot be read"
        try:
            token = jwt.decode(assertion, keys, algorithms=["RS256"])
        except (JoseError, ValueError):
            if st.faulty("token.500-on-bad-signature") or not st.faulty("token.bad-signature-accepted"):
                return "signature"
            try:
                token = _unverified(assertion)
            except ValueError:
                return "signature"
        claims = token.claims
        if claims.get("iss") != TOOL_CLIENT_ID and not st.faulty("token.ignores-iss"):
            return "iss must be the client_id"
        if claims.get("sub") != TOOL_CLIENT_ID:
            return "sub must be the client_id"
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        if audience not in auds and not st.faulty("token.ignores-aud"):
            return "aud is not this token endpoint"
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or (exp < time.time() - 5 and not st.faulty("token.accepts-expired")):
            return "expired"
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            return None if st.faulty("token.jti-optional") else "jti is required"
        if jti in st.used_jti and not st.faulty("token.jti-replay"):
            return "jti already used"
        st.used_jti.add(jti)
        return None

    # -- services --------------------------------------------------------------------------------------

    def _grant(self, request: Request, *scopes: str, fault: str | None = None) -> Response | None:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        issued = self.state.tokens.lookup(value.strip()) if scheme.lower() == "bearer" else None
        if issued is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401,
                                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if not issued.scopes & set(scopes) and not (fault and self.state.faulty(fault)):
            return JSONResponse({"error": "insufficient_scope"}, status_code=403,
                                headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'})
        return None

    async def memberships(self, request: Request) -> Response:
        st = self.state
        st.record(request, query=dict(request.query_params))
        refused = self._grant(request, SCOPE_NRPS)
        if refused is not None:
            return refused
        context = request.path_params["context"]
        if context not in CONTEXTS:
            return JSONResponse({"error": "unknown context"}, status_code=404)
        try:
            limit = int(request.query_params.get("limit", "100"))
            offset = int(request.query_params.get("offset", "0"))
        except ValueError:
            return JSONResponse({"error": "limit and offset are integers"}, status_code=400)
        if limit < 1 or offset < 0:
            return JSONResponse({"error": "limit >= 1, offset >= 0"}, status_code=400)
        role = request.query_params.get("role")
        chosen = [m for m in MEMBERS if role is None or m.role == role or m.role.endswith("#" + role)]
        if "since" in request.query_params:  # a differences URL (NRPS 2.0 §2.4.3): the roster never changes
            if st.faulty("nrps.differences-broken") or not request.query_params["since"].isdigit():
                return JSONResponse({"error": "since is not understood"}, status_code=400)
            chosen = []
        page = chosen[offset:offset + limit]
        members = []
        for m in page:
            member: dict[str, Any] = {"status": "Active", "user_id": m.user_id, "name": f"{m.given_name} "
                                      f"{m.family_name}", "given_name": m.given_name, "family_name": m.family_name,
                                      "email": m.email, "roles": [m.role]}
            if st.faulty("nrps.member-no-roles"):
                del member["roles"]
            members.append(member)
        url = str(request.url.replace(query=""))
        body = {"id": str(request.url), "context": {"id": context, "label": CONTEXTS[context][0],
                                                    "title": CONTEXTS[context][1]},
                "members": members}
        links = [f'<{url}?{urlencode({"since": int(time.time())})}>; rel="differences"']
        if offset + limit < len(chosen) and not st.faulty("nrps.no-link-header"):
            rest = {k: v for k, v in request.query_params.items() if k not in ("offset", "limit")}
            links.insert(0, f'<{url}?{urlencode({**rest, "limit": limit, "offset": offset + limit})}>; rel="next"')
        headers = {"Link": ", ".join(links)}
        media = "application/json" if st.faulty("nrps.json-content-type") else MEDIA_MEMBERSHIPS
        return JSONResponse(body, headers=headers, media_type=media)

    async def lineitems(self, request: Request) -> Response:
        st = self.state
        st.record(request, query=dict(request.query_params))
        context = request.path_params["context"]
        if context not in CONTEXTS:
            return JSONResponse({"error": "unknown context"}, status_code=404)
        if request.method == "GET":
            refused = self._grant(request, SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, fault="services.scope-not-enforced")
            if refused is not None:
                return refused
            leak = st.faulty("ags.lineitems-leak-across-contexts")
            items = [] if st.faulty("ags.container-omits-created") else [
                li.body for li in st.lineitems.values() if li.context == context or leak]
            for name, key in (("resource_link_id", "resourceLinkId"), ("resource_id", "resourceId"), ("tag", "tag")):
                if name in request.query_params:
                    items = [i for i in items if i.get(key) == request.query_params[name]]
            return JSONResponse(items, media_type=MEDIA_LINEITEMS)
        refused = self._grant(request, SCOPE_LINEITEM, fault="services.scope-not-enforced")
        if refused is not None:
            return refused
        body = await _json(request)
        problem = _lineitem_problem(body)
        if problem:
            if st.faulty("ags.500-on-bad-input"):
                return Response("Internal Server Error", status_code=500)
            return JSONResponse({"error": problem}, status_code=400)
        assert isinstance(body, dict)
        ident = secrets.token_hex(6)
        url = f"{str(request.url.replace(query='')).rstrip('/')}/{ident}"
        item = {**{k: v for k, v in body.items() if k != "id"}, "id": url}
        st.lineitems[ident] = LineItem(ident, item, context)
        return JSONResponse(item, status_code=201, media_type=MEDIA_LINEITEM)

    def _lineitem(self, request: Request) -> LineItem | Response:
        found = self.state.lineitems.get(request.path_params["item"])
        if found is None or found.context != request.path_params["context"]:
            return JSONResponse({"error": "no such line item"}, status_code=404)
        return found

    async def lineitem(self, request: Request) -> Response:
        self.state.record(request)
        refused = self._grant(request, SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, fault="services.scope-not-enforced")
        if refused is not None:
            return refused
        found = self._lineitem(request)
        return found if isinstance(found, Response) else JSONResponse(found.body, media_type=MEDIA_LINEITEM)

    async def scores(self, request: Request) -> Response:
        st = self.state
        st.record(request)
        refused = self._grant(request, SCOPE_SCORE)
        if refused is not None:
            return refused
        found = self._lineitem(request)
        if isinstance(found, Response):
            return found
        score = await _json(request)
        problem, stamp = _score_problem(score)
        if problem:
            return JSONResponse({"error": problem}, status_code=400)
        assert isinstance(score, dict) and stamp is not None
        user = score["userId"]
        latest = found.scores.get(user)
        if latest is not None and stamp <= datetime.fromisoformat(latest["timestamp"]) \
                and not st.faulty("ags.applies-older-score"):
            return JSONResponse({"error": "a score with a later timestamp is on record"}, status_code=409)
        found.scores[user] = score
        found.first.setdefault(user, score)
        return Response(status_code=204)

    async def results(self, request: Request) -> Response:
        st = self.state
        st.record(request, query=dict(request.query_params))
        refused = self._grant(request, SCOPE_RESULT_READONLY, fault="ags.results-any-scope")
        if refused is not None:
            return refused
        found = self._lineitem(request)
        if isinstance(found, Response):
            return found
        scores = found.first if st.faulty("ags.results-show-first-score") else found.scores
        wanted = request.query_params.get("user_id")
        out = []
        for user, score in scores.items():
            if wanted is not None and user != wanted:
                continue
            result: dict[str, Any] = {"id": f"{found.body['id']}/results/{user}", "scoreOf": found.body["id"],
                                      "userId": user}
            if "scoreGiven" in score:
                result["resultScore"] = score["scoreGiven"]
                result["resultMaximum"] = score["scoreMaximum"]
            if "comment" in score:
                result["comment"] = score["comment"]
            out.append(result)
        return JSONResponse(out, media_type=MEDIA_RESULTS)


def _created_link(item: dict[str, Any], *, lossy: bool) -> CreatedLink:
    """The resource link made from an ltiResourceLink item; ``lossy`` (a fault) drops its url and custom."""
    custom = item.get("custom")
    kept = {str(k): str(v) for k, v in custom.items()} if isinstance(custom, dict) and not lossy else {}
    url = item.get("url") if isinstance(item.get("url"), str) and not lossy else None
    title = item.get("title") if isinstance(item.get("title"), str) else None
    return CreatedLink("sandbox-link-" + secrets.token_hex(4), url, title, kept)


def _unverified(token: str) -> jwt.Token:
    """The claims of a JWT whose signature a fault lets through (never used by the conformant platform)."""
    import base64
    import json

    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT")
    payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    return jwt.Token(header, payload)


async def _json(request: Request) -> object:
    try:
        return await request.json()
    except ValueError:
        return None


def _lineitem_problem(body: object) -> str | None:
    if not isinstance(body, dict):
        return "the body must be a JSON line item"
    label, maximum = body.get("label"), body.get("scoreMaximum")
    if not isinstance(label, str) or not label.strip():
        return "label is required"
    if isinstance(maximum, bool) or not isinstance(maximum, int | float) or maximum <= 0:
        return "scoreMaximum must be a number greater than 0"
    return None


def _score_problem(score: object) -> tuple[str | None, datetime | None]:
    if not isinstance(score, dict):
        return "the body must be a JSON score", None
    if score.get("userId") not in {m.user_id for m in MEMBERS}:
        return "userId is not a member of the context", None
    if score.get("activityProgress") not in _ACTIVITY or score.get("gradingProgress") not in _GRADING:
        return "activityProgress and gradingProgress must be from their vocabularies", None
    try:
        stamp = datetime.fromisoformat(str(score.get("timestamp")))
    except ValueError:
        return "timestamp must be ISO 8601", None
    if stamp.tzinfo is None:
        return "timestamp needs a time zone", None
    if "scoreGiven" in score:
        given, maximum = score.get("scoreGiven"), score.get("scoreMaximum")
        if not isinstance(given, int | float) or given < 0 or not isinstance(maximum, int | float) or maximum <= 0:
            return "scoreGiven >= 0 needs scoreMaximum > 0", None
    return None, stamp


def create_platform_app(sandbox: SandboxState) -> Starlette:
    """The LTI platform's routes (mounted at ``PLATFORM_PATH``); its state is ``app.state.lti_platform``."""
    state = PlatformState(sandbox=sandbox)
    p = _Platform(state)
    ctx = "/contexts/{context}"
    app = Starlette(routes=[
        Route("/launch", p.launch_start, methods=["GET"]),
        Route("/auth", p.auth, methods=["GET", "POST"]),
        Route("/jwks", p.jwks, methods=["GET"]),
        Route("/token", p.token, methods=["POST"]),
        Route("/deep_links", p.deep_link_return, methods=["POST"]),
        Route(ctx + "/memberships", p.memberships, methods=["GET"]),
        Route(ctx + "/lineitems", p.lineitems, methods=["GET", "POST"]),
        Route(ctx + "/lineitems/{item}", p.lineitem, methods=["GET"]),
        Route(ctx + "/lineitems/{item}/scores", p.scores, methods=["POST"]),
        Route(ctx + "/lineitems/{item}/results", p.results, methods=["GET"]),
    ])
    app.state.lti_platform = state
    return app
