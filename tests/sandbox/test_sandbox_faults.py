"""The fault catalogue: every fault breaks the one behaviour it names, and only that one.

Each fault has a *probe*: a small HTTP experiment answering True (the
requirement holds), False (it is broken) or None (cannot tell, because a
more basic feature the probe relies on is broken, e.g. the desc-order probe
when sorting does not work at all). The conformant sandbox passes every probe;
the sandbox with fault F fails F's probe; and (matrix test) every other probe
still passes or cannot tell.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from edcert.fixtures.districts import District
from edcert.harness.profile import KNOWN_STANDARDS
from edcert.sandbox import FAULTS, Fault, create_app, validate_faults
from edcert.sandbox.oneroster.model import ORG

from .conftest import ALL_SCOPES, BASE, CLIENT_ID, CLIENT_SECRET, CORE, DEMO, ROSTER, AsgiClient, make_app

DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class Probe:
    """An in-process client over one app, with the district's ground truth at hand."""

    def __init__(self, district: District, faults: tuple[str, ...] = ()) -> None:
        self.district = district
        self.client = AsgiClient(make_app(district, faults))
        self._tokens: dict[str, str] = {}

    def token(self, scope: str = ALL_SCOPES) -> str:
        if scope not in self._tokens:
            r = self.client.post("/oauth/token", data={"grant_type": "client_credentials", "scope": scope},
                                 auth=(CLIENT_ID, CLIENT_SECRET))
            self._tokens[scope] = r.json()["access_token"]
        return self._tokens[scope]

    def get(self, path: str, params: Any = None, *, scope: str = ALL_SCOPES,
            headers: dict[str, str] | None = None) -> httpx.Response:
        if headers is None:
            headers = {"Authorization": f"Bearer {self.token(scope)}"}
        return self.client.get(BASE + path, params=params, headers=headers)

    def items(self, path: str, params: Any = None) -> list[dict[str, Any]]:
        body = self.get(path, params).json()
        return list(next(iter(body.values())))

    def ids(self, path: str, params: Any = None) -> list[str]:
        return [x["sourcedId"] for x in self.items(path, params)]

    # ground truth
    def school(self) -> str:
        return str(next(o["sourcedId"] for o in self.district.orgs if o["type"] == "school"))

    def busy_teacher(self) -> tuple[str, list[str]]:
        """A teacher with several classes, and those classes (sorted)."""
        by_teacher: dict[str, list[str]] = {}
        for e in self.district.enrollments:
            if e["role"] == "teacher":
                by_teacher.setdefault(e["user"]["sourcedId"], []).append(e["class"]["sourcedId"])
        uid = min(u for u, cs in by_teacher.items() if len(cs) >= 2)
        return uid, sorted(by_teacher[uid])

    def class_with_students(self) -> str:
        return str(min(e["class"]["sourcedId"] for e in self.district.enrollments if e["role"] == "student"))


def refused(status: int) -> bool | None:
    if status == 404:
        return None
    return status in (401, 403)


def is_status_payload(r: httpx.Response) -> bool:
    """The body is the imsx status payload (whatever the Content-Type says)."""
    try:
        body = r.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("imsx_codeMajor") == "failure"


def filter_works(p: Probe) -> bool:
    family = p.district.users[0]["familyName"]
    got = p.items("/users", {"filter": f"familyName='{family}'", "limit": 1000})
    return bool(got) and all(u.get("familyName") == family for u in got) and len(got) < len(p.district.users)


def shared_stamp(p: Probe) -> str:
    stamps: list[str] = sorted(u["dateLastModified"] for u in p.district.users)
    return next(s for s in stamps if stamps.count(s) > 1)


def first_list(r: httpx.Response) -> list[dict[str, Any]]:
    """The records of a collection answer, whatever key wraps them."""
    return list(next(iter(r.json().values())))


def resolves(r: httpx.Response, key: str, plural: str) -> bool:
    if r.status_code != 200:
        return False
    body = r.json()
    record = body.get(key) or (body.get(plural) or [None])[0]
    return bool(record)


# -- probes ------------------------------------------------------------------

Check = Callable[[Probe], "bool | None"]
PROBES: dict[str, Check] = {}


def probe(name: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        assert name not in PROBES
        PROBES[name] = fn
        return fn

    return register


@probe("oneroster.auth.no-token-accepted")
def _(p: Probe) -> bool | None:
    return p.get("/users", headers={}).status_code == 401


@probe("oneroster.auth.any-token-accepted")
def _(p: Probe) -> bool | None:
    return p.get("/users", headers={"Authorization": "Bearer made-up"}).status_code == 401


@probe("oneroster.auth.token-ignores-secret")
def _(p: Probe) -> bool | None:
    r = p.client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, "wrong"))
    return r.status_code == 401


