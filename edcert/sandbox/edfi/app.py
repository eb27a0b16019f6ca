"""The Ed-Fi API of the reference sandbox (ODS/API 7.2 behaviour, Data Standard 5 slice of ``fixtures/edfi.py``).

Mounted by the root app under ``/edfi``; everything below is relative to that root:

- ``GET /`` the discovery document (anonymous, absolute URLs);
- ``POST /oauth/token`` client credentials by HTTP Basic or form body, RFC 6749 errors;
- ``GET /metadata/data/v3/dependencies``, ``GET /metadata/data/v3`` (openApiMetadata list) and
  ``GET /metadata/data/v3/resources/swagger.json`` (OpenAPI 3.0, generated from the model);
- ``/data/v3/ed-fi/{resource}[/{id}]`` GET (natural-key queries, offset/limit, totalCount, change versions),
  POST (upsert), PUT, DELETE; ``/{resource}/deletes`` and ``/{resource}/keyChanges``;
- ``GET /changeQueries/v1/availableChangeVersions``;
- ``GET /_edcert/recording`` every request received (for client mode) and ``GET /_edcert/scripted-client``
  which scripted-client variant the demo vendor plays (both need a token of the sandbox's own client).

It plays two roles: an Ed-Fi host certified in host mode, and the Ed-Fi target a SIS publishes to in client
mode. For the SIS client (``SIS_CLIENT_ID``) only, it injects one 500 (first POST of a student) and one 429
(first POST of a section) and throttles floods (more than ``FLOOD_LIMIT`` requests in ``FLOOD_WINDOW``
seconds). Choices: errors are RFC 9457 problem details (7.2 form); an unresolved reference answers 409;
natural-key values and required fields are validated, other content is stored as sent (so client mode sees
what the client sent).
"""
from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import hmac
import itertools
import json
import random
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from edcert.fixtures.districts import District
from edcert.fixtures.edfi import (
    DEPENDENCY_ORDER,
    DESCRIPTOR_VALUES,
    RESOURCES,
    Resource,
    descriptor_values,
    get_path,
    natural_key,
    seed_data,
)
from edcert.sandbox.edfi import FUZZ_FAR_OFFSET, FUZZ_HUGE_OFFSET
from edcert.sandbox.edfi.openapi import openapi_document
from edcert.sandbox.state import SandboxState, TokenStore

SIS_CLIENT_ID = "edcert-sis"
SIS_CLIENT_SECRET = "edcert-sis-secret"
TOKEN_TTL = 1800
DEFAULT_LIMIT = 25
MAX_LIMIT = 500
FLOOD_LIMIT = 50  # requests from the SIS client within FLOOD_WINDOW seconds before it is throttled
FLOOD_WINDOW = 2.0
DATA = "/data/v3"
PREFIX = DATA + "/ed-fi"
JSONType = dict[str, Any]
Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass
class Item:
    id: str
    data: JSONType
    etag: str
    modified: str
    change_version: int


