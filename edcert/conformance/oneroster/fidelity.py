"""Data fidelity (OR12-FID-*): the vendor serves the district's own roster, exactly as the district supplied it.

The district names, in the vendor configuration (``[oneroster] roster_csv``), the OneRoster CSV zip it loaded
into the vendor's sandbox. These checks compare it with what the API serves: counts per entity, every record's
values, every enrollment, the org tree, the academic-session tree, and then "start with the student": a seeded
sample of the file's students (``fidelity_sample``, ``fidelity_seed``) is followed one by one through user,
demographics, enrollments, classes, courses, teachers and school, and each student's result is reported in
words a principal understands (names masked unless the run keeps full evidence).

Without ``roster_csv`` every check here is not applicable. The vendor's data is read through the suite's
collection cache (no page is fetched twice); how values are normalised is explained in ``_fidelity.py``.
"""
from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from edcert.conformance.oneroster._common import STANDARD
from edcert.conformance.oneroster._fidelity import (
    PERSONAL,
    SINGULAR,
    Compared,
    Side,
    by_ref,
    compare,
    district_roster,
    enrollment_key,
    entities,
    norm,
    ref_of,
)
from edcert.conformance.oneroster._fixtures import OneRosterSession
from edcert.conformance.oneroster.models import plural
from edcert.fixtures.roster_csv import RosterFile
from edcert.harness import check
from edcert.harness.errors import Failure, NotApplicable
from edcert.harness.scorecard import STUDENT_TRACES, StudentTrace

CATEGORY = "data-fidelity"
REF = "OneRoster 1.2 Rostering Service Information Model; CSV binding (bulk files)"
MAX_SHOWN = 3
JSON = dict[str, Any]


@pytest.fixture
def roster(oneroster: OneRosterSession) -> RosterFile:
    """The district's own roster file (not applicable when the vendor configuration names none)."""
    return district_roster(oneroster)


def _fidelity_check(check_id: str, title: str, why: str, remediation: str, *, requirements: tuple[str, ...],
                    level: str = "required") -> Callable[[Callable[..., None]], Callable[..., None]]:
    return check(id=check_id, standard=STANDARD, category=CATEGORY, level=level, title=title, why=why,
                 remediation=remediation, ref=REF, requirements=requirements, tags=("data-fidelity",))


def _counted(items: list[str], limit: int = MAX_SHOWN) -> str:
    return "; ".join(items[:limit]) + (f"; and {len(items) - limit} more" if len(items) > limit else "")


@_fidelity_check(
    "OR12-FID-001",
    requirements=("OR12-REQ-FID-RECORDS",),
    title="The vendor serves as many records of each kind as the district's roster file holds",
    why="If the counts differ, schools, classes, people or enrollments the district sent were lost or invented "
        "on the way into the product.",
    remediation="Load every row of the district's OneRoster CSV files and serve each as one record (a bulk file "
                "replaces the whole roster: records it no longer holds are served as tobedeleted or not at all).",
)
def check_counts(oneroster: OneRosterSession, roster: RosterFile) -> None:
    both = compare(oneroster, roster)
    rows = []
    wrong = []
    for e in entities(oneroster, roster):
        mine, theirs = len(both.supplied[e]), len(both.served_live(e))
        rows.append(f"{e} {mine}/{theirs}")
        if mine != theirs:
            wrong.append(f"{e}: {mine} in the district's file, {theirs} served")
    if wrong:
        raise Failure(f"The vendor's counts differ from the district's roster file: {_counted(wrong, 7)}",
                      expected="per entity, the file's count: " + ", ".join(
                          f"{e} {len(both.supplied[e])}" for e in both.supplied),
                      received="file/served: " + ", ".join(rows), exchanges=both.evidence(*both.supplied))


