"""Launches a tool must refuse, each on a fresh login: the 1EdTech known bad payloads (cert guide §6.1.1) and the
Security Framework's id_token validation steps (§5.1.3). The tool must fail closed: a 4xx refusal, never the
launch page and never a crash."""
from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edcert.conformance.lti_tool._fixtures import CORE, SECURITY, STANDARD, Launch, LtiToolSession
from edcert.harness import check
from edcert.harness.errors import Failure
from edcert.lti import claims as c
from edcert.lti.jose import sign, unsigned, with_foreign_signature

Mutation = Callable[[dict[str, Any]], dict[str, Any] | None]
BAD_PAYLOADS = "LTI Advantage Conformance Guide §6.1.1 (Known Bad Payloads)"
VALIDATION = f"{SECURITY} §5.1.3 (authentication response validation)"


def _drop(*names: str) -> Mutation:
    def mutate(claims: dict[str, Any]) -> None:
        for name in names:
            claims.pop(name, None)
    return mutate


def _set(**values: Any) -> Mutation:
    def mutate(claims: dict[str, Any]) -> None:
        claims.update(values)
    return mutate


def _claim(name: str, value: Any) -> Mutation:
    def mutate(claims: dict[str, Any]) -> None:
        claims[name] = value
    return mutate


@dataclass(frozen=True)
class Case:
    number: int
    title: str
    why: str
    requirement: str
    ref: str
    mutate: Mutation | None = None
    # how the token is signed: "key" (edcert's registered key), "no-kid", "wrong-kid", "other-key", "none",
    # "empty-header" (the suite's header {}, the signature of another header)
    signing: str = "key"
    level: str = "required"
    # a second launch of the same claims signed this way: both must be refused
    also_signing: str | None = None


def _future_iat(claims: dict[str, Any]) -> None:
    now = int(time.time())
    claims.update(iat=now + 3600, exp=now + 3900)


def _azp_other(claims: dict[str, Any]) -> None:
    claims.update(aud=[claims["aud"], "edcert-other-audience"], azp="edcert-other-audience")


