"""The id_token of a resource link launch (SF §5.1.2-3; LTI Core 1.3 §5.3; the 1EdTech platform payload tests)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from edcert.conformance.lti_platform._claims import (
    CORE,
    DEPLOYMENT_ID,
    MESSAGE_TYPE,
    PII_CLAIMS,
    RESOURCE_LINK,
    ROLE_INSTRUCTOR,
    ROLE_LEARNER,
    ROLES,
    SEC,
    STANDARD,
    TARGET_LINK_URI,
    VERSION,
)
from edcert.conformance.lti_platform._fixtures import LAUNCH_KINDS, Launch, PlatformUnderTest
from edcert.harness import check
from edcert.harness.errors import Failure, NotApplicable
from edcert.harness.evidence import Exchange
from edcert.harness.http import exchange_of, json_body

LEEWAY = 60  # seconds of clock skew tolerated


def _fail(launch: Launch, message: str, expected: object, received: object) -> Failure:
    return Failure(message, expected=expected, received=received, exchanges=launch.evidence())


# The 1EdTech suite's four resource link payloads (Certification Guide §5.1), the full student launch first.
PAYLOADS = ("full", "student_no_pii", "instructor", "no_pii")


def _payloads(platform: PlatformUnderTest) -> list[tuple[str, Launch]]:
    """Each configured payload's launch with a prefix naming it in messages ("" for the full student launch).

    Signature, timestamps and whitespace hold for every payload, not just the first one.
    """
    found = [("", platform.launch("full"))]
    for kind in PAYLOADS[1:]:
        if _configured(platform, kind):
            found.append((f"{LAUNCH_KINDS[kind][1]}: ", platform.launch(kind)))
    return found


@check(
    id="LTIP-IDT-001", standard=STANDARD, category="security", level="required",
    title="The id_token is signed RS256 and names its key (kid)",
    why="Tools accept only RS256 and find the platform's key by kid; anything else makes launches fail or unsafe.",
    remediation="Sign id_tokens with RS256 and put the kid of the signing key in the JWT header.",
    ref=f"{SEC} §5.4, §6.3",
    requirements=("LTIP-REQ-IDT-ALG",), tags=("1edtech:signed-rsa256",),
)
def check_id_token_alg_and_kid(launch: Launch) -> None:
    # the first launch of a run (a person's, in person mode): the other payloads' signatures are LTIP-IDT-002's
    if launch.header.get("alg") != "RS256" or not isinstance(launch.header.get("kid"), str) \
            or not launch.header["kid"]:
        raise _fail(launch, "the id_token header is not RS256 with a kid", '{"alg": "RS256", "kid": "..."}',
                    f"alg={launch.header.get('alg')!r}, kid {'present' if launch.header.get('kid') else 'missing'}")


@check(
    id="LTIP-IDT-002", standard=STANDARD, category="security", level="required",
    title="Every payload's id_token (student and instructor, with and without personal data) names a kid in "
          "the platform JWKS and its signature verifies",
    why="A signature that does not verify against the platform's published keys cannot prove the launch is real.",
    remediation="Publish every signing key in the JWKS at jwks_url with its kid, and sign with the key the kid names.",
    ref=f"{SEC} §5.1.3 step 1, §6",
    requirements=("LTIP-REQ-IDT-SIGNATURE",), tags=("1edtech:signature-valid",),
)
def check_id_token_signature(platform: PlatformUnderTest) -> None:
    keys = _platform_keys(platform)
    for what, launch in _payloads(platform):
        verify_signature(platform, launch, keys, what)


def _platform_keys(platform: PlatformUnderTest) -> tuple[KeySet, list[Exchange]]:
    response = platform.client.get(platform.config.jwks_url, auth=None)
    evidence = [e for e in [exchange_of(response)] if e is not None]
    body = json_body(response, "the platform JWKS")
    try:
        return KeySet.import_key_set(body), evidence  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise Failure(f"the platform JWKS does not parse ({type(exc).__name__})", expected='{"keys": [...]}',
                      received=f"HTTP {response.status_code}", exchanges=evidence) from None


def verify_signature(platform: PlatformUnderTest, launch: Launch, jwks: tuple[KeySet, list[Exchange]] | None = None,
                     what: str = "") -> None:
    """Fail unless the launch's id_token verifies with the platform JWKS key its kid names.

    ``jwks`` is the JWKS already read, with its evidence (read now when None); ``what`` prefixes the messages.
    """
    keys, evidence = jwks or _platform_keys(platform)
    kid = launch.header.get("kid")
    if kid not in {k.kid for k in keys.keys}:
        raise Failure(f"{what}the id_token's kid is not in the platform JWKS", expected=f"a key with kid {kid!r}",
                      received=f"kids {sorted(str(k.kid) for k in keys.keys)}",
                      exchanges=[*evidence, *launch.evidence()])
    try:
        jwt.decode(launch.id_token, keys, algorithms=["RS256", "RS384", "RS512"])
    except JoseError as exc:
        raise Failure(f"{what}the id_token's signature does not verify with the key its kid names",
                      expected="a valid signature", received=type(exc).__name__,
                      exchanges=[*evidence, *launch.evidence()]) from None


REQUIRED_CLAIMS = ("iss", "aud", "sub", "exp", "iat", "nonce", MESSAGE_TYPE, VERSION, DEPLOYMENT_ID,
                   TARGET_LINK_URI, RESOURCE_LINK, ROLES)


def missing_claims(c: dict[str, Any]) -> list[str]:
    """The short names of the required resource link claims ``c`` lacks (resource_link.id included)."""
    missing = [name.rsplit("/", 1)[-1] for name in REQUIRED_CLAIMS if name not in c]
    link = c.get(RESOURCE_LINK)
    if RESOURCE_LINK in c and not (isinstance(link, dict) and isinstance(link.get("id"), str) and link["id"]):
        missing.append("resource_link.id")
    return missing


@check(
    id="LTIP-IDT-003", standard=STANDARD, category="data-model", level="required",
    title="The id_token carries every required claim of a resource link launch, version 1.3.0",
    why="Tools reject launches that lack a required claim: students would see an error instead of the activity.",
    remediation="Include iss, aud, sub, exp, iat, nonce, message_type LtiResourceLinkRequest, version 1.3.0, "
                "deployment_id, target_link_uri, resource_link.id and roles in every resource link launch.",
    ref=f"{CORE} §5.3; {SEC} §5.1.2",
    requirements=("LTIP-REQ-IDT-CLAIMS",), tags=("1edtech:payload-complete", "1edtech:lti-version"),
)
def check_id_token_required_claims(launch: Launch) -> None:
    c = launch.claims
    missing = missing_claims(c)
    if missing:
        raise _fail(launch, f"the id_token lacks required claims: {', '.join(missing)}", "every required claim",
                    f"claims {sorted(k.rsplit('/', 1)[-1] for k in c)}")
    if c[MESSAGE_TYPE] != "LtiResourceLinkRequest" or c[VERSION] != "1.3.0":
        raise _fail(launch, "the id_token is not an LTI 1.3.0 resource link request",
                    "message_type LtiResourceLinkRequest, version 1.3.0", f"{c[MESSAGE_TYPE]!r}, {c[VERSION]!r}")


@check(
    id="LTIP-IDT-004", standard=STANDARD, category="security", level="required",
    title="Every payload's id_token has numeric iat and exp, iat not in the future and exp not past",
    why="Tools must refuse expired launches, so a platform issuing them blocks every student.",
    remediation="Set iat to the time of issue and exp a few minutes later (NumericDate seconds).",
    ref=f"{SEC} §5.1.2, §5.1.3 steps 7-8",
    requirements=("LTIP-REQ-IDT-TIMESTAMPS",), tags=("1edtech:timestamps-valid",),
)
def check_id_token_timestamps(platform: PlatformUnderTest) -> None:
    for what, launch in _payloads(platform):
        iat, exp = launch.claims.get("iat"), launch.claims.get("exp")
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (iat, exp))
        at = launch.arrival.at
        if not numeric or iat > at + LEEWAY or exp < at - LEEWAY or exp <= iat:  # type: ignore[operator]
            raise _fail(launch, f"{what}the id_token's timestamps are not valid at launch time",
                        "numeric iat <= now < exp", f"iat={iat!r}, exp={exp!r}, received at {int(at)}")


@check(
    id="LTIP-IDT-005", standard=STANDARD, category="security", level="required",
    title="Every payload's id_token echoes the tool's nonce, names the tool in aud and the platform in iss",
    why="Without the tool's own nonce and audience a captured or misdirected launch could be accepted.",
    remediation="Copy the nonce of the authentication request into the id_token; set aud to (or include) the "
                "client_id, with azp = client_id when there are several audiences; set iss to the issuer.",
    ref=f"{SEC} §5.1.2, §5.1.3 steps 2-5, 9",
    requirements=("LTIP-REQ-IDT-NONCE", "LTIP-REQ-IDT-AUD"),
)
def check_id_token_nonce_aud_iss(platform: PlatformUnderTest) -> None:
    for what, launch in _payloads(platform):
        _bound_to_login(platform, launch, what)


def _bound_to_login(platform: PlatformUnderTest, launch: Launch, what: str) -> None:
    c = launch.claims
    problems = []
    if launch.login is None or c.get("nonce") != launch.login.nonce:
        problems.append("nonce is not the one edcert sent")
    aud = c.get("aud")
    auds = aud if isinstance(aud, list) else [aud]
    if platform.config.client_id not in auds:
        problems.append("aud does not contain the client_id")
    elif len(auds) > 1 and c.get("azp") != platform.config.client_id:
        problems.append("several audiences but azp is not the client_id")
    if c.get("iss") != platform.config.issuer:
        problems.append(f"iss {c.get('iss')!r} is not the configured issuer")
    if problems:
        raise _fail(launch, f"{what}the id_token is not bound to this login: " + "; ".join(problems),
                    "nonce echoed, aud = client_id, iss = issuer", "; ".join(problems))


@check(
    id="LTIP-IDT-006", standard=STANDARD, category="launch", level="required",
    title="deployment_id equals the login's lti_deployment_id and the configured deployment",
    why="Tools decide which school's installation a launch belongs to by deployment_id; a mismatch misroutes data.",
    remediation="Send the same deployment id in lti_deployment_id and in the deployment_id claim.",
    ref=f"{CORE} §4.1 (lti_deployment_id), §5.3.3",
    requirements=("LTIP-REQ-IDT-DEPLOYMENT",),
)
def check_deployment_id(platform: PlatformUnderTest) -> None:
    for what, launch in _payloads(platform):
        claim = launch.claims.get(DEPLOYMENT_ID)
        sent = None if launch.login is None else launch.login.params.get("lti_deployment_id")
        if claim != platform.config.deployment_id or (sent is not None and sent != claim):
            raise _fail(launch, f"{what}deployment_id does not match", f"{platform.config.deployment_id!r} in both",
                        f"claim {claim!r}, login lti_deployment_id {sent!r}")


@check(
    id="LTIP-IDT-007", standard=STANDARD, category="launch", level="required",
    title="The target_link_uri claim equals the login initiation's target_link_uri",
    why="The tool opens the activity named in the signed claim; if it differs from the login, students land elsewhere.",
    remediation="Put the same target_link_uri in the login initiation and in the id_token.",
    ref=f"{CORE} §5.3.4; {SEC} §5.1.1.1",
    requirements=("LTIP-REQ-IDT-TARGET",),
)
def check_target_link_uri(platform: PlatformUnderTest) -> None:
    for what, launch in _payloads(platform):
        claim = launch.claims.get(TARGET_LINK_URI)
        sent = None if launch.login is None else launch.login.params.get("target_link_uri")
        if claim is None or claim != sent:
            raise _fail(launch, f"{what}target_link_uri differs between the login initiation and the id_token",
                        f"{sent!r}", f"{claim!r}")


@check(
    id="LTIP-IDT-008", standard=STANDARD, category="data-model", level="required",
    title="roles is an array of role URIs",
    why="Tools decide who is a teacher and who is a student from roles; a malformed list can give a student "
        "teacher rights or lock a teacher out.",
    remediation="Send roles as a JSON array of full role URIs (e.g. "
                "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner).",
    ref=f"{CORE} §5.3.7, Appendix A.2",
    requirements=("LTIP-REQ-IDT-ROLES",), tags=("1edtech:roles-correct",),
)
def check_roles(launch: Launch) -> None:
    roles = launch.claims.get(ROLES)
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise _fail(launch, "roles is not an array of strings", "an array of role URIs", type(roles).__name__)
    short = [r for r in roles if not urlsplit(r).scheme]
    if short:
        raise _fail(launch, f"roles holds {len(short)} value(s) that are not URIs", "full role URIs",
                    f"{short[:3]}")


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _strings(inner, f"{path}.{key.rsplit('/', 1)[-1]}" if path else key.rsplit("/", 1)[-1])
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _strings(inner, f"{path}[{index}]")


@check(
    id="LTIP-IDT-009", standard=STANDARD, category="data-model", level="recommended",
    title="No claim value of any payload is padded with leading or trailing whitespace",
    why="Padded identifiers do not match the same user or course in the tool, creating duplicate accounts.",
    remediation="Trim identifiers, names and titles before putting them in the id_token.",
    ref="1EdTech LTI Advantage Conformance Certification Guide §5.1 (Payload is Free of Extra Whitespace)",
    requirements=("LTIP-REQ-IDT-WHITESPACE",), tags=("1edtech:free-of-extra-whitespace",),
)
def check_no_padded_whitespace(platform: PlatformUnderTest) -> None:
    for what, launch in _payloads(platform):
        padded = [path for path, text in _strings(launch.claims) if text != text.strip()]
        if padded:
            raise _fail(launch, f"{what}{len(padded)} claim value(s) carry leading or trailing whitespace",
                        "trimmed values", f"in {padded[:5]}")


@check(
    id="LTIP-IDT-010", standard=STANDARD, category="privacy", level="required",
    title="A launch configured without personal data carries no name, email or picture",
    why="Districts turn off personal data for some tools; the platform must then really keep it out of launches.",
    remediation="When the placement or tool shares no personal data, omit name, given_name, family_name, "
                "middle_name, email, picture and the lis claim from the id_token.",
    ref=f"{CORE} §5.3.6; 1EdTech Certification Guide §5.1 (Without PII)",
    requirements=("LTIP-REQ-IDT-NO-PII",), tags=("1edtech:without-pii",),
)
def check_no_pii_launch(platform: PlatformUnderTest) -> None:
    # the 1EdTech suite's two no-PII payloads: the instructor's (launch_start_url_no_pii) and the student's
    kinds = [kind for kind in ("no_pii", "student_no_pii") if _configured(platform, kind)]
    if not kinds:
        pytest.skip("no launch-start URL for a launch without personal data (launch_start_url_no_pii)")
    for kind in kinds:
        launch = platform.launch(kind)
        present = [name.rsplit("/", 1)[-1] for name in PII_CLAIMS if name in launch.claims]
        if present:
            raise _fail(launch, f"the no-PII launch ({LAUNCH_KINDS[kind][1]}) carries personal data: "
                        f"{', '.join(present)}", "no personal-data claims", f"claims {present}")


def _configured(platform: PlatformUnderTest, kind: str) -> bool:
    return platform.config.launch_mode == "person" or platform.start_url(kind) is not None


# launch kind -> the membership role its user must hold ("Roles Correct" of the 1EdTech payload tests)
_EXPECTED_ROLE = {"full": ROLE_LEARNER, "student_no_pii": ROLE_LEARNER, "instructor": ROLE_INSTRUCTOR}


def _holds(roles: object, role: str) -> bool:
    # a sub-role (membership/Instructor#TeachingAssistant) is not the role itself; the short form is tolerated
    return isinstance(roles, list) and any(r in (role, role.rsplit("#", 1)[-1]) for r in roles)


@check(
    id="LTIP-IDT-011", standard=STANDARD, category="data-model", level="required",
    title="Each 1EdTech payload variant (student, student without PII, instructor, instructor without PII) is a "
          "complete launch with its user's role",
    why="Teachers and students launch the same tool; each kind of launch must be complete and say who is the "
        "teacher, or the tool shows a student the grading view or a teacher an error.",
    remediation="Send every required claim in every launch, with and without personal data, and put the "
                "membership role of the user in the course in roles (…/membership#Instructor for the teacher, "
                "…/membership#Learner for the student).",
    ref=f"{CORE} §5.3, Appendix A.2; 1EdTech Certification Guide §5.1 (Full/No-PII Student and Instructor)",
    requirements=("LTIP-REQ-IDT-CLAIMS", "LTIP-REQ-IDT-ROLES"),
    tags=("1edtech:payload-complete", "1edtech:roles-correct"),
)
def check_payload_variants(platform: PlatformUnderTest) -> None:
    kinds = [kind for kind in ("full", "student_no_pii", "instructor", "no_pii") if _configured(platform, kind)]
    if kinds == ["full"]:
        pytest.skip("only the student launch is configured (launch_start_url_instructor, "
                    "launch_start_url_student_no_pii, launch_start_url_no_pii are not)")
    for kind in kinds:
        launch = platform.launch(kind)
        missing = missing_claims(launch.claims)
        if missing:
            raise _fail(launch, f"{LAUNCH_KINDS[kind][1]}: the id_token lacks {', '.join(missing)}",
                        "every required claim", f"claims {sorted(k.rsplit('/', 1)[-1] for k in launch.claims)}")
        role = _EXPECTED_ROLE.get(kind)
        if role is not None and not _holds(launch.claims.get(ROLES), role):
            raise _fail(launch, f"{LAUNCH_KINDS[kind][1]}: roles lack {role.rsplit('#', 1)[-1]}", role,
                        f"roles {launch.claims.get(ROLES)!r}")


@check(
    id="LTIP-IDT-012", standard=STANDARD, category="data-model", level="recommended",
    title="Each launch names the user the district set up (Expected Received)",
    why="A launch that carries another person's name or email shows the tool, and the class, the wrong student: "
        "the grade or the message reaches someone else.",
    remediation="Fill sub, name, given_name, family_name and email of the id_token from the launching user's own "
                "record, unchanged.",
    ref=f"{CORE} §5.3.6; 1EdTech Certification Guide §5.1 (Expected Received)",
    requirements=("LTIP-REQ-IDT-EXPECTED",), tags=("1edtech:expected-received",),
)
def check_expected_received(platform: PlatformUnderTest) -> None:
    expected = platform.config.expected_users
    if not expected:
        pytest.skip("no expected test users configured (expected_users): edcert cannot know who should launch")
    for kind, claims in sorted(expected.items()):
        if not _configured(platform, kind):
            raise NotApplicable(f"expected_users.{kind} is set, but its launch ({LAUNCH_KINDS[kind][0]}) is not")
        launch = platform.launch(kind)
        # the values are personal data: the message names the claims, never their values
        wrong = sorted(name for name, value in claims.items() if launch.claims.get(name) != value)
        if wrong:
            raise _fail(launch, f"{LAUNCH_KINDS[kind][1]}: {', '.join(wrong)} differ from the configured test "
                        "user's", "the configured test user's values", f"other values for {', '.join(wrong)}")
