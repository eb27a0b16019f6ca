"""Referential integrity: every reference resolves, and nested endpoints agree with the flat data.

Part one (OR12-REF-*) reads the flat collections through
``oneroster.collection`` and follows every reference to the collection its
property names (``class.course`` → /courses, ``enrollment.user`` → /users,
...). A reference whose target is not in the listing is confirmed with a
single-object GET of the target (at most ``MAX_PROBES`` per check): when the
provider answers that GET with the record, the reference resolves and only
the listing is incomplete (the paging checks' finding, not this one's).
References that are not readable GUIDRefs are the data-model checks' finding
and are skipped here.

Part two (OR12-NEST-*) asks each nested endpoint about at most
``MAX_PARENTS`` parents — the ones with the most children, ties broken by
sourcedId — walks every page of the answer, and compares its members with
what the flat data says. A member is *required* when its record and the link
to the parent are active; it is *allowed* when any flat record links it to
the parent (tobedeleted included). The answer must hold every required
member and nothing that is known to the flat data but not allowed. Members
the flat listings do not know at all are not judged (that is a listing
problem, found elsewhere).
"""
from __future__ import annotations

import bisect
import heapq
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any
from urllib.parse import quote

import pytest

from edcert.conformance.oneroster._common import CORE_TAG, REST_BINDING, STANDARD, evidence
from edcert.conformance.oneroster._fixtures import (
    COLLECTION_KEYS,
    SINGLE_KEYS,
    OneRosterSession,
    page_records,
    register_digest,
)
from edcert.conformance.oneroster.models import id_list, join_groups, plural, record_id, ref_id, ref_ids, user_roles
from edcert.harness import check
from edcert.harness.errors import Failure, NotApplicable
from edcert.harness.evidence import Exchange
from edcert.harness.http import exchange_of

CATEGORY = "referential-integrity"
OPENAPI = "OneRoster 1.2 Rostering OpenAPI"
MAX_PROBES = 5
MAX_PARENTS = 3
NESTED_LIMIT = 1000
MAX_NESTED_PAGES = 200

JSON = dict[str, Any]


# -- part one: references resolve ------------------------------------------------------------------


@dataclass
class Dangling:
    """References of one property that point at nothing in the target listing."""

    endpoint: str
    path: str
    target: str
    total: int
    sources: list[str] = field(default_factory=list)  # record ids holding such a reference
    targets: list[str] = field(default_factory=list)  # the sourcedIds they name, in order of appearance
    count: int = 0


Getter = Callable[[JSON], list[str]]


class one:  # a Getter, named like the other getters (many, role_orgs)
    """The sourcedId a single-reference property names (none when it is not a readable GUIDRef)."""

    def __init__(self, prop: str) -> None:
        self.prop = prop

    def __call__(self, record: JSON) -> list[str]:
        return [x for x in [ref_id(record, self.prop)] if x]


def many(prop: str) -> Getter:
    """The sourcedIds a list-of-references property names."""
    return lambda record: ref_ids(record, prop)


def role_orgs(user: JSON) -> list[str]:
    """The orgs a user's roles[] name (1.1: its orgs)."""
    return [org for _, org in user_roles(user) if org]


def find_dangling(endpoint: str, records: list[JSON], paths: Iterable[tuple[str, str, Getter]],
                  known: dict[str, AbstractSet[str]],
                  columns: tuple[Sequence[tuple[Any, ...]], dict[str, int]] | None = None,
                  named: Mapping[str, AbstractSet[str]] | None = None) -> list[Dangling]:
    """References of ``records`` (``(property path, target endpoint, getter)``) missing from ``known``.

    ``columns``: one row per record, worked out already (the enrollments' rows, :func:`enrollment_rows`), and
    for a ``one`` getter's path the position in each row of the sourcedId its reference names (``ref_id``'s,
    or None). ``named``: for a path, every sourcedId its getter names in any of the records, worked out
    already; when all are known, no record of that path dangles and the records are not walked.
    """
    out: list[Dangling] = []
    rows, positions = columns if columns is not None else ((), {})
    for path, target, getter in paths:
        group = Dangling(endpoint, path, target, len(records))
        ids = known[target]
        at = positions.get(path)
        if named is not None and path in named and ids >= named[path]:
            continue
        if at is not None and isinstance(getter, one):
            # the distinct sourcedIds named, gathered in C: when all are known (a conformant provider), no
            # record can dangle and the 150,000 rows are not walked one by one in Python
            distinct = set(map(itemgetter(at), rows))
            distinct.discard(None)
            pending: list[tuple[int, JSON, list[str]]] = []
            if not ids >= distinct:
                missing = {x for x in distinct if x not in ids}
                pending = [(i, records[i], [row[at]]) for i, row in enumerate(rows) if row[at] in missing]
        elif isinstance(getter, one):
            # one reference per record (150,000 enrollments, three properties each): the same test as
            # ref_id's, inline, and a list only for the few records whose reference dangles
            prop = getter.prop
            pending = []
            for i, r in enumerate(records):
                ref = r.get(prop)
                if isinstance(ref, dict):
                    x = ref.get("sourcedId")
                    if isinstance(x, str) and x and x not in ids:
                        pending.append((i, r, [x]))
        else:
            pending = [(i, r, m) for i, r in enumerate(records) if (m := [x for x in getter(r) if x not in ids])]
        for index, record, missing in pending:
            group.count += 1
            group.sources.append(record_id(record, index))
            group.targets.extend(m for m in missing if m not in group.targets)
        if group.count:
            out.append(group)
    return out