FORGED = "an attacker could forge a teacher's or student's sign-in"
CASES: tuple[Case, ...] = (
    Case(1, "No KID Sent in JWT header", f"Without a key id the tool cannot know which key signed; {FORGED}.",
         "LTIT-REQ-TOKEN-KID", f"{BAD_PAYLOADS}; {SECURITY} §6.3", signing="no-kid"),
    Case(2, "Incorrect KID in JWT header", f"A key id the platform never published means {FORGED}.",
         "LTIT-REQ-TOKEN-KID", f"{BAD_PAYLOADS}; {SECURITY} §6.3", signing="wrong-kid"),
    Case(3, "Wrong LTI Version (11.3)", "A message of another LTI version cannot be read safely.",
         "LTIT-REQ-CLAIM-VERSION", f"{BAD_PAYLOADS}; {CORE} §5.3.2", _claim(c.VERSION, "11.3")),
    Case(4, "No LTI Version", "A message without its LTI version cannot be read safely.",
         "LTIT-REQ-CLAIM-VERSION", f"{BAD_PAYLOADS}; {CORE} §5.3.2", _drop(c.VERSION)),
    Case(5, "Invalid LTI message ({\"name\": \"badltilaunch\"})",
         "A signed token that is no LTI launch at all must not open anything.",
         "LTIT-REQ-CLAIM-REQUIRED", f"{BAD_PAYLOADS}; {CORE} §5.3",
         # the suite's exact token (header {}), then the same body signed with the real key: a tool that only
         # refuses the first may be stopping at the header, never reading the claims
         lambda claims: {"name": "badltilaunch"}, signing="empty-header", also_signing="key"),
    Case(6, "Missing LTI Claims (version, message_type, roles)",
         "A launch missing the core LTI claims cannot be trusted to mean anything.",
         "LTIT-REQ-CLAIM-REQUIRED", f"{BAD_PAYLOADS}; {CORE} §5.3", _drop(c.VERSION, c.MESSAGE_TYPE, c.ROLES)),
    Case(7, "Timestamps Incorrect (iat 11111, exp 22222)", "An expired sign-in could be replayed long after the fact.",
         "LTIT-REQ-TOKEN-EXP", f"{BAD_PAYLOADS}; {VALIDATION} step 7", _set(iat=11111, exp=22222)),
    Case(8, "message_type Claim Missing", "Without a message type the tool cannot know what it is asked to do.",
         "LTIT-REQ-CLAIM-REQUIRED", f"{BAD_PAYLOADS}; {CORE} §5.3.1", _drop(c.MESSAGE_TYPE)),
    Case(9, "roles Claim Missing", "Without roles the tool cannot tell a teacher from a student.",
         "LTIT-REQ-CLAIM-REQUIRED", f"{BAD_PAYLOADS}; {CORE} §5.3.7", _drop(c.ROLES)),
    Case(10, "deployment_id Claim Missing", "Without a deployment the tool cannot tell which district installed it.",
         "LTIT-REQ-DEPLOYMENT", f"{BAD_PAYLOADS}; {CORE} §5.3.3", _drop(c.DEPLOYMENT_ID)),
    Case(11, "resource_link_id Claim Missing", "Without the resource link the tool cannot know which activity to open.",
         "LTIT-REQ-CLAIM-REQUIRED", f"{BAD_PAYLOADS}; {CORE} §5.3.5", _drop(c.RESOURCE_LINK)),
    Case(12, "user Claim Missing (sub is \"\")", "A launch for nobody must not open anyone's account.",
         "LTIT-REQ-CLAIM-REQUIRED", f"{BAD_PAYLOADS}; {CORE} §5.3.6", _set(sub="")),
    Case(13, "Signed by another key under the platform's real kid", f"If the signature is not checked, {FORGED}.",
         "LTIT-REQ-TOKEN-SIGNATURE", f"{VALIDATION} step 1", signing="other-key"),
    Case(14, "alg none (unsigned id_token)", f"An unsigned token accepted means {FORGED}.",
         "LTIT-REQ-TOKEN-SIGNATURE", f"{SECURITY} §5.4; {VALIDATION} step 1", signing="none"),
    Case(15, "Unregistered deployment_id", "A deployment the district never made must not reach its data.",
         "LTIT-REQ-DEPLOYMENT", f"{CORE} §3.1.3, §5.3.3", _claim(c.DEPLOYMENT_ID, "edcert-unregistered-deployment")),
    Case(16, "aud is another client", "A sign-in meant for another tool must not open this one.",
         "LTIT-REQ-TOKEN-AUD", f"{VALIDATION} step 3", _set(aud="edcert-some-other-tool")),
    Case(17, "iss is an unregistered platform", "A sign-in from a platform the district never registered must fail.",
         "LTIT-REQ-TOKEN-ISS", f"{VALIDATION} step 2", _set(iss="https://unregistered-platform.edcert.invalid")),
    Case(18, "Several audiences and azp is not the tool",
         "A token issued to another party, with this tool only an extra audience, must not open it.",
         "LTIT-REQ-TOKEN-AUD", f"{VALIDATION} steps 3-5", _azp_other),
    Case(19, "nonce missing", "Without a nonce a captured sign-in can be replayed.",
         "LTIT-REQ-TOKEN-NONCE", f"{VALIDATION} step 9", _drop("nonce")),
    Case(20, "nonce never issued by the tool",
         "A nonce the tool never issued means the sign-in was not requested here.",
         "LTIT-REQ-TOKEN-NONCE", f"{VALIDATION} step 9; OpenID Connect Core §3.1.3.7",
         _set(nonce=f"edcert-never-issued-{secrets.token_hex(4)}")),
    Case(24, "iat an hour in the future", "A token dated in the future points at a forged or mis-clocked platform.",
         "LTIT-REQ-TOKEN-IAT", f"{VALIDATION} step 8", _future_iat, level="recommended"),
)


def _signer(lti_tool: LtiToolSession, signing: str) -> Callable[[dict[str, Any]], str]:
    key, attacker = lti_tool.platform.key, lti_tool.platform.attacker_key
    return {
        "key": lambda claims: sign(claims, key),
        "no-kid": lambda claims: sign(claims, key, {"badtestonly": "12345", "alg": "RS256"}),
        "wrong-kid": lambda claims: sign(claims, key, {"alg": "RS256", "typ": "JWT", "kid": "imstester_66067"}),
        "other-key": lambda claims: sign(claims, attacker, {"alg": "RS256", "typ": "JWT", "kid": key.kid}),
        "none": lambda claims: unsigned(claims, {"alg": "none", "typ": "JWT", "kid": key.kid}),
        "empty-header": lambda claims: with_foreign_signature(sign(claims, key), {}),
    }[signing]


def expect_refused(launch: Launch, what: str) -> None:
    """The tool must fail closed: refuse (4xx, or no success marker), never show the launch, never crash."""
    if launch.verdict == "refused":
        return
    status = launch.response.status_code
    if launch.verdict == "crashed":
        raise Failure(f"{what}: the tool crashed (HTTP {status}) instead of refusing the launch",
                      expected="a 4xx refusal", received=f"HTTP {status}", exchanges=launch.evidence())
    raise Failure(f"{what}: the tool accepted the launch (HTTP {status})", expected="the launch refused (4xx)",
                  received=f"HTTP {status}, launch accepted", exchanges=launch.evidence())


