"""The parents each nested check asks about, and what their answers must hold, equal a plain scan of the data.

`integrity.py` builds what a nested answer must and may hold from enrollments grouped once per run, and works it
out only for the parents it may choose (fast on a large district). The reference here is the obvious scan of
every enrollment per check (what the module did before), written out again, with the choice made on it: both
must choose the same parents in the same order, with the same expectations, on rosters full of edge cases
(inactive users, classes and enrollments, repeated sourcedIds and enrollments, broken references, empty
sourcedIds, unknown classes, users without the role).
"""
from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

import pytest

from edcert.conformance.oneroster import integrity
from edcert.conformance.oneroster._fixtures import Collection
from edcert.conformance.oneroster.integrity import Expected, Flat, active
from edcert.conformance.oneroster.models import ref_id, user_roles

ROLES = ("student", "teacher", "aide", None, 7)


class FakeSession:
    def __init__(self, data: dict[str, list[dict[str, Any]]]) -> None:
        self.collections = {k: Collection(endpoint=k, key=k, records=v) for k, v in data.items()}
        self._derived: dict[str, Any] = {}

    def collection(self, endpoint: str) -> Collection:
        return self.collections[endpoint]

    def derived(self, key: str, factory: Any) -> Any:
        if key not in self._derived:
            self._derived[key] = factory()
        return self._derived[key]


def ref(sid: Any) -> Any:
    return {"href": "x", "sourcedId": sid, "type": "x"} if not isinstance(sid, list) else sid


def roster(seed: int) -> dict[str, list[dict[str, Any]]]:
    rnd = random.Random(seed)
    status = lambda: rnd.choice(["active", "active", "active", "tobedeleted", None])  # noqa: E731
    schools = [f"s{i}" for i in range(4)]
    orgs = [{"sourcedId": s, "type": rnd.choice(["school", "school", "district"]), "status": status()}
            for s in schools]
    class_ids = [f"c{i}" for i in range(12)] + [""]
    classes = [{"sourcedId": c, "status": status(), "school": ref(rnd.choice(schools))} for c in class_ids]
    classes.append({"sourcedId": "c1", "status": "tobedeleted"})  # repeated: the last one wins
    user_ids = [f"u{i}" for i in range(30)] + [""]
    users = []
    for u in user_ids:
        roles = [{"role": rnd.choice(["student", "teacher", "aide"]), "org": ref(rnd.choice([*schools, None]))}
                 for _ in range(rnd.randint(0, 2))]
        users.append({"sourcedId": u, "status": status(), "roles": roles if rnd.random() > 0.05 else "broken"})
    users.append({"sourcedId": "u2", "status": "tobedeleted", "roles": [{"role": "aide", "org": ref("s0")}]})
    users.append({"status": "active", "roles": []})  # no sourcedId
    enrollments = []
    for i in range(400):
        enrollments.append({
            "sourcedId": f"e{i}", "status": status(), "role": rnd.choice(ROLES),
            "class": ref(rnd.choice([*class_ids, "ghost", None, ""])) if rnd.random() > 0.03 else "broken",
            "user": ref(rnd.choice([*user_ids, "nobody", None, ""])) if rnd.random() > 0.03 else [],
            "school": ref(rnd.choice([*schools, None])),
        })
    # a role that is a list (not hashable, and never a role a check asks about) in a school with students
    enrollments.append({"sourcedId": "e-list-role", "status": "active", "role": ["student"],
                        "class": ref(class_ids[0]), "user": ref(user_ids[0]), "school": ref(schools[0])})
    return {"orgs": orgs, "classes": classes, "users": users, "enrollments": enrollments}


# -- the reference: one scan of every enrollment per check ---------------------------------------------


def scan_rows(flat: Flat) -> list[tuple[Any, ...]]:
    return [(ref_id(e, "class"), ref_id(e, "user"), ref_id(e, "school"), e.get("role"), active(e))
            for e in flat.records("enrollments")]


