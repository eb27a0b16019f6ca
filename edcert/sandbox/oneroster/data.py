"""In-memory indexes over a district, built once per app.

Every list is sorted by sourcedId (the provider's default, stable order) and
every relation the nested endpoints need is precomputed, so a request costs a
dict lookup plus whatever filtering/sorting it asks for.

The referential-integrity faults are applied here, to copies of the records
they name, *before* the indexes are built: the faulty provider is then
self-consistent (its nested endpoints agree with its enrollments), and only
the one requirement the fault names is broken. The district passed in is
never mutated.
"""
from __future__ import annotations

from collections import defaultdict
from operator import itemgetter
from typing import Any

from edcert.fixtures.districts import District, gc_paused, guidref
from edcert.sandbox.oneroster.fidelity import apply_fidelity_faults
from edcert.sandbox.state import SandboxState

JSON = dict[str, Any]

_by_sourced_id = itemgetter("sourcedId")


def _sorted(records: list[JSON]) -> list[JSON]:
    return sorted(records, key=_by_sourced_id)


def _ref_id(record: JSON, key: str) -> str | None:
    try:
        value = record[key]["sourcedId"]
    except (KeyError, TypeError):
        return None
    return value if type(value) is str else None


def has_role(user: JSON, role: str) -> bool:
    return any(r.get("role") == role for r in user.get("roles", ()))


# Identifiers the integrity faults point at; they never exist.
MISSING_USER_IDS = (
    "00000000-0000-4000-8000-00000000d001",
    "00000000-0000-4000-8000-00000000d002",
    "00000000-0000-4000-8000-00000000d003",
)
MISSING_TERM_ID = "00000000-0000-4000-8000-00000000d0a1"
MISSING_ORG_IDS = ("00000000-0000-4000-8000-00000000d0b1", "00000000-0000-4000-8000-00000000d0b2")
ORPHAN_DEMOGRAPHICS_ID = "00000000-0000-4000-8000-00000000d0c1"


