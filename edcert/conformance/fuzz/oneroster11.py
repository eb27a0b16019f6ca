"""OneRoster 1.1 Rostering under generated requests (OR11-FUZZ-001..007).

The same seven schemathesis checks, against edcert's OpenAPI description of 1.1
(``fixtures/specs/oneroster-1.1-rostering.json``), sent through the 1.1 session: every request is
signed with OAuth 1.0a (or carries the OAuth 2.0 token where the vendor's 1.1 uses it).
"""
from __future__ import annotations

import pytest

from edcert.conformance.fuzz._checks import REQUIREMENT_SUFFIXES, declare_fuzz_checks
from edcert.conformance.fuzz._engine import FuzzReport
from edcert.conformance.fuzz._fixtures import service_fuzz
from edcert.conformance.fuzz._openapi import ROSTERING_11


def _report(request: pytest.FixtureRequest) -> FuzzReport:
    return service_fuzz(request, request.getfixturevalue("oneroster11"), ROSTERING_11)


declare_fuzz_checks(
    globals(), prefix="OR11", standard="oneroster-1.1", report_of=_report,
    ref=f"OneRoster 1.1 Rostering OpenAPI description (edcert fixtures/specs/{ROSTERING_11})",
    requirements={**REQUIREMENT_SUFFIXES, "ignored_auth": "AUTH-SIGNED"},
    remediation={"ignored_auth": "Refuse every request that is not signed with the district's OAuth 1.0a "
                                 "consumer key and secret with 401, on every operation."},
)
