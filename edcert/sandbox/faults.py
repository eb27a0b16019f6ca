"""The fault catalogue: named, deliberate deviations of the reference sandbox.

Each fault breaks exactly one requirement of one standard, so that every check
can be shown to pass against the conformant sandbox and to fail against the
sandbox started with the fault that breaks what it tests. ``trips`` lists the
check ids a fault must trip; the check writers fill it in.

Faults are switched on per app (``create_app(..., faults=[...])``) and read at
one precise spot of the implementation through ``SandboxState.faulty(name)``.
"""
from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Fault:
    name: str
    standard: str
    sentence: str
    trips: tuple[str, ...] = ()


_OR12 = "oneroster-1.2"

_CATALOGUE: tuple[tuple[str, str], ...] = (
    # auth
    ("oneroster.auth.no-token-accepted",
     "Requests without any access token are served as if fully authorised."),
    ("oneroster.auth.any-token-accepted",
     "Any bearer string is accepted as a valid token (a request without a token is still refused)."),
    ("oneroster.auth.token-ignores-secret",
     "The token endpoint issues a token when the client secret is wrong (the client id is still checked)."),
    ("oneroster.auth.demographics-scope-not-enforced",
     "Demographics are served to tokens that lack the roster-demographics.readonly scope."),
    ("oneroster.auth.nested-scope-not-enforced",
     "The nested (roster.readonly) endpoints are served to a token holding only roster-core.readonly."),
    ("oneroster.auth.wrong-scope-401",
     "A valid token lacking the required scope is refused with 401 instead of 403."),
    ("oneroster.auth.token-no-expiry",
     "The token response carries no expires_in."),
    # errors
    ("oneroster.errors.401-plain-text",
     "401 responses carry a plain-text body instead of the imsx status payload."),
    ("oneroster.errors.unknown-id-200-empty",
     "A single-object GET for an unknown sourcedId answers 200 with the object set to null."),
    ("oneroster.errors.404-plain",
     "404 responses carry a plain-text body instead of the imsx status payload."),
    ("oneroster.errors.flat-codeminor",
     "The status payload carries a flat imsx_codeMinor string instead of the imsx_CodeMinor structure."),
    ("oneroster.errors.error-content-type-text",
     "Error responses carry the JSON status payload but label it Content-Type text/plain."),
    # envelope
    ("oneroster.envelope.singular-wrapped-as-plural",
     "Single-object GETs wrap the object in a one-item list under the plural key."),
    ("oneroster.envelope.subset-collections-own-key",
     "/students, /teachers, /schools, /terms and /gradingPeriods wrap their lists under their own name "
     "instead of users, orgs and academicSessions."),
    ("oneroster.envelope.collections-under-data",
     "Every collection answer (flat, demographics and nested) wraps its records under \"data\" instead of "
     "the entity's plural key."),
    # operations
    ("oneroster.ops.nested-not-implemented",
     "The 17 nested endpoints (e.g. /classes/{id}/students) do not exist (404)."),
    ("oneroster.ops.demographics-missing",
     "The two demographics endpoints do not exist (404)."),
    # paging
    ("oneroster.paging.ignores-limit",
     "The limit parameter is ignored: every page holds the default 100 records."),
    ("oneroster.paging.ignores-offset",
     "The offset parameter is ignored: every page starts at the first record."),
    ("oneroster.paging.off-by-one",
     "A page requested at offset N starts at record N+1 (one record is skipped)."),
    ("oneroster.paging.unstable-order",
     "Without a sort parameter the record order changes from request to request."),
    ("oneroster.paging.wrong-total-count",
     "X-Total-Count is one more than the number of matching records."),
    ("oneroster.paging.broken-link-header",
     "The Link header's rel=\"next\" points at the current page instead of the next one."),
    ("oneroster.paging.default-limit-unbounded",
     "Without a limit parameter the whole collection comes back in one response."),
    ("oneroster.paging.offset-past-end-error",
     "An offset greater than the number of records answers 500 instead of an empty page."),
    # filter
    ("oneroster.filter.ignored",
     "The filter parameter is validated but not applied: the unfiltered collection comes back."),
    ("oneroster.filter.gt-inclusive",
     "The > filter predicate behaves like >= (records equal to the value are included)."),
    ("oneroster.filter.or-as-and",
     "Two filter clauses joined by OR are combined as if joined by AND."),
    ("oneroster.filter.contains-exact",
     "The ~ (contains) filter predicate behaves like = (only whole values match)."),
    ("oneroster.filter.unknown-field-ignored",
     "A filter on a field the entity does not have is ignored (200, unfiltered) instead of 400."),
    # sort
    ("oneroster.sort.ignored",
     "The sort parameter is ignored: records come back in the default order."),
    ("oneroster.sort.desc-ignored",
     "orderBy=desc is ignored: sorted collections always come back ascending."),
    # fields
    ("oneroster.fields.ignored",
     "The fields parameter is validated but not applied: records come back with every field."),
    ("oneroster.fields.unknown-ignored",
     "Unknown names in the fields parameter are silently dropped instead of answering 400."),
    ("oneroster.fields.repeated-param-ignored",
     "Only the comma-separated fields form works; the repeated form (fields=a&fields=b) returns every field."),
    # data model
    ("oneroster.model.datetime-as-date",
     "Users' dateLastModified is served as a date (YYYY-MM-DD) instead of an RFC 3339 date-time."),
    ("oneroster.model.boolean-as-json-bool",
     "Users' enabledUser is served as a JSON boolean instead of the string \"true\"/\"false\"."),
    ("oneroster.model.enum-case-drift",
     "Classes' classType is capitalised (\"Scheduled\", \"Homeroom\"), outside the enumeration."),
    ("oneroster.model.user-missing-required",
     "Users are served without the required givenName."),
    ("oneroster.model.guidref-missing-type",
     "The GUIDRefs inside enrollments (user, class, school) lack their required type."),
    ("oneroster.model.extra-property",
     "Orgs carry an extra top-level property (districtCode) outside metadata."),
    ("oneroster.model.bad-date",
     "Terms' startDate is served as MM/DD/YYYY instead of YYYY-MM-DD."),
    ("oneroster.model.org-missing-identifier",
     "Orgs are served without the required identifier."),
    ("oneroster.model.session-missing-school-year",
     "Academic sessions are served without the required schoolYear."),
    ("oneroster.model.course-missing-code",
     "Courses are served without the required courseCode."),
    ("oneroster.model.class-periods-not-list",
     "Classes' periods is served as one comma-separated string instead of a list of strings."),
    ("oneroster.model.enrollment-missing-school",
     "Enrollments are served without the required school."),
    ("oneroster.model.demographics-us-birthdate",
     "Demographics' birthDate is served as MM/DD/YYYY instead of YYYY-MM-DD."),
    ("oneroster.model.status-invalid",
     "Two courses carry the OneRoster 1.1 status 'inactive' instead of active|tobedeleted."),
    ("oneroster.model.bad-enum-role",
     "Aides' role is served as 'paraprofessional' (outside the 1.2 role vocabulary, without the ext: prefix)."),
    # referential integrity
    ("oneroster.integrity.dangling-enrollment-user",
     "A few enrollments reference user sourcedIds that do not exist."),
    ("oneroster.integrity.dangling-class-term",
     "One class references a term sourcedId that does not exist."),
    ("oneroster.integrity.duplicate-sourcedid",
     "One user appears twice in /users."),
    ("oneroster.integrity.dangling-primary-org",
     "One user's primaryOrg references an org sourcedId that does not exist."),
    ("oneroster.integrity.dangling-course-org",
     "One course's org references an org sourcedId that does not exist."),
    ("oneroster.integrity.orphan-org-child",
     "The district's children list omits one of its schools (the school still names the district as parent)."),
    ("oneroster.integrity.session-parent-mismatch",
     "One grading period names the other term as its parent while its own term still lists it as a child."),
    ("oneroster.integrity.orphan-demographics",
     "One demographics record carries a sourcedId that is no user's."),
    ("oneroster.integrity.agents-one-way",
     "One student's agents omit the guardian who lists the student as agent (a one-way link)."),
    # nested consistency
    ("oneroster.nested.class-students-includes-teachers",
     "/classes/{id}/students also lists the class's teachers."),
    ("oneroster.nested.school-classes-missing-one",
     "/schools/{id}/classes omits one of the school's classes."),
    ("oneroster.nested.user-classes-stale",
     "/users/{id}/classes omits the user's last class."),
    ("oneroster.nested.class-teachers-primary-only",
     "/classes/{id}/teachers lists only the primary teacher (co-teachers are missing)."),
    ("oneroster.nested.student-classes-missing-one",
     "/students/{id}/classes omits the student's first class."),
    ("oneroster.nested.teacher-classes-missing-one",
     "/teachers/{id}/classes omits the teacher's first class."),
    ("oneroster.nested.term-classes-single-term-only",
     "/terms/{id}/classes omits classes scheduled in more than one term (year-long classes)."),
    ("oneroster.nested.course-classes-missing-one",
     "/courses/{id}/classes omits the course's last class."),
    ("oneroster.nested.school-students-all-roles",
     "/schools/{id}/students lists every user with a role at the school (teachers, aides, guardians...)."),
    ("oneroster.nested.school-teachers-include-aides",
     "/schools/{id}/teachers also lists the school's aides."),
    ("oneroster.nested.term-grading-periods-all",
     "/terms/{id}/gradingPeriods lists the grading periods of every term."),
)

