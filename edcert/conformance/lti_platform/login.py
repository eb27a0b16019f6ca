"""Third-party initiated login: what the platform sends edcert's login URL (LTI Core 1.3 §4.1; SF §5.1.1.1)."""
from __future__ import annotations

from urllib.parse import urlsplit

from edcert.conformance.lti_platform._claims import CORE, SEC, STANDARD
from edcert.conformance.lti_platform._fixtures import Launch, PlatformUnderTest
from edcert.harness import check
from edcert.harness.errors import Failure


@check(
    id="LTIP-LOGIN-001", standard=STANDARD, category="launch", level="required",
    title="Login initiation carries iss (the platform's issuer), login_hint and an absolute target_link_uri",
    why="A tool can only start a launch when the platform tells it who it is, which user and which activity.",
    remediation="Send the third-party initiated login (GET or form POST) to the tool's login URL with iss equal "
                "to the issuer registered with the tool, login_hint and target_link_uri; client_id, when sent, "
                "must be the tool's client_id.",
    ref=f"{SEC} §5.1.1.1; {CORE} §4.1",
    requirements=("LTIP-REQ-LOGIN-PARAMS",),
)
def check_login_initiation_parameters(platform: PlatformUnderTest, launch: Launch) -> None:
    login = launch.login
    if login is None:
        raise Failure("the launch reached edcert without a login initiation carrying the same state",
                      expected="a login initiation before the launch", received="none", exchanges=launch.evidence())
    p = login.params
    problems = []
    if p.get("iss") != platform.config.issuer:
        problems.append(f"iss is {p.get('iss')!r}, the configured issuer is {platform.config.issuer!r}")
    if not p.get("login_hint"):
        problems.append("login_hint is missing")
    target = urlsplit(p.get("target_link_uri", ""))
    if target.scheme not in ("http", "https") or not target.netloc:
        problems.append("target_link_uri is missing or not absolute")
    if "client_id" in p and p["client_id"] != platform.config.client_id:
        problems.append(f"client_id is {p['client_id']!r}, not the tool's")
    if problems:
        raise Failure("the login initiation is not conformant: " + "; ".join(problems),
                      expected="iss, login_hint, target_link_uri", received=f"parameters {sorted(p)}",
                      exchanges=launch.evidence())
