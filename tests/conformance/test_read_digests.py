"""What a collection read works out page by page equals what a later scan of its records finds.

Reading a collection tests each record with the compiled shape test, builds the by-sourcedId index and keeps
the registered digests (the enrollments' references, the users' roles) while each page is fresh
(`_fixtures.OneRosterSession._fetch_all`). Every check that uses them must reach the verdict it would reach
scanning the records afterwards; these tests read messy collections over HTTP from a real server and compare.
"""
from __future__ import annotations

import copy
import gc
import json
import random
import threading
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from edcert.conformance.oneroster import integrity, operations
from edcert.conformance.oneroster._fixtures import DIGESTERS, OneRosterSession
from edcert.conformance.oneroster.data_model import validated
from edcert.conformance.oneroster.models import SHAPES, validate
from edcert.fixtures.districts import gc_paused
from edcert.harness.errors import Failure
from edcert.harness.http import decode_json
from edcert.harness.session import RunState
from edcert.sandbox import SandboxServer
from tests.sandbox_run import sandbox_config

STAMP = "2026-01-01T00:00:00.000Z"


def ref(kind: str, sid: Any) -> dict[str, Any]:
    return {"href": f"/{kind}s/{sid}", "sourcedId": sid, "type": kind}


def messy(seed: int) -> dict[str, list[dict[str, Any]]]:
    """Enrollments and users, mostly valid, some broken in ways each scan must notice."""
    rnd = random.Random(seed)
    enrollments = []
    for i in range(230):
        record: dict[str, Any] = {
            "sourcedId": f"e{i - 100 if i >= 100 and i % 8 == 0 else i}",  # some repeat one on another page
            "status": rnd.choice(["active", "active", "tobedeleted"]), "dateLastModified": STAMP,
            "user": ref("user", f"u{rnd.randrange(40)}"), "class": ref("class", f"c{rnd.randrange(9)}"),
            "school": ref("org", "s1"), "role": rnd.choice(["student", "teacher", "aide"]),
        }
        if rnd.random() < 0.08:
            record["class"] = "not a reference"
        if rnd.random() < 0.08:
            del record["role"]
        if rnd.random() < 0.05:
            record["user"]["sourcedId"] = 17
        enrollments.append(record)
    users = []
    for i in range(120):
        user: dict[str, Any] = {
            "sourcedId": f"u{i - 50 if i >= 50 and i % 7 == 0 else i}", "status": rnd.choice(["active", "tobedeleted"]),
            "dateLastModified": STAMP,
            "enabledUser": "true", "givenName": "Ann", "familyName": "Lee",
            "roles": [{"roleType": "primary", "role": rnd.choice(["student", "teacher"]), "org": ref("org", "s1")}],
        }
        if rnd.random() < 0.08:
            user["roles"] = "broken"
        if rnd.random() < 0.05:
            del user["sourcedId"]
        users.append(user)
    # several roles, one of them twice; a repeated sourcedId; an empty one (never a candidate)
    for sid, roles in (("multi1", ["student", "student", "teacher"]), ("multi2", ["teacher", "aide"]),
                       ("u3", ["aide", "aide"]), ("", ["student"])):
        users.append({"sourcedId": sid, "status": "active", "dateLastModified": STAMP, "enabledUser": "true",
                      "givenName": "Ann", "familyName": "Lee",
                      "roles": [{"roleType": "primary", "role": r, "org": ref("org", f"s{n}")}
                                for n, r in enumerate(roles)]})
    return {"enrollments": enrollments, "users": users}


