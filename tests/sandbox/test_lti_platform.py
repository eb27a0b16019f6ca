"""The sandbox LTI 1.3 platform, driven by hand as a tool would (a stub tool serves its JWKS on loopback)."""
from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from edcert.fixtures.districts import generate_district
from edcert.lti import claims as c
from edcert.sandbox import SandboxServer, create_app
from edcert.sandbox.lti import platform as P

TOOL_KEY = RSAKey.generate_key(2048, parameters={"kid": "tool-1"}, private=True)


@pytest.fixture(scope="module")
def tool() -> Iterator[str]:
    async def jwks(request: Any) -> JSONResponse:
        return JSONResponse({"keys": [TOOL_KEY.as_dict(private=False)]})

    with SandboxServer(Starlette(routes=[Route("/jwks", jwks)])) as server:
        yield server.base_url


def _platform(faults: tuple[str, ...] = ()) -> tuple[SandboxServer, Any]:
    app = create_app(generate_district("small"), faults=faults, client_id="c", client_secret="s")
    return SandboxServer(app), app


@pytest.fixture(scope="module")
def platform() -> Iterator[str]:
    server, _ = _platform()
    with server:
        yield server.base_url + P.PLATFORM_PATH


def _form(page: str) -> tuple[str, dict[str, str]]:
    action = unescape(re.search(r'action="([^"]*)"', page).group(1))  # type: ignore[union-attr]
    fields = {unescape(n): unescape(v) for n, v in re.findall(r'name="([^"]*)" value="([^"]*)"', page)}
    return action, fields


def _login(client: httpx.Client, platform: str, tool: str, **extra: str) -> dict[str, str]:
    page = client.get(f"{platform}/launch", params={"tool_url": tool, **extra})
    assert page.status_code == 200
    action, fields = _form(page.text)
    assert action == f"{tool}/login"
    return fields


def _auth_params(login: dict[str, str], tool: str, **override: str) -> dict[str, str]:
    params = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
              "client_id": login["client_id"], "redirect_uri": f"{tool}/launch", "login_hint": login["login_hint"],
              "lti_message_hint": login["lti_message_hint"], "nonce": "n-123", "state": "s-456"}
    params.update(override)
    return {k: v for k, v in params.items() if v != "-"}


def _assertion(platform: str, **override: Any) -> str:
    now = int(time.time())
    claims = {"iss": P.TOOL_CLIENT_ID, "sub": P.TOOL_CLIENT_ID, "aud": f"{platform}/token", "iat": now,
              "exp": now + 300, "jti": uuid.uuid4().hex, **override}
    return jwt.encode({"alg": "RS256", "kid": "tool-1"}, {k: v for k, v in claims.items() if v is not None},
                      TOOL_KEY)


def _token(client: httpx.Client, platform: str, scope: str, **form: str) -> httpx.Response:
    data = {"grant_type": "client_credentials", "client_assertion_type": c.CLIENT_ASSERTION_TYPE,
            "client_assertion": _assertion(platform), "scope": scope, **form}
    return client.post(f"{platform}/token", data=data)


def test_launch_issues_a_verifiable_id_token_with_the_lti_claims(platform: str, tool: str) -> None:
    with httpx.Client() as client:
        login = _login(client, platform, tool)
        assert login["iss"] == platform and login["target_link_uri"] == f"{tool}/launch"
        answer = client.get(f"{platform}/auth", params=_auth_params(login, tool))
        action, fields = _form(answer.text)
        assert action == f"{tool}/launch" and fields["state"] == "s-456"
        jwks = KeySet.import_key_set(client.get(f"{platform}/jwks").json())
        token = jwt.decode(fields["id_token"], jwks, algorithms=["RS256"])
    claims = token.claims
    assert token.header["kid"] in {k.kid for k in jwks.keys}
    assert claims["nonce"] == "n-123" and claims["aud"] == P.TOOL_CLIENT_ID and claims["iss"] == platform
    assert claims[c.DEPLOYMENT_ID] == login["lti_deployment_id"]
    assert claims[c.TARGET_LINK_URI] == login["target_link_uri"]
    assert claims["email"] and claims[c.ROLES] == [P.ROLE_LEARNER]


