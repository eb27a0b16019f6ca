"""Pages of a collection read ahead (concurrency): the same records, the same requests, overlapped."""
from __future__ import annotations

import asyncio

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from edcert.conformance.oneroster._fixtures import AHEAD_PER_CONNECTION, OneRosterSession
from edcert.harness.errors import Failure
from edcert.harness.session import RunState
from edcert.sandbox import SandboxServer
from tests.sandbox_run import sandbox_config

RECORDS = [{"sourcedId": f"c-{i:03d}"} for i in range(450)]


class Provider:
    def __init__(self, claimed_total: int = len(RECORDS), broken_at: int | None = None) -> None:
        self.claimed_total = claimed_total
        self.broken_at = broken_at  # the offset whose page is an HTML error page
        self.in_flight = self.most_in_flight = 0
        self.offsets: list[int] = []

    def app(self) -> Starlette:
        async def token(request: Request) -> Response:
            return JSONResponse({"access_token": "t", "token_type": "Bearer", "expires_in": 3600})

        async def classes(request: Request) -> Response:
            limit, offset = int(request.query_params["limit"]), int(request.query_params["offset"])
            self.offsets.append(offset)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            await asyncio.sleep(0.05)
            self.in_flight -= 1
            if offset == self.broken_at:
                return Response("<html>oops</html>", media_type="text/html")
            return JSONResponse({"classes": RECORDS[offset:offset + limit]},
                                headers={"X-Total-Count": str(self.claimed_total)})

        return Starlette(routes=[Route("/oauth/token", token, methods=["POST"]),
                                 Route("/ims/oneroster/rostering/v1p2/classes", classes)])


def read(provider: Provider, concurrency: int) -> list[dict[str, str]]:
    with SandboxServer(provider.app()) as server:
        config = sandbox_config(server.base_url, concurrency=concurrency)
        session = OneRosterSession(config.oneroster, RunState(config))  # type: ignore[arg-type]
        try:
            return session.collection("classes").records
        finally:
            session.close()


@pytest.mark.parametrize(("concurrency", "overlapped"), [(1, False), (4, True)])
def test_pages_are_read_ahead_only_when_allowed(concurrency: int, overlapped: bool) -> None:
    provider = Provider()
    assert read(provider, concurrency) == RECORDS
    assert sorted(provider.offsets) == [0, 100, 200, 300, 400]  # each page once, nothing more
    assert (provider.most_in_flight > 1) is overlapped


def test_a_count_larger_than_the_collection_still_reads_it_exactly() -> None:
    provider = Provider(claimed_total=2000)
    assert read(provider, 4) == RECORDS
    assert provider.offsets.count(0) == 1 and 450 in provider.offsets  # read on past the short page's end


def test_a_wrong_count_costs_at_most_the_pages_asked_for_ahead() -> None:
    # the count claims 200 pages; the collection ends on the fifth. Pages are asked for ahead of the reader
    # (AHEAD_PER_CONNECTION per connection): those already asked for may go out, never the rest of the plan
    provider = Provider(claimed_total=20_000)
    assert read(provider, 4) == RECORDS
    past_the_end = [offset for offset in provider.offsets if offset > len(RECORDS)]
    assert 0 < len(past_the_end) <= 4 * AHEAD_PER_CONNECTION
    assert len(set(provider.offsets)) == len(provider.offsets)  # and each page once
    assert provider.most_in_flight <= 4


def test_a_broken_page_read_ahead_fails_the_read_at_its_turn_with_its_evidence() -> None:
    # the page at 200 comes back while the reader is still on earlier pages: the read fails on it at its turn,
    # with that page as evidence
    provider = Provider(broken_at=200)
    with pytest.raises(Failure) as caught:
        read(provider, 4)
    assert caught.value.message == "GET /classes did not answer valid JSON (HTTP 200, HTML page)"
    assert [ex.url.split("?")[1] for ex in caught.value.exchanges] == ["limit=100&offset=200"]