def provider(data: dict[str, list[dict[str, Any]]], keys: dict[str, str] | None = None,
             stuck: frozenset[str] = frozenset()) -> Starlette:
    """Each endpoint of ``data`` paged with limit and offset, its records under ``keys[endpoint]`` (else its name);
    an endpoint in ``stuck`` answers its first page whatever the offset (paging that does not advance)."""
    async def token(request: Request) -> Response:
        return JSONResponse({"access_token": "t", "token_type": "Bearer", "expires_in": 3600})

    def listing(endpoint: str) -> Any:
        async def page(request: Request) -> Response:
            limit, offset = int(request.query_params["limit"]), int(request.query_params["offset"])
            offset = 0 if endpoint in stuck else offset
            records = data[endpoint]
            return JSONResponse({(keys or {}).get(endpoint, endpoint): records[offset:offset + limit]},
                                headers={"X-Total-Count": str(len(records))})
        return page

    base = "/ims/oneroster/rostering/v1p2/"
    return Starlette(routes=[Route("/oauth/token", token, methods=["POST"]),
                             *[Route(base + e, listing(e)) for e in data]])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_what_a_read_works_out_equals_a_scan_of_its_records(seed: int) -> None:
    data = messy(seed)
    with SandboxServer(provider(data)) as server:
        config = sandbox_config(server.base_url)
        table = config.oneroster.model_copy(update={"page_size": 25})  # type: ignore[union-attr]
        session = OneRosterSession(table, RunState(config))
        try:
            for endpoint in ("enrollments", "users"):
                collection = session.collection(endpoint)
                assert collection.records == data[endpoint]
                assert len(collection.pages) > 3  # read over several pages
                # the index: last record of a repeated sourcedId wins, records without one are left out
                expected_index = {r["sourcedId"]: r for r in collection.records if isinstance(r.get("sourcedId"), str)}
                assert list(collection.by_id()) == list(expected_index)
                assert collection.with_ids == sum(isinstance(r.get("sourcedId"), str) for r in data[endpoint])
                assert collection.with_ids > len(expected_index)  # repeated sourcedIds: the duplicates check sees them
                assert all(collection.by_id()[k] is v for k, v in expected_index.items())
                # the compiled test's suspects, then the issues the data-model checks group
                shape = SHAPES[endpoint]
                assert collection.tested is shape
                walked = {i: found for i, r in enumerate(data[endpoint]) if (found := validate(r, shape))}
                assert walked, "the messy data has problems to find"
                assert set(collection.dirty) >= set(walked)
                assert validated(session, endpoint)[1] == walked
                # every registered digest: as computed on all the records at once
                for key, fn in DIGESTERS[endpoint]:
                    assert collection.digests[key] == fn(copy.deepcopy(data[endpoint]))
            flat = integrity.Flat(session)
            assert integrity.enrollment_rows(flat) is session.collection("enrollments").digests[
                "integrity.enrollment-rows"]
            users = session.collection("users").records
            for role in (None, "student", "teacher", "aide"):
                assert operations.user_candidates(session, role) == operations._ids(
                    u for u in users if role is None or operations._has_role(role)(u))
            with_ids = [u for u in data["users"] if isinstance(u.get("sourcedId"), str)]
            assert len(integrity.user_role_rows(flat)) == len(with_ids)
            # the enrollments' references judged from the rows worked out while reading: what a scan of the
            # records finds (two users and five of the nine classes dangle; every school is known)
            enrollments = session.collection("enrollments").records
            users_known = {k: v for k, v in session.collection("users").by_id().items() if k not in ("u1", "u2")}
            known = {"users": users_known.keys(),
                     "classes": frozenset({"c0", "c2", "c3", "c5"}), "orgs": frozenset({"s1"})}
            paths = [("user", "users", integrity.one("user")), ("class", "classes", integrity.one("class")),
                     ("school", "orgs", integrity.one("school"))]
            from_rows = integrity.find_dangling("enrollments", enrollments, paths, known,
                                                (integrity.enrollment_rows(flat), {"class": 0, "user": 1, "school": 2}))
            assert [group.path for group in from_rows] == ["user", "class"]
            assert from_rows == integrity.find_dangling("enrollments", enrollments, paths, known)
        finally:
            session.close()


@pytest.mark.parametrize("body", [
    b'{"a": 1, "a": 2, "n": 123456789012345678901234567890, "m": -9223372036854775809, "f": 0.1, "e": 1E5}',
    b'{"big": 1e400}', b'{"s": "\\ud800"}', b'\xef\xbb\xbf{"bom": true}', b'NaN', '{"x": "\u00e9"}'.encode("utf-16"),
    b'{"deep": ' + b"[" * 50 + b"]" * 50 + b"}", b'[1, 2, 3]', b'"text"', b" {\"padded\": null} ",
])
def test_pages_decode_exactly_as_the_standard_library_decodes_them(body: bytes) -> None:
    expected = json.loads(body)
    got = decode_json(body)
    assert repr(got) == repr(expected)  # same values and types (a large integer stays an int)


@pytest.mark.parametrize("body", [b"", b"{", b"[1, 2,]", b"<html>", b'{"a": "\x00"}', b"\xff\xfe\x00"])
def test_a_body_that_is_not_json_fails_as_the_standard_library_fails(body: bytes) -> None:
    with pytest.raises((json.JSONDecodeError, UnicodeDecodeError)) as standard:
        json.loads(body)
    with pytest.raises((json.JSONDecodeError, UnicodeDecodeError)) as ours:
        decode_json(body)
    assert type(ours.value) is type(standard.value)


