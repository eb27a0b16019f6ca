"""Operations: each of the 41 OneRoster 1.2 Rostering GET operations answers 200 with its records.

One check per operation, generated from the tables below: the 11 core collections and
their 11 single-object reads (Rostering Core), the 2 demographics operations and the 17
nested operations. Collections are read through the run's shared cache; single-object
and nested reads make one request each, for one sourcedId sampled from the cached data.
Whether nested answers agree with the flat collections is the referential-integrity
family's business, not this one's.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from edcert.conformance.oneroster._common import (
    CORE_TAG,
    REST_BINDING,
    STANDARD,
    evidence,
    expect_status,
    shared_probe,
)
from edcert.conformance.oneroster._fixtures import (
    COLLECTION_KEYS,
    SINGLE_KEYS,
    WHOLE_READS,
    OneRosterSession,
    first_ids,
    page_records,
)
from edcert.conformance.oneroster.integrity import Flat, user_role_rows
from edcert.conformance.oneroster.models import user_roles
from edcert.harness import check
from edcert.harness.errors import Failure, NotApplicable
from edcert.harness.http import json_body

OPENAPI = "OneRoster 1.2 Rostering OpenAPI (onerosterv1p2rostersservice_openapi3_v1p0)"
NESTED_LIMIT = 100
Record = dict[str, Any]

# The 11 core collections, in the order of the 1.2 operation list.
CORE = ("academicSessions", "classes", "courses", "enrollments", "gradingPeriods", "orgs", "schools",
        "students", "teachers", "terms", "users")

# The operation names of the 1.2 binding: (collection, single object).
OPERATIONS = {
    "academicSessions": ("getAllAcademicSessions", "getAcademicSession"),
    "classes": ("getAllClasses", "getClass"),
    "courses": ("getAllCourses", "getCourse"),
    "enrollments": ("getAllEnrollments", "getEnrollment"),
    "gradingPeriods": ("getAllGradingPeriods", "getGradingPeriod"),
    "orgs": ("getAllOrgs", "getOrg"),
    "schools": ("getAllSchools", "getSchool"),
    "students": ("getAllStudents", "getStudent"),
    "teachers": ("getAllTeachers", "getTeacher"),
    "terms": ("getAllTerms", "getTerm"),
    "users": ("getAllUsers", "getUser"),
    "demographics": ("getAllDemographics", "getDemographics"),
}



def requirement_of(operation: str) -> str:
    """The requirement id (fixtures/requirements/oneroster-1.2.toml) of one operation of the 1.2 list."""
    return f"OR12-REQ-OP-{operation}"


# What each endpoint lists, in words a reader of the scorecard knows.
NOUNS = {
    "academicSessions": ("academic sessions", "academic session"),
    "classes": ("classes", "class"),
    "courses": ("courses", "course"),
    "enrollments": ("enrollments", "enrollment"),
    "gradingPeriods": ("grading periods", "grading period"),
    "orgs": ("organisations (district and schools)", "organisation"),
    "schools": ("schools", "school"),
    "students": ("students", "student"),
    "teachers": ("teachers", "teacher"),
    "terms": ("terms", "term"),
    "users": ("users", "user"),
    "demographics": ("demographics records", "demographics record"),
}


def _has_role(role: str) -> Callable[[Record], bool]:
    def keep(record: Record) -> bool:
        return any(name == role for name, _ in user_roles(record))

    return keep


def _of_type(kind: str) -> Callable[[Record], bool]:
    return lambda record: record.get("type") == kind


# A subset endpoint's records are also records of a flat one: where /students cannot be read,
# a student is still found among /users (so /students/{id} is tested on its own merits).
SUPERSETS: dict[str, tuple[str, Callable[[Record], bool]]] = {
    "students": ("users", _has_role("student")),
    "teachers": ("users", _has_role("teacher")),
    "schools": ("orgs", _of_type("school")),
    "terms": ("academicSessions", _of_type("term")),
    "gradingPeriods": ("academicSessions", _of_type("gradingPeriod")),
}


class _Listed(list[str]):
    """sourcedIds in pick order, and (made once, on first use) the set of them."""

    _known: frozenset[str] | None = None

    def known(self) -> frozenset[str]:
        if self._known is None:
            self._known = frozenset(self)
        return self._known


def _active_first(found: list[tuple[str, Any]]) -> _Listed:
    """(sourcedId, status) pairs as sourcedIds in order, active records first (a provider may hide tobedeleted ones)."""
    return _Listed([sid for sid, status in found if status == "active"]
                   + [sid for sid, status in found if status != "active"])


def _ids(records: Iterable[Record]) -> _Listed:
    """sourcedIds in order, active records first."""
    return _active_first([(sid, r.get("status")) for r in records
                          if isinstance(sid := r.get("sourcedId"), str) and sid])


def _first_id(records: Iterable[Record]) -> str | None:
    """``_ids(records)[0]`` without listing them all: the first active record's sourcedId, else the first one."""
    active, first = first_ids(records)
    return first if active is None else active


