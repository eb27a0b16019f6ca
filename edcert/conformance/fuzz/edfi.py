"""The Ed-Fi API host under generated requests: one check per schemathesis check (EDFI-FUZZ-001..007).

schemathesis generates requests for the Ed-Fi resources edcert covers from edcert's OpenAPI description
(``fixtures/specs/edfi-api.json``), seeded and bounded by the ``[fuzz]`` table, and sends them through the
Ed-Fi session's client: its bearer token (fetched and renewed by the session), rate limit, write guard and
redacted evidence. Reads only, unless the ``[edfi]`` table allows writes.
"""
from __future__ import annotations

import pytest

from edcert.conformance.fuzz._checks import declare_fuzz_checks
from edcert.conformance.fuzz._engine import FuzzReport
from edcert.conformance.fuzz._fixtures import edfi_fuzz
from edcert.conformance.fuzz._openapi_edfi import EDFI_API, MAX_LIMIT


def _report(request: pytest.FixtureRequest) -> FuzzReport:
    return edfi_fuzz(request)


declare_fuzz_checks(
    globals(), prefix="EDFI", standard="edfi-api", report_of=_report,
    ref=f"Ed-Fi API resources OpenAPI description (edcert fixtures/specs/{EDFI_API}); Ed-Fi API guidelines: "
        "REST API conventions",
    remediation={
        "status_code_conformance": "Answer only with the documented codes for these operations (GET: 200, 400, "
                                   "401, 403, 404 by id, 429, 500; writes also 201, 204, 409, 412).",
        "content_type_conformance": "Label items application/json and errors application/json or "
                                    "application/problem+json.",
        "response_schema_conformance": "Serve items with their id and the Data Standard fields in their types "
                                       "(e.g. schoolId an integer, descriptors as uri://...#code), and errors as "
                                       "{\"message\"} or RFC 9457 problem details, for every query.",
        "response_headers_conformance": "Send Total-Count as a non-negative integer and ETag quoted (\"...\").",
        "negative_data_rejection": f"Refuse a limit outside 0..{MAX_LIMIT}, a negative offset or a non-numeric one "
                                   "with 400 and an Ed-Fi error body.",
    },
)
