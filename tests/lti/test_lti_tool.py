"""The LTI tool suite end to end against the sandbox tool, and against tools that misbehave at the HTTP level."""
from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from edcert.fixtures.districts import generate_district
from edcert.harness.config import parse_config
from edcert.harness.errors import ConfigError
from edcert.harness.runner import run
from edcert.harness.scorecard import Outcome
from edcert.lti import claims as c
from edcert.lti.jose import import_jwks, new_key, peek, public_jwks, sign, unsigned, verify
from edcert.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxServer, create_app
from tests.sandbox_run import sandbox_config

SIGNED_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{16,}")


def test_jose_helpers_sign_verify_and_refuse_a_foreign_signature() -> None:
    key, other = new_key(), new_key()
    token = sign({"sub": "x"}, key)
    assert peek(token)[0]["kid"] == key.kid
    assert verify(token, import_jwks(public_jwks(key))) == {"sub": "x"}
    with pytest.raises(ValueError, match=r"[Ss]ignature"):
        verify(sign({"sub": "x"}, other, {"alg": "RS256", "kid": key.kid}), import_jwks(public_jwks(key)))
    with pytest.raises(ValueError, match=r"\w"):
        verify(unsigned({"sub": "x"}, {"alg": "none"}), import_jwks(public_jwks(key)))
    assert "d" not in public_jwks(key)["keys"][0]


def test_sandbox_tool_records_launches_and_the_report_holds_no_signature_or_key(tmp_path: Path) -> None:
    # the private-parts fault makes the tool publish d/p/q: they must not reach the report either
    app = create_app(generate_district("small"), faults=("lti-tool.jwks.private-parts",),
                     client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET)
    with SandboxServer(app) as server:
        result = run(sandbox_config(server.base_url), only=["lti-1.3-tool"], out_dir=tmp_path)
    outcomes = {ch.id: ch.outcome for ch in result.scorecard.checks}
    assert outcomes["LTIT-JWKS-002"] is Outcome.FAILED
    assert {o for i, o in outcomes.items() if i != "LTIT-JWKS-002"} == {Outcome.PASSED}
    record = app.state.lti_tool.record
    refused = [e for e in record if e["endpoint"] == "launch" and "refused" in e]
    accepted = [e for e in record if e["endpoint"] == "launch" and "claims" in e]
    assert len(refused) >= 20 and len(accepted) >= 18
    assert {e["claims"][c.MESSAGE_TYPE] for e in accepted} == {c.RESOURCE_LINK_REQUEST, c.DEEP_LINKING_REQUEST}
    private = app.state.lti_tool.key.as_dict(private=True)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            assert not SIGNED_JWT.search(text), f"{path.name} holds a JWT signature"
            assert private["d"] not in text and private["p"] not in text, f"{path.name} holds private key material"
    failed = next(ch for ch in result.scorecard.checks if ch.id == "LTIT-JWKS-002")
    assert failed.evidence, "a failed check carries its evidence"


def test_lti_tool_table_rejects_a_non_http_url() -> None:
    data = {"vendor": {"name": "v"}, "lti_tool": {
        "login_url": "ftp://tool.example/login", "redirect_uris": ["https://tool.example/launch"],
        "jwks_url": "https://tool.example/jwks", "client_id": "c", "deployment_id": "d"}}
    with pytest.raises(ConfigError, match=r"lti_tool\.login_url"):
        parse_config(data)


async def _hang(request: Request) -> Response:
    await asyncio.sleep(5)
    return PlainTextResponse("late")


async def _html(request: Request) -> Response:
    return HTMLResponse("<html><body><script>location='/elsewhere'</script></body></html>")


async def _loop(request: Request) -> Response:
    return RedirectResponse(str(request.url), status_code=302)


async def _huge(request: Request) -> Response:
    return PlainTextResponse("x" * 300_000)


@pytest.mark.parametrize(("handler", "expected"), [
    (_html, "HTTP 200 with an HTML page"),
    (_loop, "not to the platform's authentication endpoint"),
    (_hang, "did not"),
    (_huge, "more than"),
])
def test_a_misbehaving_login_fails_the_check_with_evidence(handler: object, expected: str) -> None:
    bad = Starlette(routes=[Route("/login", handler, methods=["GET", "POST"])])  # type: ignore[arg-type]
    with SandboxServer(bad) as server:
        config = sandbox_config(server.base_url)
        table = config.lti_tool.model_copy(update={  # type: ignore[union-attr]
            "login_url": f"{server.base_url}/login", "timeout": 1.0, "max_response_bytes": 100_000})
        result = run(config.model_copy(update={"lti_tool": table}), only=["lti-1.3-tool"], keyword="check_login_get")
    [check] = [ch for ch in result.scorecard.checks if ch.id == "LTIT-LOGIN-001"]
    assert check.outcome is Outcome.FAILED, check.message
    assert expected in check.message
    assert check.evidence


