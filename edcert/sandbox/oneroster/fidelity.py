"""Data-fidelity faults: the sandbox serves a roster that is not quite the district's file.

Each fault changes the district the provider serves, *before* the indexes are built (like the
referential-integrity faults in ``data.py``), so the faulty provider stays self-consistent: its nested
endpoints agree with its flat collections, and only the promise "what you serve is what the district
supplied" is broken. Which records a fault touches depends only on the district (sorted by sourcedId), never
on the checks' sample.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from edcert.fixtures.districts import District, guidref
from edcert.sandbox.faults import Fault

if TYPE_CHECKING:  # state.py imports the catalogue, which imports this module
    from edcert.sandbox.state import SandboxState

JSON = dict[str, Any]
_OR12 = "oneroster-1.2"
_FID = "OR12-FID-"


def _fid(*numbers: int) -> tuple[str, ...]:
    return tuple(f"{_FID}{n:03d}" for n in numbers)


LOST_ENROLLMENTS = "oneroster.fidelity.lost-enrollments"
ALTERED_NAME = "oneroster.fidelity.altered-student-name"
ALTERED_GRADE = "oneroster.fidelity.altered-student-grade"
MISSING_SCHOOL = "oneroster.fidelity.missing-school"
SESSION_WRONG_PARENT = "oneroster.fidelity.session-wrong-parent"
DROPPED_STUDENT = "oneroster.fidelity.dropped-student"

FAULTS: tuple[Fault, ...] = (
    Fault(LOST_ENROLLMENTS, _OR12,
          "Every third student (in sourcedId order) loses one class enrollment of the district's file.",
          trips=_fid(1, 2, 3, 6)),
    Fault(ALTERED_NAME, _OR12,
          "Every fourth student's givenName is served without its last letter (a truncated import).",
          trips=_fid(2, 6)),
    Fault(ALTERED_GRADE, _OR12,
          "Every fourth student (another quarter) is served one grade off the district's file.",
          trips=_fid(2, 6)),
    # A school that never arrived: the district's children no longer list it, and every class, course,
    # enrollment and user of that school now points at an org the vendor does not serve.
    Fault(MISSING_SCHOOL, _OR12,
          "The last school (in sourcedId order) is not served, though its classes, users and enrollments are.",
          trips=(*_fid(1, 2, 4, 6), "OR12-REF-001", "OR12-REF-002", "OR12-REF-003", "OR12-REF-004")),
    Fault(SESSION_WRONG_PARENT, _OR12,
          "The first term's first grading period is served under the other term (both terms agree).",
          trips=_fid(5)),
    Fault(DROPPED_STUDENT, _OR12,
          "One student without guardians is not served at all (no user, demographics or enrollments).",
          trips=_fid(1, 2, 3)),
)


def _is_student(user: JSON) -> bool:
    return any(r.get("role") == "student" for r in user.get("roles", ()))


def _quarter(users: list[JSON], offset: int) -> set[str]:
    students = [u["sourcedId"] for u in users if _is_student(u)]
    return set(students[offset::4])


def _prev_grade(grade: str) -> str:
    order = ("KG", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12")
    i = order.index(grade) if grade in order else 1
    return order[i - 1] if i > 0 else order[1]


def apply_fidelity_faults(district: District, state: SandboxState) -> District:
    """The district as the faulty provider serves it (lists sorted by sourcedId; records copied, never mutated)."""
    d = District(**{k: list(v) for k, v in district.to_dict().items()})
    if state.faulty(LOST_ENROLLMENTS):
        students = [u["sourcedId"] for u in d.users if _is_student(u)][::3]
        last: dict[str, int] = {}
        for i, e in enumerate(d.enrollments):
            if e.get("role") == "student" and e.get("status") == "active":
                last[e["user"]["sourcedId"]] = i
        lost = {last[s] for s in students if s in last}
        d.enrollments = [e for i, e in enumerate(d.enrollments) if i not in lost]
    if state.faulty(ALTERED_NAME):
        picked = _quarter(d.users, 1)
        d.users = [{**u, "givenName": u["givenName"][:-1]} if u["sourcedId"] in picked else u for u in d.users]
    if state.faulty(ALTERED_GRADE):
        picked = _quarter(d.users, 2)
        d.users = [{**u, "grades": [_prev_grade(g) for g in u.get("grades", [])]} if u["sourcedId"] in picked
                   else u for u in d.users]
    if state.faulty(MISSING_SCHOOL):
        schools = [o["sourcedId"] for o in d.orgs if o.get("type") == "school"]
        gone = schools[-1] if schools else ""
        d.orgs = [{**o, "children": [c for c in o["children"] if c["sourcedId"] != gone]} if o.get("children")
                  else o for o in d.orgs if o["sourcedId"] != gone]
    if state.faulty(SESSION_WRONG_PARENT):
        terms = [s for s in d.academicSessions if s.get("type") == "term" and s.get("children")]
        if len(terms) >= 2:
            first, other = terms[0], terms[1]
            moved = first["children"][0]["sourcedId"]
            changed = {
                first["sourcedId"]: {**first, "children": first["children"][1:]},
                other["sourcedId"]: {**other, "children": [*other["children"], guidref("academicSession", moved)]},
            }
            d.academicSessions = [
                changed.get(s["sourcedId"])
                or ({**s, "parent": guidref("academicSession", other["sourcedId"])} if s["sourcedId"] == moved else s)
                for s in d.academicSessions
            ]
    if state.faulty(DROPPED_STUDENT):
        gone = next((u["sourcedId"] for u in d.users if _is_student(u) and not u.get("agents")), "")
        d.users = [u for u in d.users if u["sourcedId"] != gone]
        d.demographics = [x for x in d.demographics if x["sourcedId"] != gone]
        d.enrollments = [e for e in d.enrollments if e["user"]["sourcedId"] != gone]
    return d


# Faults of the main catalogue that also change the data served, so that it no longer is the district's file:
# the fidelity checks fail with them, truthfully (see ``FAULT_MODULES`` in faults.py).
CASCADES: dict[str, tuple[str, ...]] = {
    # nothing can be read: every comparison fails
    "oneroster.envelope.collections-under-data": _fid(1, 2, 3, 4, 5, 6),
    "oneroster.ops.demographics-missing": _fid(1, 2, 6),
    # records lost or repeated while paging: the collections read are not the district's
    "oneroster.paging.ignores-offset": _fid(1, 2, 3, 6),
    "oneroster.paging.off-by-one": _fid(1, 2, 3),
    "oneroster.paging.unstable-order": _fid(1, 2, 3, 6),
    # references changed or dropped: the records no longer carry the district's values
    "oneroster.integrity.agents-one-way": _fid(2),
    "oneroster.integrity.dangling-class-term": _fid(2, 6),
    "oneroster.integrity.dangling-course-org": _fid(2, 6),
    "oneroster.integrity.dangling-enrollment-user": _fid(2, 3),
    "oneroster.integrity.dangling-primary-org": _fid(2),
    "oneroster.integrity.orphan-demographics": _fid(2),
    "oneroster.integrity.orphan-org-child": _fid(4),
    "oneroster.integrity.session-parent-mismatch": _fid(5),
    # values missing or changed, not merely written differently (those the fidelity checks normalise)
    "oneroster.model.bad-enum-role": _fid(2),
    "oneroster.model.course-missing-code": _fid(2, 6),
    "oneroster.model.enrollment-missing-school": _fid(2),
    "oneroster.model.org-missing-identifier": _fid(2),
    "oneroster.model.session-missing-school-year": _fid(2),
    "oneroster.model.status-invalid": _fid(2, 6),
    "oneroster.model.user-missing-required": _fid(2, 6),
}
