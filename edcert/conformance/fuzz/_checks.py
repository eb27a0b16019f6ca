"""Turning a fuzz run's verdicts into scorecard checks (one check per schemathesis check)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from edcert.conformance.fuzz._engine import FuzzReport
from edcert.harness import check
from edcert.harness.errors import Failure, NotApplicable

PHASE_TAG = "phase:fuzz"


@dataclass(frozen=True)
class FuzzCheck:
    """What one schemathesis check means, in words for the scorecard."""

    name: str
    title: str
    why: str
    remediation: str
    expected: str


FUZZ_CHECKS: tuple[FuzzCheck, ...] = (
    FuzzCheck("not_a_server_error", "No generated request makes the service fail (HTTP 5xx)",
              "A request a real client could send must never crash the service: a crash is lost data or an "
              "outage waiting to happen.",
              "Validate every query and path parameter and answer 400/404 with the status payload; never let an "
              "unexpected value reach an unhandled exception (the repro command below replays the request).",
              "no HTTP 5xx answer"),
    FuzzCheck("status_code_conformance", "Every answer uses a status code the specification documents",
              "Clients are written against the documented answers; an undocumented status code is one they "
              "cannot handle.",
              "Answer only with the documented codes (200, 400, 401, 403, 404, 422, 429, 500) for these "
              "operations.",
              "a documented status code"),
    FuzzCheck("content_type_conformance", "Every answer carries the documented Content-Type (application/json)",
              "A client decides how to read an answer from its Content-Type; a wrong one breaks integrations.",
              "Label every answer, errors included, Content-Type: application/json.",
              "Content-Type: application/json"),
    FuzzCheck("response_schema_conformance", "Every answer body matches the documented schema",
              "Records and error payloads that break the documented shapes are misread or rejected by the "
              "district's systems.",
              "Serve records exactly as the OneRoster 1.2 models define them and errors as the imsx status "
              "payload, for every parameter combination (fields, filter, sort, paging).",
              "a body matching the documented schema"),
    FuzzCheck("response_headers_conformance", "Every answer's headers match their documented form",
              "Clients read paging headers such as X-Total-Count to know how much data there is.",
              "Send documented headers in their documented form (X-Total-Count: a non-negative integer).",
              "headers in their documented form"),
    FuzzCheck("ignored_auth", "No operation answers without valid credentials",
              "Student records must never be readable by someone without a valid access token.",
              "Refuse every request without a valid bearer token with 401, on every operation.",
              "401 or 403 without valid credentials"),
    FuzzCheck("negative_data_rejection", "Invalid query parameters are refused (4xx), not silently accepted",
              "A service that accepts nonsense parameters hides client mistakes and may return the wrong data.",
              "Refuse out-of-range or malformed limit, offset, orderBy and fields values with 400 and the "
              "status payload.",
              "a 4xx answer to an invalid query parameter"),
)


def judge(report: FuzzReport, check: FuzzCheck) -> None:
    """Pass, fail (with the failing requests as evidence) or not applicable, from one verdict."""
    verdict = report.verdicts[check.name]
    budget = " (the time budget ran out before every case was sent)" if report.budget_spent else ""
    if verdict.evaluated == 0:
        raise NotApplicable(f"no generated request could exercise this ({report.cases} requests sent{budget})")
    if not verdict.failed:
        return
    first = verdict.findings[0]
    others = sorted({f.operation for f in verdict.findings[1:]} - {first.operation})
    also = f"; also on {', '.join(others)}" if others else ""
    raise Failure(
        f"{verdict.failed} of {verdict.evaluated} generated requests failed: {first.operation}: {first.title}: "
        f"{first.detail}{also}{budget}",
        expected=check.expected, received=f"{first.title} ({first.detail})",
        exchanges=[f.exchange for f in verdict.findings if f.exchange is not None],
    )


# the requirement (table suffix after ``<PREFIX>-REQ-``) each schemathesis check enforces, for every standard
REQUIREMENT_SUFFIXES = {
    "not_a_server_error": "FUZZ-NO-SERVER-ERROR",
    "status_code_conformance": "FUZZ-DOCUMENTED-STATUS",
    "content_type_conformance": "FUZZ-CONTENT-TYPE",
    "response_schema_conformance": "FUZZ-RESPONSE-SCHEMA",
    "response_headers_conformance": "FUZZ-RESPONSE-HEADERS",
    "ignored_auth": "AUTH-BEARER",
    "negative_data_rejection": "FUZZ-REJECT-INVALID",
}


def declare_fuzz_checks(namespace: dict[str, Any], *, prefix: str, standard: str, ref: str,
                        report_of: Callable[[pytest.FixtureRequest], FuzzReport],
                        remediation: dict[str, str] | None = None, requirements: dict[str, str] | None = None) -> None:
    """Declare ``<prefix>-FUZZ-001..007`` (one per schemathesis check) into a check module's ``namespace``.

    ``report_of`` gives the standard's fuzz run (shared by the checks, once per run); ``remediation``
    replaces a check's remediation where the standard words it differently, ``requirements`` a requirement
    suffix where the standard names it differently.
    """
    for number, spec in enumerate(FUZZ_CHECKS, start=1):
        def fuzz_check(request: pytest.FixtureRequest, _spec: FuzzCheck = spec) -> None:
            judge(report_of(request), _spec)

        name = f"check_{prefix.lower()}_fuzz_{spec.name}"
        fuzz_check.__name__ = fuzz_check.__qualname__ = name
        namespace[name] = check(
            id=f"{prefix}-FUZZ-{number:03d}", standard=standard, category="fuzz", level="recommended",
            title=spec.title + f" (schemathesis {spec.name})", why=spec.why,
            remediation=(remediation or {}).get(spec.name, spec.remediation), ref=ref, tags=(PHASE_TAG,),
            requirements=(f"{prefix}-REQ-{(requirements or REQUIREMENT_SUFFIXES)[spec.name]}",),
        )(fuzz_check)