@dataclass
class EdFiStore:
    """All records, by resource and id, with the change-version history."""

    items: dict[str, dict[str, Item]] = field(default_factory=dict)
    version: int = 0
    deletes: dict[str, list[JSONType]] = field(default_factory=dict)
    key_changes: dict[str, list[JSONType]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def next_version(self) -> int:
        self.version += 1
        return self.version

    def new_id(self, resource: str) -> str:
        # deterministic ids: same seed, same ids (uuid5 of a counter)
        return uuid.uuid5(uuid.NAMESPACE_URL, f"edcert-edfi/{resource}/{next(self._ids)}").hex

    def put(self, resource: Resource, data: JSONType, item_id: str | None = None) -> Item:
        version = self.next_version()
        item = Item(id=item_id or self.new_id(resource.name), data=data, etag=f'"{version}"',
                    modified=_now(), change_version=version)
        self.items.setdefault(resource.name, {})[item.id] = item
        return item

    def find(self, resource: Resource, key: tuple[Any, ...]) -> Item | None:
        for item in self.items.get(resource.name, {}).values():
            if natural_key(resource, item.data) == key:
                return item
        return None

    def delete(self, resource: Resource, item: Item) -> None:
        del self.items[resource.name][item.id]
        self.deletes.setdefault(resource.name, []).append({
            "id": item.id, "changeVersion": self.next_version(),
            "keyValues": {p.rsplit(".", 1)[-1]: v for p, v in zip(resource.key, natural_key(resource, item.data),
                                                                     strict=True)}})


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def seeded_store(district: District | None = None) -> EdFiStore:
    """The synthetic district, with one delete and one key change already in the change history."""
    store = EdFiStore()
    data = seed_data(district)
    for name in DEPENDENCY_ORDER:
        for record in data[name]:
            store.put(RESOURCES[name], copy.deepcopy(record))
    ssa = RESOURCES["studentSectionAssociations"]
    store.delete(ssa, next(iter(store.items[ssa.name].values())))
    sch = RESOURCES["studentSchoolAssociations"]
    first = next(iter(store.items[sch.name].values()))
    old = {p.rsplit(".", 1)[-1]: v for p, v in zip(sch.key, natural_key(sch, first.data), strict=True)}
    first.data["entryDate"] = "2026-08-18"
    first.change_version = store.next_version()
    store.key_changes.setdefault(sch.name, []).append({
        "id": first.id, "changeVersion": first.change_version, "oldKeyValues": old,
        "newKeyValues": {**old, "entryDate": "2026-08-18"}})
    return store


@dataclass
class Recorded:
    """One request the Ed-Fi sandbox received (what client-mode checks read)."""

    seq: int
    at: float
    method: str
    path: str
    query: str
    status: int = 0
    client: str | None = None
    token: str | None = None  # a fingerprint, never the token
    resource: str | None = None
    key: list[Any] | None = None
    body: Any = None
    note: str | None = None  # injected-500, injected-429, throttled, unresolved-reference, token-issued
    item: str | None = None  # the id of the item written or deleted
    expires_at: float | None = None

    def as_dict(self) -> JSONType:
        return dict(self.__dict__)


@dataclass
class EdFiState:
    sandbox: SandboxState
    store: EdFiStore
    tokens: TokenStore
    clock: Callable[[], float] = time.monotonic
    recording: list[Recorded] = field(default_factory=list)
    injected: set[str] = field(default_factory=set)
    recent: deque[float] = field(default_factory=deque)
    started: float = 0.0

    def faulty(self, name: str) -> bool:
        return self.sandbox.faulty(name)

    def client_variant(self) -> str | None:
        from edcert.sandbox.edfi.faults import CLIENT_VARIANT_PREFIX

        names = sorted(f for f in self.sandbox.faults if f.startswith(CLIENT_VARIANT_PREFIX))
        return names[0][len(CLIENT_VARIANT_PREFIX):] if names else None


def _fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:12]


# -- responses ---------------------------------------------------------------------------------------------

_TITLES = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
           409: "Conflict", 412: "Precondition Failed", 429: "Too Many Requests", 500: "Internal Server Error"}


def problem(st: EdFiState, status: int, kind: str, detail: str, errors: list[str] | None = None,
            headers: dict[str, str] | None = None) -> Response:
    """An RFC 9457 problem details answer in the ODS/API 7.2 form (``urn:ed-fi:api:`` types)."""
    if st.faulty("edfi.errors.plain-text"):
        return PlainTextResponse(detail, status_code=status, headers=headers)
    body: JSONType = {"detail": detail, "type": "urn:ed-fi:api:" + kind, "title": _TITLES.get(status, "Error"),
                      "status": status, "correlationId": uuid.uuid4().hex, "errors": errors or []}
    if st.faulty("edfi.errors.wrong-problem-type"):
        body["type"] = "about:blank"
    return JSONResponse(body, status_code=status, headers=headers, media_type="application/problem+json")


def not_found_problem() -> Response:
    """The 404 problem details of a path no route matches (e.g. an id holding a newline or a slash)."""
    return JSONResponse({"detail": "The specified resource could not be found.", "type": "urn:ed-fi:api:not-found",
                         "title": _TITLES[404], "status": 404, "correlationId": uuid.uuid4().hex, "errors": []},
                        status_code=404, media_type="application/problem+json")


