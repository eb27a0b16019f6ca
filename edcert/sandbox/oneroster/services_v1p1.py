"""The OneRoster 1.1 Gradebook and Resources services of the reference sandbox, under ``/ims/oneroster/v1p1``.

1.1 serves every service under the one root the 1.1 rostering provider already answers, so
:func:`create_v1p1_app` puts the Gradebook and Resources routes in front of that provider (its
routes catch everything else). The services are the 1.2 ones (``services.py``: the same derived
gradebook, the same query engine, PUT/DELETE in memory) with what 1.1 does differently:

- only the 1.1 operations: categories, lineItems and results (GET all/one, PUT, DELETE on lineItems and
  results), four class-scoped result/lineItem reads; resources, one resource, and the resources of a
  class or a course (no score scales, assessment profile or /users/{id}/resources);
- records in the 1.1 shapes: a category is a title, a lineItem has a gradingPeriod and no school, a result
  has none of the 1.2 flags; hrefs point under v1p1;
- auth: OAuth 1.0a signatures (``oauth1.py``), or OAuth 2.0 bearer tokens with the v1p1 scopes;
- errors: the 1.1 ``statusInfoSet`` envelope.

Faults: the 1.2 services read ``gradebook.<x>`` / ``resources.<x>``; here each is read as
``gradebook11.<x>`` / ``resources11.<x>`` (``services_v1p1_faults.py``).
"""
from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from edcert.fixtures.districts import ROSTERING_BASE, District
from edcert.sandbox.faults import FAULTS
from edcert.sandbox.oauth1 import OAuth1Verifier
from edcert.sandbox.oneroster.app_v1p1 import SCOPE_PREFIX, V1P1_BASE, OneRoster11Provider, _envelope
from edcert.sandbox.oneroster.services import (
    GB_ALL,
    GB_CORE,
    GB_DELETE,
    GB_PUT,
    GRADEBOOK_BASE,
    RESOURCES_BASE,
    RS_ALL,
    RS_CORE,
    ServicesProvider,
)
from edcert.sandbox.state import SandboxState

JSON = dict[str, Any]
_GRADEBOOK, _RESOURCE = SCOPE_PREFIX + "gradebook.readonly", SCOPE_PREFIX + "resource.readonly"
ACCEPTED_SCOPES_V1P1: dict[str, frozenset[str]] = {
    GB_CORE: frozenset({_GRADEBOOK}), GB_ALL: frozenset({_GRADEBOOK}),
    GB_PUT: frozenset({SCOPE_PREFIX + "gradebook.createput"}),
    GB_DELETE: frozenset({SCOPE_PREFIX + "gradebook.delete"}),
    RS_CORE: frozenset({_RESOURCE}), RS_ALL: frozenset({_RESOURCE}),
}
# the 1.1 properties of each entity (LongsightGroup/oneroster src/v1p1/model/gradebook.ts, resource.ts)
_BASE = ("sourcedId", "status", "dateLastModified", "metadata")
PROPS_V1P1: dict[str, tuple[str, ...]] = {
    "categories": (*_BASE, "title"),
    "lineItems": (*_BASE, "title", "description", "assignDate", "dueDate", "class", "category", "gradingPeriod",
                  "resultValueMin", "resultValueMax"),
    "results": (*_BASE, "lineItem", "student", "scoreStatus", "score", "scoreDate", "comment"),
}
PUT_REQUIRED_V1P1: dict[str, tuple[str, ...]] = {
    "categories": ("title",),
    "lineItems": ("title", "assignDate", "dueDate", "class", "category", "gradingPeriod"),
    "results": ("lineItem", "student", "scoreStatus", "scoreDate"),
}
_C = "/classes/{classSourcedId}"
PATHS_V1P1 = frozenset({
    *(p for e in PROPS_V1P1 for p in (f"/{e}", f"/{e}/{{sourcedId}}")),
    _C + "/lineItems", _C + "/lineItems/{lineItemSourcedId}/results", _C + "/results",
    _C + "/students/{studentSourcedId}/results",
    "/resources", "/resources/{sourcedId}", _C + "/resources", "/courses/{courseSourcedId}/resources",
})
_BASES = (ROSTERING_BASE, GRADEBOOK_BASE, RESOURCES_BASE)


