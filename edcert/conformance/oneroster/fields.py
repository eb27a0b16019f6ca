"""Field selection: ``fields`` trims each record to the fields asked for.

The 1.2 OpenAPI declares ``fields`` as an array in ``form`` style, which is
written ``fields=a&fields=b``; the specification's examples and providers use
``fields=a,b``. Both are tested. The fields selected (``sourcedId``, ``title``
of classes) carry no personal data.
"""
from __future__ import annotations

from typing import Any

import httpx

from edcert.conformance.oneroster._common import (
    REST_BINDING,
    STANDARD,
    evidence,
    expect_status,
    expect_status_payload,
)
from edcert.conformance.oneroster._fixtures import OneRosterSession, page_records
from edcert.harness import check
from edcert.harness.errors import Failure, NotApplicable
from edcert.harness.http import json_body

JSON = dict[str, Any]
FIELDS_REF = f"{REST_BINDING} (field selection: fields=<field>,<field>); OneRoster 1.2 Rostering OpenAPI: " \
             "fields query parameter (array, style form)"
ENDPOINT, KEY, SINGLE_KEY = "classes", "classes", "class"
SELECTED = ("sourcedId", "title")
LIMIT = 5
UNKNOWN_FIELD = "edcertNoSuchField"


def selection_problems(records: list[JSON], listing: dict[str, JSON]) -> list[str]:
    """What breaks the selection ``SELECTED`` in ``records``; empty when right."""
    problems: list[str] = []
    extra = sorted({k for r in records for k in r} - set(SELECTED))
    if extra:
        shown = ", ".join(extra[:5]) + (", ..." if len(extra) > 5 else "")
        problems.append(f"fields not asked for came back ({shown})")
    lacking: list[str] = []
    for record in records:
        known = listing.get(str(record.get("sourcedId")), {})
        lacking += [f for f in SELECTED if f not in record and (f in known or f == "sourcedId")]
    if lacking:
        problems.append(f"selected fields are missing ({', '.join(sorted(set(lacking)))})")
    return problems


def collection_selection(oneroster: OneRosterSession, params: list[tuple[str, str | int]], shown: str) -> None:
    listing = oneroster.collection(ENDPOINT).by_id()
    if not listing:
        raise NotApplicable(f"/{ENDPOINT} is empty: no record to select fields from")
    what = f"GET /{ENDPOINT}?{shown}&limit={LIMIT}"
    response = oneroster.get(f"/{ENDPOINT}", params=[*params, ("limit", LIMIT)])
    records = page_records(response, KEY, what)
    if not records:
        raise Failure(f"{what} returned no records although /{ENDPOINT} holds {len(listing)}",
                      expected=f"up to {LIMIT} records", received="an empty list", exchanges=evidence(response))
    problems = selection_problems(records, listing)
    if problems:
        raise Failure(f"{what}: " + "; ".join(problems), expected=f"records with only {', '.join(SELECTED)}",
                      received="; ".join(problems), exchanges=evidence(response))


@check(
    id="OR12-FLD-001", standard=STANDARD, category="fields", level="recommended",
    requirements=("OR12-REQ-FLD-SELECT",),
    title="fields=a,b on a collection returns records holding only those fields",
    why="Applications ask only for the fields they need, so that no more student data than necessary "
        "leaves the district's systems.",
    remediation="Apply the fields parameter: return only the named fields of each record (comma-separated list).",
    ref=FIELDS_REF,
)
def check_fields_collection(oneroster: OneRosterSession) -> None:
    collection_selection(oneroster, [("fields", ",".join(SELECTED))], f"fields={','.join(SELECTED)}")


@check(
    id="OR12-FLD-002", standard=STANDARD, category="fields", level="recommended",
    requirements=("OR12-REQ-FLD-SELECT",),
    title="fields=a,b on a single-record GET returns only those fields",
    why="Applications reading one record at a time also ask for only the fields they need, to limit the "
        "student data they receive.",
    remediation="Apply the fields parameter on single-object GETs (/classes/{sourcedId}?fields=...) too.",
    ref=FIELDS_REF,
)
def check_fields_single(oneroster: OneRosterSession) -> None:
    listing = oneroster.collection(ENDPOINT).by_id()
    if not listing:
        raise NotApplicable(f"/{ENDPOINT} is empty: no record to read")
    sourced_id = next(iter(listing))
    what = f"GET /{ENDPOINT}/{sourced_id}?fields={','.join(SELECTED)}"
    response = oneroster.get(f"/{ENDPOINT}/{sourced_id}", params={"fields": ",".join(SELECTED)})
    expect_status(response, 200, what)
    record = single_record(response, what)
    problems = selection_problems([record], listing)
    if problems:
        raise Failure(f"{what}: " + "; ".join(problems), expected=f"a record with only {', '.join(SELECTED)}",
                      received="; ".join(problems), exchanges=evidence(response))


def single_record(response: httpx.Response, what: str) -> JSON:
    """The object of a single-object GET; tolerant of the envelope (checked elsewhere), strict on content."""
    body = json_body(response, what)
    if isinstance(body, dict):
        found = body.get(SINGLE_KEY)
        if isinstance(found, dict):
            return found
        wrapped = body.get(KEY)  # a one-item list under the plural key: an envelope fault, not this check's
        if isinstance(wrapped, list) and len(wrapped) == 1 and isinstance(wrapped[0], dict):
            return wrapped[0]
    raise Failure(f"{what}: no '{SINGLE_KEY}' object in the answer", expected=f'{{"{SINGLE_KEY}": {{...}}}}',
                  received="keys " + (", ".join(sorted(body)[:5]) if isinstance(body, dict) else type(body).__name__),
                  exchanges=evidence(response))


@check(
    id="OR12-FLD-003", standard=STANDARD, category="fields", level="recommended",
    requirements=("OR12-REQ-FLD-FORM-STYLE",),
    title="The repeated form fields=a&fields=b (the OpenAPI's declared style) is honoured too",
    why="Applications generated from the standard's machine-readable description send the field list this "
        "way; a provider that ignores it sends them every field.",
    remediation="Accept `fields` both as a comma-separated list and repeated (fields=a&fields=b, OpenAPI "
                "style form, explode true), combining the names.",
    ref=FIELDS_REF,
)
def check_fields_repeated(oneroster: OneRosterSession) -> None:
    collection_selection(oneroster, [("fields", f) for f in SELECTED], "&".join(f"fields={f}" for f in SELECTED))


@check(
    id="OR12-FLD-004", standard=STANDARD, category="fields", level="recommended",
    requirements=("OR12-REQ-FLD-INVALID",),
    title="An unknown name in fields is refused with 400 and codeMinor invalid_selection_field",
    why="If a mistyped field name is silently dropped, an application believes it received data that was "
        "never sent.",
    remediation="Answer HTTP 400 with the status payload carrying imsx_codeMinorFieldValue "
                "invalid_selection_field when fields names a field the entity does not have.",
    ref=f"{FIELDS_REF}; {REST_BINDING} (status codes: 400 invalid_selection_field)",
)
def check_fields_unknown(oneroster: OneRosterSession) -> None:
    selection = f"sourcedId,{UNKNOWN_FIELD}"
    what = f"GET /{ENDPOINT}?fields={selection}"
    response = oneroster.get(f"/{ENDPOINT}", params={"fields": selection, "limit": 1})
    expect_status(response, 400, what)
    expect_status_payload(response, "invalid_selection_field", what)