@_fidelity_check(
    "OR12-FID-002",
    requirements=("OR12-REQ-FID-RECORDS",),
    title="Every record of the district's roster file is served under its sourcedId with the same values",
    why="A name, grade, birth date or class served differently from the district's file means the product "
        "shows teachers and students something the district never said.",
    remediation="Store and serve each record's values exactly as the district's file gives them (only the JSON "
                "binding's own forms of dates, booleans, lists and references differ); keep the file's sourcedIds.",
)
def check_record_fields(oneroster: OneRosterSession, roster: RosterFile) -> None:
    both = compare(oneroster, roster)
    problems: list[str] = []
    example: str | None = None
    total = 0
    for e in entities(oneroster, roster):
        served = both.served[e].by_id
        missing = [k for k in both.supplied[e] if k not in served]
        total += len(both.supplied[e])
        keys: Counter[str] = Counter()
        changed = 0
        for sid, record in both.supplied[e].items():
            if sid not in served:
                continue
            diffs = both.field_diffs(e, record, served[sid])
            if diffs:
                changed += 1
                keys.update(diffs)
                if example is None:
                    key = diffs[0]
                    example = (f"{SINGULAR[e]} {sid}: {key} is {both.show(key, record.get(key))} in the file, "
                               f"{both.show(key, served[sid].get(key))} served")
        if missing:
            problems.append(f"{len(missing)} {plural(SINGULAR[e], len(missing))} not served (e.g. {missing[0]})")
        if changed:
            fields = ", ".join(f"{k} {n}" for k, n in keys.most_common(4))
            problems.append(f"{changed} {plural(SINGULAR[e], changed)} served with other values ({fields})")
    if problems:
        raise Failure(f"Records of the district's roster file are missing or altered at the vendor: "
                      f"{_counted(problems, 6)}", expected=f"all {total} records, with the file's values",
                      received=example or problems[0], exchanges=both.evidence(*both.supplied))


@_fidelity_check(
    "OR12-FID-003",
    requirements=("OR12-REQ-FID-ENROLLMENTS",),
    title="Every enrollment of the district's roster file is served (this user, in this class, with this role)",
    why="A lost enrollment is a student missing from a class list or a teacher missing from their class: the "
        "product then hides work, grades or messages from them.",
    remediation="Serve one active enrollment for every row of the district's enrollments.csv, linking the same "
                "user and class with the same role.",
)
def check_enrollments(oneroster: OneRosterSession, roster: RosterFile) -> None:
    if roster.mode("enrollments") == "absent":
        raise NotApplicable("the district's roster file holds no enrollments")
    both = compare(oneroster, roster, ("enrollments", "classes"))
    served = {enrollment_key(r) for r in both.served["enrollments"].by_id.values()
              if norm("status", r.get("status")) != "tobedeleted" or not both.bulk("enrollments")}
    supplied = list(both.supplied["enrollments"].values())
    missing = [r for r in supplied if enrollment_key(r) not in served]
    if missing:
        classes = both.supplied.get("classes", {})
        shown = []
        for r in missing[:MAX_SHOWN]:
            user, klass, role = enrollment_key(r)
            title = classes.get(klass, {}).get("title", klass)
            shown.append(f"{role} {user} in '{title}'")
        by_role = Counter(enrollment_key(r)[2] for r in missing)
        roles = ", ".join(f"{n} {role} {plural('enrollment', n)}" for role, n in by_role.most_common())
        raise Failure(f"{len(missing)} of the district's {len(supplied)} enrollments are not served "
                      f"({roles}): {_counted(shown)}",
                      expected=f"all {len(supplied)} enrollments of the file",
                      received=f"{len(supplied) - len(missing)} found", exchanges=both.evidence("enrollments"))


def _tree_problems(both: Compared, entity: str, kind: str) -> list[str]:
    """Where the served tree (parent, children) differs from the one the file describes."""
    supplied, served = both.supplied[entity], both.served[entity].by_id

    def name(sid: str | None) -> str:
        if not sid:
            return "none"
        record = supplied.get(sid) or served.get(sid) or {}
        return f"'{record.get('name') or record.get('title') or sid}'"

    out = []
    for sid, record in supplied.items():
        theirs = served.get(sid)
        if theirs is None:
            out.append(f"{kind} {name(sid)} is not served, so it is missing from the tree")
            continue
        mine_parent, their_parent = ref_of(record.get("parent")), ref_of(theirs.get("parent"))
        if mine_parent != their_parent:
            out.append(f"{kind} {name(sid)}: the file's parent is {name(mine_parent)}, the vendor's is "
                       f"{name(their_parent)}")
        if norm("children", record.get("children"), both.deleted) != norm("children", theirs.get("children"),
                                                                         both.deleted):
            out.append(f"{kind} {name(sid)}: the vendor lists other children than the file implies")
    return out