def _root(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}{request.scope.get('root_path', '')}"


# -- discovery and metadata --------------------------------------------------------------------------------

def discovery(st: EdFiState) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        if st.faulty("edfi.discovery.missing"):
            return PlainTextResponse("Not Found", status_code=404)
        if st.faulty("edfi.discovery.not-json"):
            return Response("<html><body>Welcome to the Ed-Fi API</body></html>", media_type="text/html")
        if st.faulty("edfi.discovery.requires-token") and _client(st, request) is None:
            return problem(st, 401, "security:authentication", "Authorization header is missing.")
        root = "" if st.faulty("edfi.discovery.relative-urls") else _root(request)
        doc: JSONType = {
            "version": "7.2", "informationalVersion": "7.2", "suite": "3", "build": "7.2.0.0",
            "apiMode": "Sandbox", "applicationName": "edcert Ed-Fi sandbox",
            "dataModels": [{"name": "Ed-Fi", "version": "5.0.0", "informationalVersion": "The Ed-Fi Data Standard"}],
            "urls": {"dependencies": f"{root}/metadata{DATA}/dependencies",
                     "openApiMetadata": f"{root}/metadata{DATA}",
                     "oauth": f"{root}/oauth/token",
                     "dataManagementApi": f"{root}{DATA}/",
                     "changeQueries": f"{root}/changeQueries/v1/"},
        }
        if st.faulty("edfi.discovery.relative-urls"):  # relative to the root: "oauth/token", "data/v3/"...
            doc["urls"] = {name: url.lstrip("/") for name, url in doc["urls"].items()}
        if st.faulty("edfi.discovery.no-data-models"):
            del doc["dataModels"]
        return JSONResponse(doc)
    return endpoint


def dependencies(st: EdFiState) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        if st.faulty("edfi.metadata.no-dependencies"):
            return problem(st, 404, "not-found", "The requested metadata does not exist.")
        return JSONResponse([{"resource": f"/ed-fi/{name}", "order": n + 1, "operations": ["Create", "Update"]}
                             for n, name in enumerate(DEPENDENCY_ORDER)])
    return endpoint


def openapi_list(st: EdFiState) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        root = _root(request)
        return JSONResponse([{"name": "Resources", "prefix": "",
                              "endpointUri": f"{root}/metadata{DATA}/resources/swagger.json"}])
    return endpoint


def openapi_spec(st: EdFiState) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        if st.faulty("edfi.metadata.openapi-not-json"):
            return Response("<html>Swagger UI</html>", media_type="text/html")
        examples = {name: [i.data for i in itertools.islice(items.values(), 1)]
                    for name, items in st.store.items.items()}
        document = openapi_document(_root(request), examples)
        if st.faulty("edfi.ownspec.document-omits-404"):
            for path, item in document["paths"].items():
                if path.endswith("/{id}"):
                    item["get"]["responses"].pop("404", None)
        return JSONResponse(document)
    return endpoint


# -- OAuth 2.0 ---------------------------------------------------------------------------------------------

def _oauth_error(status: int, error: str, description: str) -> Response:
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="edcert-edfi"'
    return JSONResponse({"error": error, "error_description": description}, status_code=status, headers=headers)


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (unquote_plus(client_id), unquote_plus(secret)) if sep else None


