"""Errors: unknown records answer 404, and error answers carry the 1.2 status payload as JSON.

The requests are few and shared: one single-object GET for a sourcedId no provider has, and
the 401 answers the auth family already provoked (``auth.refused_401``).
"""
from __future__ import annotations

import httpx

from edcert.conformance.oneroster._common import (
    CORE_TAG,
    REST_BINDING,
    STANDARD,
    evidence,
    expect_status,
    loose_code_minors,
    shared_probe,
    status_payload_problems,
)
from edcert.conformance.oneroster._fixtures import OneRosterSession
from edcert.conformance.oneroster.auth import no_token_answer, refused_401
from edcert.harness import check
from edcert.harness.errors import Failure, NotApplicable
from edcert.harness.evidence import Exchange
from edcert.harness.http import json_body

UNKNOWN_ID = "edcert-unknown-sourcedid-0c3f9a7e"
STATUS_INFO = "OneRoster 1.2 Rostering OpenAPI: imsx_StatusInfoDType"


def unknown_id_answer(oneroster: OneRosterSession) -> httpx.Response:
    return shared_probe(oneroster, "GET /users/{unknown}", lambda: oneroster.get(f"/users/{UNKNOWN_ID}"))


def _error_answers(oneroster: OneRosterSession) -> list[tuple[str, httpx.Response]]:
    """The error answers edcert provoked anyway: a 401 and the unknown-sourcedId 404."""
    answers = []
    refused = refused_401(oneroster)
    if refused is not None:
        how = "without a token" if refused is no_token_answer(oneroster) else "with an invalid token"
        answers.append((f"the 401 to GET /users {how}", refused))
    unknown = unknown_id_answer(oneroster)
    if unknown.status_code == 404:
        answers.append(("the 404 to GET /users/{unknown sourcedId}", unknown))
    if not answers:
        raise NotApplicable("the provider gave neither a 401 nor a 404 to edcert's probes "
                            "(OR12-AUTH-001 and OR12-ERR-001 report it)")
    return answers


@check(
    id="OR12-ERR-001", standard=STANDARD, category="errors", level="required", tags=(CORE_TAG,),
    requirements=("OR12-REQ-ERR-404",),
    title="A single-object GET for an unknown sourcedId answers 404",
    why="A school system must be able to tell a record that does not exist from one that does; an empty "
        "success makes deleted students look present.",
    remediation="Answer GET /users/{sourcedId} (and every single-object read) for a sourcedId you do not hold "
                "with HTTP 404 and the status payload with codeMinor unknownobject.",
    ref=f"{REST_BINDING}, single-object operations: 404 response (unknownobject)",
)
def check_unknown_id_404(oneroster: OneRosterSession) -> None:
    expect_status(unknown_id_answer(oneroster), 404, "GET /users/{a sourcedId that does not exist}")


@check(
    id="OR12-ERR-002", standard=STANDARD, category="errors", level="recommended",
    requirements=("OR12-REQ-ERR-UNKNOWNOBJECT",),
    title="The 404 for an unknown sourcedId carries codeMinor unknownobject",
    why="A clear 'no such record' answer lets the district's staff fix a sync problem without guessing.",
    remediation='Put the reason in the 404 body: "imsx_CodeMinor": {"imsx_codeMinorField": '
                '[{"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": "unknownobject"}]}.',
    ref=f"{REST_BINDING}: 404 response, codeMinor unknownobject; {STATUS_INFO}",
)
def check_unknown_id_code_minor(oneroster: OneRosterSession) -> None:
    response = unknown_id_answer(oneroster)
    if response.status_code != 404:
        raise NotApplicable("the unknown sourcedId was not answered with 404 (OR12-ERR-001 reports it)")
    what = "the 404 to GET /users/{unknown sourcedId}"
    found = loose_code_minors(json_body(response, what))
    if "unknownobject" not in found:
        raise Failure(f"{what} does not carry codeMinor unknownobject",
                      expected="unknownobject", received=", ".join(found[:3]) or "no codeMinor",
                      exchanges=evidence(response))


@check(
    id="OR12-ERR-003", standard=STANDARD, category="errors", level="recommended",
    requirements=("OR12-REQ-ERR-STATUS-PAYLOAD",),
    title="Error answers (401, 404) carry a well-formed imsx_StatusInfoDType status payload",
    why="Integration tools read errors in the standard's format; a home-made error body leaves them unable to "
        "report what went wrong.",
    remediation='Send every error as the 1.2 status payload: "imsx_codeMajor" (failure), "imsx_severity" '
                '(error), "imsx_description", and "imsx_CodeMinor": {"imsx_codeMinorField": [{'
                '"imsx_codeMinorFieldName", "imsx_codeMinorFieldValue"}]} (a structure, not a flat string).',
    ref=STATUS_INFO,
)
def check_error_payload_shape(oneroster: OneRosterSession) -> None:
    bad: list[str] = []
    proof: list[Exchange] = []
    for what, response in _error_answers(oneroster):
        try:
            body = json_body(response, what)
        except Failure:
            bad.append(f"{what}: not JSON")
            proof.extend(evidence(response))
            continue
        problems = status_payload_problems(body)
        if problems:
            bad.append(f"{what}: {problems[0]}")
            proof.extend(evidence(response))
    if bad:
        raise Failure(f"{bad[0]}" + (f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""),
                      expected="imsx_codeMajor, imsx_severity, imsx_CodeMinor.imsx_codeMinorField[]",
                      received="; ".join(bad), exchanges=proof)


def _is_json(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


@check(
    id="OR12-ERR-004", standard=STANDARD, category="errors", level="recommended",
    requirements=("OR12-REQ-ERR-JSON",),
    title="Error answers (401, 404) are labelled Content-Type application/json",
    why="Integration tools decide how to read an answer from its label; a mislabelled error is shown as "
        "garbage instead of its reason.",
    remediation="Send error responses with the header Content-Type: application/json, like every other "
                "OneRoster response.",
    ref=f"{REST_BINDING} (JSON binding: every response body is application/json); {STATUS_INFO}",
)
def check_error_content_type(oneroster: OneRosterSession) -> None:
    wrong = [(what, r) for what, r in _error_answers(oneroster) if not _is_json(r.headers.get("content-type", ""))]
    if wrong:
        shown = [f"{what}: {r.headers.get('content-type') or 'no Content-Type'}" for what, r in wrong]
        raise Failure(f"{shown[0]}" + (f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""),
                      expected="Content-Type: application/json", received="; ".join(shown),
                      exchanges=[e for _, r in wrong for e in evidence(r)])
