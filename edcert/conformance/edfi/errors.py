"""Error bodies: JSON in one of the two Ed-Fi forms ({"message"} up to ODS/API 7.1, RFC 9457 from 7.2).

Both forms are allowed: which one the host uses is recorded (EDFI-ERR-002 is not applicable to a host answering
in the older form), and only an error body in neither form fails.
"""
from __future__ import annotations

from typing import Any

import httpx

from edcert.conformance.edfi._fixtures import ODS_72, STANDARD, EdFiSession, evidence
from edcert.conformance.edfi.paging import over_max_answer
from edcert.conformance.edfi.resources import unknown_id_answer
from edcert.harness import check
from edcert.harness.errors import Failure, NotApplicable

PROBLEM = "problem details (RFC 9457, ODS/API 7.2+)"
MESSAGE = "message ({\"message\"}, ODS/API 7.1 and earlier)"


def error_form(body: Any) -> str | None:
    """Which Ed-Fi error form a parsed body is in, or None for neither."""
    if isinstance(body, dict) and isinstance(body.get("type"), str) and isinstance(body.get("status"), int):
        return PROBLEM
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return MESSAGE
    return None


def _errors(edfi: EdFiSession) -> list[tuple[httpx.Response, str | None, Any]]:
    out = []
    for answer in (unknown_id_answer(edfi), over_max_answer(edfi)):
        if 400 <= answer.status_code < 500:
            try:
                body = answer.json()
            except (ValueError, UnicodeDecodeError, RecursionError):
                body = None
            out.append((answer, error_form(body), body))
    if not out:
        raise NotApplicable("the host answered none of edcert's error probes (unknown id, limit too large) "
                            "with an error")
    return out


@check(
    id="EDFI-ERR-001", standard=STANDARD, category="errors", level="required",
    requirements=("EDFI-REQ-ERR-FORM",),
    title="Error answers carry a JSON body in an Ed-Fi error form",
    why="Connectors log and show the reason of each refusal; an unreadable error leaves the district guessing.",
    remediation="Answer errors as RFC 9457 problem details (type urn:ed-fi:api:..., title, status, detail), "
                "or at least {\"message\": ...} as ODS/API 7.1 did.",
    ref=f"{ODS_72}; ODS/API 7.1 ResponseTests (message)",
)
def check_error_form(edfi: EdFiSession) -> None:
    bad = [answer for answer, form, _ in _errors(edfi) if form is None]
    if bad:
        raise Failure(f"{len(bad)} error answer(s) are in no Ed-Fi error form",
                      expected=f"{PROBLEM} or {MESSAGE}", received=bad[0].text[:120], exchanges=evidence(*bad))


@check(
    id="EDFI-ERR-002", standard=STANDARD, category="errors", level="optional",
    requirements=("EDFI-REQ-ERR-PROBLEM",),
    title="Problem-details errors carry an urn:ed-fi:api type (ODS/API 7.2 form)",
    why="Typed errors let connectors react to each kind of refusal (a missing reference, a stale update) "
        "without reading prose.",
    remediation="Set type to the urn:ed-fi:api:... URN of the error (e.g. urn:ed-fi:api:not-found).",
    ref=ODS_72,
)
def check_problem_type(edfi: EdFiSession) -> None:
    errors = _errors(edfi)
    if all(form == MESSAGE for _, form, _ in errors):
        raise NotApplicable(f"the host answers errors in the {MESSAGE} form (allowed)")
    bad = [a for a, form, body in errors
           if form != PROBLEM or not str(body.get("type", "")).startswith("urn:ed-fi:api:")]
    if bad:
        raise Failure("an error answer is not problem details with an urn:ed-fi:api type",
                      expected="type: urn:ed-fi:api:...", received=bad[0].text[:120], exchanges=evidence(*bad))