def token(st: EdFiState) -> Endpoint:
    clients = {st.sandbox.client_id: st.sandbox.client_secret, SIS_CLIENT_ID: SIS_CLIENT_SECRET}

    async def endpoint(request: Request) -> Response:
        raw = (await request.body()).decode("utf-8", "replace")
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        form: dict[str, str] = {}
        if ctype == "application/json":  # the ODS/API accepts a JSON body too
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = None
            form = {k: str(v) for k, v in parsed.items()} if isinstance(parsed, dict) else {}
        elif ctype == "application/x-www-form-urlencoded":
            form = dict(parse_qsl(raw, keep_blank_values=True))
        else:
            return _oauth_error(400, "invalid_request", "the body must be a form or JSON")
        header = request.headers.get("authorization")
        if header is not None:
            if st.faulty("edfi.auth.basic-refused"):
                return _oauth_error(400, "invalid_request", "HTTP Basic client authentication is not supported")
            if "client_secret" in form:
                return _oauth_error(400, "invalid_client", "use one client authentication method, not two")
            creds = _basic(header)
            if creds is None:
                return _oauth_error(401, "invalid_client", "malformed Basic credentials")
        elif "client_id" in form and "client_secret" in form:
            if st.faulty("edfi.auth.form-body-refused"):
                return _oauth_error(401, "invalid_client", "client authentication is required")
            creds = (form["client_id"], form["client_secret"])
        else:
            return _oauth_error(401, "invalid_request", "client authentication is required")
        client_id, secret = creds
        request.state.edfi_client = client_id
        expected = clients.get(client_id)
        if expected is None or not hmac.compare_digest(secret.encode(), expected.encode()):
            if st.faulty("edfi.auth.bad-client-400"):
                return JSONResponse({"message": "Bad credentials"}, status_code=400)
            return _oauth_error(401, "invalid_client", "unknown client or wrong secret")
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type" if form.get("grant_type") else "invalid_request",
                                "grant_type must be client_credentials")
        issued = st.tokens.issue(client_id, ())
        request.state.edfi_note = "token-issued"
        request.state.edfi_token = _fingerprint(issued)
        request.state.edfi_expires = st.clock() - st.started + st.tokens.ttl
        body: JSONType = {"access_token": issued, "token_type": "bearer"}
        if not st.faulty("edfi.auth.no-expires-in"):
            body["expires_in"] = st.tokens.ttl
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
    return endpoint


