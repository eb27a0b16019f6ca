"""The sandbox's OneRoster 1.1 provider: 1.1 shapes, the statusInfoSet envelope, the leniencies, both auths."""
from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from edcert.fixtures.districts import generate_district
from edcert.harness.auth import OAuth1Signer
from edcert.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxServer, create_app
from edcert.sandbox.oneroster.app_v1p1 import V1P1_SCOPES
from tests.sandbox_run import run_sandbox


@pytest.fixture(scope="module")
def root() -> Iterator[str]:
    app = create_app(generate_district("small"), client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET)
    with SandboxServer(app) as server:
        yield server.base_url


def test_signed_requests_get_11_records_and_unsigned_get_the_11_envelope(root: str) -> None:
    BASE = f"{root}/ims/oneroster/v1p1"
    with httpx.Client(auth=OAuth1Signer(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)) as c:
        users = c.get(f"{BASE}/students", params={"limit": 3}).json()["users"]
        assert {u["role"] for u in users} == {"student"}
        assert all(u["username"] and u["orgs"] and "roles" not in u and "primaryOrg" not in u for u in users)
        assert users[0]["orgs"][0]["href"].startswith("/ims/oneroster/v1p1/orgs/")
        refused = httpx.get(f"{BASE}/users")  # no signature
        assert refused.status_code == 401
        info = refused.json()["statusInfoSet"][0]
        assert info["imsx_codeMajor"] == "failure"
        assert info["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == "unauthorisedrequest"


def test_unknown_sort_and_fields_answer_200_with_a_warning(root: str) -> None:
    BASE = f"{root}/ims/oneroster/v1p1"
    with httpx.Client(auth=OAuth1Signer(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, signature_method="HMAC-SHA256")) as c:
        for params, minor in (({"sort": "nope"}, "invalid_sort_field"), ({"fields": "sourcedId,nope"},
                                                                           "invalid_selection_field")):
            r = c.get(f"{BASE}/classes", params={**params, "limit": 2})
            assert r.status_code == 200
            assert len(r.json()["classes"]) == 2
            warning = r.json()["statusInfoSet"][0]
            assert warning["imsx_severity"] == "warning"
            assert warning["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == minor
        r = c.get(f"{BASE}/classes", params={"filter": "nope='x'"})
        assert r.status_code == 400


def test_oauth2_bearer_tokens_with_v1p1_scopes_are_accepted(root: str) -> None:
    BASE = f"{root}/ims/oneroster/v1p1"
    with httpx.Client() as c:
        token = c.post(f"{root}/oauth/v1p1/token", data={"grant_type": "client_credentials", "scope": V1P1_SCOPES[0]},
                       auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)).json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        assert c.get(f"{BASE}/users", params={"limit": 1}, headers=bearer).status_code == 200
        assert c.get(f"{BASE}/demographics", params={"limit": 1}, headers=bearer).status_code == 403


def test_the_suite_certifies_the_sandbox_over_oauth2_too() -> None:
    # auth = "oauth2": the signature checks do not apply, everything else passes
    result = run_sandbox(only=["oneroster-1.1"], v1p1={"auth": "oauth2"})
    outcomes = {c.id: c.outcome.value for c in result.scorecard.checks}
    assert {k for k, v in outcomes.items() if v not in ("passed", "not_applicable")} == set()
    assert {k for k, v in outcomes.items() if v == "not_applicable"} == {
        "OR11-AUTH-003", "OR11-AUTH-004", "OR11-AUTH-005", "OR11-AUTH-006"}