@dataclass(frozen=True)
class Probe:
    found: bool
    status: int
    exchanges: list[Exchange]


def probe(oneroster: OneRosterSession, target: str, sourced_id: str) -> Probe:
    """Does ``GET /{target}/{id}`` answer the record? (found: it exists after all.)

    Any answer carrying the record counts, even in a wrong envelope: whether
    the envelope is right is the operations checks' business.
    """
    response = oneroster.get(f"/{target}/{quote(sourced_id, safe='')}")
    found = False
    if response.status_code == 200:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            wrapped = body.get(SINGLE_KEYS[target])
            listed = body.get(COLLECTION_KEYS[target])
            candidates = [wrapped, *(listed if isinstance(listed, list) else [])]
            found = any(isinstance(c, dict) and c.get("sourcedId") == sourced_id for c in candidates)
    return Probe(found, response.status_code, evidence(response))


def unresolved(oneroster: OneRosterSession, groups: list[Dangling]) -> tuple[list[str], list[Exchange]]:
    """Probe the first few missing targets; describe the groups that do not resolve.

    Nothing is reported when every probed target exists after all (the
    listing is incomplete, the references resolve).
    """
    if not groups:
        return [], []
    probes: dict[tuple[str, str], Probe] = {}
    exchanges: list[Exchange] = []
    for group in groups:
        for target_id in group.targets:
            if len(probes) >= MAX_PROBES:
                break
            if (group.target, target_id) not in probes:
                result = probes[(group.target, target_id)] = probe(oneroster, group.target, target_id)
                if not result.found:
                    exchanges.extend(result.exchanges)
    if all(p.found for p in probes.values()):
        return [], []
    texts = []
    for group in groups:
        results = [(t, probes.get((group.target, t))) for t in group.targets]
        confirmed = [(t, p) for t, p in results if p is not None and not p.found]
        exists = [t for t, p in results if p is not None and p.found]
        if exists and not confirmed:
            continue
        proof = ""
        if confirmed:
            t, p = confirmed[0]
            proof = f"; e.g. GET /{group.target}/{t} answers HTTP {p.status}"
            proof += " without it" if p.status == 200 else ""
        texts.append(f"{group.count} of {group.total} {group.endpoint}: {group.path} names a record missing from "
                     f"/{group.target} ({id_list(group.sources, group.count)}{proof})")
    return texts, exchanges


def confirm(oneroster: OneRosterSession, groups: list[Dangling], what: str, expected: str) -> None:
    """Fail when references of ``groups`` are confirmed not to resolve."""
    texts, exchanges = unresolved(oneroster, groups)
    if texts:
        raise Failure(f"{what}: " + join_groups(texts), expected=expected, received=texts[0],
                      exchanges=exchanges[:5])


def ids_of(oneroster: OneRosterSession, *endpoints: str) -> dict[str, AbstractSet[str]]:
    return {e: oneroster.collection(e).by_id().keys() for e in endpoints}


def _integrity_check(check_id: str, title: str, why: str, remediation: str, ref: str, *,
                     requirements: tuple[str, ...], level: str = "required", tags: tuple[str, ...] = (CORE_TAG,)
                     ) -> Callable[[Callable[[OneRosterSession], None]], Callable[[OneRosterSession], None]]:
    return check(id=check_id, standard=STANDARD, category=CATEGORY, level=level, tags=tags, title=title,
                 why=why, remediation=remediation, ref=ref, requirements=requirements)


@_integrity_check(
    "OR12-REF-001",
    requirements=("OR12-REQ-REF-CLASS",),
    title="Every class's course, school and terms exist in /courses, /orgs and /academicSessions",
    why="A class linked to a course, school or term the system does not have cannot be set up for its "
        "students.",
    remediation="Make class.course name a course served by /courses, class.school an org served by /orgs and "
                "every class.terms[] entry an academic session served by /academicSessions.",
    ref=f"{OPENAPI}: ClassDType (course, school, terms)",
)
def check_class_references(oneroster: OneRosterSession) -> None:
    known = ids_of(oneroster, "courses", "orgs", "academicSessions")
    records = oneroster.collection("classes").records
    groups = find_dangling("classes", records, [("course", "courses", one("course")), ("school", "orgs", one("school")),
                                                ("terms[]", "academicSessions", many("terms"))], known)
    confirm(oneroster, groups, "classes reference records that do not exist",
            "every class.course, class.school and class.terms[] resolves")


