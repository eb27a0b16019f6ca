"""Writes (only with ``allow_writes = true``): upsert, PUT, DELETE, references and optimistic concurrency.

One scripted sequence runs once per run on edcert's own fictional records (a student ``EDCERT-<n>`` and
its school enrollment) and removes them at the end; each check judges its step of it.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from edcert.conformance.edfi._fixtures import CONVENTIONS, STANDARD, EdFiSession, evidence, expect_status, parsed
from edcert.fixtures.edfi import descriptor_uri
from edcert.harness import check
from edcert.harness.errors import Failure

UNKNOWN_ID = "00000000000000000000000000edc3e8"
WRITES_REF = f"{CONVENTIONS}: POST, PUT and DELETE requests"


@dataclass
class WriteRun:
    """The answers of the write sequence, by step."""

    answers: dict[str, httpx.Response] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)


def _student(unique_id: str, city: str) -> dict[str, Any]:
    return {"studentUniqueId": unique_id, "firstName": "Edcert", "lastSurname": "Probe", "birthDate": "2012-01-15",
            "birthCity": city}


def _enrollment(unique_id: str, school_id: Any) -> dict[str, Any]:
    return {"entryDate": "2026-08-17",
            "entryGradeLevelDescriptor": descriptor_uri("gradeLevelDescriptors", "Ninth grade"),
            "schoolReference": {"schoolId": school_id}, "studentReference": {"studentUniqueId": unique_id}}


def _id(edfi: EdFiSession, answer: httpx.Response, resource: str, params: dict[str, str]) -> str | None:
    location = answer.headers.get("Location")
    if location:
        return str(location).rstrip("/").rsplit("/", 1)[-1]
    found = edfi.get(edfi.resource_url(resource), params=params)  # no Location: find it by natural key
    items = parsed(found) if found.status_code == 200 else []
    found_id = items[0].get("id") if isinstance(items, list) and items and isinstance(items[0], dict) else None
    return found_id if isinstance(found_id, str) else None


def _sequence(edfi: EdFiSession) -> WriteRun:
    run = WriteRun()
    a = run.answers
    unique = f"EDCERT-{secrets.token_hex(4).upper()}"
    school_id = edfi.first_item("schools").get("schoolId")
    students = edfi.resource_url("students")
    a["post new"] = edfi.request("POST", students, json=_student(unique, "Vellmoor"))
    a["post again"] = edfi.request("POST", students, json=_student(unique, "Quorvale"))
    student_id = _id(edfi, a["post again"], "students", {"studentUniqueId": unique})
    if student_id is not None:
        run.ids["student"] = student_id
        url = edfi.resource_url("students", student_id)
        stale = a["post new"].headers.get("ETag") or '"edcert-stale"'
        a["put stale"] = edfi.request("PUT", url, json=_student(unique, "Stale"), headers={"If-Match": stale})
        a["put"] = edfi.request("PUT", url, json=_student(unique, "Pellwick"))
    a["put unknown"] = edfi.request("PUT", edfi.resource_url("students", UNKNOWN_ID),
                                    json=_student(f"{unique}-X", "Nowhere"))
    enrollments = edfi.resource_url("studentSchoolAssociations")
    a["post child"] = edfi.request("POST", enrollments, json=_enrollment(unique, school_id))
    child_id = _id(edfi, a["post child"], "studentSchoolAssociations", {"studentUniqueId": unique})
    if student_id is not None:
        a["delete referenced"] = edfi.request("DELETE", edfi.resource_url("students", student_id))
    a["post orphan"] = edfi.request("POST", enrollments, json=_enrollment(f"{unique}-NOBODY", school_id))
    if child_id is not None:
        a["delete"] = edfi.request("DELETE", edfi.resource_url("studentSchoolAssociations", child_id))
        a["get deleted"] = edfi.get(edfi.resource_url("studentSchoolAssociations", child_id))
    # clean up whatever is left: the orphan (if accepted), the student, a student created by the PUT of an
    # unknown id
    for resource, params in (("studentSchoolAssociations", {"studentUniqueId": f"{unique}-NOBODY"}),
                             ("studentSchoolAssociations", {"studentUniqueId": unique}),
                             ("students", {"studentUniqueId": unique}),
                             ("students", {"studentUniqueId": f"{unique}-X"})):
        found = edfi.get(edfi.resource_url(resource), params=params)
        items = parsed(found) if found.status_code == 200 else None
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                edfi.request("DELETE", edfi.resource_url(resource, item["id"]))
    return run


def writes(edfi: EdFiSession) -> WriteRun:
    if not edfi.config.allow_writes:
        pytest.skip("write checks need allow_writes = true in [edfi] (they create and delete their own records)")
    found: WriteRun = edfi.probe("write sequence", lambda: _sequence(edfi))
    return found


def _step(run: WriteRun, step: str) -> httpx.Response:
    if step not in run.answers:
        raise Failure(f"the write sequence could not reach the step '{step}' (an earlier step failed)",
                      expected="the earlier steps to succeed", received="no id for edcert's test student")
    return run.answers[step]


def _located(answer: httpx.Response, what: str) -> None:
    problems = [h for h in ("Location", "ETag") if not answer.headers.get(h)]
    if problems:
        raise Failure(f"{what} answered without {' and '.join(problems)}", expected="Location and ETag headers",
                      received=f"missing {', '.join(problems)}", exchanges=evidence(answer))


@check(
    id="EDFI-WRITE-001", standard=STANDARD, category="operations", level="required",
    requirements=("EDFI-REQ-WRITE-CREATE",),
    title="POST of a new item answers 201 with Location and ETag",
    why="The SIS learns from this answer that the record was created and where it lives.",
    remediation="Answer 201 Created with Location: .../{resource}/{id} and an ETag when a POST creates an item.",
    ref=WRITES_REF,
)
def check_post_new(edfi: EdFiSession) -> None:
    answer = _step(writes(edfi), "post new")
    expect_status(answer, 201, "POST of a new student")
    _located(answer, "POST of a new student")


@check(
    id="EDFI-WRITE-002", standard=STANDARD, category="operations", level="required",
    requirements=("EDFI-REQ-WRITE-UPSERT",),
    title="POST of an existing natural key updates it: 200 with Location",
    why="Ed-Fi clients resend records as a whole; an upsert keeps one record per student instead of duplicates.",
    remediation="Treat POST as an upsert on the natural key: answer 200 with Location and ETag when it existed.",
    ref=WRITES_REF,
)
def check_post_again(edfi: EdFiSession) -> None:
    answer = _step(writes(edfi), "post again")
    expect_status(answer, 200, "POST of an existing natural key")
    _located(answer, "POST of an existing natural key")


@check(
    id="EDFI-WRITE-003", standard=STANDARD, category="operations", level="required",
    requirements=("EDFI-REQ-WRITE-PUT",),
    title="PUT of an existing item answers 204",
    why="Clients that update by id rely on the documented answer to know the update took.",
    remediation="Answer 204 No Content (with the new ETag) to a successful PUT.",
    ref=WRITES_REF,
)
def check_put(edfi: EdFiSession) -> None:
    expect_status(_step(writes(edfi), "put"), 204, "PUT of edcert's student")


@check(
    id="EDFI-WRITE-004", standard=STANDARD, category="operations", level="required",
    requirements=("EDFI-REQ-WRITE-PUT-UNKNOWN",),
    title="PUT of an unknown id answers 404 and creates nothing",
    why="A PUT that creates records lets a stale id resurrect deleted students.",
    remediation="Answer 404 to PUT /{resource}/{id} when no item has that id; PUT never creates.",
    ref=WRITES_REF,
)
def check_put_unknown(edfi: EdFiSession) -> None:
    expect_status(_step(writes(edfi), "put unknown"), 404, "PUT of an unknown id")


@check(
    id="EDFI-WRITE-005", standard=STANDARD, category="operations", level="required",
    requirements=("EDFI-REQ-WRITE-DELETE",),
    title="DELETE answers 204, after which the item answers 404",
    why="When a SIS withdraws an enrollment, the state must stop seeing it.",
    remediation="Answer 204 to DELETE and remove the item: GET by its id then answers 404.",
    ref=WRITES_REF,
)
def check_delete(edfi: EdFiSession) -> None:
    run = writes(edfi)
    expect_status(_step(run, "delete"), 204, "DELETE of edcert's enrollment")
    expect_status(_step(run, "get deleted"), 404, "GET of the deleted enrollment")


@check(
    id="EDFI-WRITE-006", standard=STANDARD, category="referential-integrity", level="required",
    requirements=("EDFI-REQ-WRITE-DELETE-REFERENCED",),
    title="DELETE of an item other items reference answers 409",
    why="Deleting a student who still has enrollments leaves enrollments pointing at nobody.",
    remediation="Refuse the DELETE with 409 (urn:ed-fi:api:data-conflict:dependent-item-exists) while references "
                "remain.",
    ref=f"{WRITES_REF}; ODS/API 7.2 error knowledge base (409 dependent-item-exists)",
)
def check_delete_referenced(edfi: EdFiSession) -> None:
    expect_status(_step(writes(edfi), "delete referenced"), 409, "DELETE of a student with an enrollment")


@check(
    id="EDFI-WRITE-007", standard=STANDARD, category="referential-integrity", level="required",
    requirements=("EDFI-REQ-WRITE-UNRESOLVED",),
    title="A POST referencing an item that does not exist is refused (400, 403 or 409)",
    why="An enrollment of a student the API does not know is data the state cannot use.",
    remediation="Resolve every reference on write; refuse unresolved ones (409 data-conflict:unresolved-reference "
                "in ODS/API 7.2; 400 per the guidelines).",
    ref="Ed-Fi API guidelines: validation of natural and foreign keys (400); ODS/API 7.2 and DMS (409)",
)
def check_unresolved_reference(edfi: EdFiSession) -> None:
    expect_status(_step(writes(edfi), "post orphan"), {400, 403, 409}, "POST of an enrollment of an unknown student")


@check(
    id="EDFI-ETAG-002", standard=STANDARD, category="operations", level="required",
    requirements=("EDFI-REQ-ETAG-STALE",),
    title="PUT with a stale If-Match answers 412",
    why="Without it, two systems updating the same student silently overwrite each other.",
    remediation="Compare If-Match with the item's current ETag; answer 412 (optimistic-lock-failed) when they "
                "differ.",
    ref=f"{CONVENTIONS}: optimistic concurrency; RFC 9110 §13.1.1",
)
def check_stale_if_match(edfi: EdFiSession) -> None:
    expect_status(_step(writes(edfi), "put stale"), 412, "PUT with a stale If-Match")