def test_no_pii_launch_carries_no_names(platform: str, tool: str) -> None:
    with httpx.Client() as client:
        login = _login(client, platform, tool, pii="none", user="instructor")
        _, fields = _form(client.get(f"{platform}/auth", params=_auth_params(login, tool)).text)
    payload = jwt.decode(fields["id_token"], KeySet.import_key_set(httpx.get(f"{platform}/jwks").json())).claims
    assert "email" not in payload and "name" not in payload and "given_name" not in payload
    assert payload[c.ROLES] == [P.ROLE_INSTRUCTOR]


@pytest.mark.parametrize(("override", "error"), [
    ({"nonce": "-"}, "invalid_request"),
    ({"response_type": "code"}, "unsupported_response_type"),
])
def test_auth_errors_are_redirected_with_state(platform: str, tool: str, override: dict[str, str],
                                               error: str) -> None:
    with httpx.Client() as client:
        login = _login(client, platform, tool)
        answer = client.get(f"{platform}/auth", params=_auth_params(login, tool, **override))
    assert answer.status_code == 302
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{tool}/launch"
    assert parse_qs(location.query) == {"error": [error], "error_description": parse_qs(location.query)[
        "error_description"], "state": ["s-456"]}


@pytest.mark.parametrize("override", [{"redirect_uri": "http://127.0.0.1:9/elsewhere"}, {"client_id": "stranger"}])
def test_unregistered_redirect_or_unknown_client_gets_a_local_error(platform: str, tool: str,
                                                                    override: dict[str, str]) -> None:
    with httpx.Client() as client:
        login = _login(client, platform, tool)
        answer = client.get(f"{platform}/auth", params=_auth_params(login, tool, **override))
    assert answer.status_code == 400 and "location" not in answer.headers and "id_token" not in answer.text


def test_token_endpoint_validates_client_assertions(platform: str, tool: str) -> None:
    with httpx.Client() as client:
        _login(client, platform, tool)  # registers the tool's address
        ok = _token(client, platform, P.SCOPE_NRPS)
        assert ok.status_code == 200 and ok.json()["token_type"] == "bearer" and ok.json()["expires_in"] > 0
        now = int(time.time())
        other = RSAKey.generate_key(2048, parameters={"kid": "tool-1"}, private=True)
        bad = {
            "signature": jwt.encode({"alg": "RS256", "kid": "tool-1"}, {"iss": P.TOOL_CLIENT_ID}, other),
            "aud": _assertion(platform, aud="https://elsewhere.example/token"),
            "expired": _assertion(platform, iat=now - 900, exp=now - 600),
            "iss": _assertion(platform, iss="someone-else"),
            "jti": _assertion(platform, jti=None),
        }
        for name, assertion in bad.items():
            answer = _token(client, platform, P.SCOPE_NRPS, client_assertion=assertion)
            assert answer.status_code in (400, 401), name
        replay = _assertion(platform)
        assert _token(client, platform, P.SCOPE_NRPS, client_assertion=replay).status_code == 200
        assert _token(client, platform, P.SCOPE_NRPS, client_assertion=replay).status_code == 401
        assert _token(client, platform, P.SCOPE_NRPS, grant_type="password").status_code == 400


