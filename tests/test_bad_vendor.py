"""A vendor answering garbage gets failed checks with evidence, never a crash or a pass."""
from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from edcert.harness.runner import run
from edcert.harness.scorecard import Outcome
from edcert.sandbox import SandboxServer
from tests.sandbox_run import sandbox_config

BODIES = {
    "html": (b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
    "truncated": (b'{"users": [{"sourcedId": "u1", "status": "act', "application/json"),
    "not-json": (b"OK", "text/plain"),
    "wrong-shape": (b'[1, 2, 3]', "application/json"),
}


def garbage_vendor(kind: str) -> Starlette:
    body, ctype = BODIES[kind]

    async def token(request: Request) -> Response:
        return JSONResponse({"access_token": "t", "token_type": "Bearer", "expires_in": 3600})

    async def anything(request: Request) -> Response:
        return Response(body, media_type=ctype)

    return Starlette(routes=[Route("/oauth/token", token, methods=["POST"]),
                             Route("/{path:path}", anything)])


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_garbage_answers_fail_checks_with_evidence(kind: str) -> None:
    with SandboxServer(garbage_vendor(kind)) as server:
        # The garbage vendor answers OneRoster's token route only; Ed-Fi's bad input (discovery missing, not JSON,
        # relative URLs) is covered by the Ed-Fi faults (tests/test_fault_matrix.py).
        result = run(sandbox_config(server.base_url), only=["oneroster-1.2"])
    sc = result.scorecard
    assert sc.complete
    outcomes = {c.outcome for c in sc.checks}
    assert Outcome.FAILED in outcomes
    crashed = [c.id + ": " + c.message for c in sc.checks if c.outcome is Outcome.ERROR]
    assert crashed == []
    assert result.exit_code == 1
    failed = [c for c in sc.checks if c.outcome is Outcome.FAILED]
    assert all(c.message for c in failed)
    # every requirement that needs data is failed, and each failure carries proof
    assert sum(1 for c in failed if c.evidence) >= len(failed) * 0.9
    assert sc.standards[0].verdict == "not_certified"