def test_sandbox_demo_config_claims_the_lti_tool_standard() -> None:
    config = sandbox_config("http://127.0.0.1:9")
    # the sandbox claims every standard it serves; both LTI sides among them
    assert {"lti-1.3-tool", "lti-1.3-platform"} <= set(config.claimed_standards())
    assert config.lti_tool is not None and config.lti_tool.target_link_uri.endswith("/lti/tool/launch")


def test_a_services_failure_shows_the_tools_request_with_its_token_redacted() -> None:
    app = create_app(generate_district("small"), faults=("lti-tool.svc.score-wrong-media-type",),
                     client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET)
    with SandboxServer(app) as server:
        result = run(sandbox_config(server.base_url), only=["lti-1.3-tool"], keyword="services")
    checks = {ch.id: ch for ch in result.scorecard.checks}
    assert {i for i, ch in checks.items() if ch.outcome is Outcome.FAILED} == {"LTIT-SVC-005"}
    [score] = checks["LTIT-SVC-005"].evidence
    assert score.method == "POST" and score.url.endswith("/scores")
    assert score.request_headers["authorization"] == "Bearer [redacted]"
    assert "application/json" in (score.error or "")
    calls = [e["services"] for e in app.state.lti_tool.record if "services" in e]
    assert calls and calls[0][0] == "token: HTTP 200"
    # then the score, its own line item and the results, in that order (AGS 2.0 §3.2-3.4)
    assert calls[0][-3:] == ["score: HTTP 204", "lineitem: HTTP 201", "results: HTTP 200"]


def test_services_are_judged_on_an_instructor_and_a_learner_launch() -> None:
    # the 1EdTech §6.4 flow starts from a learner launch: the learner's score must reach the platform too
    app = create_app(generate_district("small"), client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET)
    with SandboxServer(app) as server:
        result = run(sandbox_config(server.base_url), only=["lti-1.3-tool"], keyword="services or student_only")
    outcomes = {ch.id: ch.outcome for ch in result.scorecard.checks}
    assert outcomes["LTIT-SVC-009"] is Outcome.PASSED and outcomes["LTIT-LAUNCH-003"] is Outcome.PASSED
    assert set(outcomes.values()) <= {Outcome.PASSED}
    launched = [e for e in app.state.lti_tool.record if "services" in e]
    assert [e["claims"][c.ROLES] for e in launched] == [[c.ROLE_INSTRUCTOR], [c.ROLE_LEARNER]]
    assert "score: HTTP 204" in launched[1]["services"]
    links = [e["claims"].get(c.RESOURCE_LINK, {}).get("id") for e in app.state.lti_tool.record if "claims" in e]
    assert "edcert-student-only-link" in links


def test_the_success_marker_is_looked_for_after_the_tools_redirects() -> None:
    # a tool answering the launch POST with 302 to its activity page: the marker is on that page
    from types import SimpleNamespace

    import httpx

    from edcert.conformance.lti_tool._fixtures import LtiToolSession
    from edcert.harness.evidence import Recorder, Redactor
    from edcert.harness.http import VendorClient

    pages = {"/launch": (302, "/activity"), "/activity": (302, "/home"), "/home": (200, "<p>Welcome, teacher</p>"),
             "/refused": (302, "/sorry"), "/sorry": (200, "<p>Launch refused</p>")}

    def answer(request: httpx.Request) -> httpx.Response:
        status, body = pages[request.url.path]
        if status == 302:
            return httpx.Response(302, headers={"Location": body})
        return httpx.Response(200, text=body, headers={"Content-Type": "text/html"})

    browser = VendorClient(timeout=5, rate_limit=None, max_response_bytes=100_000, max_retries=0, max_retry_wait=0,
                           verify_tls=True, recorder=Recorder(Redactor()), transport=httpx.MockTransport(answer))
    session = SimpleNamespace(config=SimpleNamespace(success_marker="Welcome"))
    for start, verdict in (("/launch", "accepted"), ("/refused", "refused")):
        first = browser.request("GET", f"http://tool.test{start}")
        assert first.status_code == 302
        assert LtiToolSession.verdict(session, first, browser) == verdict  # type: ignore[arg-type]
    # without the browser (nothing to follow) a redirect cannot show the marker
    unfollowed = browser.request("GET", "http://tool.test/launch")
    assert LtiToolSession.verdict(session, unfollowed) == "refused"  # type: ignore[arg-type]
