"""Collections read in the background: the same requests, the same evidence, within the same concurrency."""
from __future__ import annotations

import asyncio
import gc
import threading
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import edcert.conformance.oneroster.operations  # noqa: F401  # declares which checks read which collection
from edcert.conformance.oneroster._fixtures import OneRosterSession, prefetch_plan
from edcert.harness.evidence import Recorder
from edcert.harness.http import BACKGROUND, InFlight
from edcert.harness.session import RunState
from edcert.sandbox import SandboxServer
from tests.sandbox_run import sandbox_config

SIZES = {"classes": 150, "enrollments": 450, "users": 250}


class Provider:
    """Three paged collections; notes every page asked for and how many requests were on the wire at once."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, int]] = []
        self.in_flight = self.most_in_flight = 0

    def app(self) -> Starlette:
        async def token(request: Request) -> Response:
            return JSONResponse({"access_token": "t", "token_type": "Bearer", "expires_in": 3600})

        def listing(endpoint: str) -> Route:
            async def answer(request: Request) -> Response:
                limit, offset = int(request.query_params["limit"]), int(request.query_params["offset"])
                self.asked.append((endpoint, offset))
                self.in_flight += 1
                self.most_in_flight = max(self.most_in_flight, self.in_flight)
                await asyncio.sleep(0.03)
                self.in_flight -= 1
                records = [{"sourcedId": f"{endpoint}-{i}"} for i in range(SIZES[endpoint])]
                return JSONResponse({endpoint: records[offset:offset + limit]},
                                    headers={"X-Total-Count": str(SIZES[endpoint])})

            return Route(f"/ims/oneroster/rostering/v1p2/{endpoint}", answer)

        return Starlette(routes=[Route("/oauth/token", token, methods=["POST"]), *map(listing, SIZES)])


def test_collections_read_in_the_background_keep_their_requests_and_evidence() -> None:
    provider = Provider()
    with SandboxServer(provider.app()) as server:
        config = sandbox_config(server.base_url, concurrency=2)
        session = OneRosterSession(config.oneroster, RunState(config))  # type: ignore[arg-type]
        session.prefetch(["classes", "enrollments"])  # users: no check of this run reads it whole
        try:
            with Recorder.collecting() as first:
                assert len(session.collection("classes").records) == 150
            # the reader starts once the run has its token; enrollments are read without anyone asking
            deadline = time.monotonic() + 10
            while sum(e == "enrollments" for e, _ in provider.asked) < 5 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert sorted(o for e, o in provider.asked if e == "enrollments") == [0, 100, 200, 300, 400]
            with Recorder.collecting() as second:
                assert len(session.collection("enrollments").records) == 450
                session.collection("enrollments")  # asked again: nothing more
            with Recorder.collecting() as third:
                assert len(session.collection("users").records) == 250  # not planned: read when asked
        finally:
            session.close()
    # each page once, and no more requests on the wire than the configured concurrency
    assert sorted(provider.asked) == sorted({(e, o) for e, o in provider.asked})
    assert provider.most_in_flight <= 2
    # the check that asks first gets the reading's exchanges in its evidence, as if it had read them itself
    assert sorted(e.url.rsplit("offset=", 1)[1] for e in second if "enrollments" in e.url) == \
        ["0", "100", "200", "300", "400"]
    assert {e.url.split("?")[0].rsplit("/", 1)[1] for e in first if e.method == "GET"} == {"classes"}
    assert len([e for e in third if "users" in e.url]) == 3


def test_only_collections_a_planned_check_reads_whole_are_read_ahead() -> None:
    config = sandbox_config("http://127.0.0.1:9", demographics=False).oneroster
    assert config is not None
    # OR12-OPS-001..: the collection operations, each reading its endpoint whole
    plan = prefetch_plan(config, ["OR12-OPS-004", "OR12-OPS-002", "OR12-AUTH-001", "OR12-OPS-023"])
    assert plan == ["classes", "enrollments"]  # in the order the suite first asks; demographics not claimed
    claimed = sandbox_config("http://127.0.0.1:9", demographics=True).oneroster
    assert claimed is not None
    assert prefetch_plan(claimed, ["OR12-OPS-023"]) == ["demographics"]
    assert prefetch_plan(config, ["OR12-DM-001"]) == []


def test_a_checks_own_request_goes_before_the_background_readers() -> None:
    slots = InFlight(1)
    order: list[str] = []
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with slots.slot():
            held.set()
            release.wait(5)

    def background() -> None:
        BACKGROUND.set(True)
        with slots.slot():
            order.append("background")

    def foreground() -> None:
        with slots.slot():
            order.append("foreground")

    threads = [threading.Thread(target=holder)]
    threads[0].start()
    held.wait(5)
    for target in (background, foreground):
        threads.append(threading.Thread(target=target))
        threads[-1].start()
        time.sleep(0.1)  # the background reader waits first
    release.set()
    for thread in threads:
        thread.join(5)
    assert order == ["foreground", "background"]


def test_what_a_run_keeps_out_of_the_collectors_scans_is_given_back_when_it_closes() -> None:
    state = RunState(sandbox_config("http://127.0.0.1:9"))
    before = gc.get_freeze_count()
    state.keep_out_of_gc()
    assert gc.get_freeze_count() > before
    state.close()
    assert gc.get_freeze_count() == 0
