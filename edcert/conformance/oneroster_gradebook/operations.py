"""Operations: every Gradebook read operation answers 200 with its records under the right key.

Generated per flavor: GET all and GET one of the six entities (categories, lineItems, results,
scoreScales and the Assessment Results profile's assessmentLineItems and assessmentResults), then the
seven class- and school-scoped reads. Collections come from the run's cache; a single-object or scoped
read makes one request, for a sourcedId taken from the provider's own gradebook data.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import pytest

from edcert.conformance.oneroster._service import (
    Flavor,
    ServiceSession,
    check_single,
    first_of,
    ids_of,
    read_list,
    records_for_pick,
    ref_of,
    register,
)
from edcert.conformance.oneroster_gradebook._fixtures import FLAVORS, V1P1_SCOPED, entities, session
from edcert.conformance.oneroster_gradebook._models import ENTITIES
from edcert.harness.errors import NotApplicable

# (endpoint, getAll operation, get operation, level)
FLAT = (
    ("categories", "getAllCategories", "getCategory", "required"),
    ("lineItems", "getAllLineItems", "getLineItem", "required"),
    ("results", "getAllResults", "getResult", "required"),
    ("scoreScales", "getAllScoreScales", "getScoreScale", "required"),
    ("assessmentLineItems", "getAllAssessmentLineItems", "getAssessmentLineItem", "recommended"),
    ("assessmentResults", "getAllAssessmentResults", "getAssessmentResult", "recommended"),
)

Picker = Callable[[ServiceSession, str], dict[str, str]]


def _line_item(gb: ServiceSession, check_id: str) -> dict[str, str]:
    """A lineItem with a class, preferring one that has results."""
    items = [i for i in records_for_pick(gb, "lineItems", check_id) if ref_of(i, "class")]
    scored = {ref_of(r, "lineItem") for r in records_for_pick(gb, "results", check_id)}
    chosen = [i for i in items if i.get("sourcedId") in scored] or items
    sid = first_of(ids_of(chosen), "line item with a class")
    item = next(i for i in chosen if i.get("sourcedId") == sid)
    return {"classSourcedId": str(ref_of(item, "class")), "lineItemSourcedId": sid}


def _class(gb: ServiceSession, check_id: str) -> dict[str, str]:
    return {"classSourcedId": _line_item(gb, check_id)["classSourcedId"]}


def _class_student(gb: ServiceSession, check_id: str) -> dict[str, str]:
    results = records_for_pick(gb, "results", check_id)
    pairs = [(ref_of(r, "class"), ref_of(r, "student")) for r in results]
    items = {i.get("sourcedId"): ref_of(i, "class") for i in records_for_pick(gb, "lineItems", check_id)}
    pairs += [(items.get(ref_of(r, "lineItem")), ref_of(r, "student")) for r in results]
    for klass, student in pairs:
        if klass and student:
            return {"classSourcedId": klass, "studentSourcedId": student}
    raise NotApplicable("no result names both a class and a student")


def _school(gb: ServiceSession, check_id: str) -> dict[str, str]:
    schools = [ref_of(i, "school") for i in records_for_pick(gb, "lineItems", check_id)]
    return {"schoolSourcedId": first_of(schools, "school")}


@dataclass(frozen=True)
class Scoped:
    template: str
    operation: str
    lists: str  # the entity endpoint whose key wraps the answer
    pick: Picker
    parents: str


_C = "/classes/{classSourcedId}"
SCOPED: tuple[Scoped, ...] = (
    Scoped(_C + "/categories", "getCategoriesForClass", "categories", _class, "a class"),
    Scoped(_C + "/lineItems", "getLineItemsForClass", "lineItems", _class, "a class"),
    Scoped(_C + "/lineItems/{lineItemSourcedId}/results", "getResultsForLineItemForClass", "results",
           _line_item, "a line item of a class"),
    Scoped(_C + "/results", "getResultsForClass", "results", _class, "a class"),
    Scoped(_C + "/scoreScales", "getScoreScalesForClass", "scoreScales", _class, "a class"),
    Scoped(_C + "/students/{studentSourcedId}/results", "getResultsForStudentForClass", "results",
           _class_student, "a student in a class"),
    Scoped("/schools/{schoolSourcedId}/scoreScales", "getScoreScalesForSchool", "scoreScales", _school,
           "a school"),
)


def collection_check_id(flavor: Flavor, endpoint: str) -> str:
    index = [f[0] for f in FLAT].index(endpoint)
    return f"{flavor.prefix}-OPS-{index + 1:03d}"


def _declare(flavor: Flavor) -> None:
    base = f"{{base}}{flavor.base_path}"
    served = entities(flavor)
    for n, (endpoint, get_all, get_one, level) in enumerate(FLAT, start=1):
        if endpoint not in served:
            continue
        key, one_key, _shape, plural, noun = served[endpoint]
        tags = ("assessment-results",) if endpoint.startswith("assessment") else ("1edtech:gradebook-core",)

        def collection(request: pytest.FixtureRequest, _f: Flavor = flavor, _e: str = endpoint) -> None:
            session(request, _f).collection(_e)

        register(globals(), collection, f"check_{flavor.prefix.lower()}_get_{endpoint}", flavor, "operations", dict(
            id=f"{flavor.prefix}-OPS-{n:03d}", level=level, tags=tags,
            requirements=(flavor.requirement(f"OP-{get_all}"),),
            title=f"GET /{endpoint} answers 200 with its records in the '{key}' array",
            why=f"A school system cannot read the {plural} teachers keep in this product unless /{endpoint} "
                "answers the way the standard lays out.",
            remediation=f'Serve GET {base}/{endpoint} with HTTP 200 and a JSON body {{"{key}": [ ... ]}}, paged '
                        "with limit and offset.",
            ref=f"{flavor.binding}, operation {get_all}; {flavor.openapi}: its 200 response",
        ))

        def single(request: pytest.FixtureRequest, _f: Flavor = flavor, _e: str = endpoint, _k: str = one_key,
                   _noun: str = noun) -> None:
            check_single(session(request, _f), _e, _k, _noun, collection_check_id(_f, _e))

        register(globals(), single, f"check_{flavor.prefix.lower()}_get_one_{endpoint}", flavor, "operations", dict(
            id=f"{flavor.prefix}-OPS-{n + len(FLAT):03d}", level=level, tags=tags,
            requirements=(flavor.requirement(f"OP-{get_one}"),),
            title=f"GET /{endpoint}/{{sourcedId}} answers 200 with that {noun} under '{one_key}'",
            why=f"A school system that looks up one {noun} by its id must get exactly that record back.",
            remediation=f'Serve GET {base}/{endpoint}/{{sourcedId}} with HTTP 200 and {{"{one_key}": {{...}}}} '
                        "holding the one record with that sourcedId (an object, not a list).",
            ref=f"{flavor.binding}, operation {get_one}; {flavor.openapi}: its 200 response",
        ))
    for n, op in enumerate(SCOPED, start=2 * len(FLAT) + 1):
        if flavor.v1p1 and op.operation not in V1P1_SCOPED:
            continue
        key = ENTITIES[op.lists][0]
        plural = ENTITIES[op.lists][3]

        def scoped(request: pytest.FixtureRequest, _f: Flavor = flavor, _op: Scoped = op) -> None:
            gb = session(request, _f)
            params = _op.pick(gb, collection_check_id(_f, "lineItems"))
            path = _op.template.format(**{k: quote(v, safe="") for k, v in params.items()})
            read_list(gb, path, ENTITIES[_op.lists][0])

        register(globals(), scoped, f"check_{flavor.prefix.lower()}_{op.operation}", flavor, "operations", dict(
            id=f"{flavor.prefix}-OPS-{n:03d}", level="recommended", tags=("gradebook",),
            requirements=(flavor.requirement(f"OP-{op.operation}"),),
            title=f"GET {op.template} answers 200 with the {plural} in the '{key}' array",
            why=f"Teachers' tools read the {plural} of {op.parents} through this address; it must answer.",
            remediation=f'Serve GET {base}{op.template} (scope gradebook.readonly) with HTTP 200 and a JSON body '
                        f'{{"{key}": [ ... ]}} whose items are full records, each with its sourcedId.',
            ref=f"{flavor.binding}, operation {op.operation}; {flavor.openapi}: its 200 response",
        ))


for _flavor in FLAVORS:
    _declare(_flavor)