def _listed(oneroster: OneRosterSession, endpoint: str, purpose: str) -> _Listed:
    """``_ids`` of a collection the check picks from: listed once per run when it is the collection itself."""
    records = _records(oneroster, endpoint, purpose)
    found = oneroster.read_collection(endpoint)
    if found is not None and found.records is records:
        listed: _Listed = oneroster.derived(f"operations.ids.{endpoint}", lambda: _ids(records))
        return listed
    return _ids(records)  # another collection's records, filtered (SUPERSETS)


def _records(oneroster: OneRosterSession, endpoint: str, purpose: str) -> list[Record]:
    """A cached collection the check needs to pick a sourcedId from (its failure explained)."""
    try:
        return oneroster.collection(endpoint).records
    except Failure as failure:
        fallback = SUPERSETS.get(endpoint)
        if fallback is not None:
            try:
                return [r for r in oneroster.collection(fallback[0]).records if fallback[1](r)]
            except Failure:
                pass
        raise Failure(f"no {purpose} could be picked: {failure.message}", expected=failure.expected,
                      received=failure.received, exchanges=failure.exchanges) from None


def _soft(oneroster: OneRosterSession, endpoint: str) -> list[Record]:
    """A cached collection used only to prefer a parent with content (empty when unreadable)."""
    try:
        return oneroster.collection(endpoint).records
    except Failure:
        return []


def _ref(record: Record, name: str) -> str | None:
    ref = record.get(name)
    if isinstance(ref, dict) and isinstance(ref.get("sourcedId"), str):
        return str(ref["sourcedId"])
    return None


def _prefer(candidates: list[str], preferred: Iterable[str | None], what: str) -> str:
    """The first preferred id that really is a candidate, else the first candidate."""
    known = candidates.known() if isinstance(candidates, _Listed) else set(candidates)
    for sid in preferred:
        if sid is not None and sid in known:
            return sid
    if not candidates:
        raise NotApplicable(f"the provider lists no {what} to ask about")
    return candidates[0]


# -- the 22 core operations and the 2 demographics operations --------------------------------------


def _check_collection(oneroster: OneRosterSession, endpoint: str) -> None:
    oneroster.collection(endpoint)  # a Failure here names the status or the envelope that is wrong


