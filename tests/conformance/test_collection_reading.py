"""Reading a whole collection: capped page sizes and stuck offsets."""
from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from edcert.conformance.oneroster._fixtures import OneRosterSession
from edcert.harness.errors import Failure
from edcert.harness.session import RunState
from edcert.sandbox import SandboxServer
from tests.sandbox_run import sandbox_config

RECORDS = [{"sourcedId": f"c-{i:03d}"} for i in range(250)]


def provider(cap: int, *, total_header: bool = True, stuck: bool = False) -> Starlette:
    async def token(request: Request) -> Response:
        return JSONResponse({"access_token": "t", "token_type": "Bearer", "expires_in": 3600})

    async def classes(request: Request) -> Response:
        limit = min(int(request.query_params.get("limit", "100")), cap)
        offset = 0 if stuck else int(request.query_params.get("offset", "0"))
        headers = {"X-Total-Count": str(len(RECORDS))} if total_header else {}
        return JSONResponse({"classes": RECORDS[offset:offset + limit]}, headers=headers)

    return Starlette(routes=[Route("/oauth/token", token, methods=["POST"]),
                             Route("/ims/oneroster/rostering/v1p2/classes", classes)])


def read(app: Starlette) -> list[dict[str, str]]:
    with SandboxServer(app) as server:
        config = sandbox_config(server.base_url)
        session = OneRosterSession(config.oneroster, RunState(config))  # type: ignore[arg-type]
        try:
            return session.collection("classes").records
        finally:
            session.close()


def test_a_capped_page_size_is_read_to_the_end_when_the_provider_counts() -> None:
    assert read(provider(cap=30)) == RECORDS


def test_an_uncapped_provider_is_read_whole() -> None:
    assert read(provider(cap=10_000, total_header=False)) == RECORDS


def test_an_offset_that_never_advances_fails_instead_of_looping() -> None:
    with pytest.raises(Failure, match="does not advance"):
        read(provider(cap=100, stuck=True))