def rebased(value: Any) -> Any:
    """``value`` with every href of a 1.2 service moved under the 1.1 root."""
    if isinstance(value, dict):
        out = {k: rebased(v) for k, v in value.items()}
        href = out.get("href")
        for base in _BASES if isinstance(href, str) else ():
            if href.startswith(base + "/"):
                out["href"] = V1P1_BASE + href[len(base):]
        return out
    if isinstance(value, list):
        return [rebased(v) for v in value]
    return value


class V1p1ServiceFaults:
    """The sandbox state as the 1.1 services see it: ``gradebook.<x>`` is read as ``gradebook11.<x>``."""

    def __init__(self, state: SandboxState) -> None:
        self._state = state

    def __getattr__(self, name: str) -> Any:
        return getattr(self._state, name)

    def faulty(self, name: str) -> bool:
        service, _, rest = name.partition(".")
        own = f"{service}11.{rest}"
        return own in FAULTS and self._state.faulty(own)


class ServicesV1p1Provider(ServicesProvider):
    """Gradebook and Resources 1.1: the 1.2 services in the 1.1 shapes, auth and envelope."""

    accepted_scopes = ACCEPTED_SCOPES_V1P1

    def __init__(self, district: District, state: SandboxState) -> None:
        self.verifier = OAuth1Verifier(state.client_id, state.client_secret, lambda name: False)
        super().__init__(district, V1p1ServiceFaults(state))  # type: ignore[arg-type]  # duck-typed state

    def _derive(self) -> None:
        super()._derive()
        self.tables = {endpoint: {sid: rebased({k: v for k, v in record.items() if k in props})
                                  for sid, record in self.tables[endpoint].items()}
                       for endpoint, props in PROPS_V1P1.items()}
        self.resources = {sid: rebased(record) for sid, record in self.resources.items()}

    def required_on_put(self, endpoint: str) -> tuple[str, ...]:
        return PUT_REQUIRED_V1P1[endpoint]

    def status(self, http_status: int, code_minor: str, description: str, **headers: str) -> Response:
        """An error answer with the 1.1 ``statusInfoSet`` envelope."""
        return JSONResponse({"statusInfoSet": [_envelope("failure", "error", code_minor, description)]},
                            status_code=http_status, headers=headers)

    def authorize(self, request: Request, category: str) -> Response | None:
        """A v1p1 bearer token (the 1.2 check, with the 1.1 scopes), else an OAuth 1.0a signature."""
        scheme = request.headers.get("authorization", "").partition(" ")[0]
        if scheme.lower() == "bearer":
            return super().authorize(request, category)
        verdict = self.verifier.verify(str(request.url), request.method, dict(request.headers))
        if verdict.ok:
            return None
        return self.status(401, "unauthorisedrequest", f"the OAuth 1.0a signature was refused ({verdict.problem})",
                           **{"WWW-Authenticate": f'OAuth realm="edcert-sandbox", oauth_problem="{verdict.problem}"'})

    def authorize_in(self, service: str, request: Request, category: str) -> Response | None:
        denied = super().authorize_in(service, request, category)
        signed = request.headers.get("authorization") is not None
        if denied is not None and denied.status_code == 401 and signed and self._service_fault(
                service, "auth.scope-not-enforced"):
            return None  # 1.1's fault: a signature that does not verify is accepted
        return denied

    def routes_v1p1(self) -> list[BaseRoute]:
        routes = [*self.gradebook_routes(), *self.resources_routes()]
        return [r for r in routes if isinstance(r, Route) and r.path in PATHS_V1P1]


def create_v1p1_app(district: District, state: SandboxState) -> Starlette:
    """Everything under ``V1P1_BASE``: the 1.1 Gradebook and Resources, then the 1.1 rostering provider."""
    services = ServicesV1p1Provider(district, state)
    rostering = OneRoster11Provider(district, state).app()
    return services.service_app([*services.routes_v1p1(), Mount("", app=rostering)])  # type: ignore[list-item]
