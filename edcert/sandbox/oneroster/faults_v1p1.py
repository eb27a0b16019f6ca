"""The OneRoster 1.1 provider's faults (standard ``oneroster-1.1``), one for every 1.1 check.

Most are the 1.2 provider's faults under the ``oneroster11.`` prefix: the 1.1 provider is the 1.2
code, and reads fault ``oneroster.<x>`` as ``oneroster11.<x>`` (``app_v1p1.V1p1Faults``). The others
break what 1.1 has of its own: OAuth 1.0a verification, the statusInfoSet envelope, the leniency
warnings and the 1.1 data model.
"""
from __future__ import annotations

from edcert.sandbox.faults import Fault

_OR11 = "oneroster-1.1"


def _ids(*ids: str) -> tuple[str, ...]:
    return tuple(f"OR11-{i}" for i in ids)


def _range(family: str, first: int, last: int) -> tuple[str, ...]:
    return tuple(f"OR11-{family}-{n:03d}" for n in range(first, last + 1))


_OWN: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("auth.unsigned-accepted", "A request with no OAuth 1.0a signature (and no token) is served.", _ids("AUTH-001")),
    ("auth.signature-not-verified", "Any OAuth 1.0a signature from the known consumer key is accepted, right or "
     "wrong.", _ids("AUTH-002", "AUTH-003")),
    ("auth.query-not-covered", "A signature computed over the path alone (query parameters left out) is accepted.",
     _ids("AUTH-003")),
    ("auth.stale-timestamp-accepted", "Signed requests are accepted whatever their oauth_timestamp.",
     _ids("AUTH-005")),
    ("auth.nonce-replay-accepted", "A signed request sent again with the same nonce and timestamp is accepted.",
     _ids("AUTH-006")),
    ("auth.spaces-encoded-as-plus", "The signature base string is built with spaces signed as literal '+' "
     "signs, so correctly signed requests whose parameters hold spaces are refused.",
     _ids("AUTH-004", "FILT-008", "FILT-009")),
    ("errors.v1p2-envelope", "Errors carry the bare 1.2 status object instead of the 1.1 statusInfoSet envelope.",
     _ids("ERR-003")),
    ("sort.unknown-field-silent", "An unknown sort field is answered 200 in the default order, without the "
     "invalid_sort_field warning.", _ids("SORT-003")),
    ("model.org-missing-name", "Orgs are served without their required name.", _ids("DM-001")),
    ("model.course-missing-title", "Courses are served without their required title.", _ids("DM-003")),
    ("model.user-missing-username", "Users are served without the username 1.1 requires.", _ids("DM-005")),
    ("model.user-role-outside-vocabulary", "Aides are served with role 'paraprofessional', outside the 1.1 "
     "vocabulary and without the ext: prefix.", _ids("DM-008")),
    ("model.users-in-v1p2-shape", "Users are served in the 1.2 shape (roles[] of roleType/role/org) instead of "
     "1.1's role and orgs.", _ids("DM-005", "DM-013")),
    ("integrity.dangling-user-org", "Students list, in orgs, an org that does not exist.", _ids("REF-003")),
)

