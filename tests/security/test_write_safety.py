"""No POST, PUT, PATCH or DELETE reaches a vendor unless its configuration sets allow_writes.

The token request (a POST to the configured token URL) is the one exception.
The sandbox mode ``writes-fail`` records any other write and answers 500: a
whole certification run leaves it empty, and a check that tries to write is
stopped before a byte leaves edcert.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import httpx
import pytest

from edcert.harness.errors import WriteRefused
from edcert.harness.evidence import Recorder, Redactor
from edcert.harness.http import VendorClient
from edcert.harness.runner import run
from edcert.harness.scorecard import Outcome
from tests.sandbox_run import sandbox_config
from tests.security._support import sandbox

TOKEN_URL = "https://v.example/oauth/token"


def client(seen: list[httpx.Request], *, allow_writes: bool) -> VendorClient:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    return VendorClient(timeout=5, rate_limit=None, max_response_bytes=10_000, max_retries=0, max_retry_wait=0,
                        verify_tls=True, recorder=Recorder(Redactor()), transport=httpx.MockTransport(handler),
                        allow_writes=allow_writes, token_urls=(TOKEN_URL,))


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_writes_are_refused_before_sending(method: str) -> None:
    seen: list[httpx.Request] = []
    c = client(seen, allow_writes=False)
    with pytest.raises(WriteRefused, match="allow_writes"):
        c.request(method, "https://v.example/ims/oneroster/rostering/v1p2/users/u1", content=b"{}")
    with pytest.raises(WriteRefused):  # the token URL is exempt for POST only, and only on that path
        c.request(method, "https://v.example/oauth/token/../users" if method == "POST" else TOKEN_URL)
    assert seen == []
    assert c.requests_sent == 0


def test_the_token_post_and_reads_go_through() -> None:
    seen: list[httpx.Request] = []
    c = client(seen, allow_writes=False)
    c.request("POST", TOKEN_URL, content=b"grant_type=client_credentials")
    c.request("POST", TOKEN_URL + "?x=1", content=b"grant_type=client_credentials")
    c.get("https://v.example/ims/oneroster/rostering/v1p2/users")
    assert [r.method for r in seen] == ["POST", "POST", "GET"]


def test_allow_writes_lets_writes_through() -> None:
    seen: list[httpx.Request] = []
    c = client(seen, allow_writes=True)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        c.request(method, "https://v.example/x")
    assert [r.method for r in seen] == ["POST", "PUT", "PATCH", "DELETE"]


WRITING_CHECK = textwrap.dedent('''
    import edcert

    @edcert.check(id="DIST-WRITE-001", standard="oneroster-1.2", category="data-fidelity", level="optional",
                  title="A district check that (wrongly) deletes a user", why="To prove writes are stopped.",
                  remediation="None.", ref="test")
    def test_deletes_a_user(oneroster):
        user = oneroster.collection("users").records[0]["sourcedId"]
        response = oneroster.client.request("DELETE", oneroster.url(f"/users/{user}"))
        assert response.status_code < 500
''')


@pytest.mark.parametrize("allow_writes", [False, True])
def test_a_check_that_writes_is_stopped_unless_allowed(allow_writes: bool, tmp_path: Path) -> None:
    check_file = tmp_path / f"test_district_writes_{str(allow_writes).lower()}.py"  # one module name per run
    check_id = f"DIST-WRITE-00{int(allow_writes) + 1}"  # the registry is per process: one id per module
    check_file.write_text(WRITING_CHECK.replace("DIST-WRITE-001", check_id))
    with sandbox(hostile="writes-fail") as (server, app):
        result = run(sandbox_config(server.base_url, allow_writes=allow_writes), extra_paths=[check_file],
                     keyword="deletes_a_user or check_no_token_refused")
        writes = list(app.state.hostile.writes)
    assert result.scorecard.gate["harness_errors"] == []
    outcome = {c.id: c for c in result.scorecard.checks}[check_id]
    assert {c.id: c.outcome for c in result.scorecard.checks}["OR12-AUTH-001"] is Outcome.PASSED
    if allow_writes:
        # the positive control: the sandbox mode does see a write that is sent
        assert [m for m, _ in writes] == ["DELETE"] and outcome.outcome is Outcome.FAILED
    else:
        assert writes == [], "the DELETE never left edcert"
        assert outcome.outcome is Outcome.ERROR and "refused to send DELETE" in outcome.message


def test_a_whole_run_writes_nothing() -> None:
    # Left out: LTI (a launch posts forms and AGS posts scores by design, with their own allow_writes) and the
    # Ed-Fi client mode (its writes are the vendor's SIS publishing, edcert's scripted client, not edcert's own
    # requests). Ed-Fi host writes are off (edfi_writes=False) and so are OneRoster's (allow_writes=False).
    with sandbox(hostile="writes-fail") as (server, app):
        config = sandbox_config(server.base_url, allow_writes=False, edfi_writes=False, v1p1={"allow_writes": False})
        result = run(config, only=[s for s in config.claimed_standards()
                                   if not s.startswith("lti-") and s != "edfi-client"])
        writes = list(app.state.hostile.writes)
    assert writes == []
    assert result.exit_code == 0
    assert any(m == "POST" and u.endswith("/oauth/token") for m, u, _ in result.requests), "tokens were fetched"
