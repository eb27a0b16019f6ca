"""The platform's token endpoint with RFC 7523 client assertions (SF §4.1; LTI Core 1.3 §6.2; RFC 7523 §3)."""
from __future__ import annotations

import contextlib
import time

from joserfc.jwk import RSAKey

from edcert.conformance.lti_platform._claims import AGS_CLAIM, MEDIA_LINEITEMS, SCOPE_NRPS, SEC, STANDARD
from edcert.conformance.lti_platform._fixtures import PlatformUnderTest, evidence_of
from edcert.harness import check
from edcert.harness.errors import Failure, NotApplicable
from edcert.harness.http import json_body


def _registered(platform: PlatformUnderTest) -> None:
    # A launch comes first: some platforms (the sandbox among them) learn the tool's address from it.
    with contextlib.suppress(Failure):
        platform.launch("full")


def _refused(platform: PlatformUnderTest, what: str, *, assertion: str | None = None,
             grant_type: str = "client_credentials") -> None:
    _registered(platform)
    response = platform.token_request((SCOPE_NRPS,), assertion=assertion, grant_type=grant_type)
    if response.status_code not in (400, 401):
        verdict = "issued a token" if response.status_code == 200 else f"answered HTTP {response.status_code}"
        raise Failure(f"the token endpoint {verdict} for {what}", expected="HTTP 400 or 401 with an OAuth error",
                      received=f"HTTP {response.status_code}", exchanges=evidence_of(response))




@check(
    id="LTIP-TOK-001", standard=STANDARD, category="auth", level="required",
    title="A valid client assertion gets a bearer access token with expires_in and the granted scope",
    why="Tools need a token to read rosters and send grades; without its lifetime they cannot renew it in time.",
    remediation="Answer a valid client_credentials request with 200 and JSON access_token, token_type bearer, "
                "expires_in and scope.",
    ref=f"{SEC} §4.1.1; RFC 6749 §5.1",
    requirements=("LTIP-REQ-TOKEN-SUCCESS",),
)
def check_token_success(platform: PlatformUnderTest) -> None:
    _registered(platform)
    response = platform.token_request((SCOPE_NRPS,))
    evidence = evidence_of(response)
    if response.status_code != 200:
        raise Failure("the token endpoint refused a valid client assertion", expected="HTTP 200",
                      received=f"HTTP {response.status_code}", exchanges=evidence)
    body = json_body(response, "the token endpoint")
    if not isinstance(body, dict):
        raise Failure("the token response is not a JSON object", exchanges=evidence)
    problems = []
    if not isinstance(body.get("access_token"), str) or not body["access_token"]:
        problems.append("no access_token")
    if str(body.get("token_type", "")).lower() != "bearer":
        problems.append(f"token_type {body.get('token_type')!r}")
    expires = body.get("expires_in")
    if isinstance(expires, bool) or not isinstance(expires, int | float) or expires <= 0:
        problems.append("no positive expires_in")
    if "scope" in body and not isinstance(body["scope"], str):
        problems.append("scope is not a string")
    if problems:
        raise Failure("the token response is incomplete: " + "; ".join(problems),
                      expected="access_token, token_type bearer, expires_in, scope",
                      received=f"keys {sorted(body)}", exchanges=evidence)


@check(
    id="LTIP-TOK-002", standard=STANDARD, category="auth", level="required",
    title="A client assertion with a bad signature is refused with 400 or 401 (never 500)",
    why="If the signature is not checked, anyone who knows a tool's client_id can take its access to student data.",
    remediation="Verify the client assertion's signature with the tool's registered key (by kid) and answer "
                "invalid_client when it does not verify.",
    ref=f"{SEC} §4.1.1; RFC 7523 §3 (item 9)",
    requirements=("LTIP-REQ-TOKEN-SIGNATURE",),
)
def check_bad_signature(platform: PlatformUnderTest) -> None:
    impostor = RSAKey.generate_key(2048, private=True)
    _refused(platform, "an assertion signed by another key", assertion=platform.assertion(key=impostor))


@check(
    id="LTIP-TOK-003", standard=STANDARD, category="auth", level="required",
    title="A client assertion for another audience is refused with 400 or 401",
    why="An assertion meant for another service must not buy a token here (a replay across services).",
    remediation="Require the assertion's aud to name this authorization server (its token URL or issuer id).",
    ref=f"{SEC} §4.1.1; RFC 7523 §3 (item 3)",
    requirements=("LTIP-REQ-TOKEN-CLAIMS",),
)
def check_wrong_audience(platform: PlatformUnderTest) -> None:
    _refused(platform, "an assertion for another audience",
             assertion=platform.assertion(aud="https://another-platform.invalid/token"))