def _client(st: EdFiState, request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    request.state.edfi_token = _fingerprint(value.strip())
    issued = st.tokens.lookup(value.strip())
    return None if issued is None else issued.client_id


# -- resources ---------------------------------------------------------------------------------------------

def _public(item: Item, st: EdFiState) -> JSONType:
    return {"id": item.id, **item.data, "_etag": item.etag.strip('"'), "_lastModifiedDate": item.modified}


def _int_param(st: EdFiState, request: Request, name: str, default: int, low: int, high: int | None
               ) -> int | Response:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if name == "offset" and value < low and st.faulty("edfi.fuzz.invalid-offset-accepted"):
        return default
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        return problem(st, 400, "bad-request:parameter-validation-failed",
                       "The request parameters are invalid.", [f"{name.capitalize()} must be a value {bound}."])
    return value


def _matches(resource: Resource, item: Item, params: dict[str, str]) -> bool:
    for path, param in resource.query_params.items():
        if param in params and str(get_path(item.data, path)) != params[param]:
            return False
    for name, value in params.items():
        if name in resource.query_params.values() or name in _PAGING:
            continue
        if name in item.data and not isinstance(item.data[name], dict | list) and str(item.data[name]) != value:
            return False
    return True


_HEX = frozenset("0123456789abcdefABCDEF")
_PAGING = {"offset", "limit", "totalCount", "minChangeVersion", "maxChangeVersion"}


def _list(st: EdFiState, resource: Resource, request: Request) -> Response:
    high = None if st.faulty("edfi.paging.limit-above-max-accepted") else MAX_LIMIT
    default = 10_000 if st.faulty("edfi.paging.default-unbounded") else DEFAULT_LIMIT
    limit = _int_param(st, request, "limit", default, 0, high)
    offset = _int_param(st, request, "offset", 0, 0, None)
    low_v = _int_param(st, request, "minChangeVersion", 0, 0, None)
    high_v = _int_param(st, request, "maxChangeVersion", 2**62, 0, None)
    for value in (limit, offset, low_v, high_v):
        if isinstance(value, Response):
            return value
    assert isinstance(limit, int) and isinstance(offset, int) and isinstance(low_v, int) and isinstance(high_v, int)
    total = request.query_params.get("totalCount")
    if total is not None and total.lower() not in ("true", "false"):  # the published spec says boolean
        return problem(st, 400, "bad-request:parameter-validation-failed", "The request parameters are invalid.",
                       ["TotalCount must be true or false."])
    if offset > FUZZ_HUGE_OFFSET and st.faulty("edfi.fuzz.undocumented-status-on-huge-offset"):
        return problem(st, 416, "range-not-satisfiable", "The offset is beyond the collection.")
    keys = [request.query_params.get(p) or "" for p in resource.query_params.values()]
    if not all(k.isascii() for k in keys) and st.faulty("edfi.fuzz.server-error-on-non-ascii-key"):
        return problem(st, 500, "internal-server-error", "An unexpected error occurred.")
    params = dict(request.query_params)
    if st.faulty("edfi.query.natural-key-ignored"):
        params = {k: v for k, v in params.items() if k in _PAGING}
    items = [i for i in st.store.items.get(resource.name, {}).values() if _matches(resource, i, params)]
    if not st.faulty("edfi.changes.min-version-ignored"):
        items = [i for i in items if low_v <= i.change_version <= high_v]
    if st.faulty("edfi.paging.unstable-order"):
        random.Random(len(st.recording)).shuffle(items)  # noqa: S311 - a different order per request, not security
    page = items[offset:offset + limit]
    headers = {}
    counted = (total or "").lower()
    if counted == "true" and not st.faulty("edfi.paging.no-total-count"):
        headers["Total-Count"] = str(len(items))
        if limit < MAX_LIMIT and st.faulty("edfi.fuzz.total-count-not-a-number"):
            headers["Total-Count"] = "many"
    served = [_public(i, st) for i in page]
    if offset > FUZZ_FAR_OFFSET and st.faulty("edfi.fuzz.text-content-type-on-far-offset"):
        return JSONResponse(served, headers=headers, media_type="text/plain")
    return JSONResponse(served, headers=headers)


def _validate(st: EdFiState, resource: Resource, body: Any) -> Response | None:
    if not isinstance(body, dict):
        return problem(st, 400, "bad-request", "The request body is not a JSON object.")
    if "id" in body:
        return problem(st, 400, "bad-request:data-validation-failed", "Data validation failed.",
                       ["Resource identifiers cannot be assigned by the client."])
    missing = [f for f in resource.required if body.get(f) in (None, [], {})]
    missing += [p for p in resource.key if get_path(body, p) in (None, "")]
    if missing:
        return problem(st, 400, "bad-request:data-validation-failed", "Data validation failed.",
                       [f"{m} is required." for m in dict.fromkeys(missing)])
    for target, value in descriptor_values(resource, body):
        if not isinstance(value, str) or "#" not in value:
            return problem(st, 400, "bad-request:data-validation-failed", "Data validation failed.",
                           [f"{target} value {value!r} is not a descriptor URI."])
        namespace, _, code = value.partition("#")
        if namespace.startswith("uri://ed-fi.org/") and code not in DESCRIPTOR_VALUES[target]:
            return problem(st, 400, "bad-request:data-validation-failed", "Data validation failed.",
                           [f"{target[:-1]} value '{value}' does not exist."])
    return None


def _unresolved(st: EdFiState, resource: Resource, body: JSONType) -> str | None:
    for ref in resource.references:
        obj = body.get(ref.name)
        target = RESOURCES[ref.target]
        wanted = ref.resolve or ref.fields
        if not isinstance(obj, dict):
            continue
        found = any(all(get_path(i.data, p) == obj.get(p.rsplit(".", 1)[-1]) for p in target.key
                        if p.rsplit(".", 1)[-1] in wanted)
                    for i in st.store.items.get(target.name, {}).values())
        if not found:
            return ref.target
    return None


def _referencing(st: EdFiState, resource: Resource, item: Item) -> bool:
    for other in RESOURCES.values():
        for ref in other.references:
            if ref.target != resource.name:
                continue
            wanted = ref.resolve or ref.fields
            values = {p.rsplit(".", 1)[-1]: get_path(item.data, p) for p in resource.key}
            for child in st.store.items.get(other.name, {}).values():
                obj = child.data.get(ref.name)
                if isinstance(obj, dict) and all(obj.get(f) == values.get(f) for f in wanted if f in values):
                    return True
    return False


def _location(request: Request, resource: Resource, item: Item) -> str:
    return f"{_root(request)}{PREFIX}/{resource.name}/{item.id}"


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError:
        return None


async def _post(st: EdFiState, resource: Resource, request: Request) -> Response:
    body = await _json(request)
    invalid = _validate(st, resource, body)
    if invalid is not None:
        return invalid
    key = natural_key(resource, body)
    request.state.edfi_key = list(key)
    request.state.edfi_body = body
    if _is_sis(request):
        for fault_resource, status in (("students", 500), ("sections", 429)):
            if resource.name == fault_resource and fault_resource not in st.injected:
                st.injected.add(fault_resource)
                request.state.edfi_note = f"injected-{status}"
                if status == 429:
                    return problem(st, 429, "too-many-requests", "Slow down.", headers={"Retry-After": "1"})
                return problem(st, 500, "internal-server-error", "An unexpected error occurred (injected).")
    if _unresolved(st, resource, body) is not None and not st.faulty("edfi.write.unresolved-reference-accepted"):
        request.state.edfi_note = "unresolved-reference"
        return problem(st, 409, "data-conflict:unresolved-reference", "The referenced item does not exist.",
                       [f"The referenced '{_unresolved(st, resource, body)}' item does not exist."])
    existing = st.store.find(resource, key)
    if existing is None:
        item = st.store.put(resource, body)
        status = 200 if st.faulty("edfi.write.post-new-200") else 201
    else:
        item = st.store.put(resource, body, existing.id)
        status = 201 if st.faulty("edfi.write.repost-201") else 200
    headers = {"ETag": item.etag}
    request.state.edfi_item = item.id
    if not st.faulty("edfi.write.no-location"):
        headers["Location"] = _location(request, resource, item)
    return Response(status_code=status, headers=headers)


def collection(st: EdFiState) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        resource = _resource(request)
        if resource is None or (resource.name == "sections" and st.faulty("edfi.resources.sections-missing")):
            return problem(st, 404, "not-found", "The specified resource could not be found.")
        request.state.edfi_resource = resource.name
        if request.method == "POST":
            return await _post(st, resource, request)
        return _list(st, resource, request)
    return endpoint


def _resource(request: Request) -> Resource | None:
    return RESOURCES.get(request.path_params["resource"])


def single(st: EdFiState) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        resource = _resource(request)
        if resource is None:
            return problem(st, 404, "not-found", "The specified resource could not be found.")
        request.state.edfi_resource = resource.name
        item_id = request.path_params["id"]
        if item_id in ("deletes", "keyChanges"):
            return _changes(st, resource, item_id)
        items = st.store.items.get(resource.name, {})
        item = items.get(item_id)
        if request.method == "GET":
            if item is None:
                deleted = any(d["id"] == item_id for d in st.store.deletes.get(resource.name, []))
                if st.faulty("edfi.resources.unknown-id-200") and items and not deleted:  # ids never issued
                    return JSONResponse(_public(next(iter(items.values())), st))
                if st.faulty("edfi.fuzz.odd-id-error-off-schema") and not all(c in _HEX for c in item_id):
                    return JSONResponse({"error": "not found"}, status_code=404)
                return problem(st, 404, "not-found", "The specified resource could not be found.")
            if st.faulty("edfi.resources.get-by-id-wrong-item") and len(items) > 1:
                item = next(i for i in items.values() if i.id != item_id)
            headers = {} if st.faulty("edfi.etag.missing") else {"ETag": item.etag}
            return JSONResponse(_public(item, st), headers=headers)
        if item is not None:
            request.state.edfi_key = list(natural_key(resource, item.data))
            request.state.edfi_item = item.id
        stale = _stale(st, request, item)
        if request.method == "PUT":
            return await _put(st, resource, request, item, item_id, stale)
        if item is None:
            return problem(st, 404, "not-found", "The specified resource could not be found.")
        if stale is not None:
            return stale
        if _referencing(st, resource, item) and not st.faulty("edfi.write.delete-referenced-allowed"):
            return problem(st, 409, "data-conflict:dependent-item-exists",
                           "The requested action cannot be performed because this item is referenced by "
                           "another item.")
        if not st.faulty("edfi.write.delete-keeps-item"):
            st.store.delete(resource, item)
        return Response(status_code=204)
    return endpoint


def _stale(st: EdFiState, request: Request, item: Item | None) -> Response | None:
    wanted = request.headers.get("if-match")
    if item is None or wanted is None or wanted == item.etag or st.faulty("edfi.etag.if-match-ignored"):
        return None
    return problem(st, 412, "optimistic-lock-failed", "The item has been modified by another user.")


async def _put(st: EdFiState, resource: Resource, request: Request, item: Item | None, item_id: str,
               stale: Response | None) -> Response:
    body = await _json(request)
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k != "id"}  # the id of the URL wins; a matching body id is fine
        request.state.edfi_body = body
    invalid = _validate(st, resource, body)
    if invalid is not None:
        return invalid
    if item is None:
        if st.faulty("edfi.write.put-unknown-creates"):
            created = st.store.put(resource, body)
            return Response(status_code=201, headers={"ETag": created.etag})
        return problem(st, 404, "not-found", "The specified resource could not be found.")
    if stale is not None:
        return stale
    if _unresolved(st, resource, body) is not None:
        return problem(st, 409, "data-conflict:unresolved-reference", "The referenced item does not exist.")
    old_key, new_key = natural_key(resource, item.data), natural_key(resource, body)
    if old_key != new_key:
        if not resource.updatable_key:
            return problem(st, 400, "bad-request:key-change-not-supported",
                           "Key changes are not supported for this resource.")
        st.store.key_changes.setdefault(resource.name, []).append({
            "id": item.id, "changeVersion": st.store.version + 1,
            "oldKeyValues": dict(zip(resource.query_params.values(), old_key, strict=True)),
            "newKeyValues": dict(zip(resource.query_params.values(), new_key, strict=True))})
    updated = st.store.put(resource, body, item.id)
    if st.faulty("edfi.write.put-200"):
        return JSONResponse(_public(updated, st), headers={"ETag": updated.etag})
    return Response(status_code=204, headers={"ETag": updated.etag})