# The check ids each fault must trip (exactly): one entry per fault, filled by the check writers.
_TRIPS: dict[str, tuple[str, ...]] = {
    # auth (conformance/oneroster/auth.py)
    "oneroster.auth.no-token-accepted": ("OR12-AUTH-001",),
    "oneroster.auth.any-token-accepted": ("OR12-AUTH-002",),
    "oneroster.auth.token-ignores-secret": ("OR12-AUTH-003",),
    "oneroster.auth.demographics-scope-not-enforced": ("OR12-AUTH-004",),
    "oneroster.auth.wrong-scope-401": ("OR12-AUTH-005",),
    "oneroster.auth.nested-scope-not-enforced": ("OR12-AUTH-006",),
    "oneroster.auth.token-no-expiry": ("OR12-AUTH-007",),
    # errors (conformance/oneroster/errors.py, auth.py)
    "oneroster.errors.401-plain-text": ("OR12-AUTH-008", "OR12-ERR-003", "OR12-ERR-004"),
    "oneroster.errors.unknown-id-200-empty": ("OR12-ERR-001",),
    "oneroster.errors.404-plain": ("OR12-ERR-002", "OR12-ERR-003", "OR12-ERR-004"),
    # flat-codeminor: also the 400 answers of the filter and fields families
    "oneroster.errors.flat-codeminor": ("OR12-ERR-003", "OR12-FILT-011", "OR12-FLD-004"),
    "oneroster.errors.error-content-type-text": ("OR12-ERR-004",),
    # envelope and operations (conformance/oneroster/operations.py)
    "oneroster.envelope.singular-wrapped-as-plural": tuple(f"OR12-OPS-{n:03d}" for n in (*range(12, 23), 24)),
    "oneroster.envelope.subset-collections-own-key": ("OR12-OPS-005", "OR12-OPS-007", "OR12-OPS-008",
                                                      "OR12-OPS-009", "OR12-OPS-010"),
    # cascade: the nested-consistency checks (NEST) and the demographics checks of DM/REF read these answers
    "oneroster.ops.nested-not-implemented": (*(f"OR12-OPS-{n:03d}" for n in range(25, 42)),
                                             *(f"OR12-NEST-{n:03d}" for n in range(1, 12))),
    "oneroster.ops.demographics-missing": ("OR12-OPS-023", "OR12-OPS-024", "OR12-DM-007", "OR12-REF-007"),
    # Nothing can be read from a provider whose collections answer under "data": every check reading a
    # collection fails (the probes of auth and errors, and the 400 checks of filter/fields, do not).
    "oneroster.envelope.collections-under-data": (
        "OR12-AUTH-006",  # no class to ask the nested endpoint about
        *(f"OR12-DM-{n:03d}" for n in range(1, 15)),
        *(f"OR12-FILT-{n:03d}" for n in range(1, 11)),
        *(f"OR12-FLD-{n:03d}" for n in range(1, 4)),
        *(f"OR12-NEST-{n:03d}" for n in range(1, 12)),
        *(f"OR12-OPS-{n:03d}" for n in range(1, 42)),
        *(f"OR12-PAGE-{n:03d}" for n in range(1, 8)),
        *(f"OR12-REF-{n:03d}" for n in range(1, 9)),
        "OR12-SORT-001", "OR12-SORT-002",
    ),
    # paging (conformance/oneroster/paging.py). A provider whose offset paging is broken cannot be read
    # page by page at all, so the checks reading a multi-page collection (users, enrollments...) fail with
    # it, truthfully: those ids below are the cascade, listed so the matrix shows it.
    "oneroster.paging.ignores-limit": ("OR12-PAGE-001", "OR12-PAGE-003"),
    "oneroster.paging.ignores-offset": (
        "OR12-PAGE-002", "OR12-PAGE-003", "OR12-PAGE-007",
        # cascade: the harness stops reading /users, /enrollments, /students, /demographics (no progress)
        *(f"OR12-DM-{n:03d}" for n in range(5, 15)), "OR12-FILT-010",
        *(f"OR12-NEST-{n:03d}" for n in (1, 2, 4, 5, 6, 9, 10)),
        *(f"OR12-OPS-{n:03d}" for n in (4, 8, 11, 15, 19, 22, 23, 24, 37, 38, 41)),
        *(f"OR12-REF-{n:03d}" for n in (2, 3, 7, 8)),
    ),
    "oneroster.paging.off-by-one": ("OR12-PAGE-002", "OR12-PAGE-003"),
    "oneroster.paging.unstable-order": (
        "OR12-PAGE-002", "OR12-PAGE-003",
        "OR12-DM-007", "OR12-DM-014",  # cascade: multi-page reads repeat and miss records
    ),
    "oneroster.paging.wrong-total-count": ("OR12-PAGE-004",),
    "oneroster.paging.broken-link-header": ("OR12-PAGE-005",),
    "oneroster.paging.default-limit-unbounded": ("OR12-PAGE-006",),
    "oneroster.paging.offset-past-end-error": ("OR12-PAGE-007",),
    # filtering (conformance/oneroster/filtering.py)
    "oneroster.filter.ignored": tuple(f"OR12-FILT-{n:03d}" for n in range(1, 11)),
    "oneroster.filter.gt-inclusive": ("OR12-FILT-003", "OR12-FILT-010"),
    "oneroster.filter.or-as-and": ("OR12-FILT-009",),
    "oneroster.filter.contains-exact": ("OR12-FILT-007",),
    "oneroster.filter.unknown-field-ignored": ("OR12-FILT-011",),
    # sorting (conformance/oneroster/sorting.py)
    "oneroster.sort.ignored": ("OR12-SORT-001", "OR12-SORT-002"),
    "oneroster.sort.desc-ignored": ("OR12-SORT-002",),
    # field selection (conformance/oneroster/fields.py)
    "oneroster.fields.ignored": ("OR12-FLD-001", "OR12-FLD-002", "OR12-FLD-003"),
    "oneroster.fields.unknown-ignored": ("OR12-FLD-004",),
    "oneroster.fields.repeated-param-ignored": ("OR12-FLD-003",),
    # data model (conformance/oneroster/data_model.py)
    "oneroster.model.org-missing-identifier": ("OR12-DM-001",),
    "oneroster.model.session-missing-school-year": ("OR12-DM-002",),
    "oneroster.model.course-missing-code": ("OR12-DM-003",),
    "oneroster.model.class-periods-not-list": ("OR12-DM-004",),
    "oneroster.model.user-missing-required": ("OR12-DM-005",),
    "oneroster.model.enrollment-missing-school": ("OR12-DM-006",),
    "oneroster.model.demographics-us-birthdate": ("OR12-DM-007",),
    "oneroster.model.enum-case-drift": ("OR12-DM-008",),
    "oneroster.model.bad-enum-role": ("OR12-DM-008",),
    "oneroster.model.datetime-as-date": ("OR12-DM-009",),
    "oneroster.model.bad-date": ("OR12-DM-009",),
    "oneroster.model.guidref-missing-type": ("OR12-DM-010",),
    "oneroster.model.boolean-as-json-bool": ("OR12-DM-011",),
    "oneroster.model.status-invalid": ("OR12-DM-012",),
    "oneroster.model.extra-property": ("OR12-DM-013",),
    "oneroster.integrity.duplicate-sourcedid": ("OR12-DM-014",),
    # referential integrity and nested consistency (conformance/oneroster/integrity.py)
    "oneroster.integrity.dangling-class-term": ("OR12-REF-001",),
    "oneroster.integrity.dangling-enrollment-user": ("OR12-REF-002",),
    "oneroster.integrity.dangling-primary-org": ("OR12-REF-003",),
    "oneroster.integrity.dangling-course-org": ("OR12-REF-004",),
    "oneroster.integrity.orphan-org-child": ("OR12-REF-005",),
    "oneroster.integrity.session-parent-mismatch": ("OR12-REF-006",),
    "oneroster.integrity.orphan-demographics": ("OR12-REF-007",),
    "oneroster.integrity.agents-one-way": ("OR12-REF-008",),
    "oneroster.nested.class-students-includes-teachers": ("OR12-NEST-001",),
    "oneroster.nested.class-teachers-primary-only": ("OR12-NEST-002",),
    "oneroster.nested.school-classes-missing-one": ("OR12-NEST-003",),
    "oneroster.nested.student-classes-missing-one": ("OR12-NEST-004",),
    "oneroster.nested.teacher-classes-missing-one": ("OR12-NEST-005",),
    "oneroster.nested.user-classes-stale": ("OR12-NEST-006",),
    "oneroster.nested.term-classes-single-term-only": ("OR12-NEST-007",),
    "oneroster.nested.course-classes-missing-one": ("OR12-NEST-008",),
    "oneroster.nested.school-students-all-roles": ("OR12-NEST-009",),
    "oneroster.nested.school-teachers-include-aides": ("OR12-NEST-010",),
    "oneroster.nested.term-grading-periods-all": ("OR12-NEST-011",),
}

