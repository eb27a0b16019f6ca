"""The lti-1.3-platform suite against platforms that misbehave, a person launching, and its configuration."""
from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from edcert.conformance.lti_platform._browser import walk
from edcert.fixtures.districts import generate_district
from edcert.harness.config import parse_config
from edcert.harness.errors import ConfigError
from edcert.harness.evidence import Recorder, Redactor
from edcert.harness.http import VendorClient
from edcert.harness.runner import run
from edcert.harness.scorecard import Outcome, Scorecard
from edcert.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxServer, create_app
from edcert.sandbox.vendor import _lti_platform

STD = "lti-1.3-platform"
LAUNCH_AND_PROBE = "check_id_token_alg_and_kid or check_missing_nonce"


def lti_config(base_url: str, **settings: Any) -> Any:
    table = {**_lti_platform(base_url), **settings}
    return parse_config({"vendor": {"name": "platform under test"}, "lti_platform": table})


def misbehaving_platform(mode: str) -> Starlette:
    async def launch(request: Request) -> Response:
        if mode == "loop":
            return RedirectResponse(str(request.url), status_code=302)
        if mode == "hang":
            await asyncio.sleep(5)
        if mode == "huge":
            return HTMLResponse("<html>" + "x" * 3_000_000)
        tool = request.query_params["tool_url"]
        return HTMLResponse(f'<html><body onload="document.forms[0].submit()"><form method="post" '
                            f'action="{tool}/login"><input type="hidden" name="iss" value="x">'
                            '<input type="hidden" name="login_hint" value="u"></form></body></html>')

    async def auth(request: Request) -> Response:  # a sign-in page where the form post of an id_token belongs
        return HTMLResponse('<html><form method="post" action="/signin"><input name="username">'
                            '<input type="password" name="password"></form></html>')

    return Starlette(routes=[Route("/lti/platform/launch", launch), Route("/lti/platform/auth", auth)])


def _run(mode: str) -> Scorecard:
    with SandboxServer(misbehaving_platform(mode)) as server:
        # a short timeout for the platform that hangs; the others answer at once, but a loaded machine is slow
        config = lti_config(server.base_url, timeout=1.0 if mode == "hang" else 10.0, max_response_bytes=1_000_000,
                            max_retries=0)
        return run(config, keyword=LAUNCH_AND_PROBE).scorecard


@pytest.mark.parametrize(("mode", "says"), [
    ("loop", "still redirecting after 10 hops"),
    ("hang", "did not"),
    ("huge", "sent more than 1000000 bytes"),
    ("html-at-auth", "never delivered an id_token"),
])
def test_a_misbehaving_platform_fails_the_launch_checks_with_evidence(mode: str, says: str) -> None:
    started = time.monotonic()
    sc = _run(mode)
    assert time.monotonic() - started < 30
    outcomes = {c.id: c for c in sc.checks}
    assert set(outcomes) == {"LTIP-IDT-001", "LTIP-AUTH-002"}
    launch = outcomes["LTIP-IDT-001"]
    assert launch.outcome is Outcome.FAILED, launch.message
    assert says in launch.message
    assert launch.evidence, "a failed launch carries the hops as evidence"
    probe = outcomes["LTIP-AUTH-002"]
    assert probe.outcome is Outcome.FAILED and probe.evidence, probe.message
    assert sc.standards[0].verdict == "not_certified"