def _check_single(oneroster: OneRosterSession, endpoint: str) -> None:
    noun = NOUNS[endpoint][1]
    # the first candidate _prefer would take, found without listing a large collection's every id: worked out
    # while the collection was read (a subset endpoint's records are not kept decoded: _fixtures.NOT_KEPT), else
    # among the records _records falls back to when the collection cannot be read (or its failure, explained)
    try:
        sid = oneroster.collection(endpoint).first_id
    except Failure:
        sid = _first_id(_records(oneroster, endpoint, f"{noun} sourcedId"))
    if sid is None:
        raise NotApplicable(f"the provider lists no {noun} to ask about")
    key = SINGLE_KEYS[endpoint]
    what = f"GET /{endpoint}/{sid}"
    response = oneroster.get(f"/{endpoint}/{quote(sid, safe='')}")
    expect_status(response, 200, what)
    body = json_body(response, what)
    found = body.get(key) if isinstance(body, dict) else None
    if not isinstance(found, dict):
        if isinstance(body, dict):
            shown = f"keys {sorted(body)[:5]}" if key not in body else f"'{key}' holding {_kind(found)}"
        else:
            shown = f"{_kind(body)} at the top level"
        raise Failure(f"{what} did not wrap the {noun} as one object under '{key}'",
                      expected=f'{{"{key}": {{...}}}}', received=shown, exchanges=evidence(response))
    if found.get("sourcedId") != sid:
        got = found.get("sourcedId")
        raise Failure(f"{what} answered a different record than the one asked for",
                      expected=f"sourcedId {sid}",
                      received=f"sourcedId {got}" if isinstance(got, str) else "no sourcedId",
                      exchanges=evidence(response))


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", type(None): "null"}.get(type(value), "a value")


def _core_checks() -> None:
    for n, endpoint in enumerate(CORE, start=1):
        plural_noun, one_noun = NOUNS[endpoint]
        key, one_key = COLLECTION_KEYS[endpoint], SINGLE_KEYS[endpoint]

        def collection(oneroster: OneRosterSession, _endpoint: str = endpoint) -> None:
            _check_collection(oneroster, _endpoint)

        WHOLE_READS[f"OR12-OPS-{n:03d}"] = (endpoint, lambda _config: True)
        _register(collection, f"check_get_{endpoint}", dict(
            id=f"OR12-OPS-{n:03d}", level="required", tags=(CORE_TAG,),
            title=f"GET /{endpoint} answers 200 with its records in the '{key}' array",
            why=f"A school system cannot read the district's {plural_noun} from a product whose /{endpoint} "
                "address does not answer the way the standard lays out.",
            remediation=f"Serve GET {{base}}/ims/oneroster/rostering/v1p2/{endpoint} with HTTP 200 and a JSON "
                        f'body {{"{key}": [ ... ]}} holding the records (paged with limit and offset).',
            ref=f"{REST_BINDING}, operation {OPERATIONS[endpoint][0]}; {OPENAPI}: its 200 response ({key} array)",
            requirements=(requirement_of(OPERATIONS[endpoint][0]),),
        ))

        def single(oneroster: OneRosterSession, _endpoint: str = endpoint) -> None:
            _check_single(oneroster, _endpoint)

        _register(single, f"check_get_one_{endpoint}", dict(
            id=f"OR12-OPS-{n + len(CORE):03d}", level="required", tags=(CORE_TAG,),
            title=f"GET /{endpoint}/{{sourcedId}} answers 200 with that {one_noun} under '{one_key}'",
            why=f"A school system that looks up one {one_noun} by its id must get exactly that record back.",
            remediation=f"Serve GET {{base}}/ims/oneroster/rostering/v1p2/{endpoint}/{{sourcedId}} with HTTP 200 "
                        f'and a JSON body {{"{one_key}": {{...}}}} holding the single record with that sourcedId '
                        "(an object, not a list).",
            ref=f"{REST_BINDING}, operation {OPERATIONS[endpoint][1]}; {OPENAPI}: its 200 response "
                f"({one_key} object)",
            requirements=(requirement_of(OPERATIONS[endpoint][1]),),
        ))


def _skip_unless_demographics(oneroster: OneRosterSession) -> None:
    if not oneroster.config.demographics:
        pytest.skip("the vendor does not claim demographics")


