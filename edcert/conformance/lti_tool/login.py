"""Third-party initiated login and the tool's authentication request (Security Framework §5.1.1)."""
from __future__ import annotations

from edcert.conformance.lti_tool._fixtures import SECURITY, STANDARD, Login, LtiToolSession, evidence
from edcert.harness import check
from edcert.harness.errors import Failure, NotApplicable
from edcert.lti import claims as c

LOGIN_REF = f"{SECURITY} §5.1.1 (OpenID Connect third-party initiated login); LTI Core 1.3 §4.1"
REMEDIATE_LOGIN = ("Accept iss, login_hint, target_link_uri, lti_message_hint, lti_deployment_id and client_id at "
                   "the login initiation URL by GET and by form POST, and answer with a 302 redirect to the "
                   "platform's OIDC authentication endpoint.")


def _expect_redirect(login: Login) -> None:
    if not login.ok:
        raise Failure(login.problem or "the login failed", expected="HTTP 302 to the platform's auth endpoint",
                      received=f"HTTP {login.response.status_code}", exchanges=evidence(login.response))


def _auth_login(lti_tool: LtiToolSession) -> Login:
    """The first login that reached the platform's auth endpoint (GET, else POST)."""
    for method in ("GET", "POST"):
        login = lti_tool.login_probe(method)
        if login.ok:
            return login
    raise NotApplicable("no login reached the platform's authentication endpoint (see LTIT-LOGIN-001/002)")


@check(id="LTIT-LOGIN-001", standard=STANDARD, category="login", level="required",
       requirements=("LTIT-REQ-LOGIN-METHODS",),
       title="A login initiated by GET redirects to the platform's authentication endpoint",
       why="Platforms start launches by GET or by form POST; a tool that handles only one fails to open in some LMSs.",
       remediation=REMEDIATE_LOGIN, ref=LOGIN_REF)
def check_login_get(lti_tool: LtiToolSession) -> None:
    _expect_redirect(lti_tool.login_probe("GET"))


@check(id="LTIT-LOGIN-002", standard=STANDARD, category="login", level="required",
       requirements=("LTIT-REQ-LOGIN-METHODS",),
       title="A login initiated by form POST redirects to the platform's authentication endpoint",
       why="Platforms start launches by GET or by form POST; a tool that handles only one fails to open in some LMSs.",
       remediation=REMEDIATE_LOGIN, ref=LOGIN_REF)
def check_login_post(lti_tool: LtiToolSession) -> None:
    _expect_redirect(lti_tool.login_probe("POST"))


@check(id="LTIT-LOGIN-003", standard=STANDARD, category="login", level="required",
       requirements=("LTIT-REQ-AUTH-FIXED",),
       title="The authentication request asks for scope=openid, response_type=id_token, "
             "response_mode=form_post, prompt=none",
       why="Other values make the district's LMS refuse the sign-in, or send the identity token where it can leak.",
       remediation="Send exactly scope=openid, response_type=id_token, response_mode=form_post and prompt=none "
                   "in the authentication request.",
       ref=f"{SECURITY} §5.1.1.2")
def check_auth_fixed_values(lti_tool: LtiToolSession) -> None:
    login = _auth_login(lti_tool)
    wrong = {k: login.auth.get(k) for k, v in c.AUTH_FIXED.items() if login.auth.get(k) != v}
    if wrong:
        raise Failure("the authentication request has wrong or missing fixed parameters",
                      expected=dict(c.AUTH_FIXED), received=wrong, exchanges=evidence(login.response))


@check(id="LTIT-LOGIN-004", standard=STANDARD, category="login", level="required",
       requirements=("LTIT-REQ-AUTH-CLIENT",),
       title="The authentication request names the tool's client_id and a registered redirect_uri",
       why="The LMS only sends a student's identity to the addresses the district registered for this tool.",
       remediation="Send the client_id the platform issued and one of the redirect URIs registered with the "
                   "platform, exactly as registered.",
       ref=f"{SECURITY} §5.1.1.2; OpenID Connect Core §3.1.2.1")
def check_auth_client(lti_tool: LtiToolSession) -> None:
    login = _auth_login(lti_tool)
    cfg = lti_tool.config
    problems = []
    if login.auth.get("client_id") != cfg.client_id:
        problems.append(f"client_id {login.auth.get('client_id')!r}, not {cfg.client_id!r}")
    if login.auth.get("redirect_uri") not in cfg.redirect_uris:
        problems.append(f"redirect_uri {login.auth.get('redirect_uri')!r} is not registered")
    if problems:
        raise Failure("the authentication request: " + "; ".join(problems),
                      expected=f"client_id {cfg.client_id}, redirect_uri one of {list(cfg.redirect_uris)}",
                      received="; ".join(problems), exchanges=evidence(login.response))


@check(id="LTIT-LOGIN-005", standard=STANDARD, category="login", level="required",
       requirements=("LTIT-REQ-AUTH-HINTS",),
       title="login_hint and lti_message_hint come back byte for byte",
       why="The LMS uses these hints to know which user and which course link the sign-in is for.",
       remediation="Copy login_hint and lti_message_hint from the login initiation into the authentication "
                   "request unaltered (no trimming, re-encoding or case change).",
       ref=f"{SECURITY} §5.1.1.2; LTI Core 1.3 §4.1.1")
def check_auth_hints(lti_tool: LtiToolSession) -> None:
    login = _auth_login(lti_tool)
    wrong = {k: login.auth.get(k) for k in ("login_hint", "lti_message_hint") if login.auth.get(k) != login.sent[k]}
    if wrong:
        raise Failure("the authentication request does not echo the hints unaltered",
                      expected={k: login.sent[k] for k in wrong}, received=wrong, exchanges=evidence(login.response))


@check(id="LTIT-LOGIN-006", standard=STANDARD, category="login", level="required",
       requirements=("LTIT-REQ-AUTH-NONCE-STATE",),
       title="Every login gets a fresh nonce and state",
       why="A nonce or state that repeats lets an attacker replay a captured launch as the teacher or student.",
       remediation="Generate a new unguessable nonce and state for every login, bind the state to the browser "
                   "(cookie) and accept each nonce once.",
       ref=f"{SECURITY} §5.1.1.2 (nonce), §5.1.1.3; OpenID Connect Core §3.1.2.1, §15.5.2")
def check_fresh_nonce_state(lti_tool: LtiToolSession) -> None:
    first = _auth_login(lti_tool)
    second = lti_tool.login(first.method)
    _expect_redirect(second)
    problems = []
    for name in ("nonce", "state"):
        values = [first.auth.get(name), second.auth.get(name)]
        if not all(values):
            problems.append(f"{name} missing")
        elif values[0] == values[1]:
            problems.append(f"the same {name} in two logins")
    if problems:
        raise Failure("two logins: " + "; ".join(problems), expected="a fresh nonce and state per login",
                      received="; ".join(problems), exchanges=evidence(first.response, second.response))