@_integrity_check(
    "OR12-REF-002",
    requirements=("OR12-REQ-REF-ENROLLMENT",),
    title="Every enrollment's user, class and school exist in /users, /classes and /orgs",
    why="An enrollment pointing at a person or class that does not exist loses a student from a class or "
        "puts an unknown account into it.",
    remediation="Only serve enrollments whose user, class and school are served by /users, /classes and "
                "/orgs; drop or fix enrollments of deleted users and classes.",
    ref=f"{OPENAPI}: EnrollmentDType (user, class, school)",
)
def check_enrollment_references(oneroster: OneRosterSession) -> None:
    known = ids_of(oneroster, "users", "classes", "orgs")
    records = oneroster.collection("enrollments").records
    columns = (enrollment_rows(Flat(oneroster)), {"class": 0, "user": 1, "school": 2})  # (class, user, school, ..)
    groups = find_dangling("enrollments", records, [("user", "users", one("user")), ("class", "classes", one("class")),
                                                    ("school", "orgs", one("school"))], known, columns)
    confirm(oneroster, groups, "enrollments reference records that do not exist",
            "every enrollment.user, enrollment.class and enrollment.school resolves")


@_integrity_check(
    "OR12-REF-003",
    requirements=("OR12-REQ-REF-USER",),
    title="Every user's roles[].org, primaryOrg and agents exist in /orgs and /users",
    why="A user tied to a school or a guardian that does not exist gets the wrong access or loses the link "
        "to their family.",
    remediation="Make every user.roles[].org and user.primaryOrg name an org served by /orgs, and every "
                "user.agents[] entry a user served by /users.",
    ref=f"{OPENAPI}: UserDType (roles[].org, primaryOrg, agents), RoleDType.org",
)
def check_user_references(oneroster: OneRosterSession) -> None:
    known = ids_of(oneroster, "orgs", "users")
    records = oneroster.collection("users").records
    groups = find_dangling("users", records, [("roles[].org", "orgs", role_orgs),
                                              ("primaryOrg", "orgs", one("primaryOrg")),
                                              ("agents[]", "users", many("agents"))], known,
                           named=role_orgs_named(Flat(oneroster), records))
    confirm(oneroster, groups, "users reference records that do not exist",
            "every user.roles[].org, user.primaryOrg and user.agents[] resolves")


@_integrity_check(
    "OR12-REF-004",
    requirements=("OR12-REQ-REF-COURSE",),
    title="Every course's org and schoolYear exist in /orgs and /academicSessions",
    why="A course attached to a school or school year the system does not have cannot be offered to anyone.",
    remediation="Make course.org name an org served by /orgs and course.schoolYear an academic session served "
                "by /academicSessions.",
    ref=f"{OPENAPI}: CourseDType (org, schoolYear)",
)
def check_course_references(oneroster: OneRosterSession) -> None:
    known = ids_of(oneroster, "orgs", "academicSessions")
    records = oneroster.collection("courses").records
    groups = find_dangling("courses", records, [("org", "orgs", one("org")),
                                                ("schoolYear", "academicSessions", one("schoolYear"))], known)
    confirm(oneroster, groups, "courses reference records that do not exist",
            "every course.org and course.schoolYear resolves")


def tree_problems(endpoint: str, records: list[JSON]) -> list[str]:
    """Parent/children disagreements between records that both state the relation.

    A parent that lists ``children``
    must list every record naming it as ``parent``; a record listed as a child
    and naming a parent must name that one.
    """
    by_id = {r["sourcedId"]: r for r in records if isinstance(r.get("sourcedId"), str)}
    unlisted: list[str] = []
    wrong_parent: list[str] = []
    for sid, record in by_id.items():
        parent_id = ref_id(record, "parent")
        parent = by_id.get(parent_id) if parent_id else None
        if parent is not None and isinstance(parent.get("children"), list) \
                and sid not in ref_ids(parent, "children"):
            unlisted.append(sid)
    for sid, record in by_id.items():
        for child_id in ref_ids(record, "children"):
            child = by_id.get(child_id)
            if child is None:
                continue
            named = ref_id(child, "parent")
            if named is not None and named != sid and child_id not in wrong_parent:
                wrong_parent.append(child_id)
    texts = []
    if unlisted:
        texts.append(f"{len(unlisted)} of {len(by_id)} {endpoint} name a parent whose children list omits them "
                     f"({id_list(unlisted)})")
    if wrong_parent:
        texts.append(f"{len(wrong_parent)} of {len(by_id)} {endpoint} are listed as a child of one record but "
                     f"name another as parent ({id_list(wrong_parent)})")
    return texts


def check_tree(oneroster: OneRosterSession, endpoint: str, what: str, expected: str) -> None:
    collection = oneroster.collection(endpoint)
    known = {endpoint: set(collection.by_id())}
    groups = find_dangling(endpoint, collection.records, [("parent", endpoint, one("parent")),
                                                          ("children[]", endpoint, many("children"))], known)
    dangling, exchanges = unresolved(oneroster, groups)
    disagreements = tree_problems(endpoint, collection.records)
    texts = dangling + disagreements
    if texts:
        if disagreements:
            exchanges = [*exchanges, *collection.evidence()]
        raise Failure(f"{what}: " + join_groups(texts), expected=expected, received=texts[0],
                      exchanges=exchanges[:5])