def _changes(st: EdFiState, resource: Resource, kind: str) -> Response:
    if kind == "keyChanges":
        if st.faulty("edfi.changes.no-key-changes"):
            return problem(st, 404, "not-found", "The specified resource could not be found.")
        return JSONResponse(st.store.key_changes.get(resource.name, []))
    rows = st.store.deletes.get(resource.name, [])
    if st.faulty("edfi.changes.deletes-no-key-values"):
        rows = [{k: v for k, v in r.items() if k != "keyValues"} for r in rows]
    return JSONResponse(rows)


def available_versions(st: EdFiState) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        if st.faulty("edfi.changes.no-available-versions"):
            return problem(st, 404, "not-found", "The specified resource could not be found.")
        return JSONResponse({"OldestChangeVersion": 0, "NewestChangeVersion": st.store.version})
    return endpoint


# -- client-mode control endpoints -------------------------------------------------------------------------

def recording(st: EdFiState) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        if _client(st, request) != st.sandbox.client_id:
            return problem(st, 401, "security:authentication", "The sandbox's own client token is required.")
        return JSONResponse({"sis_client_id": SIS_CLIENT_ID, "token_ttl": st.tokens.ttl,
                             "requests": [r.as_dict() for r in st.recording]})
    return endpoint


def scripted_client(st: EdFiState) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        if _client(st, request) != st.sandbox.client_id:
            return problem(st, 401, "security:authentication", "The sandbox's own client token is required.")
        return JSONResponse({"variant": st.client_variant()})
    return endpoint