def test_gc_pauses_nest_across_threads_and_restore_what_was_there() -> None:
    was = gc.isenabled()
    try:
        gc.enable()
        outer_in, inner_done = threading.Event(), threading.Event()

        def other() -> None:
            with RunState.gc_paused():
                outer_in.set()
                inner_done.wait(5)

        thread = threading.Thread(target=other)
        thread.start()
        outer_in.wait(5)
        assert not gc.isenabled()
        with RunState.gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the other thread's pause still holds
        inner_done.set()
        thread.join(5)
        assert gc.isenabled()  # the last pause ended: collection resumes
        gc.disable()
        with RunState.gc_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        (gc.enable if was else gc.disable)()


def test_a_district_built_during_a_read_shares_the_reads_pause() -> None:
    # a sandbox in the run's process builds a district (fixtures.districts.gc_paused) while the run reads: the
    # district's pause ending first must not switch collection back on under the read
    was = gc.isenabled()
    try:
        gc.enable()
        building, read_in = threading.Event(), threading.Event()

        def build() -> None:
            with gc_paused():
                building.set()
                read_in.wait(5)

        thread = threading.Thread(target=build)
        thread.start()
        building.wait(5)
        with RunState.gc_paused():
            read_in.set()
            thread.join(5)
            assert not gc.isenabled()  # the district is built; the read goes on, still without collections
        assert gc.isenabled()  # the last pause ended: collection resumes
    finally:
        (gc.enable if was else gc.disable)()


@pytest.mark.parametrize("depth", [900, 1500, 100_000])
def test_deep_nesting_decodes_or_fails_as_the_standard_library_does(depth: int) -> None:
    body = b"[" * depth + b"]" * depth

    def outcome(decode: Any) -> str:
        try:
            decode(body)
        except RecursionError:
            return "too deep"  # json_body reports it as a body that is not JSON
        return "decoded"

    assert outcome(decode_json) == outcome(json.loads)


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_a_subset_endpoint_keeps_its_pages_and_decodes_its_records_only_when_asked(seed: int) -> None:
    """/students lists users again, and edcert's checks use its records once read only for one sourcedId to ask for.

    So reading it neither tests its records nor keeps them decoded: the sourcedId is worked out while reading (the
    one a scan of the records picks), the pages' bodies are kept, and the records come back whole, decoded again,
    for anything that asks (a district's own check), as the issues of a walk for a check that validated them.
    """
    from edcert.conformance.oneroster import data_model
    from edcert.conformance.oneroster._fixtures import COLLECTION_KEYS, NOT_KEPT

    # edcert's checks that judge records never judge a subset endpoint; each subset's flat collection is judged
    judged = {*data_model.CORE_COLLECTIONS, "demographics"}
    assert NOT_KEPT.isdisjoint(judged)
    assert {COLLECTION_KEYS[e] for e in NOT_KEPT} <= {COLLECTION_KEYS[e] for e in judged}
    users = messy(seed)["users"]
    for user in users[:30]:  # the first active student comes after inactive ones and ones without an id
        user["status"] = "tobedeleted"
    students = [u for u in users if "student" in json.dumps(u.get("roles"))]
    data = {"users": users, "students": students, "teachers": students[:60]}
    # /teachers answers the same page again and again: offset does not advance
    app = provider(data, keys=dict.fromkeys(data, "users"), stuck=frozenset({"teachers"}))
    with SandboxServer(app) as server:
        config = sandbox_config(server.base_url)
        table = config.oneroster.model_copy(update={"page_size": 25})  # type: ignore[union-attr]
        session = OneRosterSession(table, RunState(config))
        try:
            read_users, read_students = session.collection("users"), session.collection("students")
            assert read_users.bodies is None and read_users.tested is SHAPES["users"] and read_users.dirty
            assert read_students.tested is None and read_students.dirty == [] and len(read_students.pages) > 2
            assert read_students.bodies is not None and len(read_students.bodies) == len(read_students.pages)
            assert read_students.with_ids == sum(isinstance(s.get("sourcedId"), str) for s in students)
            # the sourcedId a single-record check asks for: what a scan of the records picks
            for read, records in ((read_users, users), (read_students, students)):
                assert read.first_id == operations._first_id(records) is not None
            assert operations._first_id(students) != students[0].get("sourcedId")  # not merely the first record
            assert read_students.bodies is not None  # nothing above decoded the students again
            # asked for, from two threads at once: the records, whole, the same list for both
            got: list[Any] = []
            askers = [threading.Thread(target=lambda: got.append(read_students.records)) for _ in range(2)]
            for asker in askers:
                asker.start()
            for asker in askers:
                asker.join()
            assert got[0] is got[1] is read_students.records and read_students.bodies is None
            assert read_students.records == students
            expected_index = {s["sourcedId"]: s for s in students if isinstance(s.get("sourcedId"), str)}
            assert read_students.by_id() == expected_index
            walked = {i: found for i, r in enumerate(students) if (found := validate(r, SHAPES["students"]))}
            assert walked, "the messy students have problems to find"
            assert validated(session, "students")[1] == walked
            # not kept, still read page by page as a listing must be: a page of nothing new stops the read
            with pytest.raises(Failure, match="only records already seen"):
                session.collection("teachers")
        finally:
            session.close()