@_integrity_check(
    "OR12-REF-005",
    requirements=("OR12-REQ-REF-ORG-TREE",),
    title="Org parent and children links exist and agree with each other",
    why="Schools must sit under the right district; a broken hierarchy hides schools from district-level "
        "reports and permissions.",
    remediation="Make every org.parent and org.children[] name an org served by /orgs, list every org that "
                "names a parent in that parent's children, and never list an org as a child of one org while "
                "it names another as its parent.",
    ref=f"{OPENAPI}: OrgDType (parent, children)",
)
def check_org_tree(oneroster: OneRosterSession) -> None:
    check_tree(oneroster, "orgs", "the org hierarchy is inconsistent",
               "org.parent and org.children[] resolve and mirror each other")


@_integrity_check(
    "OR12-REF-006",
    requirements=("OR12-REQ-REF-SESSION-TREE",),
    title="Academic session parent and children links exist and agree with each other",
    why="Grading periods must sit in the right term; a broken calendar puts grades in the wrong marking "
        "period.",
    remediation="Make every academicSession.parent and children[] name a session served by /academicSessions, "
                "list every session that names a parent in that parent's children, and never list a session as "
                "a child of one session while it names another as its parent.",
    ref=f"{OPENAPI}: AcademicSessionDType (parent, children)",
)
def check_session_tree(oneroster: OneRosterSession) -> None:
    check_tree(oneroster, "academicSessions", "the academic calendar is inconsistent",
               "academicSession.parent and children[] resolve and mirror each other")


@_integrity_check(
    "OR12-REF-007",
    requirements=("OR12-REQ-REF-DEMOGRAPHICS-USER",),
    title="Every demographics record belongs to a user (same sourcedId as a record of /users)",
    why="Demographic data that cannot be matched to a person is either useless or attached to the wrong "
        "student.",
    remediation="Give each demographics record the sourcedId of the user it describes, and serve no "
                "demographics for users that do not exist.",
    ref=f"{OPENAPI}: DemographicsManagement (\"The sourcedIds for the user and the demographics records should "
        "be the same\")",
    level="recommended", tags=("privacy",),
)
def check_demographics_users(oneroster: OneRosterSession) -> None:
    if not oneroster.config.demographics:
        pytest.skip("the vendor does not claim the demographics endpoints")
    users = set(oneroster.collection("users").by_id())
    records = oneroster.collection("demographics").records
    group = Dangling("demographics", "sourcedId", "users", len(records))
    for index, record in enumerate(records):
        sid = record.get("sourcedId")
        if isinstance(sid, str) and sid and sid not in users:
            group.count += 1
            group.sources.append(record_id(record, index))
            group.targets.append(sid)
    confirm(oneroster, [group] if group.count else [], "demographics records belong to no user",
            "every demographics sourcedId is the sourcedId of a user")


@_integrity_check(
    "OR12-REF-008",
    requirements=("OR12-REQ-REF-AGENTS-MUTUAL",),
    title="Agent links are mutual: when a user lists another as agent, that user lists them back",
    why="A guardian must see their child and the child's record must show the guardian; a one-way link "
        "breaks family access and notifications.",
    remediation="Model both sides of every agent relation: if user A's agents include user B, user B's agents "
                "must include user A.",
    ref=f"{OPENAPI}: UserDType (\"The reverse view MUST also be modeled\"; agents)",
    level="recommended", tags=(),
)
def check_agents_mutual(oneroster: OneRosterSession) -> None:
    collection = oneroster.collection("users")
    by_id = collection.by_id()
    one_way: list[str] = []
    links = 0
    for sid, user in by_id.items():
        for agent_id in ref_ids(user, "agents"):
            agent = by_id.get(agent_id)
            if agent is None:
                continue  # a dangling agent is OR12-REF-003's finding
            links += 1
            if sid not in ref_ids(agent, "agents"):
                one_way.append(f"{sid} → {agent_id}")
    if not links:
        raise NotApplicable("no user lists an agent")
    if one_way:
        raise Failure(f"{len(one_way)} of {links} agent links are one-way ({id_list(one_way)})",
                      expected="every agent link mirrored", received=f"{len(one_way)} one-way link(s)",
                      exchanges=collection.evidence())


# -- part two: nested endpoints agree with the flat data ----------------------------------------------


@dataclass
class Expected:
    """What the flat data says one nested answer must / may hold."""

    required: set[str] = field(default_factory=set)
    allowed: set[str] = field(default_factory=set)

    def add(self, member: str, active: bool) -> None:
        self.allowed.add(member)
        if active:
            self.required.add(member)


def active(record: JSON | None) -> bool:
    return record is not None and record.get("status") != "tobedeleted"


class Flat:
    """The flat collections a nested check compares with (fetched once per run by the fixture)."""

    def __init__(self, oneroster: OneRosterSession) -> None:
        self.oneroster = oneroster

    def by_id(self, endpoint: str) -> dict[str, JSON]:
        return self.oneroster.collection(endpoint).by_id()

    def records(self, endpoint: str) -> list[JSON]:
        return self.oneroster.collection(endpoint).records

    def complete(self, endpoint: str) -> bool:
        """Does the listing look whole: no sourcedId twice, and as many records as X-Total-Count says?

        When it does not (a paging defect, reported by the paging checks), the flat data cannot prove that
        a nested answer holds something it should not, so only missing members are judged.
        """
        collection = self.oneroster.collection(endpoint)
        unique = len(collection.by_id())
        if unique != len(collection.records):
            return False
        counts = [c for c in collection.total_counts if c is not None]
        return not counts or not counts[-1].strip().isdigit() or int(counts[-1]) == unique