@_fidelity_check(
    "OR12-FID-004",
    requirements=("OR12-REQ-FID-ORG-TREE",),
    title="The district's org tree is served as its file describes it (every org, its parent, its children)",
    why="Schools placed under the wrong parent, or missing from the district, break every report and permission "
        "the product organises by school.",
    remediation="Serve every org of the district's orgs.csv with the parentSourcedId it gives as parent, and list "
                "as children exactly the orgs whose parent it is.",
)
def check_org_tree(oneroster: OneRosterSession, roster: RosterFile) -> None:
    if roster.mode("orgs") == "absent":
        raise NotApplicable("the district's roster file holds no orgs")
    both = compare(oneroster, roster, ("orgs",))
    problems = _tree_problems(both, "orgs", "org")
    if problems:
        raise Failure(f"The vendor's org tree differs from the district's file: {_counted(problems)}",
                      expected="the orgs, parents and children of orgs.csv", received=problems[0],
                      exchanges=both.evidence("orgs"))


@_fidelity_check(
    "OR12-FID-005",
    requirements=("OR12-REQ-FID-SESSION-TREE",),
    title="The district's school year, terms and grading periods are served with the parents its file gives",
    why="A grading period filed under the wrong term puts grades and report cards in the wrong part of the year.",
    remediation="Serve every academic session of academicSessions.csv with the parentSourcedId it gives as "
                "parent, and list as children exactly the sessions whose parent it is.",
)
def check_session_tree(oneroster: OneRosterSession, roster: RosterFile) -> None:
    if roster.mode("academicSessions") == "absent":
        raise NotApplicable("the district's roster file holds no academic sessions")
    both = compare(oneroster, roster, ("academicSessions",))
    problems = _tree_problems(both, "academicSessions", "session")
    if problems:
        raise Failure(f"The vendor's academic sessions differ from the district's file: {_counted(problems)}",
                      expected="the sessions and parents of academicSessions.csv", received=problems[0],
                      exchanges=both.evidence("academicSessions"))


# -- start with the student -----------------------------------------------------------------------------------

_FIELD_WORDS = {"givenName": "first name", "familyName": "last name", "middleName": "middle name",
                "grades": "grade", "email": "email", "username": "username", "identifier": "student number",
                "enabledUser": "account status", "primaryOrg": "school", "roles": "role", "agents": "guardians",
                "userIds": "student ids", "status": "record status", "birthDate": "birth date", "sex": "sex"}


def _grade_words(grades: Any) -> str:
    values = list(norm("grades", grades) or ())
    if not values:
        return "no grade"
    words = ["kindergarten" if g.upper() == "KG" else f"grade {g.lstrip('0') or '0'}" if g.isdigit() else g
             for g in values]
    return ", ".join(words)


def _is_student(user: JSON) -> bool:
    return any(norm("role", r.get("role")) == "student" for r in user.get("roles", []) if isinstance(r, dict))