#: The other standards' catalogues: each module defines ``FAULTS: tuple[Fault, ...]`` (name, standard,
#: sentence, trips). A new standard's sandbox adds its module here. A module whose checks also fail under
#: faults defined elsewhere (a truthful cascade) may define ``CASCADES: dict[fault name, tuple[check ids]]``:
#: those ids are added to that fault's trips, so each module lists its own checks.
FAULT_MODULES: tuple[str, ...] = (
    "edcert.sandbox.oneroster.faults_v1p1",
    "edcert.sandbox.oneroster.fidelity",
    "edcert.sandbox.oneroster.services_faults",
    "edcert.sandbox.oneroster.services_v1p1_faults",
    "edcert.sandbox.fuzz_faults",
    "edcert.sandbox.edfi.fuzz_faults",
    "edcert.sandbox.lti.platform_faults",
    "edcert.sandbox.lti.tool_faults",
    "edcert.sandbox.edfi.faults",
)


def _catalogue() -> dict[str, Fault]:
    faults = {name: Fault(name=name, standard=_OR12, sentence=sentence, trips=_TRIPS.get(name, ()))
              for name, sentence in _CATALOGUE}
    modules = [importlib.import_module(module) for module in FAULT_MODULES]
    for module in modules:
        for fault in module.FAULTS:
            if fault.name in faults:
                raise ValueError(f"fault {fault.name!r} is defined twice ({module.__name__})")
            faults[fault.name] = fault
    for module in modules:
        for name, trips in getattr(module, "CASCADES", {}).items():
            if name not in faults:
                raise ValueError(f"{module.__name__}: CASCADES names the unknown fault {name!r}")
            faults[name] = replace(faults[name], trips=(*faults[name].trips, *trips))
    return faults


FAULTS: dict[str, Fault] = _catalogue()


def validate_faults(names: Iterable[str]) -> frozenset[str]:
    """Check fault names against the catalogue; return them as a frozenset."""
    out: list[str] = []
    for name in names:
        if name not in FAULTS:
            raise ValueError(f"unknown fault '{name}'; see `edcert sandbox faults`")
        out.append(name)
    return frozenset(out)
