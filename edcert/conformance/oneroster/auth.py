"""Auth: the provider refuses what it must refuse (OAuth 2.0 bearer tokens, 1EdTech Security Framework)."""
from __future__ import annotations

import httpx
import pytest

from edcert.conformance.oneroster._common import (
    CORE_TAG,
    REST_BINDING,
    STANDARD,
    evidence,
    expect_status,
    loose_code_minors,
    shared_probe,
)
from edcert.conformance.oneroster._fixtures import SCOPE_CORE, SCOPE_ROSTER, OneRosterSession
from edcert.conformance.oneroster.operations import NESTED, nested_answer
from edcert.harness import check
from edcert.harness.errors import Failure, NotApplicable
from edcert.harness.http import json_body

SECURITY = "1EdTech Security Framework 1.0 §4 (OAuth 2.0 client credentials, RFC 6750 bearer tokens)"


# The probe requests of this family, each sent once per run and shared with the checks that read
# their answers (the error-payload checks in errors.py included).

def no_token_answer(oneroster: OneRosterSession) -> httpx.Response:
    return shared_probe(oneroster, "GET /users without a token",
                        lambda: oneroster.get("/users", params={"limit": 1}, auth=None))


def bad_token_answer(oneroster: OneRosterSession) -> httpx.Response:
    return shared_probe(oneroster, "GET /users with an invalid token",
                        lambda: oneroster.get("/users", params={"limit": 1}, auth=None,
                                              headers={"Authorization": "Bearer edcert-not-a-real-token"}))


def refused_401(oneroster: OneRosterSession) -> httpx.Response | None:
    """The first 401 the provider gave (no token, then invalid token), if any."""
    for answer in (no_token_answer(oneroster), bad_token_answer(oneroster)):
        if answer.status_code == 401:
            return answer
    return None


def demographics_wrong_scope_answer(oneroster: OneRosterSession) -> httpx.Response:
    return shared_probe(oneroster, "GET /demographics without the demographics scope",
                        lambda: oneroster.get("/demographics", params={"limit": 1},
                                              auth=oneroster.auth_for((SCOPE_CORE, SCOPE_ROSTER))))


CLASS_STUDENTS = NESTED[0]  # /classes/{classSourcedId}/students


def nested_core_only_answer(oneroster: OneRosterSession) -> tuple[str, httpx.Response]:
    path = CLASS_STUDENTS.path(oneroster)
    return path, shared_probe(oneroster, f"GET {path} with only roster-core.readonly",
                              lambda: oneroster.get(path, params={"limit": 1},
                                                    auth=oneroster.auth_for((SCOPE_CORE,))))


@check(
    id="OR12-AUTH-001", standard=STANDARD, category="auth", level="required", tags=(CORE_TAG,),
    requirements=("OR12-REQ-AUTH-BEARER",),
    title="A request without a token is refused with 401",
    why="Without this, anyone who finds the address can download the district's student roster.",
    remediation="Require a valid OAuth 2.0 bearer token on every OneRoster endpoint; answer 401 when it is missing.",
    ref=f"{SECURITY}; {REST_BINDING} §3 (401 unauthorisedrequest)",
)
def check_no_token_refused(oneroster: OneRosterSession) -> None:
    expect_status(no_token_answer(oneroster), 401, "GET /users without a token")


@check(
    id="OR12-AUTH-002", standard=STANDARD, category="auth", level="required", tags=(CORE_TAG,),
    requirements=("OR12-REQ-AUTH-INVALID-TOKEN",),
    title="A request with an invalid bearer token is refused with 401",
    why="A provider that accepts any token protects student data with nothing at all.",
    remediation="Validate every bearer token against the ones your token endpoint issued; answer 401 otherwise.",
    ref=f"{SECURITY}; RFC 6750 §3.1 (invalid_token)",
)
def check_bad_token_refused(oneroster: OneRosterSession) -> None:
    expect_status(bad_token_answer(oneroster), 401, "GET /users with an invalid token")