@check(
    id="LTIP-TOK-004", standard=STANDARD, category="auth", level="required",
    title="An expired client assertion is refused with 400 or 401",
    why="An old captured assertion must not keep buying tokens.",
    remediation="Refuse assertions whose exp has passed (a small clock-skew allowance is fine).",
    ref=f"{SEC} §4.1.1; RFC 7523 §3 (item 4)",
    requirements=("LTIP-REQ-TOKEN-CLAIMS",),
)
def check_expired_assertion(platform: PlatformUnderTest) -> None:
    now = int(time.time())
    _refused(platform, "an assertion that expired 10 minutes ago",
             assertion=platform.assertion(iat=now - 900, exp=now - 600))


@check(
    id="LTIP-TOK-005", standard=STANDARD, category="auth", level="required",
    title="A client assertion whose iss is not the client_id is refused with 400 or 401",
    why="The issuer of the assertion is the tool asking; any other value means the platform does not know who asks.",
    remediation="Require iss and sub of the client assertion to equal the tool's client_id.",
    ref=f"{SEC} §4.1.1; RFC 7523 §3 (items 1-2)",
    requirements=("LTIP-REQ-TOKEN-CLAIMS",),
)
def check_wrong_issuer(platform: PlatformUnderTest) -> None:
    _refused(platform, "an assertion issued by another client", assertion=platform.assertion(iss="someone-else"))


@check(
    id="LTIP-TOK-006", standard=STANDARD, category="auth", level="required",
    title="A client assertion without jti is refused with 400 or 401",
    why="Without a unique id the platform cannot notice an assertion being replayed.",
    remediation="Require a jti in every client assertion.",
    ref=f"{SEC} §4.1.1 (jti REQUIRED); RFC 7523 §3 (item 7)",
    requirements=("LTIP-REQ-TOKEN-JTI",),
)
def check_missing_jti(platform: PlatformUnderTest) -> None:
    _refused(platform, "an assertion without jti", assertion=platform.assertion(jti=None))


@check(
    id="LTIP-TOK-007", standard=STANDARD, category="auth", level="required",
    title="A client assertion used a second time (same jti) is refused with 400 or 401",
    why="A captured assertion replayed within its lifetime would otherwise buy tokens for an attacker.",
    remediation="Remember the jti of accepted assertions until they expire and refuse a second use.",
    ref=f"{SEC} §4.1.1; RFC 7523 §3 (item 7)",
    requirements=("LTIP-REQ-TOKEN-JTI",),
)
def check_replayed_jti(platform: PlatformUnderTest) -> None:
    _registered(platform)
    assertion = platform.assertion()
    first = platform.token_request((SCOPE_NRPS,), assertion=assertion)
    if first.status_code != 200:
        raise Failure("the token endpoint refused the first use of a valid assertion", expected="HTTP 200",
                      received=f"HTTP {first.status_code}", exchanges=evidence_of(first))
    _refused(platform, "the same assertion sent again", assertion=assertion)


@check(
    id="LTIP-TOK-008", standard=STANDARD, category="auth", level="required",
    title="A grant_type other than client_credentials is refused with 400 or 401",
    why="A token endpoint that ignores grant_type is not checking what it is asked for.",
    remediation="Answer 400 unsupported_grant_type for any grant_type but client_credentials.",
    ref=f"{SEC} §4.1.1; RFC 6749 §5.2",
    requirements=("LTIP-REQ-TOKEN-GRANT",),
)
def check_wrong_grant_type(platform: PlatformUnderTest) -> None:
    _refused(platform, "grant_type=password", grant_type="password")


@check(
    id="LTIP-TOK-009", standard=STANDARD, category="auth", level="required",
    title="A token granted only the Names and Roles scope is refused by the line-item service (401 or 403)",
    why="Scopes are how a district limits a tool to what it needs; a roster-only tool must not write grades.",
    remediation="Check the token's scopes on every service call and answer 403 (or 401) when the needed scope "
                "is missing.",
    ref=f"{SEC} §4.1; LTI AGS 2.0 §3.1 (scopes); RFC 6750 §3.1",
    requirements=("LTIP-REQ-SERVICE-SCOPE",),
)
def check_scope_enforced_across_services(platform: PlatformUnderTest) -> None:
    ags = platform.launch("full").claims.get(AGS_CLAIM)
    if not isinstance(ags, dict) or not isinstance(ags.get("lineitems"), str):
        raise NotApplicable("the launch offers no line-item service (no AGS endpoint claim with lineitems)")
    response = platform.service("GET", ags["lineitems"], (SCOPE_NRPS,), accept=MEDIA_LINEITEMS)
    if response.status_code not in (401, 403):
        raise Failure("the line-item service served a token granted only the Names and Roles scope",
                      expected="HTTP 401 or 403", received=f"HTTP {response.status_code}",
                      exchanges=evidence_of(response))
