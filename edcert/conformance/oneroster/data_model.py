"""Data model: every record the provider serves matches the OneRoster 1.2 model.

Reads the six core collections (and demographics, when claimed) through
``oneroster.collection`` only: no request of its own. Each record is checked
once against its shape (``models.py``); the checks below partition the
problems by rule, so one kind of defect fails one check:

- OR12-DM-001..006: required properties present and of the right JSON type,
  one check per core entity; OR12-DM-007 demographics, every rule at once
  (demographics are outside Rostering Core, so the check is recommended);
- OR12-DM-008 enumerations, 009 date / date-time / year formats, 010 the
  GUIDRef shape, 011 string booleans, 012 status values (core entities);
- OR12-DM-013 no properties outside the model (recommended);
- OR12-DM-014 sourcedIds unique within each core collection.

Messages name records by sourcedId and properties by name; values are shown
only for non-personal properties (an enumeration or a status), never for a
person's data.
"""
from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import pytest

from edcert.conformance.oneroster._common import CORE_TAG, REST_BINDING, STANDARD
from edcert.conformance.oneroster._fixtures import Collection, OneRosterSession
from edcert.conformance.oneroster.models import (
    SHAPES,
    Issue,
    Rule,
    id_list,
    join_groups,
    record_id,
    validate_all,
)
from edcert.harness import check
from edcert.harness.errors import Failure
from edcert.harness.evidence import Exchange

CORE_COLLECTIONS = ("orgs", "academicSessions", "courses", "classes", "users", "enrollments")
OPENAPI = "OneRoster 1.2 Rostering OpenAPI"
CATEGORY = "data-model"


# -- validation, once per collection per run ------------------------------------------------------


@dataclass
class _Validated:
    ref: weakref.ReferenceType[Collection]
    issues: dict[int, list[Issue]]


_CACHE: dict[int, _Validated] = {}


def validated(oneroster: OneRosterSession, endpoint: str) -> tuple[Collection, dict[int, list[Issue]]]:
    """The collection and the issues of its records that have any, by index (computed once per fetched collection)."""
    collection = oneroster.collection(endpoint)
    key = id(collection)
    found = _CACHE.get(key)
    if found is None or found.ref() is not collection:
        shape = getattr(oneroster, "shapes", SHAPES)[endpoint]  # a 1.1 session brings the 1.1 shapes
        dirty = collection.dirty if collection.tested is shape else None  # tested while reading
        found = _Validated(weakref.ref(collection), validate_all(collection.records, shape, dirty))
        _CACHE[key] = found
        weakref.finalize(collection, _CACHE.pop, key, None)
    return collection, found.issues


@dataclass
class Group:
    """One kind of problem in one collection: how many records, which ones."""

    endpoint: str
    total: int
    issue: Issue
    ids: list[str]
    count: int
    first_index: int

    def text(self) -> str:
        shown = f", e.g. {self.issue.shown}" if self.issue.shown else ""
        return (f"{self.count} of {self.total} {self.endpoint}: {self.issue.path} {self.issue.problem}{shown} "
                f"({id_list(self.ids, self.count)})")


def groups_of(endpoint: str, collection: Collection, issues: dict[int, list[Issue]],
              rules: Iterable[Rule]) -> list[Group]:
    """The problems of ``rules`` among ``issues`` (:func:`validated`), grouped by kind, most frequent first."""
    wanted = set(rules)
    groups: dict[tuple[Rule, str, str], Group] = {}
    for index in sorted(issues):
        record, record_issues = collection.records[index], issues[index]
        seen: set[tuple[Rule, str, str]] = set()
        for issue in record_issues:
            if issue.rule not in wanted or issue.key in seen:
                continue
            seen.add(issue.key)
            group = groups.get(issue.key)
            if group is None:
                group = groups[issue.key] = Group(endpoint, len(collection.records), issue, [], 0, index)
            group.count += 1
            if len(group.ids) < 4:
                group.ids.append(record_id(record, index))
    return sorted(groups.values(), key=lambda g: (-g.count, g.issue.path, g.issue.problem))