# The parents a nested check asks about (at most ``limit``: those that require the most members, ties broken by
# sourcedId, in that order), each with what its answer must and may hold.
Builder = Callable[[Flat, int], Mapping[str, Expected]]


def _top(build: Callable[[Flat], Mapping[str, Expected]]) -> Builder:
    """A builder that works out every parent's expectation (few parents: schools, terms, courses), then picks."""
    def top(flat: Flat, limit: int) -> dict[str, Expected]:
        expected = build(flat)
        chosen = heapq.nsmallest(limit, (p for p, e in expected.items() if e.required),
                                 key=lambda p: (-len(expected[p].required), p))
        return {parent: expected[parent] for parent in chosen}

    return top


def _most_required(groups: Mapping[str, list[EnrollmentRow]], order: list[str], limit: int,
                   expect: Callable[[str, list[EnrollmentRow]], Expected | None]) -> dict[str, Expected]:
    """The ``limit`` parents whose ``expect`` requires the most members (ties: the smaller sourcedId first).

    ``order`` lists the parents of ``groups`` by their number of rows, most first (ties by sourcedId). A parent
    requires at most as many members as it has rows, so once a parent's (rows, sourcedId) ranks after the
    last one chosen, no later parent can be chosen: on a large district a check looks at a few of its tens of
    thousands of parents instead of working out what every one of them requires.
    """
    best: list[tuple[int, str, Expected]] = []  # (-required, parent, expectation), at most ``limit``, in order
    for parent in order:
        rows = groups[parent]
        if len(best) == limit and (-len(rows), parent) > best[-1][:2]:
            break
        expected = expect(parent, rows)
        if expected is not None and expected.required:
            bisect.insort(best, (-len(expected.required), parent, expected), key=lambda b: b[:2])
            del best[limit:]
    return {parent: expected for _, parent, expected in best}


def _by_rows(flat: Flat, key: str, groups: Mapping[str, list[Any]]) -> list[str]:
    """The parents of ``groups``, most rows first, ties by sourcedId (sorted in C, once per run)."""
    return flat.oneroster.derived(key, lambda: sorted(sorted(groups), key=lambda p: len(groups[p]), reverse=True))


# (class, user, school, role, enrollment active) of every enrollment: several nested checks scan them all
EnrollmentRow = tuple[str | None, str | None, str | None, Any, bool]


def _enrollment_rows(records: list[JSON]) -> list[EnrollmentRow]:
    return [(ref_id(e, "class"), ref_id(e, "user"), ref_id(e, "school"), e.get("role"), active(e)) for e in records]


def _digested(flat: Flat, endpoint: str, key: str, fn: Callable[[list[JSON]], list[Any]]) -> list[Any]:
    """``fn`` of every record of ``endpoint``: as worked out page by page while reading, else now (once per run)."""
    collection = flat.oneroster.collection(endpoint)
    found = collection.digests.get(key)
    if found is not None:
        return found
    return flat.oneroster.derived(key, lambda: fn(collection.records))


register_digest("enrollments", "integrity.enrollment-rows", _enrollment_rows)


def enrollment_rows(flat: Flat) -> list[EnrollmentRow]:
    rows: list[EnrollmentRow] = _digested(flat, "enrollments", "integrity.enrollment-rows", _enrollment_rows)
    return rows


def live_ids(flat: Flat, endpoint: str) -> frozenset[str]:
    """The sourcedIds whose record (by_id's, the last of a repeated id) is active: ``active(by_id.get(x))``."""
    def live() -> frozenset[str]:
        return frozenset(k for k, v in flat.by_id(endpoint).items() if v.get("status") != "tobedeleted")

    return flat.oneroster.derived(f"integrity.live.{endpoint}", live)


# Each class's enrollments with a user, and each user's (under ``uid or ""``) with a class, grouped once per
# run: the nested checks' expectations are then built from each parent's own rows, not from a scan of every
# enrollment per check. The groups hold the enrollments' rows themselves (no new tuple per enrollment: building
# and freeing 300,000 of them cost 0.1 s of a large run).
def class_enrollments(flat: Flat) -> dict[str, list[EnrollmentRow]]:
    def group() -> dict[str, list[EnrollmentRow]]:
        out: dict[str, list[EnrollmentRow]] = defaultdict(list)
        for row in enrollment_rows(flat):
            if row[0] is not None and row[1] is not None:
                out[row[0]].append(row)
        return dict(out)

    return flat.oneroster.derived("integrity.class-enrollments", group)


def user_enrollments(flat: Flat) -> dict[str, list[EnrollmentRow]]:
    def group() -> dict[str, list[EnrollmentRow]]:
        out: dict[str, list[EnrollmentRow]] = defaultdict(list)
        for row in enrollment_rows(flat):
            if row[0] is not None:
                out[row[1] or ""].append(row)
        return dict(out)

    return flat.oneroster.derived("integrity.user-enrollments", group)