# The 1.2 faults the 1.1 provider honours under the oneroster11. prefix, with the 1.1 checks each trips.
_SHARED: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("errors.401-plain-text", "401 responses carry a plain-text body instead of the statusInfoSet envelope.",
     _ids("AUTH-007", "ERR-003", "ERR-004")),
    ("errors.unknown-id-200-empty", "A single-object GET for an unknown sourcedId answers 200 with the object set "
     "to null.", _ids("ERR-001")),
    ("errors.404-plain", "404 responses carry a plain-text body instead of the statusInfoSet envelope.",
     _ids("ERR-002", "ERR-003", "ERR-004")),
    ("errors.error-content-type-text", "Error responses carry the JSON envelope but label it text/plain.",
     _ids("ERR-004")),
    ("envelope.singular-wrapped-as-plural", "Single-object GETs wrap the object in a one-item list under the "
     "plural key.", _range("OPS", 12, 22) + _ids("OPS-024")),
    ("envelope.subset-collections-own-key", "/students, /teachers, /schools, /terms and /gradingPeriods wrap their "
     "lists under their own name.", _ids("OPS-005", "OPS-007", "OPS-008", "OPS-009", "OPS-010")),
    ("envelope.collections-under-data", "Every collection answer wraps its records under \"data\" instead of the "
     "entity's plural key.", _range("OPS", 1, 41) + _range("PAGE", 1, 7)
     + _range("FILT", 1, 10) + _range("FLD", 1, 3) + _range("SORT", 1, 2) + _range("DM", 1, 14)
     + _range("REF", 1, 8) + _range("NEST", 1, 11)),
    ("ops.nested-not-implemented", "The 17 nested endpoints do not exist (404).",
     _range("OPS", 25, 41) + _range("NEST", 1, 11)),
    ("ops.demographics-missing", "The two demographics endpoints do not exist (404).",
     _ids("OPS-023", "OPS-024", "DM-007", "REF-007")),
    ("paging.ignores-limit", "The limit parameter is ignored: every page holds the default 100 records.",
     _ids("PAGE-001", "PAGE-003")),
    ("paging.off-by-one", "A page requested at offset N starts at record N+1.", _ids("PAGE-002", "PAGE-003")),
    ("paging.wrong-total-count", "X-Total-Count is one more than the number of matching records.",
     _ids("PAGE-004")),
    ("paging.broken-link-header", "The Link header's next points at the current page.", _ids("PAGE-005")),
    ("paging.default-limit-unbounded", "Without a limit parameter the whole collection is answered.",
     _ids("PAGE-006")),
    ("paging.offset-past-end-error", "An offset past the last record answers 500.", _ids("PAGE-007")),
    ("filter.ignored", "The filter parameter is ignored.", _range("FILT", 1, 10)),
    ("filter.gt-inclusive", "filter with > behaves as >=.", _ids("FILT-003", "FILT-010")),
    ("filter.or-as-and", "OR in a filter behaves as AND.", _ids("FILT-009")),
    ("filter.contains-exact", "~ (contains) behaves as = (equals).", _ids("FILT-007")),
    ("filter.unknown-field-ignored", "A filter on an unknown field is ignored (200, every record).",
     _ids("FILT-011")),
    ("sort.ignored", "The sort parameter is ignored.", _ids("SORT-001", "SORT-002")),
    ("sort.desc-ignored", "orderBy=desc is ignored.", _ids("SORT-002")),
    ("fields.ignored", "The fields parameter is ignored.", _ids("FLD-001", "FLD-002", "FLD-003")),
    ("fields.unknown-ignored", "An unknown name in fields is ignored without the invalid_selection_field "
     "warning.", _ids("FLD-004")),
    ("fields.repeated-param-ignored", "fields=a&fields=b is ignored.", _ids("FLD-003")),
    ("model.datetime-as-date", "Users' dateLastModified is a date without a time.", _ids("DM-009")),
    ("model.boolean-as-json-bool", "Users' enabledUser is a JSON boolean instead of a string.", _ids("DM-011")),
    ("model.enum-case-drift", "classType is capitalised (Scheduled).", _ids("DM-008")),
    ("model.guidref-missing-type", "Enrollments' references lack their type.", _ids("DM-010")),
    ("model.extra-property", "Orgs carry a property outside the model (districtCode).", _ids("DM-013")),
    ("model.session-missing-school-year", "Academic sessions lack schoolYear.", _ids("DM-002")),
    ("model.class-periods-not-list", "Classes' periods is a string instead of a list.", _ids("DM-004")),
    ("model.enrollment-missing-school", "Enrollments lack their school.", _ids("DM-006")),
    ("model.demographics-us-birthdate", "birthDate is written MM/DD/YYYY.", _ids("DM-007")),
    ("model.status-invalid", "Two courses have status 'inactive'.", _ids("DM-012")),
    ("integrity.dangling-enrollment-user", "Enrollments name users that do not exist.", _ids("REF-002")),
    ("integrity.dangling-class-term", "A class names a term that does not exist.", _ids("REF-001")),
    ("integrity.duplicate-sourcedid", "One user is listed twice in /users.", _ids("DM-014")),
    ("integrity.dangling-course-org", "A course names an org that does not exist.", _ids("REF-004")),
    ("integrity.orphan-org-child", "An org lists a child that does not exist.", _ids("REF-005")),
    ("integrity.session-parent-mismatch", "Academic session parent and children links disagree.", _ids("REF-006")),
    ("integrity.orphan-demographics", "A demographics record belongs to no user.", _ids("REF-007")),
    ("integrity.agents-one-way", "Agent links are one-way.", _ids("REF-008")),
    ("nested.class-students-includes-teachers", "/classes/{id}/students also lists teachers.", _ids("NEST-001")),
    ("nested.class-teachers-primary-only", "/classes/{id}/teachers lists primary teachers only.", _ids("NEST-002")),
    ("nested.school-classes-missing-one", "/schools/{id}/classes misses a class.", _ids("NEST-003")),
    ("nested.student-classes-missing-one", "/students/{id}/classes misses a class.", _ids("NEST-004")),
    ("nested.teacher-classes-missing-one", "/teachers/{id}/classes misses a class.", _ids("NEST-005")),
    ("nested.user-classes-stale", "/users/{id}/classes misses a class.", _ids("NEST-006")),
    ("nested.term-classes-single-term-only", "/terms/{id}/classes misses multi-term classes.", _ids("NEST-007")),
    ("nested.course-classes-missing-one", "/courses/{id}/classes misses a class.", _ids("NEST-008")),
    ("nested.school-students-all-roles", "/schools/{id}/students lists every role.", _ids("NEST-009")),
    ("nested.school-teachers-include-aides", "/schools/{id}/teachers also lists aides.", _ids("NEST-010")),
    ("nested.term-grading-periods-all", "/terms/{id}/gradingPeriods lists every grading period.",
     _ids("NEST-011")),
)

FAULTS: tuple[Fault, ...] = tuple(
    Fault(name=f"oneroster11.{name}", standard=_OR11, sentence=sentence, trips=trips)
    for name, sentence, trips in (*_OWN, *_SHARED)
)