@check(
    id="OR12-AUTH-003", standard=STANDARD, category="auth", level="required", tags=(CORE_TAG,),
    requirements=("OR12-REQ-AUTH-CLIENT-AUTH",),
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
    requirements=("OR12-REQ-AUTH-SCOPE-DEMOGRAPHICS",),
    title="Demographics are refused to a token without the demographics scope",
    why="Birth dates, sex and ethnicity must only reach applications the district allowed to see them.",
    remediation="Serve /demographics only to tokens granted "
                "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-demographics.readonly; answer 403 otherwise.",
    ref=f"{REST_BINDING} §2 (scopes: demographics require roster-demographics.readonly)",
)
def check_demographics_scope(oneroster: OneRosterSession) -> None:
    if not oneroster.config.demographics:
        pytest.skip("the vendor does not claim demographics")
    response = demographics_wrong_scope_answer(oneroster)
    if response.status_code not in (401, 403) and not response.is_success:
        try:
            oneroster.collection("demographics")
        except Failure:
            raise NotApplicable("/demographics does not answer even with the demographics scope "
                                "(OR12-OPS-023 reports it), so there is no refusal to test") from None
    expect_status(response, {401, 403}, "GET /demographics with a token lacking roster-demographics.readonly")


@check(
    id="OR12-AUTH-005", standard=STANDARD, category="auth", level="recommended",
    requirements=("OR12-REQ-AUTH-FORBIDDEN",),
    title="A valid token lacking the needed scope is refused with 403, not 401",
    why="When a product tells a permission problem apart from a login problem, the district's staff can see "
        "at once that the app needs more rights rather than new credentials.",
    remediation="When the bearer token is valid but does not grant the operation's scope, answer HTTP 403 with "
                "the status payload (codeMinor forbidden); keep 401 for a missing, invalid or expired token.",
    ref=f"{REST_BINDING}: declared responses 401 (unauthorisedrequest) and 403 (forbidden); RFC 6750 §3.1 "
        "(insufficient_scope → 403)",
)
def check_wrong_scope_is_403(oneroster: OneRosterSession) -> None:
    answers: list[tuple[str, httpx.Response]] = []
    if oneroster.config.demographics:
        answers.append(("GET /demographics without roster-demographics.readonly",
                        demographics_wrong_scope_answer(oneroster)))
    if oneroster.config.nested:
        try:
            path, response = nested_core_only_answer(oneroster)
        except Failure:
            if not answers:  # no class to ask about and nothing else to judge by
                raise
        else:
            answers.append((f"GET {path} with only roster-core.readonly", response))
    if not answers:
        pytest.skip("the vendor claims neither demographics nor the nested endpoints, the scoped operations "
                    "edcert asks for with a token lacking their scope")
    refused = [(what, r) for what, r in answers if r.status_code in (401, 403)]
    if not refused:
        raise NotApplicable("no request with a too-narrow token was refused (OR12-AUTH-004/006 report it)")
    wrong = [(what, r) for what, r in refused if r.status_code != 403]
    if wrong:
        raise Failure(f"{wrong[0][0]}: refused with HTTP {wrong[0][1].status_code} instead of 403",
                      expected="HTTP 403 (forbidden)",
                      received=", ".join(f"HTTP {r.status_code}" for _, r in wrong),
                      exchanges=[e for _, r in wrong for e in evidence(r)])


@check(
    id="OR12-AUTH-006", standard=STANDARD, category="auth", level="recommended",
    requirements=("OR12-REQ-AUTH-SCOPE-NESTED",),
    title="The nested endpoints refuse a token holding only roster-core.readonly",
    why="A district that grants an app only the basic roster must be able to trust that the app cannot read "
        "more through the shortcut addresses.",
    remediation="Serve the 17 nested endpoints (e.g. /classes/{classSourcedId}/students) only to tokens granted "
                "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly; answer 403 otherwise.",
    ref=f"{REST_BINDING} (scopes: the nested operations require roster.readonly); "
        "OneRoster 1.2 Rostering OpenAPI: securitySchemes.OAuth2CC",
)
def check_nested_scope(oneroster: OneRosterSession) -> None:
    if not oneroster.config.nested:
        pytest.skip("the vendor does not claim the nested endpoints")
    path, response = nested_core_only_answer(oneroster)
    what = f"GET {path} with a token holding only roster-core.readonly"
    if response.status_code in (401, 403):
        return
    if response.is_success:
        raise Failure(f"{what} was served (HTTP {response.status_code})", expected="HTTP 401 or 403",
                      received=f"HTTP {response.status_code}", exchanges=evidence(response))
    _, full = nested_answer(oneroster, CLASS_STUDENTS)
    if full.status_code != 200:
        raise NotApplicable(f"GET {path} does not answer even with roster.readonly (OR12-OPS-025 reports it), "
                            "so there is no refusal to test")
    expect_status(response, {401, 403}, what)


