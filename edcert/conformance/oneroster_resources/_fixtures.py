"""The Resources suite's flavors (one per version), its entity and how a check reaches its session."""
from __future__ import annotations

import pytest

from edcert.conformance.oneroster._service import Flavor, ServiceSession, service_session
from edcert.conformance.oneroster.models import BASE, Kind, Prop, Shape
from edcert.harness.config import OR11_SCOPE_PREFIX, OR12_SCOPE_PREFIX

V1P2 = Flavor(
    service="resources", version="1.2", prefix="ORRS12",
    binding="OneRoster 1.2 Resources Service REST/JSON Binding",
    openapi="OneRoster 1.2 Resources OpenAPI (onerosterv1p2resourcesservice_openapi3_v1p0)",
    scope_prefix=OR12_SCOPE_PREFIX,
)
V1P1 = Flavor(
    service="resources", version="1.1", prefix="ORRS11",
    binding="OneRoster 1.1 REST binding, Resources service (Tables 3.1b)",
    openapi="OneRoster 1.1 information model and JSON binding (Resources: resource)",
    scope_prefix=OR11_SCOPE_PREFIX,
)
FLAVORS: tuple[Flavor, ...] = (V1P2, V1P1)
COLLECTION_KEYS = {"resources": "resources"}

# ResourceDType (1.2 OpenAPI): vendorResourceId required, importance primary|secondary, roles a list.
RESOURCE = Shape("resource", {
    **BASE, "title": Prop(Kind.STRING), "roles": Prop(Kind.STRINGS),
    "importance": Prop(Kind.ENUM, values=("primary", "secondary")),
    "vendorResourceId": Prop(Kind.STRING, required=True), "vendorId": Prop(Kind.STRING),
    "applicationId": Prop(Kind.STRING),
})


def session(request: pytest.FixtureRequest, flavor: Flavor) -> ServiceSession:
    return service_session(request, flavor, COLLECTION_KEYS)
