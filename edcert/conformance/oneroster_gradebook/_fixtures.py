"""The Gradebook suite's flavors (one per version) and how a check reaches its session.

Checks are declared once per flavor; ``session(request, flavor)`` gives the run's shared session for it
(skipping when the vendor does not claim that standard). Adding OneRoster 1.1 means adding a flavor
here (prefix ORGB11, its binding and scopes) and its requirements table. A flavor serves the entities
of ``entities(flavor)``; check ids keep the 1.2 numbering, so a 1.1 id names the same check as its 1.2 twin.
"""
from __future__ import annotations

import pytest

from edcert.conformance.oneroster._service import Flavor, ServiceSession, service_session
from edcert.conformance.oneroster.models import Shape
from edcert.conformance.oneroster_gradebook._models import COLLECTION_KEYS, ENTITIES, ENTITIES_V1P1
from edcert.harness.config import OR11_SCOPE_PREFIX, OR12_SCOPE_PREFIX

V1P2 = Flavor(
    service="gradebook", version="1.2", prefix="ORGB12",
    binding="OneRoster 1.2 Gradebook Service REST/JSON Binding",
    openapi="OneRoster 1.2 Gradebook OpenAPI (onerosterv1p2gradebookservice_openapi3_v1p0)",
    scope_prefix=OR12_SCOPE_PREFIX,
)
V1P1 = Flavor(
    service="gradebook", version="1.1", prefix="ORGB11",
    binding="OneRoster 1.1 REST binding, Gradebook service (Tables 3.1c)",
    openapi="OneRoster 1.1 information model and JSON binding (Gradebook: category, lineItem, result)",
    scope_prefix=OR11_SCOPE_PREFIX,
)
FLAVORS: tuple[Flavor, ...] = (V1P2, V1P1)
# 1.1 serves four of the seven scoped reads (no categories or score scales of a class or school)
V1P1_SCOPED = ("getLineItemsForClass", "getResultsForLineItemForClass", "getResultsForClass",
               "getResultsForStudentForClass")


def entities(flavor: Flavor) -> dict[str, tuple[str, str, Shape, str, str]]:
    """endpoint -> (collection key, single key, shape, plural noun, noun) of the flavor's entities."""
    return ENTITIES_V1P1 if flavor.v1p1 else ENTITIES


def session(request: pytest.FixtureRequest, flavor: Flavor) -> ServiceSession:
    return service_session(request, flavor, COLLECTION_KEYS)