def scan_class_users(flat: Flat, role: str) -> dict[str, Expected]:
    users, classes = flat.by_id("users"), flat.by_id("classes")
    out: dict[str, Expected] = defaultdict(Expected)
    for cid, uid, _school, enrolled_as, current in scan_rows(flat):
        if enrolled_as != role or cid not in classes or uid is None:
            continue
        out[cid].add(uid, current and active(users.get(uid)))
    return dict(out)


def scan_user_classes(flat: Flat, role: str | None) -> dict[str, Expected]:
    users, classes = flat.by_id("users"), flat.by_id("classes")
    roles = {uid: frozenset(n for n, _ in user_roles(u)) for uid, u in users.items()}
    out: dict[str, Expected] = defaultdict(Expected)
    for cid, uid, _school, enrolled_as, current in scan_rows(flat):
        if role is not None and enrolled_as != role:
            continue
        user = users.get(uid or "")
        if user is None or cid is None or (role is not None and role not in roles[uid or ""]):
            continue
        out[uid or ""].add(cid, current and active(classes.get(cid)))
    return dict(out)


def scan_school_users(flat: Flat, role: str) -> dict[str, Expected]:
    schools = {k for k, v in flat.by_id("orgs").items() if v.get("type") == "school"}
    out: dict[str, Expected] = defaultdict(Expected)
    for user in flat.records("users"):
        uid = user.get("sourcedId")
        if not isinstance(uid, str):
            continue
        for name, oid in user_roles(user):
            if name == role and oid in schools:
                out[oid].add(uid, active(user))
    for _class, uid, sid, enrolled_as, _current in scan_rows(flat):
        if enrolled_as == role and sid in schools and uid is not None:
            out[sid].allowed.add(uid)
    return dict(out)


CASES = [
    ("OR12-NEST-001", lambda f: scan_class_users(f, "student")),
    ("OR12-NEST-002", lambda f: scan_class_users(f, "teacher")),
    ("OR12-NEST-004", lambda f: scan_user_classes(f, "student")),
    ("OR12-NEST-005", lambda f: scan_user_classes(f, "teacher")),
    ("OR12-NEST-006", lambda f: scan_user_classes(f, None)),
    ("OR12-NEST-009", lambda f: scan_school_users(f, "student")),
    ("OR12-NEST-010", lambda f: scan_school_users(f, "teacher")),
]


def chosen(expected: dict[str, Expected], limit: int) -> list[str]:
    """The parents a nested check asks about: those requiring the most members, ties by sourcedId."""
    return sorted((p for p, e in expected.items() if e.required), key=lambda p: (-len(expected[p].required), p))[:limit]


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize(("check_id", "reference"), CASES, ids=[c[0] for c in CASES])
def test_grouped_expectations_equal_a_plain_scan(check_id: str, reference: Any, seed: int) -> None:
    route = next(r for r in integrity.NESTED_ROUTES if r.check_id == check_id)
    want = reference(Flat(FakeSession(roster(seed))))  # type: ignore[arg-type]
    assert want, "the generated roster gives this route something to expect"
    # the builder chooses the same parents, in the same order, with the same expectations; with a limit
    # above the number of parents, that is every parent that requires a member
    for limit in (1, 2, integrity.MAX_PARENTS, 1000):
        built = route.build(Flat(FakeSession(roster(seed))), limit)  # type: ignore[arg-type]
        assert list(built) == chosen(want, limit)
        assert {k: (v.required, v.allowed) for k, v in built.items()} == \
            {k: (want[k].required, want[k].allowed) for k in chosen(want, limit)}
    assert any(v.required != v.allowed for v in want.values()) or check_id in ("OR12-NEST-009", "OR12-NEST-010")