@probe("oneroster.auth.demographics-scope-not-enforced")
def _(p: Probe) -> bool | None:
    return refused(p.get("/demographics", scope=f"{CORE} {ROSTER}").status_code)


@probe("oneroster.auth.nested-scope-not-enforced")
def _(p: Probe) -> bool | None:
    return refused(p.get(f"/schools/{p.school()}/classes", scope=CORE).status_code)


@probe("oneroster.auth.wrong-scope-401")
def _(p: Probe) -> bool | None:
    return p.get("/users", scope=DEMO).status_code == 403


@probe("oneroster.auth.token-no-expiry")
def _(p: Probe) -> bool | None:
    r = p.client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, CLIENT_SECRET))
    return isinstance(r.json().get("expires_in"), int)


@probe("oneroster.errors.401-plain-text")
def _(p: Probe) -> bool | None:
    answers = [p.get("/users", headers={}), p.get("/users", headers={"Authorization": "Bearer made-up"})]
    unauthorised = [r for r in answers if r.status_code == 401]
    return bool(unauthorised) and all(is_status_payload(r) for r in unauthorised)


@probe("oneroster.errors.unknown-id-200-empty")
def _(p: Probe) -> bool | None:
    return p.get("/users/no-such-user").status_code == 404


@probe("oneroster.errors.404-plain")
def _(p: Probe) -> bool | None:
    r = p.get("/classes/no-such-class/students")
    return r.status_code == 404 and is_status_payload(r)


@probe("oneroster.errors.flat-codeminor")
def _(p: Probe) -> bool | None:
    body = p.get("/users", {"limit": 0}).json()
    fields = body.get("imsx_CodeMinor", {}).get("imsx_codeMinorField", [])
    return "imsx_codeMinor" not in body and bool(fields) and fields[0].get("imsx_codeMinorFieldValue") == "invaliddata"


@probe("oneroster.envelope.singular-wrapped-as-plural")
def _(p: Probe) -> bool | None:
    uid = p.district.users[0]["sourcedId"]
    body = p.get(f"/users/{uid}").json()
    return list(body) == ["user"] and isinstance(body["user"], dict)


@probe("oneroster.envelope.subset-collections-own-key")
def _(p: Probe) -> bool | None:
    if list(p.get("/users", {"limit": 1}).json()) != ["users"]:
        return None  # collections are not wrapped under their entity key at all
    keys = [next(iter(p.get(path, {"limit": 1}).json())) for path in ("/students", "/schools", "/terms")]
    return keys == ["users", "orgs", "academicSessions"]


@probe("oneroster.errors.error-content-type-text")
def _(p: Probe) -> bool | None:
    answers = [p.get("/users", {"limit": 0}), p.get("/users", headers={"Authorization": "Bearer made-up"})]
    payloads = [r for r in answers if is_status_payload(r)]
    if not payloads:
        return None
    return all(r.headers.get("content-type", "").startswith("application/json") for r in payloads)


@probe("oneroster.envelope.collections-under-data")
def _(p: Probe) -> bool | None:
    keys = [list(p.get(path, {"limit": 1}).json()) for path in ("/users", "/classes", "/enrollments")]
    return keys == [["users"], ["classes"], ["enrollments"]]


@probe("oneroster.ops.nested-not-implemented")
def _(p: Probe) -> bool | None:
    return p.get(f"/schools/{p.school()}/classes").status_code == 200


@probe("oneroster.ops.demographics-missing")
def _(p: Probe) -> bool | None:
    return p.get("/demographics").status_code == 200


@probe("oneroster.paging.ignores-limit")
def _(p: Probe) -> bool | None:
    return len(p.items("/users", {"limit": 5})) == 5


def _page(p: Probe, offset: int) -> list[str]:
    return p.ids("/users", {"limit": 5, "offset": offset, "sort": "sourcedId"})


def _truth(p: Probe) -> list[str]:
    return sorted(u["sourcedId"] for u in p.district.users)


@probe("oneroster.paging.ignores-offset")
def _(p: Probe) -> bool | None:
    return _page(p, 5)[0] != _truth(p)[0]


@probe("oneroster.paging.off-by-one")
def _(p: Probe) -> bool | None:
    return _page(p, 5)[0] != _truth(p)[6]


@probe("oneroster.paging.unstable-order")
def _(p: Probe) -> bool | None:
    return p.ids("/users", {"limit": 50}) == p.ids("/users", {"limit": 50})


@probe("oneroster.paging.wrong-total-count")
def _(p: Probe) -> bool | None:
    total: str | None = p.get("/classes", {"limit": 1}).headers.get("x-total-count")
    return total == str(len(p.district.classes))


@probe("oneroster.paging.broken-link-header")
def _(p: Probe) -> bool | None:
    link = p.get("/users", {"limit": 10, "offset": 10}).headers.get("link", "")
    m = re.search(r'<[^>]*[?&]offset=(\d+)[^>]*>; rel="next"', link)
    return m is not None and m.group(1) == "20"


