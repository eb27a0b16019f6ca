"""Auth: the provider refuses what it must refuse (OAuth 2.0 bearer tokens, 1EdTech Security Framework)."""
from __future__ import annotations

from edcert.conformance.oneroster._common import (
    CORE_TAG,
    REST_BINDING,
    STANDARD,
    evidence,
    expect_status,
    expect_status_payload,
)
from edcert.conformance.oneroster._fixtures import SCOPE_CORE, SCOPE_ROSTER, OneRosterSession
from edcert.harness import check
from edcert.harness.errors import Failure
from edcert.harness.http import json_body

SECURITY = "1EdTech Security Framework 1.0 §4 (OAuth 2.0 client credentials, RFC 6750 bearer tokens)"


@check(
    id="OR12-AUTH-001", standard=STANDARD, category="auth", level="required", tags=(CORE_TAG,),
    title="A request without a token is refused with 401",
    why="Without this, anyone who finds the address can download the district's student roster.",
    remediation="Require a valid OAuth 2.0 bearer token on every OneRoster endpoint; answer 401 when it is missing.",
    ref=f"{SECURITY}; {REST_BINDING} §3 (401 unauthorisedrequest)",
)
def check_no_token_refused(oneroster: OneRosterSession) -> None:
    response = oneroster.get("/users", params={"limit": 1}, auth=None)
    expect_status(response, 401, "GET /users without a token")


@check(
    id="OR12-AUTH-002", standard=STANDARD, category="auth", level="required", tags=(CORE_TAG,),
    title="A request with an invalid bearer token is refused with 401",
    why="A provider that accepts any token protects student data with nothing at all.",
    remediation="Validate every bearer token against the ones your token endpoint issued; answer 401 otherwise.",
    ref=f"{SECURITY}; RFC 6750 §3.1 (invalid_token)",
)
def check_bad_token_refused(oneroster: OneRosterSession) -> None:
    response = oneroster.get("/users", params={"limit": 1}, auth=None,
                             headers={"Authorization": "Bearer edcert-not-a-real-token"})
    expect_status(response, 401, "GET /users with an invalid token")


@check(
    id="OR12-AUTH-003", standard=STANDARD, category="auth", level="required", tags=(CORE_TAG,),
    title="The token endpoint refuses a wrong client secret",
    why="If any secret gets a token, the district's credentials protect nothing.",
    remediation="Authenticate the client at the token endpoint and answer 401 invalid_client (RFC 6749 §5.2) "
                "for a wrong secret.",
    ref=f"{SECURITY}; RFC 6749 §5.2",
)
def check_token_wrong_secret(oneroster: OneRosterSession) -> None:
    response = oneroster.token_request(oneroster.config.client_id, "edcert-wrong-secret")
    if response.status_code in (400, 401):
        return
    got_token = False
    if response.status_code == 200:
        body = json_body(response, "token endpoint")
        got_token = isinstance(body, dict) and "access_token" in body
    raise Failure(
        "the token endpoint " + ("issued a token for a wrong client secret" if got_token
                                 else f"answered HTTP {response.status_code} to a wrong client secret"),
        expected="HTTP 400 or 401 (invalid_client)", received=f"HTTP {response.status_code}",
        exchanges=evidence(response),
    )


@check(
    id="OR12-AUTH-004", standard=STANDARD, category="auth", level="required", tags=("privacy",),
    title="Demographics are refused to a token without the demographics scope",
    why="Birth dates, sex and ethnicity must only reach applications the district allowed to see them.",
    remediation="Serve /demographics only to tokens granted "
                "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-demographics.readonly; answer 403 otherwise.",
    ref=f"{REST_BINDING} §2 (scopes: demographics require roster-demographics.readonly)",
)
def check_demographics_scope(oneroster: OneRosterSession) -> None:
    if not oneroster.config.demographics:
        import pytest

        pytest.skip("the vendor does not claim demographics")
    response = oneroster.get("/demographics", params={"limit": 1},
                             auth=oneroster.auth_for((SCOPE_CORE, SCOPE_ROSTER)))
    expect_status(response, {401, 403}, "GET /demographics with a token lacking roster-demographics.readonly")