def _demographics_checks() -> None:
    def collection(oneroster: OneRosterSession) -> None:
        _skip_unless_demographics(oneroster)
        _check_collection(oneroster, "demographics")

    WHOLE_READS["OR12-OPS-023"] = ("demographics", lambda config: config.demographics)
    _register(collection, "check_get_demographics", dict(
        id="OR12-OPS-023", level="recommended", tags=("demographics",),
        title="GET /demographics answers 200 with its records in the 'demographics' array",
        why="A product that says it shares demographics must let the district's authorised systems read them.",
        remediation="Serve GET {base}/ims/oneroster/rostering/v1p2/demographics (scope "
                    'roster-demographics.readonly) with HTTP 200 and a JSON body {"demographics": [ ... ]}.',
        ref=f"{REST_BINDING}, operation getAllDemographics; {OPENAPI}: its 200 response (demographics array)",
        requirements=(requirement_of("getAllDemographics"),),
    ))

    def single(oneroster: OneRosterSession) -> None:
        _skip_unless_demographics(oneroster)
        _check_single(oneroster, "demographics")

    _register(single, "check_get_one_demographics", dict(
        id="OR12-OPS-024", level="recommended", tags=("demographics",),
        title="GET /demographics/{sourcedId} answers 200 with that record under 'demographics'",
        why="A school system that looks up one person's demographics must get exactly that record back.",
        remediation="Serve GET {base}/ims/oneroster/rostering/v1p2/demographics/{sourcedId} with HTTP 200 and a "
                    'JSON body {"demographics": {...}} (the singular key is also "demographics") holding the '
                    "record with that sourcedId.",
        ref=f"{REST_BINDING}, operation getDemographics; {OPENAPI}: its 200 response (demographics object)",
        requirements=(requirement_of("getDemographics"),),
    ))


# -- the 17 nested operations --------------------------------------------------------------------------

Picker = Callable[[OneRosterSession], dict[str, str]]


@dataclass(frozen=True)
class Nested:
    """One nested operation: its path, its name in the spec, what it lists and how to pick its parent(s)."""

    template: str  # with the spec's path parameter names
    operation: str
    lists: str  # the child endpoint (students, classes, ...): its collection key wraps the answer
    pick: Picker
    parents: str  # in words, for the scorecard

    def path(self, oneroster: OneRosterSession) -> str:
        params = self.pick(oneroster)
        return self.template.format(**{k: quote(v, safe="") for k, v in params.items()})


def _enrolled(oneroster: OneRosterSession, field: str, role: str | None) -> Iterator[str | None]:
    """What the enrollments (of ``role``) reference under ``field``, in order, produced as asked.

    ``_prefer`` stops at the first one that is a candidate, nearly always among the first enrollments:
    listing all of them (150,000 in a large district) for each picker cost more than the pick.
    """
    return (_ref(e, field) for e in _soft(oneroster, "enrollments") if role is None or e.get("role") == role)


def _class(role: str | None) -> Picker:
    def pick(oneroster: OneRosterSession) -> dict[str, str]:
        classes = _listed(oneroster, "classes", "class")
        return {"classSourcedId": _prefer(classes, _enrolled(oneroster, "class", role), "class")}

    return pick


def _school_class(role: str | None) -> Picker:
    def pick(oneroster: OneRosterSession) -> dict[str, str]:
        classes = {r.get("sourcedId"): r for r in _records(oneroster, "classes", "class")}
        with_school = [r for r in classes.values() if _ref(r, "school") is not None]
        cid = _prefer(_ids(with_school), _enrolled(oneroster, "class", role), "class with a school")
        return {"schoolSourcedId": str(_ref(classes[cid], "school")), "classSourcedId": cid}

    return pick


def _school(role: str | None = None, *, via_classes: bool = False) -> Picker:
    def pick(oneroster: OneRosterSession) -> dict[str, str]:
        schools = _ids(r for r in _records(oneroster, "orgs", "school") if r.get("type") == "school")
        preferred: Iterable[str | None]
        if via_classes:
            preferred = [_ref(c, "school") for c in _soft(oneroster, "classes")]
        else:
            preferred = _enrolled(oneroster, "school", role)
        return {"schoolSourcedId": _prefer(schools, preferred, "school")}

    return pick