@probe("oneroster.paging.default-limit-unbounded")
def _(p: Probe) -> bool | None:
    return len(p.items("/users")) <= 100


@probe("oneroster.paging.offset-past-end-error")
def _(p: Probe) -> bool | None:
    r = p.get("/orgs", {"offset": 50})
    return r.status_code == 200


@probe("oneroster.filter.ignored")
def _(p: Probe) -> bool | None:
    return filter_works(p)


@probe("oneroster.filter.gt-inclusive")
def _(p: Probe) -> bool | None:
    if not filter_works(p):
        return None
    pivot = shared_stamp(p)
    got = p.items("/users", {"filter": f"dateLastModified>'{pivot}'", "limit": 1000})
    later = {u["sourcedId"] for u in p.district.users if u["dateLastModified"] > pivot}
    return bool(got) and {u["sourcedId"] for u in got} <= later


@probe("oneroster.filter.or-as-and")
def _(p: Probe) -> bool | None:
    if not filter_works(p):
        return None
    a, b = p.district.users[0]["familyName"], p.district.users[1]["familyName"]
    got = p.items("/users", {"filter": f"familyName='{a}' OR familyName='{b}'", "limit": 1000})
    return {u["familyName"] for u in got} == {a, b}


@probe("oneroster.filter.contains-exact")
def _(p: Probe) -> bool | None:
    if not filter_works(p):
        return None
    got = p.items("/users", {"filter": "familyName~'WICK'", "limit": 1000})
    return bool(got) and all("wick" in u["familyName"].lower() for u in got)


@probe("oneroster.filter.unknown-field-ignored")
def _(p: Probe) -> bool | None:
    return p.get("/users", {"filter": "favouriteColour='blue'"}).status_code == 400


def _sorted_by_family(p: Probe, order: str) -> bool:
    got = [u["familyName"] for u in p.items("/users", {"sort": "familyName", "orderBy": order, "limit": 1000})]
    return len(got) > 1 and got == sorted(got, reverse=order == "desc") and got != sorted(got, reverse=order != "desc")


@probe("oneroster.sort.ignored")
def _(p: Probe) -> bool | None:
    return _sorted_by_family(p, "asc")


@probe("oneroster.sort.desc-ignored")
def _(p: Probe) -> bool | None:
    if not _sorted_by_family(p, "asc"):
        return None
    return _sorted_by_family(p, "desc")


@probe("oneroster.fields.ignored")
def _(p: Probe) -> bool | None:
    got = p.items("/users", {"fields": "sourcedId,familyName", "limit": 3})
    return bool(got) and all(set(u) == {"sourcedId", "familyName"} for u in got)


@probe("oneroster.fields.unknown-ignored")
def _(p: Probe) -> bool | None:
    return p.get("/users", {"fields": "sourcedId,favouriteColour"}).status_code == 400


@probe("oneroster.fields.repeated-param-ignored")
def _(p: Probe) -> bool | None:
    comma = p.items("/users", {"fields": "sourcedId,familyName", "limit": 3})
    if not all(set(u) == {"sourcedId", "familyName"} for u in comma):
        return None
    got = p.items("/users", [("fields", "sourcedId"), ("fields", "familyName"), ("limit", "3")])
    return bool(got) and all(set(u) == {"sourcedId", "familyName"} for u in got)


@probe("oneroster.model.datetime-as-date")
def _(p: Probe) -> bool | None:
    return all(DATETIME.fullmatch(str(u.get("dateLastModified"))) for u in p.items("/users", {"limit": 5}))


@probe("oneroster.model.boolean-as-json-bool")
def _(p: Probe) -> bool | None:
    return all(u.get("enabledUser") in ("true", "false") for u in p.items("/users", {"limit": 5}))


@probe("oneroster.model.enum-case-drift")
def _(p: Probe) -> bool | None:
    return all(c.get("classType") in ("homeroom", "scheduled") for c in p.items("/classes", {"limit": 1000}))


@probe("oneroster.model.user-missing-required")
def _(p: Probe) -> bool | None:
    return all("givenName" in u for u in p.items("/users", {"limit": 5}))


@probe("oneroster.model.guidref-missing-type")
def _(p: Probe) -> bool | None:
    return all(
        all("type" in e[k] for k in ("user", "class", "school")) for e in p.items("/enrollments", {"limit": 5})
    )


@probe("oneroster.model.extra-property")
def _(p: Probe) -> bool | None:
    return all(set(o) <= set(ORG.props) for o in p.items("/orgs"))


@probe("oneroster.model.bad-date")
def _(p: Probe) -> bool | None:
    sessions = p.items("/academicSessions")
    return all(DATE.fullmatch(str(s.get("startDate"))) for s in sessions)


