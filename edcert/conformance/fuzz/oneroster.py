"""OneRoster 1.2 Rostering under generated requests: one check per schemathesis check (OR12-FUZZ-001..007).

schemathesis generates requests for all 41 operations from edcert's OpenAPI description
(``fixtures/specs/oneroster-1.2-rostering.json``), seeded and bounded by the ``[fuzz]`` table, and
sends them through the run's own client (auth, rate limit, write guard, evidence).
"""
from __future__ import annotations

from collections.abc import Callable

from edcert.conformance.fuzz._checks import FUZZ_CHECKS, PHASE_TAG, FuzzCheck, judge
from edcert.conformance.fuzz._engine import FuzzReport
from edcert.harness import check

STANDARD = "oneroster-1.2"
REF = "OneRoster 1.2 Rostering OpenAPI description (edcert fixtures/specs/oneroster-1.2-rostering.json)"
REQUIREMENTS = {
    "not_a_server_error": "OR12-REQ-FUZZ-NO-SERVER-ERROR",
    "status_code_conformance": "OR12-REQ-FUZZ-DOCUMENTED-STATUS",
    "content_type_conformance": "OR12-REQ-FUZZ-CONTENT-TYPE",
    "response_schema_conformance": "OR12-REQ-FUZZ-RESPONSE-SCHEMA",
    "response_headers_conformance": "OR12-REQ-FUZZ-RESPONSE-HEADERS",
    "ignored_auth": "OR12-REQ-AUTH-BEARER",
    "negative_data_rejection": "OR12-REQ-FUZZ-REJECT-INVALID",
}


def _declare(number: int, spec: FuzzCheck) -> Callable[[FuzzReport], None]:
    def fuzz_check(oneroster_fuzz: FuzzReport) -> None:
        judge(oneroster_fuzz, spec)

    fuzz_check.__name__ = fuzz_check.__qualname__ = f"check_fuzz_{spec.name}"
    return check(
        id=f"OR12-FUZZ-{number:03d}", standard=STANDARD, category="fuzz", level="recommended",
        title=spec.title + f" (schemathesis {spec.name})", why=spec.why, remediation=spec.remediation, ref=REF,
        tags=(PHASE_TAG,), requirements=(REQUIREMENTS[spec.name],),
    )(fuzz_check)


for _number, _spec in enumerate(FUZZ_CHECKS, start=1):
    _func = _declare(_number, _spec)
    globals()[_func.__name__] = _func
del _func, _number, _spec  # one name per check: a leftover loop variable would be collected again