def test_the_parents_with_most_rows_are_not_always_the_ones_chosen() -> None:
    """Rows bound what a parent requires; repeated, inactive and other-role rows make the bound loose."""
    users = [{"sourcedId": u, "status": "active", "roles": [{"role": "student", "org": ref("s0")}]}
             for u in ("u1", "u2", "u3", "u4")]
    classes = [{"sourcedId": c, "status": "active"} for c in ("cA", "cB", "cC", "cD")]
    rows = [("cA", "u1", "active"), ("cA", "u1", "active"), ("cA", "u1", "active"), ("cA", "u1", "active"),
            ("cA", "u4", "tobedeleted"), ("cB", "u1", "active"), ("cB", "u2", "active"), ("cC", "u3", "active"),
            ("cC", "u2", "active"), ("cD", "u4", "tobedeleted")]
    enrollments = [{"sourcedId": f"e{i}", "status": status, "role": "student", "class": ref(c), "user": ref(u)}
                   for i, (c, u, status) in enumerate(rows)]
    data = {"orgs": [], "classes": classes, "users": users, "enrollments": enrollments}
    by_class = next(r for r in integrity.NESTED_ROUTES if r.check_id == "OR12-NEST-001").build
    # cA has the most rows (five) but one student it requires; cD requires none
    assert list(by_class(Flat(FakeSession(data)), 3)) == ["cB", "cC", "cA"]  # type: ignore[arg-type]
    assert list(by_class(Flat(FakeSession(data)), 1)) == ["cB"]  # type: ignore[arg-type]
    by_user = next(r for r in integrity.NESTED_ROUTES if r.check_id == "OR12-NEST-004").build
    chosen_users = by_user(Flat(FakeSession(data)), 4)  # type: ignore[arg-type]
    assert list(chosen_users) == ["u1", "u2", "u3"]  # u4: enrolled only as tobedeleted
    assert chosen_users["u1"].required == {"cA", "cB"}


def test_only_the_parents_that_can_still_be_chosen_are_worked_out() -> None:
    """The point of the row bound: on 100 parents, a check asking about three works out three (or a few more)."""
    groups = {f"p{n:03}": [(f"m{i}", "student", True) for i in range(n)] for n in range(1, 101)}
    flat = Flat(FakeSession({}))  # type: ignore[arg-type]
    order = integrity._by_rows(flat, "test.order", groups)
    assert order[:3] == ["p100", "p099", "p098"] and order[-1] == "p001"
    asked: list[str] = []

    def expect(parent: str, rows: list[Any]) -> Expected:
        asked.append(parent)
        # p100 is not eligible; p099 requires only half its rows
        if parent == "p100":
            return Expected()
        members = {m for m, _, _ in rows}
        return Expected(required=set(sorted(members)[:49]) if parent == "p099" else members, allowed=members)

    assert list(integrity._most_required(groups, order, 3, expect)) == ["p098", "p097", "p096"]
    assert asked == ["p100", "p099", "p098", "p097", "p096"]  # p095 ranks after p096: nothing later is asked


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("every_id", [True, False])
@pytest.mark.parametrize("unknown", [None, "s1"])
def test_user_references_judged_from_the_role_rows_equal_a_walk_of_the_records(
        seed: int, every_id: bool, unknown: str | None) -> None:
    data = roster(seed)
    if every_id:
        data["users"] = [u for u in data["users"] if isinstance(u.get("sourcedId"), str)]
    else:  # a user without a sourcedId has no row: its dangling role must still be found (the records are walked)
        data["users"].append({"status": "active", "roles": [{"role": "student", "org": ref("s9")}]})
    records = data["users"]
    flat = Flat(FakeSession(data))
    named = integrity.role_orgs_named(flat, records)
    assert bool(named) == every_id
    known = {"orgs": frozenset({"s0", "s1", "s2", "s3"} - {unknown}),
             "users": frozenset(u["sourcedId"] for u in records if isinstance(u.get("sourcedId"), str))}
    paths = [("roles[].org", "orgs", integrity.role_orgs), ("agents[]", "users", integrity.many("agents"))]
    walked = integrity.find_dangling("users", records, paths, known)
    assert integrity.find_dangling("users", records, paths, known, named=named) == walked
    # a user's role at s1 dangles when s1 is unknown; the one without a sourcedId names s9, unknown always
    assert bool(walked) == (unknown is not None or not every_id)
