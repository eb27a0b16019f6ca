"""The platform's OIDC authentication endpoint, probed with altered requests (SF §5.1.1.2-3; OIDC Core §3.1.2.6).

Each probe is a fresh login: edcert follows the launch-start URL to its own login URL, takes the
authentication request it would send, alters one parameter and sends that instead.
"""
from __future__ import annotations

import secrets

from edcert.conformance.lti_platform._browser import auto_form
from edcert.conformance.lti_platform._claims import SEC, STANDARD
from edcert.conformance.lti_platform._fixtures import AuthAnswer, PlatformUnderTest
from edcert.harness import check
from edcert.harness.errors import Failure


def _describe(answer: AuthAnswer) -> str:
    where = f" to {answer.location.split('?')[0]}" if answer.location else ""
    return f"HTTP {answer.response.status_code}{where}"


def _no_id_token_no_500(answer: AuthAnswer, what: str) -> None:
    if answer.issued_id_token():
        raise Failure(f"the platform issued an id_token for {what}", expected="an error, no id_token",
                      received="an id_token", exchanges=answer.exchanges)
    if answer.response.status_code >= 500:
        raise Failure(f"the platform crashed on {what}", expected="an error redirect or an error page",
                      received=_describe(answer), exchanges=answer.exchanges)


def _error_redirect(answer: AuthAnswer, what: str) -> None:
    _no_id_token_no_500(answer, what)
    delivered = answer.delivered()
    if delivered is None or not delivered.get("error"):
        raise Failure(f"the platform did not return an OAuth error to the redirect_uri for {what}",
                      expected="a redirect (or form post) to redirect_uri with error= and state=",
                      received=_describe(answer), exchanges=answer.exchanges)


@check(
    id="LTIP-AUTH-001", standard=STANDARD, category="security", level="required",
    title="An unregistered redirect_uri gets a local error page, never a redirect to it",
    why="Redirecting to an address the tool never registered would hand launch data to whoever controls it.",
    remediation="Compare redirect_uri exactly with the URIs registered for the client_id; on a mismatch show an "
                "error page and do not redirect.",
    ref=f"{SEC} §5.1.1.3; RFC 6749 §4.1.2.1; OIDC Core §3.1.2.1",
    requirements=("LTIP-REQ-AUTH-REDIRECT",),
)
def check_unregistered_redirect_uri(platform: PlatformUnderTest) -> None:
    rogue = f"{platform.tool_url}/edcert-unregistered-{secrets.token_hex(4)}"
    answer = platform.auth_probe(redirect_uri=rogue)
    form_target = None
    if answer.location is None and answer.response.status_code == 200:
        form = auto_form(answer.response)
        form_target = form.action if form else None
    if (answer.location or "").startswith(rogue) or (form_target or "").startswith(rogue):
        raise Failure("the platform sent the browser to a redirect_uri the tool never registered",
                      expected="a local error page", received=_describe(answer), exchanges=answer.exchanges)
    if answer.response.status_code >= 500:
        raise Failure("the platform crashed on an unregistered redirect_uri", expected="a local error page",
                      received=_describe(answer), exchanges=answer.exchanges)


@check(
    id="LTIP-AUTH-002", standard=STANDARD, category="security", level="required",
    title="An authentication request without nonce gets an OAuth error redirect, no id_token",
    why="The nonce stops a captured launch from being replayed; a platform that launches without one lets it be.",
    remediation="Refuse authentication requests without nonce: redirect to redirect_uri with "
                "error=invalid_request and the state.",
    ref=f"{SEC} §5.1.1.2; OIDC Core §3.1.2.1, §3.1.2.6",
    requirements=("LTIP-REQ-AUTH-NONCE",),
)
def check_missing_nonce(platform: PlatformUnderTest) -> None:
    _error_redirect(platform.auth_probe(nonce=None), "an authentication request without nonce")


@check(
    id="LTIP-AUTH-003", standard=STANDARD, category="security", level="required",
    title="response_type other than id_token gets an OAuth error redirect, no id_token",
    why="LTI launches use only the implicit id_token flow; accepting anything else means the request is not checked.",
    remediation="Refuse a response_type other than id_token: redirect to redirect_uri with "
                "error=unsupported_response_type and the state.",
    ref=f"{SEC} §5.1.1.2; OIDC Core §3.1.2.6",
    requirements=("LTIP-REQ-AUTH-RESPONSE-TYPE",),
)
def check_bad_response_type(platform: PlatformUnderTest) -> None:
    _error_redirect(platform.auth_probe(response_type="code"), "response_type=code")


@check(
    id="LTIP-AUTH-004", standard=STANDARD, category="security", level="required",
    title="An unknown client_id is refused: no id_token (an error redirect or an error page)",
    why="A platform that launches for any client_id gives student data to tools nobody installed.",
    remediation="Refuse authentication requests whose client_id is not a registered tool (RFC 6749 §4.1.2.1: an "
                "error page, since the redirect_uri of an unknown client cannot be trusted).",
    ref=f"{SEC} §5.1.1.2; RFC 6749 §4.1.2.1",
    requirements=("LTIP-REQ-AUTH-CLIENT",),
)
def check_unknown_client_id(platform: PlatformUnderTest) -> None:
    answer = platform.auth_probe(client_id=f"edcert-unknown-{secrets.token_hex(4)}")
    _no_id_token_no_500(answer, "an unknown client_id")
