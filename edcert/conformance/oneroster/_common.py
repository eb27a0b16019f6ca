"""Helpers the OneRoster checks share."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

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


_PROBES: WeakKeyDictionary[object, dict[str, httpx.Response]] = WeakKeyDictionary()


def shared_probe(session: object, name: str, send: Callable[[], httpx.Response]) -> httpx.Response:
    """The answer to probe ``name``, sent at most once per run (``session``) and read by every check needing it."""
    answers = _PROBES.setdefault(session, {})
    if name not in answers:
        answers[name] = send()
    return answers[name]


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


def loose_code_minors(body: Any) -> list[str]:
    """The codeMinor values of an error body however it carries them: the 1.2 structure, a flat
    ``imsx_codeMinor`` string, or a 1.1 ``statusInfoSet`` (so value checks stay apart from shape checks)."""
    if not isinstance(body, dict):
        return []
    found = code_minors(body)
    for flat in (body.get("imsx_codeMinor"), body.get("imsx_CodeMinor")):
        if isinstance(flat, str):
            found.append(flat)
    infos = body.get("statusInfoSet")
    if isinstance(infos, list):
        for info in infos:
            found.extend(loose_code_minors(info))
    return [v for v in found if isinstance(v, str)]


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


QUERY_LIMIT = 1000  # large enough that one request usually holds a whole filtered or sorted answer
MAX_QUERY_REQUESTS = 200


def fetch_query(session: Any, endpoint: str, params: dict[str, Any], what: str, *,
                expected: int | None = None) -> tuple[list[dict[str, Any]], list[Exchange]]:
    """Every record a collection query (filter, sort...) answers, paged with a large limit.

    The offset advances by the number of records that arrived, so a provider clamping ``limit``
    is read correctly. Stops on an empty page, on a short page once ``expected`` records arrived
    (when given), and as soon as more than ``expected`` arrived (the answer is wrong already).

    Raises:
        Failure: a page is not a OneRoster collection page, or the answer never ends.
    """
    from edcert.conformance.oneroster._fixtures import COLLECTION_KEYS, page_records

    key = COLLECTION_KEYS[endpoint]
    records: list[dict[str, Any]] = []
    exchanges: list[Exchange] = []
    offset = 0
    for _ in range(MAX_QUERY_REQUESTS):
        response = session.get(f"/{endpoint}", params={**params, "limit": QUERY_LIMIT, "offset": offset})
        exchanges.extend(evidence(response))
        page = page_records(response, key, what)
        records.extend(page)
        offset += len(page)
        if not page or (expected is not None and len(records) > expected):
            return records, exchanges
        if len(page) < QUERY_LIMIT and (expected is None or len(records) >= expected):
            return records, exchanges
    raise Failure(f"{what} never reached its last page in {MAX_QUERY_REQUESTS} requests",
                  exchanges=exchanges[-1:])
