"""The OneRoster 1.1 Rostering provider of the reference sandbox, under ``/ims/oneroster/v1p1``.

It is the 1.2 provider (``app.py``: the same 41 GET operations, the same query engine for paging,
filter, sort and fields) over the same district converted to the 1.1 shapes, with what 1.1 does
differently:

- auth: every request is verified as OAuth 1.0a two-legged signed (``oauth1.py``: HMAC-SHA1 or
  HMAC-SHA256, a 300 s timestamp window, no nonce twice); an OAuth 2.0 bearer token issued with the
  v1p1 scopes is accepted too (core: roster-core.readonly or roster.readonly, demographics:
  roster-demographics.readonly, nested: roster.readonly);
- records: a user has a single ``role`` (1.1 vocabulary: the 1.2 administrator roles become
  ``administrator``) and an ``orgs`` list (the orgs of that role), a required ``username``, and none of
  the 1.2 additions (primaryOrg, userProfiles, preferred names, pronouns...); ``sex`` is male or
  female (the 1.2 values unspecified and other are left out); GUIDRef hrefs point under v1p1;
- errors: the 1.1 envelope ``{"statusInfoSet": [{imsx_codeMajor, imsx_severity, imsx_description,
  imsx_CodeMinor}]}``;
- the 1.1 leniencies: an unknown ``sort`` field or ``fields`` name answers 200 (default order, the
  known fields) with a ``statusInfoSet`` warning (codeMinor invalid_sort_field /
  invalid_selection_field) next to the records.

Faults: the 1.2 provider reads its fault names (``oneroster.<x>``); here each is read as
``oneroster11.<x>`` (``V1p1Faults``), so a 1.1 fault of the same name breaks the 1.1 provider alone.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from edcert.fixtures.districts import ROSTERING_BASE, District
from edcert.sandbox.faults import FAULTS
from edcert.sandbox.oauth1 import OAuth1Verifier
from edcert.sandbox.oneroster import model
from edcert.sandbox.oneroster.app import CORE, DEMOGRAPHICS, NESTED, ODD_SORT_OK, OneRosterProvider
from edcert.sandbox.oneroster.model import Prop, Shape
from edcert.sandbox.oneroster.query import INVALID_SELECTION_FIELD, QueryError, parse_fields, valid_path
from edcert.sandbox.state import SandboxState

JSON = dict[str, Any]
V1P1_BASE = "/ims/oneroster/v1p1"
PREFIX = "oneroster11."
SCOPE_PREFIX = "https://purl.imsglobal.org/spec/or/v1p1/scope/"
SCOPE_ROSTER_CORE = SCOPE_PREFIX + "roster-core.readonly"
SCOPE_ROSTER = SCOPE_PREFIX + "roster.readonly"
SCOPE_DEMOGRAPHICS = SCOPE_PREFIX + "roster-demographics.readonly"
V1P1_SCOPES: tuple[str, ...] = (SCOPE_ROSTER_CORE, SCOPE_ROSTER, SCOPE_DEMOGRAPHICS)
ACCEPTED_SCOPES = {
    CORE: frozenset({SCOPE_ROSTER_CORE, SCOPE_ROSTER}),
    DEMOGRAPHICS: frozenset({SCOPE_DEMOGRAPHICS}),
    NESTED: frozenset({SCOPE_ROSTER}),
}
USER_ROLES_V1P1 = ("administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher")
_ROLE_V1P1 = {"districtAdministrator": "administrator", "siteAdministrator": "administrator",
              "systemAdministrator": "administrator", "principal": "administrator", "counselor": "administrator"}
_V1P2_ONLY_USER = ("roles", "primaryOrg", "userMasterIdentifier", "preferredFirstName", "preferredMiddleName",
                   "preferredLastName", "pronouns", "userProfiles", "resources")
_S, _RS = Prop("str"), Prop("refs")
USER = Shape("user", {**{k: v for k, v in model.USER.props.items() if k not in _V1P2_ONLY_USER},
                      "role": _S, "orgs": _RS})
SHAPES = {**model.ENTITIES, "user": USER}


class V1p1Faults:
    """The sandbox state as the 1.1 provider sees it: fault ``oneroster.<x>`` is read as ``oneroster11.<x>``."""

    def __init__(self, state: SandboxState) -> None:
        self._state = state
        self.client_id, self.client_secret, self.tokens = state.client_id, state.client_secret, state.tokens

    def faulty(self, name: str) -> bool:
        own = name if name.startswith(PREFIX) else PREFIX + name.removeprefix("oneroster.")
        return own in FAULTS and self._state.faulty(own)


def _href_v1p1(value: Any) -> Any:
    if isinstance(value, dict):
        out = {k: _href_v1p1(v) for k, v in value.items()}
        href = out.get("href")
        if isinstance(href, str) and href.startswith(ROSTERING_BASE + "/"):
            out["href"] = V1P1_BASE + href[len(ROSTERING_BASE):]
        return out
    if isinstance(value, list):
        return [_href_v1p1(v) for v in value]
    return value


def user_v1p1(user: JSON) -> JSON:
    """A 1.2 user as 1.1 has it: one role (its primary one), the orgs of that role, no 1.2-only fields."""
    roles = [r for r in user.get("roles", []) if isinstance(r, dict)]
    primary = next((r for r in roles if r.get("roleType") == "primary"), roles[0] if roles else {})
    role = primary.get("role", "")
    out = {k: v for k, v in user.items() if k not in _V1P2_ONLY_USER}
    out["role"] = _ROLE_V1P1.get(role, role)
    out["orgs"] = [r["org"] for r in roles if r.get("role") == role and isinstance(r.get("org"), dict)]
    return out


def record_v1p1(record: JSON) -> JSON:
    if "enabledUser" in record or "roles" in record:
        record = user_v1p1(record)
    elif "birthDate" in record and record.get("sex") not in (None, "male", "female"):
        record = {k: v for k, v in record.items() if k != "sex"}
    converted: JSON = _href_v1p1(record)
    return converted


def _convert_all(value: Any, memo: dict[int, Any]) -> Any:
    """Every record reachable from a RosterData attribute, converted once (shared records stay shared)."""
    if isinstance(value, dict) and "sourcedId" in value and "status" in value:
        if id(value) not in memo:
            memo[id(value)] = record_v1p1(value)
        return memo[id(value)]
    if isinstance(value, list):
        return [_convert_all(v, memo) for v in value]
    if isinstance(value, dict):
        return {k: _convert_all(v, memo) for k, v in value.items()}
    return value


def _envelope(code_major: str, severity: str, code_minor: str, description: str) -> JSON:
    return {"imsx_codeMajor": code_major, "imsx_severity": severity, "imsx_description": description,
            "imsx_CodeMinor": {"imsx_codeMinorField": [
                {"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": code_minor}]}}


class OneRoster11Provider(OneRosterProvider):
    def __init__(self, district: District, state: SandboxState) -> None:
        self.own_state = state
        super().__init__(district, V1p1Faults(state))  # type: ignore[arg-type]
        memo: dict[int, Any] = {}
        for name, value in list(vars(self.data).items()):
            setattr(self.data, name, _convert_all(value, memo))
        self.verifier = OAuth1Verifier(state.client_id, state.client_secret,
                                       lambda name: state.faulty(f"{PREFIX}auth.{name}"))

    def faulty(self, name: str) -> bool:
        return self.own_state.faulty(PREFIX + name)

    def _output_transforms(self) -> dict[str, list[Callable[[JSON], JSON]]]:
        out = super()._output_transforms()
        faulty = self.faulty

        def without(key: str) -> Callable[[JSON], JSON]:
            return lambda r: {k: v for k, v in r.items() if k != key}

        if faulty("model.org-missing-name"):
            out["org"].append(without("name"))
        if faulty("model.course-missing-title"):
            out["course"].append(without("title"))
        if faulty("model.user-missing-username"):
            out["user"].append(without("username"))
        if faulty("model.user-role-outside-vocabulary"):
            out["user"].append(lambda r: {**r, "role": "paraprofessional"} if r.get("role") == "aide" else r)
        if faulty("model.users-in-v1p2-shape"):

            def v1p2_user(r: JSON) -> JSON:
                orgs: list[JSON] = r["orgs"] if isinstance(r.get("orgs"), list) else []
                roles = [{"roleType": "primary" if i == 0 else "secondary", "role": r.get("role"), "org": org}
                         for i, org in enumerate(orgs)]
                return {**{k: v for k, v in r.items() if k not in ("role", "orgs")}, "roles": roles}

            out["user"].append(v1p2_user)
        if faulty("integrity.dangling-user-org"):
            ghost = {"href": f"{V1P1_BASE}/orgs/00000000-0000-4000-8000-00000000d0e1",
                     "sourcedId": "00000000-0000-4000-8000-00000000d0e1", "type": "org"}
            out["user"].append(lambda r: {**r, "orgs": [*r["orgs"], ghost]}
                               if r.get("role") == "student" and isinstance(r.get("orgs"), list) else r)
        return out

    # -- responses -------------------------------------------------------------

    def status(self, http_status: int, code_minor: str, description: str, **headers: str) -> Response:
        """An error answer with the 1.1 ``statusInfoSet`` envelope."""
        faulty = self.state.faulty
        if http_status == 401 and faulty("oneroster.errors.401-plain-text"):
            return PlainTextResponse("401 Unauthorized: " + description, 401, headers=headers)
        if http_status == 404 and faulty("oneroster.errors.404-plain"):
            return PlainTextResponse("404 Not Found", 404, headers=headers)
        info = _envelope("failure", "error", code_minor, description)
        payload: JSON = info if self.faulty("errors.v1p2-envelope") else {"statusInfoSet": [info]}
        media = "text/plain" if faulty("oneroster.errors.error-content-type-text") else None
        return JSONResponse(payload, status_code=http_status, headers=headers, media_type=media)

    # -- auth ------------------------------------------------------------------

    def authorize(self, request: Request, category: str) -> Response | None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            issued = self.state.tokens.lookup(token.strip())
            if issued is None:
                return self.status(401, "unauthorisedrequest", "the access token is missing, invalid or expired",
                                   **{"WWW-Authenticate": 'Bearer realm="edcert-sandbox", error="invalid_token"'})
            if issued.scopes & ACCEPTED_SCOPES[category]:
                return None
            needed = " or ".join(sorted(ACCEPTED_SCOPES[category]))
            return self.status(403, "forbidden", f"the access token lacks the scope {needed}")
        signed = scheme.lower() == "oauth" or "oauth_signature" in request.query_params
        if not signed and self.faulty("auth.unsigned-accepted"):
            return None
        verdict = self.verifier.verify(str(request.url), request.method, dict(request.headers))
        if verdict.ok:
            return None
        reasons = {
            "parameter_absent": "the request is not signed with OAuth 1.0a",
            "timestamp_refused": "oauth_timestamp is outside the accepted window (timestamp_refused: check the "
                                 "client's clock)",
            "nonce_used": "this oauth_nonce was already used (nonce_used: a replayed request)",
            "consumer_key_unknown": "unknown consumer key",
            "signature_invalid": "the OAuth 1.0a signature does not match the request",
        }
        return self.status(401, "unauthorisedrequest", reasons.get(verdict.problem, verdict.problem),
                           **{"WWW-Authenticate": f'OAuth realm="edcert-sandbox", oauth_problem="{verdict.problem}"'})

    # -- the 1.1 leniencies: unknown sort / fields answered 200 with a warning --------------------------

    def selected_fields(self, request: Request, shape: Shape) -> tuple[str, ...] | None:
        shape = SHAPES[shape.name]
        raw = request.query_params.getlist("fields")
        if not raw:
            return None
        selection = parse_fields(raw, shape)
        if selection.unknown and not self.state.faulty("oneroster.fields.unknown-ignored"):
            if not selection.known:
                raise QueryError(INVALID_SELECTION_FIELD, f"no known field selected for {shape.name}")
            _warn(request, "invalid_selection_field", f"unknown field(s) for {shape.name} ignored: "
                  f"{', '.join(selection.unknown)}")
        if self.state.faulty("oneroster.fields.ignored"):
            return None
        if selection.repeated and self.state.faulty("oneroster.fields.repeated-param-ignored"):
            return None
        return selection.known or None

    def collection(self, request: Request, shape: Shape, key: str, records: list[JSON]) -> Response:
        shape = SHAPES[shape.name]
        sort_field = request.query_params.get("sort")
        if sort_field is not None and not ODD_SORT_OK.fullmatch(sort_field) and self.fuzz_faulty(
                request, "server-error-on-odd-sort"):  # before the 1.1 leniency drops the unknown sort
            return self.status(500, "internal_server_error", "the sort parameter broke the query")
        if sort_field is not None and not valid_path(shape, sort_field.split(".")):
            kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("sort", "orderBy")]
            request = _with_query(request, kept)
            if not self.faulty("sort.unknown-field-silent"):
                _warn(request, "invalid_sort_field", f"unknown sort field for {shape.name} ignored: {sort_field!r}")
        return super().collection(request, shape, key, records)

    def collection_route(self, path: str, category: str, shape: Shape,
                         source: Callable[[dict[str, str]], list[JSON] | None], *, own_key: str | None = None) -> Route:
        return _warning_route(super().collection_route(path, category, shape, source, own_key=own_key))

    def single_route(self, path: str, category: str, shape: Shape, lookup: Callable[[str], JSON | None]) -> Route:
        return _warning_route(super().single_route(path, category, SHAPES[shape.name], lookup))


def _warn(request: Request, code_minor: str, description: str) -> None:
    warnings = getattr(request.state, "warnings", [])
    warnings.append(_envelope("success", "warning", code_minor, description))
    request.state.warnings = warnings


def _with_query(request: Request, pairs: list[tuple[str, str]]) -> Request:
    from urllib.parse import urlencode

    scope = dict(request.scope)
    scope["query_string"] = urlencode(pairs).encode()
    scope["state"] = request.scope.setdefault("state", {})  # warnings land on the original request too
    return Request(scope, request.receive)


def _warning_route(route: Route) -> Route:
    inner = route.endpoint

    async def endpoint(request: Request) -> Response:
        response: Response = await inner(request)
        warnings = getattr(request.state, "warnings", None)
        if not warnings or response.status_code != 200:
            return response
        body = json.loads(bytes(response.body))
        body["statusInfoSet"] = warnings
        headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")}
        return JSONResponse(body, headers=headers)

    return Route(route.path, endpoint, methods=["GET"])


def create_oneroster11_app(district: District, state: SandboxState) -> Starlette:
    """The OneRoster 1.1 Rostering provider as an ASGI app, to mount at ``V1P1_BASE``."""
    return OneRoster11Provider(district, state).app()