# -- authentication, recording, throttling around every endpoint -------------------------------------------

def _is_sis(request: Request) -> bool:
    return getattr(request.state, "edfi_client", None) == SIS_CLIENT_ID


def guarded(st: EdFiState, endpoint: Endpoint, *, anonymous: bool = False) -> Endpoint:
    """Authenticate (unless ``anonymous``), throttle a flooding SIS client, record the exchange."""

    async def wrapper(request: Request) -> Response:
        entry = Recorded(seq=len(st.recording), at=round(st.clock() - st.started, 4), method=request.method,
                         path=request.url.path[len(request.scope.get("root_path", "")):] or "/",
                         query=request.url.query)
        st.recording.append(entry)
        client = _client(st, request)
        request.state.edfi_client = client
        response = await _answer(st, request, endpoint, client, anonymous)
        entry.status = response.status_code
        for attr, name in (("client", "edfi_client"), ("token", "edfi_token"), ("resource", "edfi_resource"),
                           ("key", "edfi_key"), ("body", "edfi_body"), ("note", "edfi_note"),
                           ("expires_at", "edfi_expires"), ("item", "edfi_item")):
            setattr(entry, attr, getattr(request.state, name, None))
        return response

    return wrapper


async def _answer(st: EdFiState, request: Request, endpoint: Endpoint, client: str | None, anonymous: bool
                  ) -> Response:
    if client == SIS_CLIENT_ID:
        now = st.clock()
        st.recent.append(now)
        while st.recent and st.recent[0] < now - FLOOD_WINDOW:
            st.recent.popleft()
        if len(st.recent) > FLOOD_LIMIT:
            request.state.edfi_note = "throttled"
            return problem(st, 429, "too-many-requests", "Too many requests: slow down.",
                           headers={"Retry-After": "1"})
    unguarded = st.faulty("edfi.auth.no-token-accepted") or (
        request.method == "GET" and str(request.path_params.get("resource", "")).endswith("Descriptors")
        and st.faulty("edfi.fuzz.descriptors-no-auth"))
    if not anonymous and client is None and not unguarded:
        return problem(st, 401, "security:authentication", "Authorization denied: a valid bearer token is required.",
                       headers={"WWW-Authenticate": 'Bearer realm="edcert-edfi"'})
    return await endpoint(request)