REMEDIATE = ("Validate every id_token as the 1EdTech Security Framework §5.1.3 requires before showing anything: "
             "RS256 signature by the key the platform's JWKS publishes under the header's kid, iss and aud/azp, "
             "exp and iat, the nonce this login issued (once), the state bound to this browser, the registered "
             "deployment_id, LTI version 1.3.0, message_type and its required claims; answer 401 or 400 otherwise.")


def _make(case: Case) -> Callable[[LtiToolSession], None]:
    def run_case(lti_tool: LtiToolSession) -> None:
        for signing in (case.signing, case.also_signing):
            if signing is not None:
                launch = lti_tool.launch(case.mutate, sign_with=_signer(lti_tool, signing))
                expect_refused(launch, case.title if signing == case.signing else f"{case.title}, signed ({signing})")
    run_case.__name__ = run_case.__qualname__ = f"check_negative_{case.number:03d}"
    return check(id=f"LTIT-NEG-{case.number:03d}", standard=STANDARD, category="launch-security",
                 level=case.level, requirements=(case.requirement,), tags=("fresh-login",),
                 title=f"A launch is refused: {case.title}", why=case.why, remediation=REMEDIATE,
                 ref=case.ref)(run_case)


for _case in CASES:
    globals()[f"check_negative_{_case.number:03d}"] = _make(_case)


@check(id="LTIT-NEG-021", standard=STANDARD, category="launch-security", level="recommended",
       requirements=("LTIT-REQ-TOKEN-REPLAY",),
       title="The same id_token and state posted twice are refused the second time",
       why="A launch captured once (from browser history or a proxy) must not open the account again.",
       remediation="Accept each state and nonce once: forget them when their launch is handled.",
       ref=f"{VALIDATION} step 9; OpenID Connect Core §15.5.2")
def check_replay_refused(lti_tool: LtiToolSession) -> None:
    login = lti_tool.login()
    if not login.ok:
        raise Failure(f"edcert could not start a launch: {login.problem}")
    token = sign(lti_tool.base_claims(login), lti_tool.platform.key)
    first = lti_tool.post_launch(login, token)
    if first.verdict != "accepted":
        raise Failure(f"a valid launch was refused (HTTP {first.response.status_code}), so replay cannot be told "
                      "from a broken tool", expected="the first launch accepted", exchanges=first.evidence())
    expect_refused(lti_tool.post_launch(login, token), "the same id_token and state posted again")


@check(id="LTIT-NEG-022", standard=STANDARD, category="launch-security", level="required",
       requirements=("LTIT-REQ-STATE",), title="A launch whose state is not this browser's login is refused",
       why="Without the state check, an attacker can sign a student into the attacker's session (login CSRF).",
       remediation="Bind the state to the browser at login (e.g. a cookie) and refuse a launch whose posted state "
                   "does not match it.",
       ref=f"{SECURITY} §5.1.1.3; {VALIDATION}; OpenID Connect Core §3.1.2.7")
def check_state_mismatch(lti_tool: LtiToolSession) -> None:
    login = lti_tool.login()
    if not login.ok:
        raise Failure(f"edcert could not start a launch: {login.problem}")
    token = sign(lti_tool.base_claims(login), lti_tool.platform.key)
    launch = lti_tool.post_launch(login, token, state=f"edcert-other-state-{secrets.token_hex(8)}")
    expect_refused(launch, "a launch with another state")


@check(id="LTIT-NEG-023", standard=STANDARD, category="launch-security", level="required",
       requirements=("LTIT-REQ-STATE",), title="A launch from a browser without the login's state cookie is refused",
       why="A launch posted from another browser than the one that signed in may be an attack (login CSRF).",
       remediation="Refuse a launch when the browser does not present the state bound at login; with third-party "
                   "cookies blocked, fail closed (or use the LTI client-side storage messages), never skip the check.",
       ref=f"{SECURITY} §5.1.1.3; {VALIDATION}")
def check_state_cookie_missing(lti_tool: LtiToolSession) -> None:
    login = lti_tool.login()
    if not login.ok:
        raise Failure(f"edcert could not start a launch: {login.problem}")
    token = sign(lti_tool.base_claims(login), lti_tool.platform.key)
    expect_refused(lti_tool.post_launch(login, token, browser=lti_tool.browser()), "a launch without the state cookie")