_SKIM_PAGES = {  # page bodies of a subset endpoint, and whether the skim itself takes them (else reading whole)
    "messy": (json.dumps({"users": [{k: v for k, v in u.items() if k != "sourcedId"} if i % 7 == 3 else u
                                    for i, u in enumerate(messy(4)["users"][:60])]}).encode(), True),
    "not ASCII, UTF-8": ('{"users": [{"sourcedId": "é1", "givenName": "Zoë", "status": "active"}]}'.encode(), True),
    "repeated keys": (b'{"users": [{"sourcedId": "a", "sourcedId": "b", "status": "x", "status": "active"}],'
                      b' "users": [{"sourcedId": "c"}]}', True),
    "odd values": (b'{"users": [{"sourcedId": 5, "status": ["active"], "n": 123456789012345678901234567890,'
                   b' "f": 1e999}, {}]}', True),
    "deep, skipped": (b'{"users": [{"sourcedId": "a", "n": ' + b"[" * 900 + b"]" * 900 + b"}]}", True),
    "not UTF-8 in a value skipped": (b'{"users": [{"sourcedId": "a", "givenName": "\xff\xfe"}]}', False),
    "not UTF-8 outside the records": (b'{"note": "\xc3", "users": []}', False),
    "NaN skipped": (b'{"users": [{"sourcedId": "a", "score": NaN}]}', False),
    "Infinity skipped": (b'{"users": [{"sourcedId": "a", "score": -Infinity}]}', False),
    "byte-order mark": (b'\xef\xbb\xbf{"users": [{"sourcedId": "a"}]}', False),
    "UTF-16": ('{"users": [{"sourcedId": "a"}]}'.encode("utf-16"), False),
    "lone surrogate, skipped": (b'{"users": [{"sourcedId": "a", "n": "\\ud800"}]}', False),
    "lone surrogate id": (b'{"users": [{"sourcedId": "\\udc00", "status": "active"}]}', False),
    "a record not an object": (b'{"users": [{"sourcedId": "a"}, 1]}', False),
    "records not a list": (b'{"users": null}', False),
    "a list, then not": (b'{"users": [{"sourcedId": "a"}], "users": 5}', False),
    "not, then a list": (b'{"users": 5, "users": [{"sourcedId": "a"}]}', False),
    "no such key": (b'{"orgs": []}', False),
    "not an object": (b'[{"sourcedId": "a"}]', False),
    "trailing text": (b'{"users": []} and more', False),
    "HTML": (b"<html><body>Sorry</body></html>", False),
    "too deep, skipped": (b'{"users": [{"sourcedId": "a", "n": ' + b"[" * 5000 + b"]" * 5000 + b"}]}", False),
}


@pytest.mark.parametrize("status", [200, 500])
@pytest.mark.parametrize("name", list(_SKIM_PAGES))
def test_a_subset_page_skimmed_gives_what_reading_it_whole_gives(name: str, status: int,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A subset endpoint's page (NOT_KEPT) is read for its records' sourcedIds and statuses only, with msgspec
    skipping the rest; the verdict and what is read are exactly reading the page whole: each body either skims
    to the same sourcedIds and statuses, or goes to the whole reading (and its failure, if any)."""
    from edcert.conformance.oneroster import _fixtures
    from edcert.conformance.oneroster._fixtures import page_records, skimmed_records

    body, skims = _SKIM_PAGES[name]
    response = httpx.Response(status, content=body)

    def outcome(read: Any) -> Any:
        try:
            records = read(response, "users", "GET /x")
            return [{"sourcedId": r.get("sourcedId"), "status": r.get("status")} for r in records]
        except Failure as failure:
            return ("failed", failure.message, failure.expected, failure.received)

    whole = outcome(page_records)
    wholes: list[Any] = []
    monkeypatch.setattr(_fixtures, "page_records", lambda *a: wholes.append(a) or page_records(*a))
    assert outcome(skimmed_records) == whole
    assert bool(wholes) is not (skims and status == 200)  # the skim took it, or reading whole did
    if skims and status == 200:
        assert whole and any(r["sourcedId"] is not None for r in whole)  # a page with records to take