def create_edfi_app(sandbox: SandboxState, district: District | None = None, *, token_ttl: int = TOKEN_TTL,
                    clock: Callable[[], float] = time.monotonic) -> Starlette:
    """The Ed-Fi API over ``district`` (the small synthetic one by default); ``sandbox`` carries the client
    credentials and the faults."""
    st = EdFiState(sandbox=sandbox, store=seeded_store(district), tokens=TokenStore(ttl=token_ttl, clock=clock),
                   clock=clock)
    st.started = clock()
    routes = [
        Route("/", guarded(st, discovery(st), anonymous=True), methods=["GET"]),
        Route("/oauth/token", guarded(st, token(st), anonymous=True), methods=["POST"]),
        Route(f"/metadata{DATA}/dependencies", guarded(st, dependencies(st), anonymous=True), methods=["GET"]),
        Route(f"/metadata{DATA}", guarded(st, openapi_list(st), anonymous=True), methods=["GET"]),
        Route(f"/metadata{DATA}/resources/swagger.json", guarded(st, openapi_spec(st), anonymous=True),
              methods=["GET"]),
        Route("/changeQueries/v1/availableChangeVersions", guarded(st, available_versions(st)), methods=["GET"]),
        Route(PREFIX + "/{resource}", guarded(st, collection(st)), methods=["GET", "POST"]),
        Route(PREFIX + "/{resource}/{id}", guarded(st, single(st)), methods=["GET", "PUT", "DELETE"]),
        Route("/_edcert/recording", guarded(st, recording(st), anonymous=True), methods=["GET"]),
        Route("/_edcert/scripted-client", guarded(st, scripted_client(st), anonymous=True), methods=["GET"]),
    ]
    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if status == 404:
            return problem(st, 404, "not-found", "The specified resource could not be found.")
        if status == 405:
            return problem(st, 405, "method-not-allowed", "The request method is not supported on this path.")
        return problem(st, status, "bad-request", "The request could not be processed.")

    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error})
    app.state.edfi = st
    return app