class _Tracer:
    """Follows one student of the file through both sides and says, in words, what matches."""

    def __init__(self, both: Compared) -> None:
        self.both = both
        self.sup = both.supplied
        self.srv = {e: both.served_live(e) for e in both.served}
        # a bulk file holds active enrollments only: one the vendor marks tobedeleted is not there any more
        bulk = both.bulk("enrollments")
        served = [r for r in self.srv["enrollments"].values()
                  if not bulk or norm("status", r.get("status")) != "tobedeleted"]
        self.sup_enr = by_ref(self.sup["enrollments"].values(), "user")
        self.srv_enr = by_ref(served, "user")
        self.sup_class_enr = by_ref(self.sup["enrollments"].values(), "class")
        self.srv_class_enr = by_ref(served, "class")

    def person(self, user: JSON | None, fallback: str) -> str:
        if not user:
            return fallback
        given, family = str(user.get("givenName", "")), str(user.get("familyName", ""))
        if self.both.full_evidence:
            return f"{given} {family[:1]}.".strip()
        return f"{given[:1]}. {family[:1]}." if given and family else fallback

    def teachers(self, class_id: str, side: str) -> set[str]:
        index = self.sup_class_enr if side == "file" else self.srv_class_enr
        return {ref_of(e.get("user")) or "" for e in index.get(class_id, [])
                if norm("role", e.get("role")) == "teacher"}

    def teacher_words(self, class_id: str) -> str:
        names = sorted(self.person(self.sup["users"].get(t), "an unnamed teacher")
                       for t in self.teachers(class_id, "file"))
        return f" (teacher {', '.join(names)})" if names else ""

    def class_title(self, class_id: str) -> str:
        record = self.sup["classes"].get(class_id) or self.srv["classes"].get(class_id) or {}
        return str(record.get("title") or class_id)

    def trace(self, number: int, sid: str) -> StudentTrace:
        both, user = self.both, self.sup["users"][sid]
        label = self.person(user, f"Student {number}") if both.full_evidence else f"Student {number}"
        school_id = ref_of(user.get("primaryOrg")) or next(
            (ref_of(r.get("org")) for r in user.get("roles", []) if isinstance(r, dict)), None) or ""
        school = str(self.sup["orgs"].get(school_id, {}).get("name", "an unknown school"))
        grade = _grade_words(user.get("grades"))
        matches: list[str] = []
        problems: list[str] = []
        served_user = both.served["users"].by_id.get(sid)
        if served_user is None:
            problems.append("the vendor does not have this student at all (no account, no classes)")
        else:
            diffs = both.field_diffs("users", user, served_user)
            for key in diffs:
                what = _FIELD_WORDS.get(key, key)
                if key == "grades":
                    problems.append(f"the district's file says {grade}, the vendor shows "
                                    f"{_grade_words(served_user.get('grades'))}")
                elif key in PERSONAL and not both.full_evidence:
                    problems.append(f"the vendor shows a different {what} than the district's file")
                else:
                    problems.append(f"{what}: the vendor shows {both.show(key, served_user.get(key))}, the district's "
                                    f"file says {both.show(key, user.get(key))}")
            if not diffs:
                matches.append("name, grade and account details match")
        if "demographics" in self.sup and sid in self.sup["demographics"]:
            theirs = both.served["demographics"].by_id.get(sid)
            if theirs is None:
                problems.append("the vendor has no demographics for this student")
            else:
                diffs = both.field_diffs("demographics", self.sup["demographics"][sid], theirs)
                if diffs:
                    problems.append("demographics differ: " + ", ".join(_FIELD_WORDS.get(k, k) for k in diffs))
                else:
                    matches.append("demographics match")
        if school_id:
            theirs_school = both.served["orgs"].by_id.get(school_id)
            if theirs_school is None:
                problems.append(f"the vendor does not have the school {school}")
            elif norm("name", theirs_school.get("name")) != norm("name", school):
                problems.append(f"the vendor names the school {theirs_school.get('name')!r}, the file {school!r}")
            else:
                matches.append(f"school {school} matches")
        self._classes(sid, matches, problems)
        where = f"{label} ({grade}, {school})"
        summary = f"{where}: " + ("everything traced matches the district's file" if not problems
                                  else " — ".join(problems[:2]) + (" …" if len(problems) > 2 else ""))
        return StudentTrace(student=label, grade=grade, school=school, matched=not problems, summary=summary,
                            matches=matches, mismatches=problems)

    def _classes(self, sid: str, matches: list[str], problems: list[str]) -> None:
        mine = {ref_of(e.get("class")) or "" for e in self.sup_enr.get(sid, [])
                if norm("role", e.get("role")) == "student"}
        theirs = {ref_of(e.get("class")) or "" for e in self.srv_enr.get(sid, [])
                  if norm("role", e.get("role")) == "student"}
        missing, extra = sorted(mine - theirs, key=self.class_title), sorted(theirs - mine, key=self.class_title)
        if missing or extra:
            line = (f"enrolled in {len(mine)} {plural('class', len(mine))} in the district's file, the vendor shows "
                    f"{len(theirs)}")
            if missing:
                line += " — missing " + ", ".join(f"{self.class_title(c)}{self.teacher_words(c)}" for c in missing)
            if extra:
                line += " — not in the file: " + ", ".join(self.class_title(c) for c in extra)
            problems.append(line)
        else:
            matches.append(f"enrolled in the same {len(mine)} {plural('class', len(mine))}")
        bad_classes, bad_courses, bad_teachers = [], [], []
        for cid in sorted(mine & theirs, key=self.class_title):
            klass, served_class = self.sup["classes"].get(cid), self.srv["classes"].get(cid)
            if klass is None:
                continue
            if served_class is None or self.both.field_diffs("classes", klass, served_class):
                bad_classes.append(self.class_title(cid))
            course_id = ref_of(klass.get("course")) or ""
            course, served_course = self.sup["courses"].get(course_id), self.srv["courses"].get(course_id)
            if course is not None and (served_course is None
                                       or self.both.field_diffs("courses", course, served_course)):
                bad_courses.append(str(course.get("title", course_id)))
            if self.teachers(cid, "file") != self.teachers(cid, "vendor"):
                bad_teachers.append(self.class_title(cid) + self.teacher_words(cid))
        for items, what in ((bad_classes, "class details differ for"), (bad_courses, "course details differ for"),
                            (bad_teachers, "other teachers than the file for")):
            if items:
                problems.append(f"{what} {', '.join(items)}")
        if mine & theirs and not (bad_classes or bad_courses or bad_teachers):
            matches.append("their classes, courses and teachers match")


