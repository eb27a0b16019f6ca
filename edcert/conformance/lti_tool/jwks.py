"""The tool's JWKS: the public keys a platform verifies the tool's messages with (Security Framework §6)."""
from __future__ import annotations

from typing import Any

import httpx

from edcert.conformance.lti_tool._fixtures import SECURITY, STANDARD, LtiToolSession, evidence
from edcert.harness import check
from edcert.harness.errors import Failure
from edcert.harness.http import json_body
from edcert.lti.jose import PRIVATE_MEMBERS

REF = f"{SECURITY} §6 (key management), §6.3 (kid); RFC 7517 §4-5; LTI Advantage Conformance Guide §4.2.2.1"


def tool_jwks(lti_tool: LtiToolSession) -> tuple[httpx.Response, Any]:
    """The tool's JWKS answer and its JSON (read once per run)."""
    def fetch() -> tuple[httpx.Response, Any]:
        response = lti_tool.browser().get(lti_tool.config.jwks_url)
        if response.status_code != 200:
            raise Failure(f"the tool's JWKS answered HTTP {response.status_code}", expected="HTTP 200",
                          received=f"HTTP {response.status_code}", exchanges=evidence(response))
        return response, json_body(response, "the tool's JWKS")
    found = lti_tool.shared("tool jwks", lambda: _attempt(fetch))
    if isinstance(found, Failure):
        raise found
    return found  # type: ignore[no-any-return]


def _attempt(fetch: Any) -> Any:
    try:
        return fetch()
    except Failure as failure:
        return failure


@check(id="LTIT-JWKS-001", standard=STANDARD, category="keys", level="required",
       requirements=("LTIT-REQ-JWKS",),
       title="The tool's JWKS is reachable and every key has a kid, kty and (RSA) n and e",
       why="The LMS checks the tool's messages (Deep Linking, grades) with these keys; without them nothing the "
           "tool sends can be trusted.",
       remediation="Serve {\"keys\": [...]} at the JWKS URL with HTTP 200; give every key a unique kid, kty \"RSA\", "
                   "n and e (alg RS256 and use sig help platforms such as Canvas).",
       ref=REF)
def check_jwks_keys(lti_tool: LtiToolSession) -> None:
    response, body = tool_jwks(lti_tool)
    keys = body.get("keys") if isinstance(body, dict) else None
    if not isinstance(keys, list) or not keys:
        raise Failure("the tool's JWKS holds no keys array", expected='{"keys": [ ...at least one key... ]}',
                      received=type(body).__name__, exchanges=evidence(response))
    problems, kids = [], []
    for index, key in enumerate(keys):
        if not isinstance(key, dict):
            problems.append(f"key {index} is not an object")
            continue
        if not isinstance(key.get("kid"), str) or not key["kid"]:
            problems.append(f"key {index} has no kid")
        kids.append(key.get("kid"))
        if key.get("kty") != "RSA" or not key.get("n") or not key.get("e"):
            problems.append(f"key {index} is not an RSA key with n and e")
    if len(set(kids)) != len(kids):
        problems.append("two keys share a kid")
    if problems:
        raise Failure("the tool's JWKS: " + "; ".join(problems), expected="every key with kid, kty RSA, n, e",
                      received="; ".join(problems), exchanges=evidence(response))


@check(id="LTIT-JWKS-002", standard=STANDARD, category="keys", level="required",
       requirements=("LTIT-REQ-JWKS-PUBLIC",),
       title="The tool's JWKS publishes no private key material",
       why="A published private key lets anyone impersonate the tool to the LMS and post grades as it.",
       remediation="Publish only the public members (kty, kid, n, e, alg, use); rotate the key now, since it has "
                   "been exposed.",
       ref=f"{REF}; RFC 7518 §6.3.2")
def check_jwks_public_only(lti_tool: LtiToolSession) -> None:
    response, body = tool_jwks(lti_tool)
    keys = body.get("keys") if isinstance(body, dict) else []
    leaked = sorted({m for key in keys or [] if isinstance(key, dict) for m in PRIVATE_MEMBERS if m in key})
    if leaked:
        raise Failure("the tool's JWKS publishes private key members", expected="public members only",
                      received=f"private members {leaked}", exchanges=evidence(response))