def _course(oneroster: OneRosterSession) -> dict[str, str]:
    courses = _listed(oneroster, "courses", "course")
    preferred = (_ref(c, "course") for c in _soft(oneroster, "classes"))
    return {"courseSourcedId": _prefer(courses, preferred, "course")}


def user_candidates(oneroster: OneRosterSession, role: str | None) -> _Listed:
    """``_ids`` of the users holding ``role`` (any user when None), listed once per run.

    From the users' (sourcedId, roles, status) rows the read worked out (``integrity.user_role_rows``): the
    same users, in the same order, as ``_ids`` of the records that ``_has_role(role)``.
    """
    _records(oneroster, "users", role or "user")  # a Failure here explains why no user could be picked

    def listed() -> _Listed:
        return _active_first(_role_holders(oneroster).get(role, []))

    found: _Listed = oneroster.derived(f"operations.user-candidates.{role}", listed)
    return found


def _role_holders(oneroster: OneRosterSession) -> dict[str | None, list[tuple[str, Any]]]:
    """(sourcedId, status) of the user rows holding each role name (under None: every row), in order: one
    scan of the users' rows for every role a picker asks about."""
    def build() -> dict[str | None, list[tuple[str, Any]]]:
        every: list[tuple[str, Any]] = []
        out: dict[str | None, list[tuple[str, Any]]] = {None: every}
        for uid, pairs, status in user_role_rows(Flat(oneroster)):
            if not uid:
                continue
            row = (uid, status)
            every.append(row)
            for name in {name for name, _ in pairs} if len(pairs) > 1 else [name for name, _ in pairs]:
                found = out.get(name)
                if found is None:
                    found = out[name] = []
                found.append(row)
        return out

    holders: dict[str | None, list[tuple[str, Any]]] = oneroster.derived("operations.role-holders", build)
    return holders


def _user(param: str, role: str | None) -> Picker:
    def pick(oneroster: OneRosterSession) -> dict[str, str]:
        return {param: _prefer(user_candidates(oneroster, role), _enrolled(oneroster, "user", role), role or "user")}

    return pick


def _term(*, with_grading_periods: bool) -> Picker:
    def pick(oneroster: OneRosterSession) -> dict[str, str]:
        sessions = _records(oneroster, "academicSessions", "term")
        terms = _ids(s for s in sessions if s.get("type") == "term")
        if with_grading_periods:
            preferred = [_ref(s, "parent") for s in sessions if s.get("type") == "gradingPeriod"]
        else:
            preferred = [t.get("sourcedId") for c in _soft(oneroster, "classes")
                         for t in c.get("terms") or [] if isinstance(t, dict)]
        return {"termSourcedId": _prefer(terms, preferred, "term")}

    return pick