@_fidelity_check(
    "OR12-FID-006",
    requirements=("OR12-REQ-FID-RECORDS", "OR12-REQ-FID-ENROLLMENTS"),
    title="Students sampled from the district's file arrive intact: account, demographics, classes, courses, "
          "teachers and school",
    why="This is the district's own question: take a student, and check that the product knows them, their "
        "grade, their school, every class they take and who teaches it.",
    remediation="Fix what the per-student findings name (missing classes, altered names or grades, a school or "
                "teacher the product lacks); each comes from a difference with the district's roster file.",
)
def check_student_trace(oneroster: OneRosterSession, roster: RosterFile,
                        record_property: Callable[[str, object], None]) -> None:
    size, seed = oneroster.config.fidelity_sample, oneroster.config.fidelity_seed
    if size == 0:
        raise NotApplicable("fidelity_sample is 0: no student is traced")
    if roster.mode("users") == "absent":
        raise NotApplicable("the district's roster file holds no users")
    both = compare(oneroster, roster, ("orgs", "courses", "classes", "users", "demographics", "enrollments"))
    for e in ("orgs", "courses", "classes", "enrollments"):
        both.supplied.setdefault(e, {})
        both.served.setdefault(e, Side(by_id={}))
    students = sorted(sid for sid, u in both.supplied["users"].items()
                      if _is_student(u) and norm("status", u.get("status")) == "active")
    if not students:
        raise NotApplicable("the district's roster file holds no active students")
    rng = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret
    sample = rng.sample(students, min(size, len(students)))
    tracer = _Tracer(both)
    traces = [tracer.trace(n, sid) for n, sid in enumerate(sample, start=1)]
    record_property(STUDENT_TRACES, [t.model_dump(mode="json") for t in traces])
    wrong = [t for t in traces if not t.matched]
    if wrong:
        raise Failure(f"{len(wrong)} of {len(traces)} students sampled from the district's file do not arrive "
                      f"intact. {wrong[0].summary}",
                      expected=f"{len(traces)} students exactly as the district's file has them (seed {seed})",
                      received="; ".join(t.summary for t in wrong[:MAX_SHOWN]),
                      exchanges=both.evidence("users", "enrollments"))
