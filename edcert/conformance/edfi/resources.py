"""Resources: the SIS resources read, natural-key queries, GET by id, unknown ids, ETags."""
from __future__ import annotations

from typing import Any

import httpx

from edcert.conformance.edfi._fixtures import (
    CONVENTIONS,
    SIS_RESOURCES,
    STANDARD,
    EdFiSession,
    evidence,
    expect_status,
    json_array,
)
from edcert.fixtures.edfi import RESOURCES, get_path
from edcert.harness import check
from edcert.harness.errors import Failure
from edcert.harness.http import json_body

UNKNOWN_ID = "00000000000000000000000000edc3e7"


@check(
    id="EDFI-RES-001", standard=STANDARD, category="operations", level="required",
    requirements=("EDFI-REQ-RES-READ",),
    title="Schools, students, staff, sections, enrollments and descriptors can be read",
    why="These are the records a student information system and the state exchange through Ed-Fi.",
    remediation="Serve GET /ed-fi/{resource} as a JSON array of items with their id for every SIS resource.",
    ref=f"{CONVENTIONS}: GET requests; Ed-Fi Data Standard 5",
)
def check_resources_read(edfi: EdFiSession) -> None:
    problems = []
    for resource in SIS_RESOURCES:
        try:
            items = edfi.items(resource)
        except Failure as failure:
            problems.append(failure)
            continue
        if any(not isinstance(i.get("id"), str) for i in items):
            problems.append(Failure(f"GET /ed-fi/{resource}: items without an id"))
    if problems:
        raise Failure("; ".join(p.message for p in problems), expected="200 and a JSON array for each resource",
                      received=f"{len(problems)} resource(s) unreadable",
                      exchanges=[e for p in problems for e in p.exchanges][:3])


@check(
    id="EDFI-RES-002", standard=STANDARD, category="filtering", level="required",
    requirements=("EDFI-REQ-RES-NATURAL-KEY",),
    title="A query by natural key returns exactly that one item",
    why="Connectors find a student or an enrollment by its natural key; more or fewer items mean wrong updates.",
    remediation="Filter GET /ed-fi/{resource} on every root property (reference keys unprefixed): a full natural "
                "key returns a one-item array.",
    ref=f"{CONVENTIONS}: GET requests (query by natural key)",
)
def check_natural_key_query(edfi: EdFiSession) -> None:
    for name in ("students", "studentSchoolAssociations"):
        resource = RESOURCES[name]
        item = edfi.first_item(name)
        params = {param: str(get_path(item, path)) for path, param in resource.query_params.items()}
        answer = edfi.get(edfi.resource_url(name), params=params)
        found = json_array(answer, f"GET /ed-fi/{name} by natural key")
        if [i.get("id") for i in found] != [item["id"]]:
            raise Failure(f"GET /ed-fi/{name} by natural key answered {len(found)} item(s)",
                          expected=f"exactly the item {item['id']}", received=f"{len(found)} item(s)",
                          exchanges=evidence(answer))


def by_id_answer(edfi: EdFiSession) -> tuple[dict[str, Any], httpx.Response]:
    item = edfi.first_item("students")
    return item, edfi.probe("student by id", lambda: edfi.get(edfi.resource_url("students", item["id"])))


@check(
    id="EDFI-RES-003", standard=STANDARD, category="operations", level="required",
    requirements=("EDFI-REQ-RES-BY-ID",),
    title="GET by id returns the item with that id",
    why="Clients re-read what they wrote by its id; a different item means they act on the wrong student.",
    remediation="Serve GET /ed-fi/{resource}/{id} with the item whose id it is.",
    ref=f"{CONVENTIONS}: GET requests (by id)",
)
def check_get_by_id(edfi: EdFiSession) -> None:
    item, answer = by_id_answer(edfi)
    expect_status(answer, 200, "GET /ed-fi/students/{id}")
    body = json_body(answer, "GET /ed-fi/students/{id}")
    if not isinstance(body, dict) or body.get("id") != item["id"] or \
            body.get("studentUniqueId") != item.get("studentUniqueId"):
        raise Failure("GET by id answered another item", expected=f"id {item['id']}",
                      received=f"id {body.get('id') if isinstance(body, dict) else body!r}", exchanges=evidence(answer))


def unknown_id_answer(edfi: EdFiSession) -> httpx.Response:
    answer: httpx.Response = edfi.probe("unknown id", lambda: edfi.get(edfi.resource_url("students", UNKNOWN_ID)))
    return answer


@check(
    id="EDFI-RES-004", standard=STANDARD, category="errors", level="required",
    requirements=("EDFI-REQ-RES-NOT-FOUND",),
    title="GET of an unknown id answers 404",
    why="Clients learn that a record was deleted from a 404; any other answer makes them keep stale data.",
    remediation="Answer 404 to GET /ed-fi/{resource}/{id} when no item has that id.",
    ref=f"{CONVENTIONS}: GET requests (404 Not Found)",
)
def check_unknown_id(edfi: EdFiSession) -> None:
    expect_status(unknown_id_answer(edfi), 404, "GET /ed-fi/students/{unknown id}")


@check(
    id="EDFI-ETAG-001", standard=STANDARD, category="operations", level="required",
    requirements=("EDFI-REQ-ETAG",),
    title="GET by id carries a quoted ETag",
    why="The ETag lets two systems updating the same record notice each other instead of overwriting.",
    remediation='Send ETag: "<version>" (quoted) with every item; match it against If-Match on PUT and DELETE.',
    ref=f"{CONVENTIONS}: optimistic concurrency (ETag, If-Match); RFC 9110 §8.8.3",
)
def check_etag(edfi: EdFiSession) -> None:
    _, answer = by_id_answer(edfi)
    expect_status(answer, 200, "GET /ed-fi/students/{id}")
    etag = answer.headers.get("ETag", "")
    if not (len(etag) >= 2 and etag.removeprefix("W/").startswith('"') and etag.endswith('"')):
        raise Failure("GET by id carries no quoted ETag", expected='ETag: "..."', received=etag or "no ETag",
                      exchanges=evidence(answer))