def test_nrps_pages_with_link_next_and_scopes_are_enforced(platform: str, tool: str) -> None:
    with httpx.Client() as client:
        _login(client, platform, tool)
        bearer = {"Authorization": "Bearer " + _token(client, platform, P.SCOPE_NRPS).json()["access_token"]}
        url: str | None = f"{platform}/contexts/{P.CONTEXT_ID}/memberships?limit=2"
        seen = []
        while url:
            page = client.get(url, headers=bearer)
            assert page.headers["content-type"].startswith(c.MEDIA_MEMBERSHIPS)
            seen += [m["user_id"] for m in page.json()["members"]]
            url = page.links.get("next", {}).get("url")
        assert seen == [m.user_id for m in P.MEMBERS]
        assert client.get(f"{platform}/contexts/{P.CONTEXT_ID}/lineitems", headers=bearer).status_code == 403
        # the differences URL (NRPS 2.0 §2.4.3) reports no change: the sandbox roster is fixed
        differences = page.links["differences"]["url"]
        changed = client.get(differences, headers=bearer)
        assert changed.status_code == 200 and changed.json()["members"] == []


def test_line_items_stay_in_the_context_they_were_created_in(platform: str, tool: str) -> None:
    with httpx.Client() as client:
        _login(client, platform, tool)
        bearer = {"Authorization": "Bearer " + _token(client, platform, P.SCOPE_LINEITEM).json()["access_token"]}
        first, second = (f"{platform}/contexts/{ctx}/lineitems" for ctx in (P.CONTEXT_ID, P.CONTEXT_B_ID))
        made = client.post(second, json={"label": "B quiz", "scoreMaximum": 5}, headers=bearer).json()["id"]
        assert made in {i["id"] for i in client.get(second, headers=bearer).json()}
        assert made not in {i["id"] for i in client.get(first, headers=bearer).json()}
        # the line item is not reachable under the other context's path either
        assert client.get(made.replace(P.CONTEXT_B_ID, P.CONTEXT_ID), headers=bearer).status_code == 404


def test_ags_line_items_scores_and_results(platform: str, tool: str) -> None:
    with httpx.Client() as client:
        _login(client, platform, tool)

        def bearer(scope: str) -> dict[str, str]:
            return {"Authorization": "Bearer " + _token(client, platform, scope).json()["access_token"]}

        items = f"{platform}/contexts/{P.CONTEXT_ID}/lineitems"
        li = client.post(items, json={"label": "Quiz", "scoreMaximum": 10}, headers=bearer(P.SCOPE_LINEITEM))
        assert li.status_code == 201
        url = li.json()["id"]
        assert client.get(url, headers=bearer(P.SCOPE_LINEITEM)).json()["label"] == "Quiz"
        for body in ({"label": "", "scoreMaximum": 10}, {"label": "x", "scoreMaximum": 0}, [1]):
            assert client.post(items, json=body, headers=bearer(P.SCOPE_LINEITEM)).status_code == 400
        score = bearer(P.SCOPE_SCORE)

        def post(given: float, stamp: str) -> int:
            return client.post(url + "/scores", headers=score, json={
                "userId": "u-student-1", "scoreGiven": given, "scoreMaximum": 10, "timestamp": stamp,
                "activityProgress": "Completed", "gradingProgress": "FullyGraded"}).status_code

        assert post(4, "2026-01-01T10:00:00.100Z") == 204
        assert post(7, "2026-01-01T10:00:01.100Z") == 204
        assert post(2, "2026-01-01T09:00:00.100Z") == 409
        results = client.get(url + "/results", headers=bearer(c.SCOPE_RESULT_READONLY))
        assert [r["resultScore"] for r in results.json()] == [7]
        assert client.get(url + "/results", headers=score).status_code == 403


def test_recording_keeps_what_arrived_without_secrets(tool: str) -> None:
    server, app = _platform()
    with server, httpx.Client() as client:
        base = server.base_url + P.PLATFORM_PATH
        _login(client, base, tool)
        _token(client, base, P.SCOPE_NRPS)
    mount = next(r for r in app.routes if getattr(r, "path", None) == P.PLATFORM_PATH)
    received = mount.app.state.lti_platform.received
    assert [r["path"].rsplit("/", 1)[-1] for r in received] == ["launch", "token"]
    assert "client_assertion" in received[1]["params"]
    assert "eyJ" not in repr(received)