def _class_users(role: str) -> Builder:
    # per class: every user enrolled with ``role`` may be listed; those whose enrollment and user are
    # both active must be
    def build(flat: Flat, limit: int) -> dict[str, Expected]:
        classes, live_users = flat.by_id("classes"), live_ids(flat, "users")
        groups = class_enrollments(flat)

        def expect(cid: str, rows: list[EnrollmentRow]) -> Expected | None:
            if cid not in classes:
                return None
            return Expected(required={uid for _, uid, _, enrolled_as, current in rows
                                      if enrolled_as == role and current and uid in live_users},
                            allowed={uid for _, uid, _, enrolled_as, _ in rows if enrolled_as == role})

        return _most_required(groups, _by_rows(flat, "integrity.classes-by-rows", groups), limit, expect)

    return build


UserRoleRow = tuple[str, list[tuple[str, str | None]], Any]


def _user_role_rows(records: list[JSON]) -> list[UserRoleRow]:
    return [(uid, user_roles(user), user.get("status")) for user in records
            if isinstance(uid := user.get("sourcedId"), str)]


register_digest("users", "integrity.user-roles", _user_role_rows)


def user_role_rows(flat: Flat) -> list[UserRoleRow]:
    """(sourcedId, its (role, org) pairs, status) of every user record with a sourcedId, in order, once per run."""
    rows: list[UserRoleRow] = _digested(flat, "users", "integrity.user-roles", _user_role_rows)
    return rows


def role_orgs_named(flat: Flat, records: list[JSON]) -> dict[str, set[str]]:
    """``find_dangling``'s ``named`` for the users' ``roles[].org``: every org their roles name, from the rows
    worked out while reading (:func:`user_role_rows`, the pairs of :func:`role_orgs`). Only when every record
    has a row (a record without a sourcedId has none): else nothing, and the records are walked."""
    rows = user_role_rows(flat)
    if len(rows) != len(records):
        return {}
    return {"roles[].org": {org for _, pairs, _ in rows for _, org in pairs if org}}


def role_names(flat: Flat) -> dict[str, frozenset[str]]:
    """Each user's role names by sourcedId, once per run (enrollments ask about the same users again and again).

    A sourcedId listed twice takes its last record's roles, as ``by_id`` does.
    """
    def names() -> dict[str, frozenset[str]]:
        return {uid: frozenset(name for name, _ in pairs) for uid, pairs, _ in user_role_rows(flat)}

    return flat.oneroster.derived("integrity.role-names", names)


def _user_classes(role: str | None) -> Builder:
    # per user who holds ``role`` (any role when None): every class they are enrolled in with it may be
    # listed; those whose enrollment and class are both active must be
    def build(flat: Flat, limit: int) -> dict[str, Expected]:
        users, live_classes = flat.by_id("users"), live_ids(flat, "classes")
        roles = role_names(flat) if role is not None else {}
        groups = user_enrollments(flat)

        def expect(uid: str, rows: list[EnrollmentRow]) -> Expected | None:
            if uid not in users or (role is not None and role not in roles[uid]):
                return None
            if role is None:
                return Expected(required={cid for cid, _, _, _, current in rows if current and cid in live_classes},
                                allowed={cid for cid, _, _, _, _ in rows})
            return Expected(required={cid for cid, _, _, enrolled_as, current in rows
                                      if enrolled_as == role and current and cid in live_classes},
                            allowed={cid for cid, _, _, enrolled_as, _ in rows if enrolled_as == role})

        return _most_required(groups, _by_rows(flat, "integrity.users-by-rows", groups), limit, expect)

    return build


def _classes_by(prop: str, parents: str, parent_type: str | None, many: bool = False) -> Builder:
    @_top
    def build(flat: Flat) -> dict[str, Expected]:
        known = {k: v for k, v in flat.by_id(parents).items() if parent_type is None or v.get("type") == parent_type}
        out: dict[str, Expected] = defaultdict(Expected)
        for klass in flat.records("classes"):
            cid = klass.get("sourcedId")
            if not isinstance(cid, str):
                continue
            for pid in (ref_ids(klass, prop) if many else [x for x in [ref_id(klass, prop)] if x]):
                if pid in known:
                    out[pid].add(cid, active(klass))
        return out

    return build


def _school_users(role: str) -> Builder:
    @_top
    def build(flat: Flat) -> dict[str, Expected]:
        schools = {k for k, v in flat.by_id("orgs").items() if v.get("type") == "school"}
        out: dict[str, Expected] = defaultdict(Expected)
        for uid, pairs, status in user_role_rows(flat):
            for name, oid in pairs:
                if name == role and oid in schools:
                    out[oid].add(uid, status != "tobedeleted")
        # a provider may also count users enrolled with that role in the school's classes
        for _class, member, sid, enrolled_as, _current in enrollment_rows(flat):
            if enrolled_as == role and sid in schools and member is not None:
                out[sid].allowed.add(member)
        return out

    return build


