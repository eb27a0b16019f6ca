"""Helpers the OneRoster checks share."""
from __future__ import annotations

from typing import Any

import httpx

from edcert.harness.errors import Failure
from edcert.harness.evidence import Exchange
from edcert.harness.http import exchange_of, json_body

STANDARD = "oneroster-1.2"
CORE_TAG = "1edtech:rostering-core"
REST_BINDING = "OneRoster 1.2 Rostering Service REST/JSON Binding"
CODE_MAJORS = {"success", "processing", "failure", "unsupported"}
SEVERITIES = {"status", "warning", "error"}
CODE_MINORS = {
    "fullsuccess", "invalid_filter_field", "invalid_selection_field", "invaliddata", "unauthorisedrequest",
    "forbidden", "server_busy", "unknownobject", "internal_server_error",
}


def evidence(response: httpx.Response) -> list[Exchange]:
    ex = exchange_of(response)
    return [] if ex is None else [ex]


def expect_status(response: httpx.Response, allowed: set[int] | int, what: str) -> None:
    """Fail unless the HTTP status is one of ``allowed``."""
    wanted = {allowed} if isinstance(allowed, int) else allowed
    if response.status_code not in wanted:
        shown = " or ".join(str(s) for s in sorted(wanted))
        raise Failure(f"{what}: answered HTTP {response.status_code}", expected=f"HTTP {shown}",
                      received=f"HTTP {response.status_code}", exchanges=evidence(response))


def status_payload_problems(body: Any) -> list[str]:
    """What is wrong with a 1.2 status payload (imsx_StatusInfoDType); empty when it is right."""
    if not isinstance(body, dict):
        return ["the body is not a JSON object"]
    problems = []
    if body.get("imsx_codeMajor") not in CODE_MAJORS:
        problems.append("imsx_codeMajor missing or not one of success/processing/failure/unsupported")
    if body.get("imsx_severity") not in SEVERITIES:
        problems.append("imsx_severity missing or not one of status/warning/error")
    minor = body.get("imsx_CodeMinor")
    fields = minor.get("imsx_codeMinorField") if isinstance(minor, dict) else None
    if not isinstance(fields, list) or not fields:
        problems.append("imsx_CodeMinor.imsx_codeMinorField missing or empty")
    else:
        for item in fields:
            if not isinstance(item, dict) or not isinstance(item.get("imsx_codeMinorFieldName"), str) \
                    or item.get("imsx_codeMinorFieldValue") not in CODE_MINORS:
                problems.append("an imsx_codeMinorField entry lacks a name or has an unknown value")
                break
    return problems


def code_minors(body: Any) -> list[str]:
    try:
        return [f["imsx_codeMinorFieldValue"] for f in body["imsx_CodeMinor"]["imsx_codeMinorField"]]
    except (KeyError, TypeError):
        return []


def expect_status_payload(response: httpx.Response, code_minor: str | None, what: str) -> None:
    """Fail unless the body is a well-formed status payload (with ``code_minor`` when given)."""
    body = json_body(response, what)
    problems = status_payload_problems(body)
    if problems:
        raise Failure(f"{what}: the error body is not a OneRoster status payload ({problems[0]})",
                      expected="imsx_codeMajor, imsx_severity, imsx_CodeMinor.imsx_codeMinorField[]",
                      received="; ".join(problems), exchanges=evidence(response))
    if code_minor is not None and code_minor not in code_minors(body):
        raise Failure(f"{what}: the status payload does not carry codeMinor '{code_minor}'",
                      expected=code_minor, received=", ".join(code_minors(body)) or "none",
                      exchanges=evidence(response))