class RosterData:
    def __init__(self, district: District, state: SandboxState) -> None:
        with gc_paused():
            self._build(district, state)

    def _build(self, district: District, state: SandboxState) -> None:
        district = apply_fidelity_faults(district, state)
        orgs = _sorted(district.orgs)
        sessions = _sorted(district.academicSessions)
        courses = _sorted(district.courses)
        classes = _sorted(district.classes)
        users = _sorted(district.users)
        enrollments = _sorted(district.enrollments)
        demographics = _sorted(district.demographics)
        user_ids = {u["sourcedId"] for u in users}

        if state.faulty("oneroster.integrity.dangling-enrollment-user"):
            picked = [i for i, e in enumerate(enrollments) if e.get("role") == "student"][
                : len(MISSING_USER_IDS)
            ]
            for i, missing in zip(picked, MISSING_USER_IDS, strict=False):
                assert missing not in user_ids
                enrollments[i] = {**enrollments[i], "user": guidref("user", missing)}
        if state.faulty("oneroster.integrity.dangling-class-term") and classes:
            first = classes[0]
            terms = list(first.get("terms", []))
            terms[:1] = [guidref("academicSession", MISSING_TERM_ID)]
            classes[0] = {**first, "terms": terms}
        if state.faulty("oneroster.integrity.dangling-primary-org"):
            # an aide: neither /students, /teachers nor any nested user list depends on it
            idx = next((i for i, u in enumerate(users) if has_role(u, "aide")), 0)
            users[idx] = {**users[idx], "primaryOrg": guidref("org", MISSING_ORG_IDS[0])}
        if state.faulty("oneroster.integrity.dangling-course-org") and courses:
            courses[0] = {**courses[0], "org": guidref("org", MISSING_ORG_IDS[1])}
        if state.faulty("oneroster.integrity.orphan-org-child"):
            for i, org in enumerate(orgs):
                if org.get("type") == "district" and org.get("children"):
                    orgs[i] = {**org, "children": list(org["children"])[:-1]}
                    break
        if state.faulty("oneroster.integrity.session-parent-mismatch"):
            terms_ = [s for s in sessions if s.get("type") == "term"]
            if len(terms_) >= 2:
                first_term, other_term = terms_[0], terms_[1]
                child_ids = [r["sourcedId"] for r in first_term.get("children", [])]
                for i, session in enumerate(sessions):
                    if session["sourcedId"] in child_ids:
                        sessions[i] = {**session, "parent": guidref("academicSession", other_term["sourcedId"])}
                        break
        if state.faulty("oneroster.integrity.orphan-demographics") and demographics:
            demographics[-1] = {**demographics[-1], "sourcedId": ORPHAN_DEMOGRAPHICS_ID}
            demographics = _sorted(demographics)
        if state.faulty("oneroster.integrity.agents-one-way"):
            one_way = next((i for i, u in enumerate(users) if has_role(u, "student") and u.get("agents")), None)
            if one_way is not None:
                users[one_way] = {k: v for k, v in users[one_way].items() if k != "agents"}

        self.orgs = orgs
        self.org_by_id = {o["sourcedId"]: o for o in orgs}
        self.schools = [o for o in orgs if o.get("type") == "school"]
        self.school_by_id = {o["sourcedId"]: o for o in self.schools}
        district_orgs = [o for o in orgs if o.get("type") == "district"]
        self.district_identifier: str = str(district_orgs[0].get("identifier", "")) if district_orgs else ""

        self.sessions = sessions
        self.session_by_id = {s["sourcedId"]: s for s in sessions}
        self.terms = [s for s in sessions if s.get("type") == "term"]
        self.term_by_id = {s["sourcedId"]: s for s in self.terms}
        self.grading_periods = [s for s in sessions if s.get("type") == "gradingPeriod"]
        self.grading_period_by_id = {s["sourcedId"]: s for s in self.grading_periods}

        self.courses = courses
        self.course_by_id = {c["sourcedId"]: c for c in courses}
        self.classes = classes
        self.class_by_id = {c["sourcedId"]: c for c in classes}

        self.users = users
        self.user_by_id = {u["sourcedId"]: u for u in users}
        # /users as listed: the duplicate-sourcedid fault repeats one user that is
        # neither a student nor a teacher, so /students and /teachers are untouched.
        self.users_listing = users
        if state.faulty("oneroster.integrity.duplicate-sourcedid") and users:
            idx = next(
                (i for i, u in enumerate(users) if not has_role(u, "student") and not has_role(u, "teacher")),
                0,
            )
            self.users_listing = [*users[: idx + 1], dict(users[idx]), *users[idx + 1 :]]
        self.students = [u for u in users if has_role(u, "student")]
        self.student_by_id = {u["sourcedId"]: u for u in self.students}
        self.teachers = [u for u in users if has_role(u, "teacher")]
        self.teacher_by_id = {u["sourcedId"]: u for u in self.teachers}

        self.enrollments = enrollments
        self.enrollment_by_id = {e["sourcedId"]: e for e in enrollments}
        self.demographics = demographics
        self.demographics_by_id = {d["sourcedId"]: d for d in demographics}

        # relations (every list keeps sourcedId order because its source is sorted)
        self.classes_by_school: dict[str, list[JSON]] = defaultdict(list)
        self.classes_by_course: dict[str, list[JSON]] = defaultdict(list)
        self.classes_by_term: dict[str, list[JSON]] = defaultdict(list)
        for klass in classes:
            if (sid := _ref_id(klass, "school")) is not None:
                self.classes_by_school[sid].append(klass)
            if (cid := _ref_id(klass, "course")) is not None:
                self.classes_by_course[cid].append(klass)
            seen_terms: list[str] = []
            for ref in klass.get("terms", []):
                tid = ref.get("sourcedId") if isinstance(ref, dict) else None
                if isinstance(tid, str) and tid not in seen_terms:
                    seen_terms.append(tid)
                    self.classes_by_term[tid].append(klass)
        self.courses_by_school: dict[str, list[JSON]] = defaultdict(list)
        for course in courses:
            if (oid := _ref_id(course, "org")) is not None:
                self.courses_by_school[oid].append(course)
        self.enrollments_by_class: dict[str, list[JSON]] = defaultdict(list)
        self.enrollments_by_school: dict[str, list[JSON]] = defaultdict(list)
        self.enrollments_by_user: dict[str, list[JSON]] = defaultdict(list)
        for enrollment in enrollments:
            if (cid := _ref_id(enrollment, "class")) is not None:
                self.enrollments_by_class[cid].append(enrollment)
            if (sid := _ref_id(enrollment, "school")) is not None:
                self.enrollments_by_school[sid].append(enrollment)
            if (uid := _ref_id(enrollment, "user")) is not None:
                self.enrollments_by_user[uid].append(enrollment)
        self.users_by_school_role: dict[tuple[str, str], list[JSON]] = defaultdict(list)
        for user in users:
            keys: list[tuple[str, str]] = []
            for role in user.get("roles", []):
                oid = _ref_id(role, "org")
                key = (oid or "", str(role.get("role", "")))
                if oid is not None and key not in keys:
                    keys.append(key)
                    self.users_by_school_role[key].append(user)
        # /schools/{id}/terms: the terms the school's classes are scheduled in
        # (sessions are district-wide in our data, so this is usually every term).
        self.terms_by_school: dict[str, list[JSON]] = {}
        for school in self.schools:
            sid = school["sourcedId"]
            term_ids = {
                ref.get("sourcedId")
                for klass in self.classes_by_school.get(sid, [])
                for ref in klass.get("terms", [])
                if isinstance(ref, dict)
            }
            self.terms_by_school[sid] = [t for t in self.terms if t["sourcedId"] in term_ids]
        self.grading_periods_by_term: dict[str, list[JSON]] = defaultdict(list)
        for gp in self.grading_periods:
            if (pid := _ref_id(gp, "parent")) is not None:
                self.grading_periods_by_term[pid].append(gp)

    # -- nested look-ups ----------------------------------------------------

    def class_users(self, class_id: str, roles: tuple[str, ...]) -> list[JSON]:
        """Existing users enrolled in ``class_id`` with an enrollment role in ``roles``."""
        found: dict[str, JSON] = {}
        for enrollment in self.enrollments_by_class.get(class_id, []):
            if enrollment.get("role") in roles:
                uid = _ref_id(enrollment, "user")
                if uid is not None and uid in self.user_by_id:
                    found[uid] = self.user_by_id[uid]
        return [found[k] for k in sorted(found)]

    def user_classes(self, user_id: str, role: str | None) -> list[JSON]:
        """Existing classes ``user_id`` is enrolled in (with enrollment role ``role``, if given)."""
        found: dict[str, JSON] = {}
        for enrollment in self.enrollments_by_user.get(user_id, []):
            if role is None or enrollment.get("role") == role:
                cid = _ref_id(enrollment, "class")
                if cid is not None and cid in self.class_by_id:
                    found[cid] = self.class_by_id[cid]
        return [found[k] for k in sorted(found)]
