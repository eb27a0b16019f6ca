"""Auth: OAuth 2.0 client credentials (RFC 6749 §4.4) at the URL the discovery document lists."""
from __future__ import annotations

import httpx

from edcert.conformance.edfi._fixtures import SIS_RESOURCES, STANDARD, EdFiSession, evidence, expect_status
from edcert.harness import check
from edcert.harness.errors import Failure
from edcert.harness.http import json_body

OAUTH_REF = "Ed-Fi ODS/API TokenController (client credentials); RFC 6749 §4.4, §5.1, §5.2"


def _token_body(response: httpx.Response, what: str) -> dict[str, object]:
    expect_status(response, 200, what)
    body = json_body(response, what)
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        raise Failure(f"{what} answered no access_token", expected='{"access_token": ..., "token_type": "bearer"}',
                      received="no access_token", exchanges=evidence(response))
    if str(body.get("token_type", "")).lower() != "bearer":
        raise Failure(f"{what} answered token_type {body.get('token_type')!r}", expected="token_type bearer",
                      received=str(body.get("token_type")), exchanges=evidence(response))
    return body


@check(
    id="EDFI-AUTH-001", standard=STANDARD, category="auth", level="required",
    requirements=("EDFI-REQ-AUTH-BASIC",),
    title="The token endpoint issues a bearer token to client credentials sent by HTTP Basic",
    why="HTTP Basic is how Ed-Fi documents that connectors authenticate; refusing it breaks standard clients.",
    remediation="Accept grant_type=client_credentials with the client id and secret in an HTTP Basic header.",
    ref=f"{OAUTH_REF}; RFC 6749 §2.3.1",
)
def check_token_basic(edfi: EdFiSession) -> None:
    _token_body(edfi.token_answer("basic"), "token request by HTTP Basic")


@check(
    id="EDFI-AUTH-002", standard=STANDARD, category="auth", level="required",
    requirements=("EDFI-REQ-AUTH-FORM",),
    title="The token endpoint issues a bearer token to client credentials sent in the form body",
    why="Ed-Fi's own certification tools and many connectors send client_id and client_secret in the body.",
    remediation="Accept client_id and client_secret as form parameters with grant_type=client_credentials.",
    ref=f"{OAUTH_REF}; RFC 6749 §2.3.1",
)
def check_token_form(edfi: EdFiSession) -> None:
    _token_body(edfi.token_answer("post"), "token request with the credentials in the form body")


@check(
    id="EDFI-AUTH-003", standard=STANDARD, category="auth", level="required",
    requirements=("EDFI-REQ-AUTH-EXPIRES",),
    title="The token answer says how long the token lives (expires_in, a positive integer)",
    why="Clients reuse a token until it expires; without expires_in they ask for a token per request or fail "
        "when it silently expires.",
    remediation="Include expires_in (seconds, a positive integer) in every token answer.",
    ref=f"{OAUTH_REF}; RFC 6749 §5.1",
)
def check_token_expires(edfi: EdFiSession) -> None:
    answer = next((a for a in (edfi.token_answer("basic"), edfi.token_answer("post")) if a.status_code == 200),
                  edfi.token_answer("basic"))
    body = _token_body(answer, "token request")
    value = body.get("expires_in")
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise Failure("the token answer has no usable expires_in", expected="expires_in: a positive integer",
                      received=repr(value), exchanges=evidence(answer))


@check(
    id="EDFI-AUTH-004", standard=STANDARD, category="auth", level="required",
    requirements=("EDFI-REQ-AUTH-BAD-CLIENT",),
    title="A wrong client secret is refused with 401 and an RFC 6749 invalid_client error",
    why="A precise refusal tells a district's technician the credentials are wrong, instead of a vague failure.",
    remediation='Answer 401 with {"error": "invalid_client"} (RFC 6749 §5.2) to unknown clients and wrong secrets.',
    ref=f"{OAUTH_REF}; RFC 6749 §5.2",
)
def check_bad_client(edfi: EdFiSession) -> None:
    method = "post" if edfi.auth_method == "client_secret_post" else "basic"
    answer = edfi.token_request(method, secret="edcert-wrong-secret")  # noqa: S106 - deliberately wrong
    expect_status(answer, 401, "token request with a wrong secret")
    body = json_body(answer, "token request with a wrong secret")
    if not isinstance(body, dict) or body.get("error") != "invalid_client":
        raise Failure("the refusal is not an RFC 6749 invalid_client error", expected='{"error": "invalid_client"}',
                      received=str(body)[:120], exchanges=evidence(answer))


@check(
    id="EDFI-AUTH-005", standard=STANDARD, category="auth", level="required",
    requirements=("EDFI-REQ-AUTH-BEARER",),
    title="Resources are refused with 401 without a bearer token",
    why="Without this, anyone who finds the address can read the district's student records.",
    remediation="Require a valid bearer token on every resource; answer 401 when it is missing.",
    ref="Ed-Fi ODS/API authentication; RFC 6750 §3",
)
def check_no_token(edfi: EdFiSession) -> None:
    answer = edfi.get(edfi.resource_url(SIS_RESOURCES[1]), params={"limit": 1}, auth=None)
    expect_status(answer, 401, "GET /ed-fi/students without a token")