def test_browser_follows_redirects_and_auto_submitting_forms_with_cookies() -> None:
    async def start(request: Request) -> Response:
        response = RedirectResponse("/form", status_code=302)
        response.set_cookie("lms_session", "abc")
        return response

    async def form(request: Request) -> Response:
        return HTMLResponse('<form method="post" action="/done"><input type="hidden" name="a" value="1 &amp; 2">'
                            '</form>')

    async def done(request: Request) -> Response:
        body = (await request.body()).decode()
        return Response(json.dumps({"body": body, "cookie": request.cookies.get("lms_session")}))

    app = Starlette(routes=[Route("/start", start), Route("/form", form), Route("/done", done, methods=["POST"])])
    with SandboxServer(app) as server:
        client = VendorClient(timeout=5, rate_limit=None, max_response_bytes=10_000, max_retries=0, max_retry_wait=0,
                              verify_tls=True, recorder=Recorder(Redactor()), token_urls=(server.base_url + "/done",))
        try:
            result = walk(client, server.base_url + "/start", max_hops=5)
        finally:
            client.close()
    assert result.response is not None
    assert result.response.json() == {"body": "a=1+%26+2", "cookie": "abc"}
    assert [e.method for e in result.exchanges] == ["GET", "GET", "POST"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_person_mode_waits_for_a_launch_from_the_platform(capsys: pytest.CaptureFixture[str]) -> None:
    port = _free_port()
    tool_url = f"http://127.0.0.1:{port}"
    app = create_app(generate_district("small"), client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET)
    with SandboxServer(app) as server:
        config = lti_config(server.base_url, launch_mode="person", launch_wait=20, tool_port=port)
        launched: list[int] = []

        def person() -> None:  # a teacher's browser clicking the link in the LMS, once edcert listens
            for _ in range(200):
                try:
                    with httpx.Client(follow_redirects=True) as browser:
                        page = browser.get(f"{server.base_url}/lti/platform/launch?tool_url={quote(tool_url)}")
                        while "<form" in page.text:
                            action = page.text.split('action="')[1].split('"')[0].replace("&amp;", "&")
                            fields = dict(_hidden(page.text))
                            page = browser.post(action, data=fields)
                        launched.append(page.status_code)
                        return
                except httpx.HTTPError:  # edcert's tool endpoints are not listening yet
                    time.sleep(0.05)

        threading.Thread(target=person, daemon=True).start()
        sc = run(config, keyword="check_id_token_alg_and_kid or check_missing_nonce").scorecard
    outcomes = {c.id: c.outcome for c in sc.checks}
    assert launched == [200]
    assert outcomes == {"LTIP-IDT-001": Outcome.PASSED, "LTIP-AUTH-002": Outcome.SKIPPED}, [
        c.message for c in sc.checks]


def _hidden(page: str) -> list[tuple[str, str]]:
    import html
    import re

    return [(html.unescape(n), html.unescape(v)) for n, v in re.findall(r'name="([^"]*)" value="([^"]*)"', page)]


def test_no_key_material_or_signature_reaches_the_scorecard() -> None:
    app = create_app(generate_district("small"), faults=("lti-platform.token.jti-replay",),
                     client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET)
    with SandboxServer(app) as server:
        sc = run(lti_config(server.base_url), keyword="check_replayed_jti or check_id_token_signature").scorecard
    text = sc.model_dump_json()
    assert {c.id: c.outcome for c in sc.checks} == {"LTIP-TOK-007": Outcome.FAILED,
                                                    "LTIP-IDT-002": Outcome.PASSED}
    assert '"d":' not in text.replace(" ", "") and "PRIVATE KEY" not in text
    for jwt_like in [w for w in text.replace('"', " ").replace("=", " ").split() if w.startswith("eyJ")]:
        assert jwt_like.count(".") <= 1 or jwt_like.endswith("[redacted]"), "a JWT signature leaked"


@pytest.mark.parametrize(("change", "says"), [
    ({"auth_url": "ftp://x"}, "auth_url"),
    ({"launch_mode": "robot"}, "launch_mode"),
    ({"session_cookie_env": "EDCERT_TEST_UNSET_COOKIE"}, "EDCERT_TEST_UNSET_COOKIE"),
])
def test_bad_lti_platform_tables_are_one_line_config_errors(change: dict[str, Any], says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        parse_config({"vendor": {"name": "v"}, "lti_platform": {**_lti_platform("http://127.0.0.1:1"), **change}},
                     env={})


def test_the_table_claims_the_platform_standard_and_reads_the_cookie_from_the_environment() -> None:
    table = {**_lti_platform("http://127.0.0.1:1"), "session_cookie_env": "LMS_COOKIE"}
    config = parse_config({"vendor": {"name": "v"}, "lti_platform": table}, env={"LMS_COOKIE": "sid=secret-value"})
    assert config.claimed_standards() == [STD]
    assert config.lti_platform is not None
    assert config.lti_platform.session_cookie.get_secret_value() == "sid=secret-value"
    assert "sid=secret-value" in config.secrets()


def test_the_guide_documents_every_key_of_the_table() -> None:
    from pathlib import Path

    from edcert.harness.config import LtiPlatformConfig

    guide = (Path(__file__).parents[2] / "docs" / "guide.md").read_text()
    missing = [k for k in LtiPlatformConfig.model_fields if k != "session_cookie" and f"`{k}`" not in guide]
    assert missing == []


def test_masked_evidence_hides_the_id_token_payload_and_full_keeps_it() -> None:
    token = "eyJhbGciOiJSUzI1NiJ9.eyJlbWFpbCI6ImFkYUBleC5lZHUifQ.c2lnbmF0dXJl"  # {"email": "ada@ex.edu"}
    masked, full = Redactor("masked").text(f"id_token={token}"), Redactor("full").text(f"id_token={token}")
    assert "eyJlbWFpbCI6ImFkYUBleC5lZHUifQ" not in masked and "c2lnbmF0dXJl" not in masked
    assert masked.startswith("id_token=eyJhbGciOiJSUzI1NiJ9.")
    assert "eyJlbWFpbCI6ImFkYUBleC5lZHUifQ" in full and "c2lnbmF0dXJl" not in full


def _platform_state(app: Starlette) -> Any:
    from edcert.sandbox.lti.platform import PLATFORM_PATH

    mount = next(r for r in app.routes if getattr(r, "path", None) == PLATFORM_PATH)
    return mount.app.state.lti_platform  # type: ignore[attr-defined]


def test_deep_linking_adds_edcerts_item_and_refuses_the_forged_response() -> None:
    # edcert as the tool answers two Deep Linking launches: its signed response lands in the course, the
    # forged one (another key under edcert's kid) does not
    app = create_app(generate_district("small"), client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET)
    with SandboxServer(app) as server:
        sc = run(lti_config(server.base_url), keyword="deep_linking").scorecard
    assert {c.id: c.outcome for c in sc.checks} == dict.fromkeys(
        ("LTIP-DL-001", "LTIP-DL-002", "LTIP-DL-003", "LTIP-DL-004", "LTIP-DL-005"), Outcome.PASSED)
    state = _platform_state(app)
    [item] = state.content_items
    assert item["type"] == "ltiResourceLink" and item["title"].startswith("edcert certification activity ")
    # the platform made a resource link of it, and edcert launched that link (Proof of LTI Link)
    [link] = state.links
    assert (link.url, link.title, link.custom) == (item["url"], item["title"], item["custom"])
    assert link.custom["edcert_item"] in link.url
    assert [r.get("link") for r in state.received if r["path"].endswith("/launch")].count("latest") == 1


def test_proof_of_lti_link_is_skipped_without_a_launch_link_for_the_created_item() -> None:
    app = create_app(generate_district("small"), client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET)
    with SandboxServer(app) as server:
        sc = run(lti_config(server.base_url, deep_link_item_start_url=None), keyword="deep_link").scorecard
    outcomes = {c.id: c for c in sc.checks}
    assert outcomes["LTIP-DL-002"].outcome is Outcome.PASSED
    assert {outcomes[i].outcome for i in ("LTIP-DL-004", "LTIP-DL-005")} == {Outcome.SKIPPED}
    assert "deep_link_item_start_url" in outcomes["LTIP-DL-004"].message


def test_two_course_grades_check_needs_a_second_course_launch() -> None:
    app = create_app(generate_district("small"), client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET)
    with SandboxServer(app) as server:
        sc = run(lti_config(server.base_url, launch_start_url_context_b=None),
                 keyword="stay_in_their_context").scorecard
    [outcome] = sc.checks
    assert outcome.id == "LTIP-AGS-006" and outcome.outcome is Outcome.NOT_APPLICABLE
    assert "launch_start_url_context_b" in outcome.message


def test_deep_linking_without_writes_is_skipped_not_posted() -> None:
    app = create_app(generate_district("small"), client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET)
    with SandboxServer(app) as server:
        sc = run(lti_config(server.base_url, allow_writes=False), keyword="deep_linking").scorecard
    outcomes = {c.id: c.outcome for c in sc.checks}
    assert outcomes == {"LTIP-DL-001": Outcome.PASSED, **dict.fromkeys(
        ("LTIP-DL-002", "LTIP-DL-003", "LTIP-DL-004", "LTIP-DL-005"), Outcome.SKIPPED)}
    assert _platform_state(app).content_items == []


def test_expected_received_is_skipped_without_test_users_and_never_prints_their_values() -> None:
    app = create_app(generate_district("small"), client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET)
    wrong_email = "someone.else@district.example"
    with SandboxServer(app) as server:
        unset = run(lti_config(server.base_url, expected_users={}), keyword="expected_received").scorecard
        table = _lti_platform(server.base_url)
        users = {**table["expected_users"], "full": {**table["expected_users"]["full"], "email": wrong_email}}
        wrong = run(lti_config(server.base_url, expected_users=users), keyword="expected_received").scorecard
    (skipped,) = unset.checks
    assert skipped.id == "LTIP-IDT-012" and skipped.outcome is Outcome.SKIPPED and "expected_users" in skipped.message
    (failed,) = wrong.checks
    assert failed.outcome is Outcome.FAILED and "email" in failed.message
    # the test users' data is personal data: neither the configured nor the received value is shown
    shown = failed.model_dump_json(exclude={"evidence"})
    assert wrong_email not in shown and "sandbox.example" not in shown


def test_expected_users_name_known_payloads_and_claims_only() -> None:
    with pytest.raises(ConfigError, match="expected_users"):
        lti_config("http://127.0.0.1:1", expected_users={"teacher": {"email": "a@b.example"}})
    with pytest.raises(ConfigError, match="expected_users"):
        lti_config("http://127.0.0.1:1", expected_users={"full": {"phone": "555"}})


def test_a_login_before_the_tool_endpoints_know_their_address_redirects_to_where_it_came() -> None:
    """The endpoints listen an instant before they are told their address; a login then must still name /launch."""
    from urllib.parse import parse_qs, urlsplit

    from joserfc.jwk import RSAKey

    from edcert.conformance.lti_platform._tool import ToolEndpoints

    tool = ToolEndpoints(RSAKey.generate_key(2048, private=True), "client-1", "http://127.0.0.1:9/auth")
    with SandboxServer(tool.app()) as server:
        early = httpx.get(f"{server.base_url}/login", params={"login_hint": "u1"})  # tool_url not set yet
        tool.tool_url = server.base_url
        later = httpx.get(f"{server.base_url}/login", params={"login_hint": "u1"})
    for answer in (early, later):
        assert answer.status_code == 302
        redirect = parse_qs(urlsplit(answer.headers["location"]).query)["redirect_uri"]
        assert redirect == [f"{server.base_url}/launch"]
