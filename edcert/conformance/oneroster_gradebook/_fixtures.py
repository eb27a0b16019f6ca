"""The Gradebook suite's flavors (one per version) and how a check reaches its session.

Checks are declared once per flavor; ``session(request, flavor)`` gives the run's shared session for it
(skipping when the vendor does not claim that standard). Adding OneRoster 1.1 means adding a flavor
here (prefix ORGB11, its binding and scopes) and its requirements table.
"""
from __future__ import annotations

import pytest

from edcert.conformance.oneroster._service import Flavor, ServiceSession, service_session
from edcert.conformance.oneroster_gradebook._models import COLLECTION_KEYS
from edcert.harness.config import OR12_SCOPE_PREFIX

V1P2 = Flavor(
    service="gradebook", version="1.2", prefix="ORGB12",
    binding="OneRoster 1.2 Gradebook Service REST/JSON Binding",
    openapi="OneRoster 1.2 Gradebook OpenAPI (onerosterv1p2gradebookservice_openapi3_v1p0)",
    scope_prefix=OR12_SCOPE_PREFIX,
)
FLAVORS: tuple[Flavor, ...] = (V1P2,)


def session(request: pytest.FixtureRequest, flavor: Flavor) -> ServiceSession:
    return service_session(request, flavor, COLLECTION_KEYS)