_IN_SCHOOL = "/schools/{schoolSourcedId}/classes/{classSourcedId}"
NESTED: tuple[Nested, ...] = (
    Nested("/classes/{classSourcedId}/students", "getStudentsForClass", "students", _class("student"),
           "a class"),
    Nested("/classes/{classSourcedId}/teachers", "getTeachersForClass", "teachers", _class("teacher"),
           "a class"),
    Nested("/courses/{courseSourcedId}/classes", "getClassesForCourse", "classes", _course, "a course"),
    Nested("/schools/{schoolSourcedId}/classes", "getClassesForSchool", "classes", _school(via_classes=True),
           "a school"),
    Nested(_IN_SCHOOL + "/enrollments", "getEnrollmentsForClassInSchool", "enrollments", _school_class(None),
           "a class of a school"),
    Nested(_IN_SCHOOL + "/students", "getStudentsForClassInSchool", "students", _school_class("student"),
           "a class of a school"),
    Nested(_IN_SCHOOL + "/teachers", "getTeachersForClassInSchool", "teachers", _school_class("teacher"),
           "a class of a school"),
    Nested("/schools/{schoolSourcedId}/courses", "getCoursesForSchool", "courses", _school(via_classes=True),
           "a school"),
    Nested("/schools/{schoolSourcedId}/enrollments", "getEnrollmentsForSchool", "enrollments", _school(),
           "a school"),
    Nested("/schools/{schoolSourcedId}/students", "getStudentsForSchool", "students", _school("student"),
           "a school"),
    Nested("/schools/{schoolSourcedId}/teachers", "getTeachersForSchool", "teachers", _school("teacher"),
           "a school"),
    Nested("/schools/{schoolSourcedId}/terms", "getTermsForSchool", "terms", _school(via_classes=True),
           "a school"),
    Nested("/students/{studentSourcedId}/classes", "getClassesForStudent", "classes",
           _user("studentSourcedId", "student"), "a student"),
    Nested("/teachers/{teacherSourcedId}/classes", "getClassesForTeacher", "classes",
           _user("teacherSourcedId", "teacher"), "a teacher"),
    Nested("/terms/{termSourcedId}/classes", "getClassesForTerm", "classes", _term(with_grading_periods=False),
           "a term"),
    Nested("/terms/{termSourcedId}/gradingPeriods", "getGradingPeriodsForTerm", "gradingPeriods",
           _term(with_grading_periods=True), "a term"),
    Nested("/users/{userSourcedId}/classes", "getClassesForUser", "classes", _user("userSourcedId", None),
           "a user"),
)


def nested_answer(oneroster: OneRosterSession, op: Nested) -> tuple[str, httpx.Response]:
    """The path asked and the answer of one nested operation with the run's token (sent once per run)."""
    path = op.path(oneroster)
    response = shared_probe(oneroster, f"nested {path}",
                            lambda: oneroster.get(path, params={"limit": NESTED_LIMIT}))
    return path, response


def _check_nested(oneroster: OneRosterSession, op: Nested) -> None:
    if not oneroster.config.nested:
        pytest.skip("the vendor does not claim the nested endpoints")
    path, response = nested_answer(oneroster, op)
    what = f"GET {path}"
    records = page_records(response, COLLECTION_KEYS[op.lists], what)
    missing = [str(i) for i, r in enumerate(records)
               if not (isinstance(r.get("sourcedId"), str) and r["sourcedId"])]
    if missing:
        more = ", ..." if len(missing) > 3 else ""
        raise Failure(f"{what}: {len(missing)} of {len(records)} items carry no sourcedId "
                      f"(positions {', '.join(missing[:3])}{more})",
                      expected="every item an object with a sourcedId", received=f"{len(missing)} without",
                      exchanges=evidence(response))


def _nested_checks() -> None:
    for n, op in enumerate(NESTED, start=25):
        key = COLLECTION_KEYS[op.lists]
        plural = NOUNS[op.lists][0]

        def nested(oneroster: OneRosterSession, _op: Nested = op) -> None:
            _check_nested(oneroster, _op)

        _register(nested, f"check_{op.operation}", dict(
            id=f"OR12-OPS-{n:03d}", level="recommended", tags=("nested",),
            title=f"GET {op.template} answers 200 with the {plural} in the '{key}' array",
            why=f"A product that offers the standard's shortcut lists must answer this one, which gives the "
                f"{plural} of {op.parents}.",
            remediation=f"Serve GET {{base}}/ims/oneroster/rostering/v1p2{op.template} (scope roster.readonly) "
                        f'with HTTP 200 and a JSON body {{"{key}": [ ... ]}} whose items are full records, each '
                        "with its sourcedId.",
            ref=f"{REST_BINDING}, operation {op.operation}; {OPENAPI}: its 200 response ({key} array)",
            requirements=(requirement_of(op.operation),),
        ))


def _register(func: Callable[[OneRosterSession], None], name: str, meta: dict[str, Any]) -> None:
    func.__name__ = func.__qualname__ = name
    globals()[name] = check(standard=STANDARD, category="operations", **meta)(func)


_core_checks()
_demographics_checks()
_nested_checks()