@check(
    id="OR12-AUTH-007", standard=STANDARD, category="auth", level="recommended",
    requirements=("OR12-REQ-AUTH-CLIENT-CREDENTIALS", "OR12-REQ-AUTH-TOKEN-RESPONSE"),
    title="The token response says token_type Bearer and a positive expires_in",
    why="An app can only renew its access in time, without failed syncs, when the provider says how long a "
        "token lasts.",
    remediation='Answer the client-credentials token request with "token_type": "Bearer" and "expires_in": the '
                "token lifetime in seconds as a positive JSON integer (RFC 6749 §5.1).",
    ref=f"{SECURITY}; RFC 6749 §5.1 (token_type required, expires_in recommended)",
)
def check_token_response(oneroster: OneRosterSession) -> None:
    config = oneroster.config
    response = oneroster.token_request(config.client_id, config.client_secret.get_secret_value(), config.scopes)
    expect_status(response, 200, "the token request with the configured credentials")
    body = json_body(response, "the token endpoint")
    if not isinstance(body, dict):
        raise Failure("the token response is not a JSON object", expected="a JSON object",
                      received=type(body).__name__, exchanges=evidence(response))
    problems = []
    token_type = body.get("token_type")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        problems.append("token_type is missing" if token_type is None else "token_type is not Bearer")
    expires = body.get("expires_in")
    if expires is None:
        problems.append("expires_in is missing")
    elif isinstance(expires, bool) or not isinstance(expires, int) or expires <= 0:
        problems.append("expires_in is not a positive integer")
    if problems:
        raise Failure(f"the token response is incomplete: {'; '.join(problems)}",
                      expected='"token_type": "Bearer", "expires_in": <seconds>',
                      received="; ".join(problems), exchanges=evidence(response))


@check(
    id="OR12-AUTH-008", standard=STANDARD, category="auth", level="recommended",
    requirements=("OR12-REQ-AUTH-401-PAYLOAD",),
    title="A 401 answer names its reason: codeMinor unauthorisedrequest",
    why="When a sync is refused, the district's staff need the product to say plainly that the login was the "
        "problem.",
    remediation='Answer 401 with the 1.2 status payload: {"imsx_codeMajor": "failure", "imsx_severity": '
                '"error", "imsx_CodeMinor": {"imsx_codeMinorField": [{"imsx_codeMinorFieldName": '
                '"TargetEndSystem", "imsx_codeMinorFieldValue": "unauthorisedrequest"}]}}.',
    ref=f"{REST_BINDING}: 401 response, imsx_StatusInfoDType with codeMinor unauthorisedrequest",
)
def check_401_says_unauthorised(oneroster: OneRosterSession) -> None:
    response = refused_401(oneroster)
    if response is None:
        raise NotApplicable("the provider refused no request with 401 (OR12-AUTH-001/002 report it)")
    what = "the 401 answer to GET /users " + (
        "without a token" if response is no_token_answer(oneroster) else "with an invalid token")
    body = json_body(response, what)
    found = loose_code_minors(body)
    if "unauthorisedrequest" not in found:
        raise Failure(f"{what} does not carry codeMinor unauthorisedrequest",
                      expected="unauthorisedrequest", received=", ".join(found[:3]) or "no codeMinor",
                      exchanges=evidence(response))