def _term_grading_periods(flat: Flat) -> dict[str, Expected]:
    sessions = flat.by_id("academicSessions")
    terms = {k: v for k, v in sessions.items() if v.get("type") == "term"}
    out: dict[str, Expected] = defaultdict(Expected)
    for tid, term in terms.items():
        listed = set(ref_ids(term, "children")) if isinstance(term.get("children"), list) else None
        expected = out[tid]
        for sid, session in sessions.items():
            by_parent = ref_id(session, "parent") == tid
            by_child = listed is not None and sid in listed
            if not (by_parent or by_child):
                continue
            expected.allowed.add(sid)
            agreed = by_parent and (listed is None or by_child)
            if agreed and session.get("type") == "gradingPeriod" and active(session):
                expected.required.add(sid)
    return out


@dataclass(frozen=True)
class NestedRoute:
    check_id: str
    template: str  # "/classes/{}/students"
    parent: str  # "class"
    member: str  # "student"
    key: str  # the collection key of the answer
    flat_source: str  # what the flat data is, for messages
    sources: tuple[str, ...]  # the flat listings the expectation is built from
    build: Builder
    title: str
    why: str
    remediation: str
    relation: str  # "enrolled as students"


def walk(oneroster: OneRosterSession, path: str, key: str) -> tuple[list[str], list[Exchange]]:
    """Every member of a nested answer, following pages (bounded)."""
    limit = max(oneroster.config.page_size, NESTED_LIMIT)
    members: list[str] = []
    seen: set[str] = set()
    exchanges: list[Exchange] = []
    offset = 0
    for _ in range(MAX_NESTED_PAGES):
        response = oneroster.get(path, params={"limit": limit, "offset": offset})
        records = page_records(response, key, f"GET {path}")
        ex = exchange_of(response)
        if ex is not None:
            exchanges.append(ex)
        ids = [r["sourcedId"] for r in records if isinstance(r.get("sourcedId"), str)]
        fresh = [i for i in ids if i not in seen]
        if not records or not fresh:
            break
        members.extend(fresh)
        seen.update(fresh)
        offset += len(records)
        try:
            total: int | None = int(response.headers.get("X-Total-Count", ""))
        except ValueError:
            total = None
        if total is not None and offset >= total:
            break
        # without X-Total-Count a short page may be a server cap: ask once more, an empty page ends it
    return members, exchanges


def _run_nested(route: NestedRoute, oneroster: OneRosterSession) -> None:
    if not oneroster.config.nested:
        pytest.skip("the vendor does not claim the nested (roster.readonly) endpoints")
    flat = Flat(oneroster)
    expected = route.build(flat, MAX_PARENTS)
    if not expected:
        raise NotApplicable(f"no {route.parent} has any {route.member} in the flat data")
    parents = list(expected)
    known = flat.by_id(route.key).keys()
    judge_extra = all(flat.complete(source) for source in route.sources)
    problems: list[str] = []
    exchanges: list[Exchange] = []
    for parent in parents:
        path = route.template.format(quote(parent, safe=""))
        members, ex = walk(oneroster, path, route.key)
        answer = set(members)
        missing = sorted(expected[parent].required - answer)
        extra = sorted(m for m in answer - expected[parent].allowed if m in known) if judge_extra else []
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"{len(missing)} of {len(expected[parent].required)} {route.relation} missing "
                             f"({id_list(missing)})")
            if extra:
                parts.append(f"{len(extra)} listed that are not {route.relation} ({id_list(extra)})")
            problems.append(f"{route.parent} {parent}: " + ", ".join(parts))
            exchanges.extend(ex[:1])
    if problems:
        raise Failure(
            f"GET {route.template.format('{id}')} disagrees with {route.flat_source} for {len(problems)} of "
            f"{len(parents)} sampled {plural(route.parent, len(parents))}: "
            + join_groups(problems, limit=MAX_PARENTS),
            expected=f"exactly the {route.member}s {route.relation} (per {route.flat_source})",
            received=problems[0], exchanges=exchanges,
        )