@probe("oneroster.integrity.dangling-enrollment-user")
def _(p: Probe) -> bool | None:
    user_ids = {e["user"]["sourcedId"] for e in p.items("/enrollments", {"limit": 20, "sort": "sourcedId"})}
    return all(resolves(p.get(f"/users/{uid}"), "user", "users") for uid in sorted(user_ids))


@probe("oneroster.integrity.dangling-class-term")
def _(p: Probe) -> bool | None:
    term_ids = {t["sourcedId"] for c in p.items("/classes", {"limit": 5, "sort": "sourcedId"}) for t in c["terms"]}
    return all(
        resolves(p.get(f"/academicSessions/{tid}"), "academicSession", "academicSessions")
        for tid in sorted(term_ids)
    )


@probe("oneroster.integrity.duplicate-sourcedid")
def _(p: Probe) -> bool | None:
    ids = p.ids("/users", {"limit": 1000})
    return len(ids) == len(set(ids))


@probe("oneroster.nested.class-students-includes-teachers")
def _(p: Probe) -> bool | None:
    r = p.get(f"/classes/{p.class_with_students()}/students")
    if r.status_code != 200:
        return None
    users = first_list(r)
    return bool(users) and all(any(x["role"] == "student" for x in u["roles"]) for u in users)


@probe("oneroster.nested.school-classes-missing-one")
def _(p: Probe) -> bool | None:
    sid = p.school()
    r = p.get(f"/schools/{sid}/classes", {"limit": 1000})
    if r.status_code != 200:
        return None
    truth = sorted(c["sourcedId"] for c in p.district.classes if c["school"]["sourcedId"] == sid)
    return sorted(c["sourcedId"] for c in first_list(r)) == truth


@probe("oneroster.nested.user-classes-stale")
def _(p: Probe) -> bool | None:
    uid, classes = p.busy_teacher()
    r = p.get(f"/users/{uid}/classes")
    if r.status_code != 200:
        return None
    return sorted(c["sourcedId"] for c in first_list(r)) == classes


# -- tests --------------------------------------------------------------------


def test_catalogue() -> None:
    assert len(FAULTS) >= 45
    for name, fault in FAULTS.items():
        assert isinstance(fault, Fault)
        assert fault.name == name
        assert name == name.lower() and name.count(".") >= 2  # family.area.what
        assert fault.standard in KNOWN_STANDARDS
        assert not name.startswith("oneroster.") or fault.standard == "oneroster-1.2"
        assert fault.sentence.endswith(".")
        assert isinstance(fault.trips, tuple)


def test_validate_faults() -> None:
    assert validate_faults(["oneroster.paging.ignores-offset"]) == frozenset({"oneroster.paging.ignores-offset"})
    assert validate_faults([]) == frozenset()
    with pytest.raises(ValueError, match=r"^unknown fault 'oneroster\.nope'; see `edcert sandbox faults`$"):
        validate_faults(["oneroster.paging.ignores-offset", "oneroster.nope"])


def test_create_app_rejects_unknown_fault(district: District) -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        create_app(district, faults=["typo"], client_id="a", client_secret="b")


def test_every_probe_names_a_fault() -> None:
    # The probes cover the faults the sandbox started with; checks writers add more faults,
    # proven by tests/test_fault_matrix.py against the real checks.
    assert set(PROBES) <= set(FAULTS)
    assert len(PROBES) >= 45


def test_conformant_sandbox_passes_every_probe(district: District) -> None:
    p = Probe(district)
    results = {name: check(p) for name, check in PROBES.items()}
    assert {n: r for n, r in results.items() if r is not True} == {}


@pytest.mark.parametrize("fault", list(PROBES))
def test_fault_breaks_its_behaviour(district: District, fault: str) -> None:
    assert PROBES[fault](Probe(district, (fault,))) is False


def test_faults_do_not_mutate_the_district(district: District) -> None:
    from edcert.fixtures.districts import district_to_json

    before = district_to_json(district)
    p = Probe(district, tuple(FAULTS))  # every fault at once: every rewrite, every integrity change
    for path in ("/orgs", "/academicSessions", "/courses", "/classes", "/users", "/enrollments", "/demographics"):
        assert p.get(path, {"limit": 2000}).status_code in (200, 404)  # 404: demographics-missing
    assert district_to_json(district) == before


@pytest.mark.slow
def test_each_fault_breaks_only_its_behaviour(district: District) -> None:
    """The whole matrix: with probed fault F on, every other probe passes or cannot tell."""
    collateral: dict[str, list[str]] = {}
    for fault in PROBES:
        p = Probe(district, (fault,))
        broken = [name for name, check in PROBES.items() if name != fault and check(p) is False]
        if broken:
            collateral[fault] = broken
    assert collateral == {}