def page_of(oneroster: OneRosterSession, collection: Collection, index: int) -> list[Exchange]:
    """The recorded page that holds record ``index`` (the walk asked for ``page_size`` per page)."""
    if not collection.pages:
        return []
    return [collection.pages[min(index // oneroster.config.page_size, len(collection.pages) - 1)]]


def evidence_of(oneroster: OneRosterSession, collections: dict[str, Collection], groups: list[Group],
                limit: int = 3) -> list[Exchange]:
    out: list[Exchange] = []
    for group in groups[:limit]:
        for exchange in page_of(oneroster, collections[group.endpoint], group.first_index):
            if all(exchange is not e for e in out):
                out.append(exchange)
    return out


def fail_if_issues(oneroster: OneRosterSession, endpoints: Iterable[str], rules: Iterable[Rule],
                   expected: str) -> None:
    """Fail with a summary when any record of ``endpoints`` breaks one of ``rules``."""
    rules = tuple(rules)
    groups: list[Group] = []
    collections: dict[str, Collection] = {}
    for endpoint in endpoints:
        collection, issues = validated(oneroster, endpoint)
        collections[endpoint] = collection
        groups.extend(groups_of(endpoint, collection, issues, rules))
    if groups:
        raise Failure(join_groups([g.text() for g in groups]), expected=expected, received=groups[0].text(),
                      exchanges=evidence_of(oneroster, collections, groups))


def duplicates(oneroster: OneRosterSession, endpoint: str) -> tuple[Collection, list[str], Counter[str]]:
    collection = oneroster.collection(endpoint)
    if collection.with_ids is not None and collection.with_ids == len(collection.by_id()):
        return collection, [], Counter()  # counted while reading: every sourcedId once
    counts = Counter(r["sourcedId"] for r in collection.records if isinstance(r.get("sourcedId"), str))
    dups = [sid for sid, n in counts.items() if n > 1]
    return collection, dups, counts


def require_demographics(oneroster: OneRosterSession) -> None:
    if not oneroster.config.demographics:
        pytest.skip("the vendor does not claim the demographics endpoints")


# -- OR12-DM-001..006: required properties, per core entity -----------------------------------------

_REQUIRED_REMEDIATION = (
    "Serve every {entity} with all properties the 1.2 model requires ({fields}), each of the JSON type "
    "the model gives it (strings as strings, lists as lists, nested objects as objects); leave optional "
    "properties out rather than sending them with another type."
)

_PER_ENTITY: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("OR12-DM-001", "orgs", "org", "OrgDType", "sourcedId, status, dateLastModified, name, type, identifier",
     "Without an org's name, type and identifier, an application cannot tell which school a record belongs to."),
    ("OR12-DM-002", "academicSessions", "academic session", "AcademicSessionDType",
     "sourcedId, status, dateLastModified, title, startDate, endDate, type, schoolYear",
     "Without the dates and type of each term, an application cannot place classes and grades in the "
     "school calendar."),
    ("OR12-DM-003", "courses", "course", "CourseDType", "sourcedId, status, dateLastModified, title, courseCode",
     "Without a course's title and code, teachers and staff cannot recognise the course in the application."),
    ("OR12-DM-004", "classes", "class", "ClassDType",
     "sourcedId, status, dateLastModified, title, course, school, terms (at least one)",
     "Without a class's course, school and terms, an application cannot set the class up for the right "
     "students at the right time."),
    ("OR12-DM-005", "users", "user", "UserDType",
     "sourcedId, status, dateLastModified, enabledUser, givenName, familyName, roles (at least one, each "
     "with roleType, role and org)",
     "Without names and roles, an application cannot create accounts for the district's students and staff."),
    ("OR12-DM-006", "enrollments", "enrollment", "EnrollmentDType",
     "sourcedId, status, dateLastModified, user, class, school, role",
     "Without the user, class and role of each enrollment, an application cannot put students and teachers "
     "into their classes."),
)


# The requirement (fixtures/requirements/oneroster-1.2.toml) each entity's check enforces.
_ENTITY_REQUIREMENTS = {
    "orgs": "OR12-REQ-DM-ORG", "academicSessions": "OR12-REQ-DM-ACADEMIC-SESSION", "courses": "OR12-REQ-DM-COURSE",
    "classes": "OR12-REQ-DM-CLASS", "users": "OR12-REQ-DM-USER", "enrollments": "OR12-REQ-DM-ENROLLMENT",
}


def _make_required_check(check_id: str, endpoint: str, entity: str, dtype: str, fields: str, why: str) -> None:
    def run(oneroster: OneRosterSession) -> None:
        fail_if_issues(oneroster, [endpoint], (Rule.REQUIRED, Rule.TYPE),
                       expected=f"every {entity} has {fields}, each of its JSON type")

    name = f"check_{endpoint}_required_properties"
    run.__name__ = name
    run.__qualname__ = name
    run.__doc__ = f"Every {entity} carries the required 1.2 properties, with the right JSON types."
    decorated = check(
        id=check_id, standard=STANDARD, category=CATEGORY, level="required", tags=(CORE_TAG,),
        title=f"Every {entity} served by /{endpoint} has the required properties, of the right JSON type",
        why=why,
        remediation=_REQUIRED_REMEDIATION.format(entity=entity, fields=fields),
        ref=f"{OPENAPI}: {dtype} (required, property types)",
        requirements=(_ENTITY_REQUIREMENTS[endpoint],),
    )(run)
    globals()[name] = decorated


for _args in _PER_ENTITY:
    _make_required_check(*_args)


# -- OR12-DM-007: demographics ------------------------------------------------------------------------


@check(
    id="OR12-DM-007", standard=STANDARD, category=CATEGORY, level="recommended", tags=("privacy",),
    requirements=("OR12-REQ-DM-DEMOGRAPHICS", "OR12-REQ-DM-SOURCEDID-UNIQUE"),
    title="Every demographics record served by /demographics matches the 1.2 demographics model",
    why="Demographic data that does not follow the standard gets misread or dropped in state and federal "
        "reporting.",
    remediation="Serve each demographics record with sourcedId, status (active|tobedeleted) and an RFC 3339 "
                "dateLastModified; birthDate as YYYY-MM-DD; sex as male|female|unspecified|other (or ext:...); "
                "the race and ethnicity flags as the strings \"true\"/\"false\"; one record per sourcedId.",
    ref=f"{OPENAPI}: DemographicsDType",
)
def check_demographics_model(oneroster: OneRosterSession) -> None:
    require_demographics(oneroster)
    rules = tuple(r for r in Rule if r is not Rule.EXTRA)
    collection, issues = validated(oneroster, "demographics")
    groups = groups_of("demographics", collection, issues, rules)
    texts = [g.text() for g in groups]
    _, dups, _counts = duplicates(oneroster, "demographics")
    if dups:
        texts.append(f"demographics: {len(dups)} sourcedId(s) appear more than once ({id_list(dups)})")
    if texts:
        exchanges = evidence_of(oneroster, {"demographics": collection}, groups) or collection.evidence()
        raise Failure(join_groups(texts), expected="every demographics record valid against DemographicsDType",
                      received=texts[0], exchanges=exchanges)


# -- OR12-DM-008..012: one rule across the core entities -------------------------------------------------


@check(
    id="OR12-DM-008", standard=STANDARD, category=CATEGORY, level="required", tags=(CORE_TAG,),
    requirements=("OR12-REQ-DM-VOCABULARY",),
    title="Every enumerated value (org type, session type, classType, role, roleType, enrollment role) is one "
          "of the 1.2 values, exactly as spelled, or an ext: extension",
    why="An application matches these words exactly; a \"Teacher\" or \"Scheduled\" it does not recognise "
        "means missing classes or wrong permissions.",
    remediation="Use the 1.2 vocabularies exactly (case-sensitive): org type department|district|local|national|"
                "school|state, academicSession type gradingPeriod|semester|schoolYear|term, classType homeroom|"
                "scheduled, roles[].roleType primary|secondary, roles[].role aide|counselor|districtAdministrator|"
                "guardian|parent|principal|proctor|relative|siteAdministrator|student|systemAdministrator|"
                "teacher, enrollment role administrator|proctor|student|teacher; prefix any local value with "
                "'ext:'.",
    ref=f"{OPENAPI}: OrgDType.type, AcademicSessionDType.type, ClassDType.classType, RoleDType, "
        "EnrollmentDType.role",
)
def check_enumerations(oneroster: OneRosterSession) -> None:
    fail_if_issues(oneroster, CORE_COLLECTIONS, (Rule.ENUM,),
                   expected="values from the 1.2 vocabularies (case-sensitive) or ext:[a-zA-Z0-9.-_]+")


@check(
    id="OR12-DM-009", standard=STANDARD, category=CATEGORY, level="required", tags=(CORE_TAG,),
    requirements=("OR12-REQ-DM-DATES",),
    title="dateLastModified is an RFC 3339 date-time; startDate, endDate, beginDate are YYYY-MM-DD dates; "
          "schoolYear is a 4-digit year",
    why="Applications sync only what changed since a given moment and schedule by calendar dates; dates in "
        "another format break both.",
    remediation="Serve dateLastModified as an RFC 3339 date-time in UTC (e.g. 2026-06-01T02:00:00Z); "
                "academicSession startDate/endDate, enrollment and role beginDate/endDate as YYYY-MM-DD; "
                "academicSession schoolYear as YYYY (the year the school year ends).",
    ref=f"{OPENAPI}: dateLastModified (format date-time), startDate/endDate/beginDate (format date), "
        "AcademicSessionDType.schoolYear",
)
def check_date_formats(oneroster: OneRosterSession) -> None:
    fail_if_issues(oneroster, CORE_COLLECTIONS, (Rule.FORMAT,),
                   expected="date-times per RFC 3339, dates as YYYY-MM-DD, schoolYear as YYYY")


@check(
    id="OR12-DM-010", standard=STANDARD, category=CATEGORY, level="required", tags=(CORE_TAG,),
    requirements=("OR12-REQ-DM-GUIDREF",),
    title="Every reference to another record is an object {href, sourcedId, type} with the right type",
    why="Applications follow these links to connect students, classes and schools; a malformed link leaves "
        "records unconnected.",
    remediation="Serve every reference (class.course, class.school, class.terms[], enrollment.user/class/school, "
                "user.roles[].org, user.primaryOrg, user.agents[], course.org, course.schoolYear, parent, "
                "children[]) as {\"href\": ..., \"sourcedId\": ..., \"type\": ...} with type org, user, class, "
                "course or academicSession as the property requires.",
    ref=f"{OPENAPI}: OrgGUIDRefDType, UserGUIDRefDType, ClassGUIDRefDType, CourseGUIDRefDType, "
        "AcadSessionGUIDRefDType",
)
def check_guidref_shape(oneroster: OneRosterSession) -> None:
    fail_if_issues(oneroster, CORE_COLLECTIONS, (Rule.GUIDREF,),
                   expected="references as {href, sourcedId, type} with the type the property requires")


@check(
    id="OR12-DM-011", standard=STANDARD, category=CATEGORY, level="required", tags=(CORE_TAG,),
    requirements=("OR12-REQ-DM-BOOLEAN-STRINGS",),
    title='Booleans (enabledUser, enrollment primary) are the strings "true" or "false"',
    why="Applications read these flags as the text the standard prescribes; anything else can lock users "
        "out or lose the primary teacher.",
    remediation='Serve user.enabledUser and enrollment.primary as the JSON strings "true" or "false" (not JSON '
                "booleans, not other spellings).",
    ref=f"{OPENAPI}: UserDType.enabledUser, EnrollmentDType.primary (enum \"true\", \"false\")",
)
def check_string_booleans(oneroster: OneRosterSession) -> None:
    fail_if_issues(oneroster, CORE_COLLECTIONS, (Rule.BOOLEAN,), expected='the string "true" or "false"')


@check(
    id="OR12-DM-012", standard=STANDARD, category=CATEGORY, level="required", tags=(CORE_TAG,),
    requirements=("OR12-REQ-DM-STATUS",),
    title="Every record's status is active or tobedeleted",
    why="The status tells an application which records to keep and which to remove; an unknown status "
        "leaves departed students or staff with access.",
    remediation="Serve status as 'active' or 'tobedeleted' only (1.1's 'inactive' was removed; map it to "
                "'tobedeleted').",
    ref=f"{OPENAPI}: status (enum active, tobedeleted) on every entity",
)
def check_status_values(oneroster: OneRosterSession) -> None:
    fail_if_issues(oneroster, CORE_COLLECTIONS, (Rule.STATUS,), expected="active or tobedeleted")


# -- OR12-DM-013: nothing outside the model ------------------------------------------------------------------


@check(
    id="OR12-DM-013", standard=STANDARD, category=CATEGORY, level="recommended",
    requirements=("OR12-REQ-DM-CLOSED-MODEL",),
    title="Records carry no properties outside the 1.2 model (extensions go under metadata)",
    why="Extra, non-standard fields can be rejected by strict applications and may expose data the district "
        "did not agree to share.",
    remediation="Remove properties the 1.2 model does not define from records and references, or move "
                "vendor-specific data under the record's 'metadata' object.",
    ref=f"{OPENAPI}: additionalProperties false on every entity and GUIDRef; MetadataDType for extensions",
)
def check_no_extra_properties(oneroster: OneRosterSession) -> None:
    endpoints = list(CORE_COLLECTIONS)
    if oneroster.config.demographics:
        try:
            oneroster.collection("demographics")
            endpoints.append("demographics")
        except Failure:
            pass  # unreadable demographics are OR12-DM-007's finding, not this check's
    fail_if_issues(oneroster, endpoints, (Rule.EXTRA,),
                   expected="only the properties of the 1.2 model (extensions under metadata)")


# -- OR12-DM-014: unique sourcedIds --------------------------------------------------------------------------------


@check(
    id="OR12-DM-014", standard=STANDARD, category=CATEGORY, level="required", tags=(CORE_TAG,),
    requirements=("OR12-REQ-DM-SOURCEDID-UNIQUE",),
    title="sourcedIds are unique within each collection",
    why="The sourcedId is how every application tells records apart; a repeated one makes two people or two "
        "classes collide.",
    remediation="Serve each record once per collection, under a sourcedId no other record of that collection "
                "uses.",
    ref=f"{OPENAPI}: sourcedId (\"All objects MUST be identified by a Source Identifier\"); "
        f"{REST_BINDING} §3 (collections)",
)
def check_unique_sourced_ids(oneroster: OneRosterSession) -> None:
    texts: list[str] = []
    exchanges: list[Exchange] = []
    for endpoint in CORE_COLLECTIONS:
        collection, dups, counts = duplicates(oneroster, endpoint)
        if not dups:
            continue
        shown = [f"{sid} ×{counts[sid]}" for sid in dups]
        texts.append(f"{endpoint}: {len(dups)} sourcedId(s) appear more than once ({id_list(shown)})")
        first = next(i for i, r in enumerate(collection.records) if r.get("sourcedId") in set(dups))
        last = max(i for i, r in enumerate(collection.records) if r.get("sourcedId") == collection.records[first]
                   ["sourcedId"])
        for index in (first, last):
            for exchange in page_of(oneroster, collection, index):
                if all(exchange is not e for e in exchanges):
                    exchanges.append(exchange)
    if texts:
        raise Failure(join_groups(texts), expected="each sourcedId once per collection", received=texts[0],
                      exchanges=exchanges[:5])