NESTED_ROUTES: tuple[NestedRoute, ...] = (
    NestedRoute(
        "OR12-NEST-001", "/classes/{}/students", "class", "student", "users", "/enrollments", ("enrollments",),
        _class_users("student"),
        title="/classes/{id}/students lists exactly the users enrolled in the class as students",
        why="Teachers and applications see a class's students through this list; a wrong list shows the wrong "
            "children to the wrong adults.",
        remediation="Answer /classes/{id}/students with the users whose enrollments in that class have role "
                    "student — all of them, and no teachers or other users.",
        relation="enrolled as students",
    ),
    NestedRoute(
        "OR12-NEST-002", "/classes/{}/teachers", "class", "teacher", "users", "/enrollments", ("enrollments",),
        _class_users("teacher"),
        title="/classes/{id}/teachers lists exactly the users enrolled in the class as teachers",
        why="Applications grant a class's teachers access to its students' work from this list; a missing "
            "co-teacher is locked out.",
        remediation="Answer /classes/{id}/teachers with the users whose enrollments in that class have role "
                    "teacher — every one of them, co-teachers included.",
        relation="enrolled as teachers",
    ),
    NestedRoute(
        "OR12-NEST-003", "/schools/{}/classes", "school", "class", "classes", "/classes", ("classes",),
        _classes_by("school", "orgs", "school"),
        title="/schools/{id}/classes lists exactly the classes whose school is that school",
        why="Applications set up a school's timetable from this list; a missing class never reaches its "
            "students.",
        remediation="Answer /schools/{id}/classes with every class whose school reference names that school.",
        relation="classes of the school",
    ),
    NestedRoute(
        "OR12-NEST-004", "/students/{}/classes", "student", "class", "classes", "/enrollments", ("enrollments",),
        _user_classes("student"),
        title="/students/{id}/classes lists exactly the classes the student is enrolled in",
        why="A student's schedule in the application comes from this list; a missing class means missing work.",
        remediation="Answer /students/{id}/classes with every class in which that user has a student enrollment.",
        relation="classes with a student enrollment",
    ),
    NestedRoute(
        "OR12-NEST-005", "/teachers/{}/classes", "teacher", "class", "classes", "/enrollments", ("enrollments",),
        _user_classes("teacher"),
        title="/teachers/{id}/classes lists exactly the classes the teacher is enrolled in",
        why="A teacher's class list in the application comes from this answer; a missing class leaves its "
            "students without a teacher.",
        remediation="Answer /teachers/{id}/classes with every class in which that user has a teacher enrollment.",
        relation="classes with a teacher enrollment",
    ),
    NestedRoute(
        "OR12-NEST-006", "/users/{}/classes", "user", "class", "classes", "/enrollments", ("enrollments",),
        _user_classes(None),
        title="/users/{id}/classes lists exactly the classes the user is enrolled in",
        why="Applications build each person's classes from this list; an incomplete list hides classes from "
            "the people in them.",
        remediation="Answer /users/{id}/classes with every class in which that user has an enrollment, whatever "
                    "the role.",
        relation="classes with an enrollment",
    ),
    NestedRoute(
        "OR12-NEST-007", "/terms/{}/classes", "term", "class", "classes", "/classes", ("classes",),
        _classes_by("terms", "academicSessions", "term", many=True),
        title="/terms/{id}/classes lists exactly the classes scheduled in that term",
        why="Applications load each term's classes from this list; year-long or missing classes vanish from "
            "the term.",
        remediation="Answer /terms/{id}/classes with every class whose terms include that term (classes spanning "
                    "several terms included).",
        relation="classes scheduled in the term",
    ),
    NestedRoute(
        "OR12-NEST-008", "/courses/{}/classes", "course", "class", "classes", "/classes", ("classes",),
        _classes_by("course", "courses", None),
        title="/courses/{id}/classes lists exactly the classes of that course",
        why="Curriculum tools assign material to every section of a course from this list; a missing section "
            "gets none.",
        remediation="Answer /courses/{id}/classes with every class whose course reference names that course.",
        relation="classes of the course",
    ),
    NestedRoute(
        "OR12-NEST-009", "/schools/{}/students", "school", "student", "users", "/users", ("users", "enrollments"),
        _school_users("student"),
        title="/schools/{id}/students lists exactly the users with a student role at that school",
        why="Applications create a school's student accounts from this list; staff or parents in it get "
            "student accounts.",
        remediation="Answer /schools/{id}/students with the users who hold a student role (roles[].role) at that "
                    "org, and no one else.",
        relation="students of the school",
    ),
    NestedRoute(
        "OR12-NEST-010", "/schools/{}/teachers", "school", "teacher", "users", "/users", ("users", "enrollments"),
        _school_users("teacher"),
        title="/schools/{id}/teachers lists exactly the users with a teacher role at that school",
        why="Applications give teacher rights to the people on this list; an aide or parent on it gets access "
            "to student work.",
        remediation="Answer /schools/{id}/teachers with the users who hold a teacher role (roles[].role) at that "
                    "org, and no one else.",
        relation="teachers of the school",
    ),
    NestedRoute(
        "OR12-NEST-011", "/terms/{}/gradingPeriods", "term", "grading period", "academicSessions",
        "/academicSessions", ("academicSessions",), _top(_term_grading_periods),
        title="/terms/{id}/gradingPeriods lists exactly the grading periods of that term",
        why="Gradebooks report marks per grading period; periods of another term put grades in the wrong "
            "report card.",
        remediation="Answer /terms/{id}/gradingPeriods with the grading periods whose parent is that term (and "
                    "that the term lists as children), and no others.",
        relation="grading periods of the term",
    ),
)


def _make_nested_check(route: NestedRoute) -> None:
    def run(oneroster: OneRosterSession) -> None:
        _run_nested(route, oneroster)

    name = "check_nested_" + route.template.strip("/").replace("/{}/", "_").replace("/", "_")
    run.__name__ = name
    run.__qualname__ = name
    run.__doc__ = route.title
    path = route.template.format("{" + route.parent.replace(" ", "") + "SourcedId}")
    decorated = check(
        id=route.check_id, standard=STANDARD, category=CATEGORY, level="recommended", tags=("nested",),
        title=route.title, why=route.why, remediation=route.remediation,
        ref=f"{REST_BINDING}: GET {path} (roster.readonly; outside Rostering Core)",
        requirements=("OR12-REQ-NEST-CONSISTENT",),
    )(run)
    globals()[name] = decorated


for _route in NESTED_ROUTES:
    _make_nested_check(_route)
