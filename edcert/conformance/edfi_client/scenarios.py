"""Scenario records: what the vendor published reads back right (after Ed-Fi's SIS v5 certification checks).

For each resource of the scenario: the first record found by natural key is valid (exactly one match, every
required field present, typed and non-empty, descriptors ones the target serves); updated fields changed;
deleted records answer 404.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from edcert.conformance.edfi_client._fixtures import SIS_REF, STANDARD, EdFiTarget, evidence
from edcert.fixtures.edfi import (
    RESOURCES,
    SCENARIO_CREATES,
    SCENARIO_DELETES,
    SCENARIO_UPDATES,
    descriptor_values,
    get_path,
)
from edcert.harness import check
from edcert.harness.errors import Failure

_LABELS = {"schools": "school", "staffs": "staff member", "students": "student", "sections": "section",
           "studentSchoolAssociations": "school enrollment", "studentSectionAssociations": "section enrollment"}


def _same_type(expected: Any, value: Any) -> bool:
    if isinstance(expected, bool) or isinstance(value, bool):
        return isinstance(expected, bool) and isinstance(value, bool)
    if isinstance(expected, int | float):
        return isinstance(value, int | float)
    return isinstance(value, type(expected))


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value in ([], {})


def validate_first(target: EdFiTarget, resource: str) -> None:
    record = SCENARIO_CREATES[resource][0]
    spec = RESOURCES[resource]
    answer, items = target.find(resource, record)
    if len(items) != 1:
        raise Failure(f"the first {_LABELS[resource]} of the scenario matched {len(items)} item(s) by natural key",
                      expected="exactly one", received=str(len(items)), exchanges=evidence(answer))
    item = items[0]
    problems = []
    for name in spec.required:
        value = item.get(name)
        if _empty(value):
            problems.append(f"{name} is missing or empty")
        elif not _same_type(record.get(name), value):
            problems.append(f"{name} is a {type(value).__name__}, not a {type(record.get(name)).__name__}")
    for descriptor, value in descriptor_values(spec, item):
        if value not in target.descriptors(descriptor):
            problems.append(f"{value!r} is not a {descriptor[:-1]} the Ed-Fi API serves")
    if problems:
        raise Failure(f"the first {_LABELS[resource]} is not valid: " + "; ".join(problems),
                      expected="required fields present, typed and non-empty; Ed-Fi descriptors",
                      received="; ".join(problems), exchanges=evidence(answer))


def _scenario_check(number: int, resource: str) -> Callable[[EdFiTarget], None]:
    label = _LABELS[resource]

    @check(
        id=f"EDFICL-SCN-{number:03d}", standard=STANDARD, category="data-fidelity", level="required",
        requirements=("EDFICL-REQ-SCN-VALID",),
        title=f"The first {label} of the scenario is published valid",
        why=f"The state reads the {label} records the SIS sends; a blank, mistyped or unknown value is lost "
            "or rejected downstream.",
        remediation=f"Publish every {label} with each required field present, correctly typed and non-empty, "
                    "and descriptors taken from the Ed-Fi API's own descriptor lists.",
        ref=f"{SIS_REF}: '1st {label} is valid'",
    )
    def scenario_check(edfi_target: EdFiTarget) -> None:
        validate_first(edfi_target, resource)

    scenario_check.__name__ = scenario_check.__qualname__ = f"check_first_{resource}_valid"
    return scenario_check


check_first_school_valid = _scenario_check(1, "schools")
check_first_staff_valid = _scenario_check(2, "staffs")
check_first_student_valid = _scenario_check(3, "students")
check_first_section_valid = _scenario_check(4, "sections")
check_first_school_enrollment_valid = _scenario_check(5, "studentSchoolAssociations")
check_first_section_enrollment_valid = _scenario_check(6, "studentSectionAssociations")


@check(
    id="EDFICL-UPD-001", standard=STANDARD, category="data-fidelity", level="required",
    requirements=("EDFICL-REQ-UPD",),
    title="The scenario's updates reach the Ed-Fi API (the updated fields changed)",
    why="A correction made in the SIS (a new address, a new birth city) must reach the state without anyone "
        "re-entering it.",
    remediation="Propagate every change of a published record, by POST (upsert) or PUT, without user action.",
    ref=f"{SIS_REF}: '... was Updated'; testing requirements (source updates propagate)",
)
def check_updates(edfi_target: EdFiTarget) -> None:
    problems = []
    for update in SCENARIO_UPDATES:
        record = SCENARIO_CREATES[update.resource][update.index]
        created = [w for w in edfi_target.writes_of(update.resource, record)
                   if w.get("method") == "POST" and isinstance(w.get("status"), int) and w["status"] < 300]
        _, items = edfi_target.find(update.resource, record)
        if not created or len(items) != 1:
            problems.append(f"{update.resource} {update.field}: the record was not found")
            continue
        before, now = get_path(created[0].get("body") or {}, update.field), get_path(items[0], update.field)
        if before == now:
            problems.append(f"{update.resource} {update.field} still {now!r}")
    if problems:
        raise Failure(f"{len(problems)} update(s) did not reach the Ed-Fi API: " + "; ".join(problems),
                      expected="each updated field changed", received="; ".join(problems))


@check(
    id="EDFICL-DEL-001", standard=STANDARD, category="data-fidelity", level="required",
    requirements=("EDFICL-REQ-DEL",),
    title="The scenario's deleted records answer 404",
    why="A withdrawn enrollment that stays in the state's copy counts a student in the wrong school.",
    remediation="Send a DELETE to the Ed-Fi API for every record deleted in the SIS.",
    ref=f"{SIS_REF}: '... was Deleted'",
)
def check_deletes(edfi_target: EdFiTarget) -> None:
    problems = []
    shown = []
    for resource, index in SCENARIO_DELETES:
        record = SCENARIO_CREATES[resource][index]
        answer, items = edfi_target.find(resource, record)
        ids = {w.get("item") for w in edfi_target.writes_of(resource, record) if w.get("item")}
        if not ids:
            problems.append(f"{resource} {index + 1} was never published, so its deletion cannot be shown")
        if items:
            problems.append(f"{resource} {index + 1} is still served")
            shown.append(answer)
        for item_id in sorted(i for i in ids if isinstance(i, str)):
            by_id = edfi_target.get(edfi_target.resource_url(resource, item_id))
            if by_id.status_code != 404:
                problems.append(f"{resource}/{item_id} answers HTTP {by_id.status_code}")
                shown.append(by_id)
    if problems:
        raise Failure("deleted records are still there: " + "; ".join(problems), expected="HTTP 404",
                      received="; ".join(problems), exchanges=evidence(*shown[:2]))
