"""Errors: an unknown Gradebook sourcedId answers 404 with the status payload (1.1: statusInfoSet; one probe)."""
from __future__ import annotations

import pytest

from edcert.conformance.oneroster._service import Flavor, check_unknown_404, check_unknown_payload, register
from edcert.conformance.oneroster_gradebook._fixtures import FLAVORS, session

PAYLOAD = ('{"imsx_codeMajor": "failure", "imsx_severity": "error", "imsx_CodeMinor": {"imsx_codeMinorField": '
           '[{"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": "unknownobject"}]}}')


def _wrapped(flavor: Flavor, payload: str) -> str:
    """The status payload as the flavor sends it (1.1 wraps it in a statusInfoSet array)."""
    return f'{{"statusInfoSet": [{payload}]}}' if flavor.v1p1 else payload


def _declare(flavor: Flavor) -> None:
    def unknown(request: pytest.FixtureRequest, _f: Flavor = flavor) -> None:
        check_unknown_404(session(request, _f), "lineItems")

    register(globals(), unknown, f"check_{flavor.prefix.lower()}_unknown_404", flavor, "errors", dict(
        id=f"{flavor.prefix}-ERR-001", level="required", requirements=(flavor.requirement("ERR-404"),),
        title="GET /lineItems/{sourcedId} for an unknown sourcedId answers 404",
        why="A gradebook tool must be able to tell an assignment that does not exist from one that does.",
        remediation="Answer a single-object Gradebook GET for a sourcedId you do not hold with HTTP 404 and the "
                    "status payload (codeMinor unknownobject).",
        ref=f"{flavor.binding}: single-object operations, 404 response",
    ))

    def payload(request: pytest.FixtureRequest, _f: Flavor = flavor) -> None:
        check_unknown_payload(session(request, _f), "lineItems")

    register(globals(), payload, f"check_{flavor.prefix.lower()}_unknown_payload", flavor, "errors", dict(
        id=f"{flavor.prefix}-ERR-002", level="recommended", requirements=(flavor.requirement("ERR-PAYLOAD"),),
        title="The 404 for an unknown sourcedId carries the status payload with codeMinor unknownobject",
        why="A clear 'no such record' answer lets staff fix a grade-sync problem without guessing.",
        remediation=f"Send the 404 as JSON: {_wrapped(flavor, PAYLOAD)}.",
        ref=f"{flavor.openapi}: imsx_StatusInfoDType; 404 response",
    ))


for _flavor in FLAVORS:
    _declare(_flavor)
