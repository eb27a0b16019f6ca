"""OneRoster 1.2 Gradebook and Resources under generated requests (ORGB12-FUZZ-..., ORRS12-FUZZ-...).

The same seven schemathesis checks as Rostering's, against edcert's OpenAPI descriptions of the two
services (``fixtures/specs/oneroster-gradebook-1.2.json``, ``oneroster-resources-1.2.json``), sent
through the service's own session (its base URL, bearer token, rate limit, write guard, evidence).
"""
from __future__ import annotations

import pytest

from edcert.conformance.fuzz._checks import declare_fuzz_checks
from edcert.conformance.fuzz._engine import FuzzReport
from edcert.conformance.fuzz._fixtures import service_fuzz
from edcert.conformance.fuzz._openapi import GRADEBOOK_12, RESOURCES_12
from edcert.conformance.oneroster_gradebook import _fixtures as gradebook
from edcert.conformance.oneroster_resources import _fixtures as resources


def _gradebook(request: pytest.FixtureRequest) -> FuzzReport:
    return service_fuzz(request, gradebook.session(request, gradebook.FLAVORS[0]), GRADEBOOK_12)


def _resources(request: pytest.FixtureRequest) -> FuzzReport:
    return service_fuzz(request, resources.session(request, resources.FLAVORS[0]), RESOURCES_12)


declare_fuzz_checks(globals(), prefix="ORGB12", standard="oneroster-gradebook-1.2", report_of=_gradebook,
                    ref=f"OneRoster 1.2 Gradebook OpenAPI description (edcert fixtures/specs/{GRADEBOOK_12})")
declare_fuzz_checks(globals(), prefix="ORRS12", standard="oneroster-resources-1.2", report_of=_resources,
                    ref=f"OneRoster 1.2 Resources OpenAPI description (edcert fixtures/specs/{RESOURCES_12})")
