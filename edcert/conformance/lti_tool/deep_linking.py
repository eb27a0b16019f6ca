"""Deep Linking 2.0: the tool answers an LtiDeepLinkingRequest with an auto-submitting form carrying a signed
LtiDeepLinkingResponse (DL §4.4-4.5, Security Framework §5.2)."""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from edcert.conformance.lti_tool._fixtures import DL_SPEC, SECURITY, STANDARD, Launch, LtiToolSession, read_forms
from edcert.conformance.lti_tool.jwks import tool_jwks
from edcert.harness import check
from edcert.harness.errors import Failure
from edcert.lti import claims as c
from edcert.lti.jose import import_jwks, peek, verify

ACCEPT_ALL = ["link", "file", "html", "ltiResourceLink"]
LEEWAY = 60
KNOWN_DL_CLAIMS = {c.DL_CONTENT_ITEMS, c.DL_DATA, c.DL_MSG, c.DL_LOG, c.DL_ERRORMSG, c.DL_ERRORLOG}


@dataclass
class DeepLink:
    """One Deep Linking exchange: what edcert asked for and the JWT the tool's form carried back."""

    launch: Launch
    settings: dict[str, Any]
    token: str
    header: dict[str, Any]
    claims: dict[str, Any]

    def evidence(self) -> list[Any]:
        return self.launch.evidence()


def _deep_link(lti_tool: LtiToolSession, accept_multiple: bool) -> DeepLink:
    settings: dict[str, Any] = {
        "deep_link_return_url": lti_tool.platform.deep_link_return_url,
        "accept_types": ACCEPT_ALL if accept_multiple else ["link", "ltiResourceLink"],
        "accept_presentation_document_targets": ["iframe", "window"],
        "accept_multiple": accept_multiple, "auto_create": True,
        "data": f"edcert-{secrets.token_hex(6)}", "title": "edcert deep linking test",
    }

    def mutate(claims: dict[str, Any]) -> None:
        claims[c.DL_SETTINGS] = settings

    launch = lti_tool.launch(mutate, message_type=c.DEEP_LINKING_REQUEST, target=lti_tool.config.deep_link_target)
    where = f"the Deep Linking response (HTTP {launch.response.status_code})"
    if launch.verdict != "accepted":
        raise Failure(f"the tool did not accept the LtiDeepLinkingRequest (HTTP {launch.response.status_code})",
                      expected="an auto-submitting form", exchanges=launch.evidence())
    page = launch.response.text
    forms = [f for f in read_forms(page) if f["action"] == settings["deep_link_return_url"]]
    if not forms or forms[0]["method"] != "post" or "JWT" not in forms[0]["inputs"]:
        raise Failure(f"{where} is not a form posting a JWT field to deep_link_return_url",
                      expected=f'<form method="post" action="{settings["deep_link_return_url"]}"> with input JWT',
                      received=f"{len(read_forms(page))} form(s), none posting JWT there", exchanges=launch.evidence())
    if ".submit()" not in page and "requestSubmit()" not in page:
        raise Failure(f"{where} has the form but does not submit it by itself",
                      expected="a form the page submits (e.g. onload form.submit())", received="a manual form",
                      exchanges=launch.evidence())
    token = forms[0]["inputs"]["JWT"]
    try:
        header, claims = peek(token)
    except ValueError as exc:
        raise Failure(f"{where}: the JWT field is not a JWT ({exc})", exchanges=launch.evidence()) from None
    return DeepLink(launch, settings, token, header, claims)


def deep_link(lti_tool: LtiToolSession, accept_multiple: bool = True) -> DeepLink:
    """The Deep Linking exchange (one per kind per run, shared by the checks)."""
    if not lti_tool.config.deep_linking:
        pytest.skip("the vendor configuration says the tool offers no Deep Linking (deep_linking = false)")
    found = lti_tool.shared(f"deep link {accept_multiple}", lambda: _attempt(lti_tool, accept_multiple))
    if isinstance(found, Failure):
        raise Failure(found.message, expected=found.expected, received=found.received, exchanges=found.exchanges)
    return found  # type: ignore[no-any-return]


def _attempt(lti_tool: LtiToolSession, accept_multiple: bool) -> DeepLink | Failure:
    try:
        return _deep_link(lti_tool, accept_multiple)
    except Failure as failure:
        return failure


REF = f"{DL_SPEC} §4.5; {SECURITY} §5.2"
REMEDIATE_FORM = ("Answer an LtiDeepLinkingRequest with an HTML page whose form posts the field JWT to "
                  "deep_link_return_url and submits itself (onload).")


@check(id="LTIT-DL-001", standard=STANDARD, category="deep-linking", level="required",
       requirements=("LTIT-REQ-DL-FORM",),
       title="An LtiDeepLinkingRequest is answered with an auto-submitting form posting the JWT to the return URL",
       why="This is how a teacher picks an activity in the tool and gets it placed in the course.",
       remediation=REMEDIATE_FORM, ref=f"{DL_SPEC} §4.5; LTI Advantage Conformance Guide §6.2")
def check_dl_form(lti_tool: LtiToolSession) -> None:
    deep_link(lti_tool)


@check(id="LTIT-DL-002", standard=STANDARD, category="deep-linking", level="required",
       requirements=("LTIT-REQ-DL-SIGNATURE",),
       title="The LtiDeepLinkingResponse is RS256-signed by a key the tool's JWKS publishes under its kid",
       why="The LMS must be able to prove the chosen content came from the tool, not from someone in between.",
       remediation="Sign the response with RS256, put the key's kid in the header and publish that key in the JWKS.",
       ref=f"{REF}; {SECURITY} §6.3")
def check_dl_signature(lti_tool: LtiToolSession) -> None:
    link = deep_link(lti_tool)
    response, body = tool_jwks(lti_tool)
    if link.header.get("alg") != "RS256" or not link.header.get("kid"):
        raise Failure("the Deep Linking JWT header is not RS256 with a kid", expected={"alg": "RS256", "kid": "..."},
                      received={k: link.header.get(k) for k in ("alg", "kid")}, exchanges=link.evidence())
    try:
        keys = import_jwks(body)
        if link.header["kid"] not in {k.kid for k in keys}:
            raise ValueError(f"kid {link.header['kid']!r} is not in the tool's JWKS")
        verify(link.token, keys)
    except ValueError as exc:
        raise Failure(f"the Deep Linking JWT does not verify against the tool's JWKS: {exc}",
                      expected="a signature by the published key", received=str(exc),
                      exchanges=[*link.evidence(), *([e] if (e := response.extensions.get("edcert_exchange")) else [])]
                      ) from None


@check(id="LTIT-DL-003", standard=STANDARD, category="deep-linking", level="required",
       requirements=("LTIT-REQ-DL-CLAIMS",),
       title="The LtiDeepLinkingResponse has iss = client_id, aud = platform, nonce, valid exp/iat, message_type, "
             "version, deployment_id, and exact claim names",
       why="The LMS refuses (or worse, misfiles) content whose response does not say who sent it and for whom.",
       remediation="Set iss to your client_id, aud to the platform's issuer, a fresh nonce, iat now and exp a few "
                   "minutes later, message_type LtiDeepLinkingResponse, version 1.3.0 and the request's "
                   "deployment_id; spell every claim name exactly as the spec does.",
       ref=f"{REF}; {DL_SPEC} §4.5.1-4.5.9")
def check_dl_claims(lti_tool: LtiToolSession) -> None:
    link, cfg = deep_link(lti_tool), lti_tool.config
    claims, now = link.claims, time.time()
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    problems = []
    if claims.get("iss") != cfg.client_id:
        problems.append(f"iss is {claims.get('iss')!r}, not the client_id")
    if lti_tool.platform.issuer not in audiences:
        problems.append("aud does not name the platform's issuer")
    if not claims.get("nonce"):
        problems.append("no nonce")
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or exp < now - LEEWAY:
        problems.append("exp missing or past")
    if not isinstance(iat, int | float) or iat > now + LEEWAY:
        problems.append("iat missing or in the future")
    if claims.get(c.MESSAGE_TYPE) != c.DEEP_LINKING_RESPONSE:
        problems.append("message_type is not LtiDeepLinkingResponse")
    if claims.get(c.VERSION) != c.LTI_VERSION:
        problems.append("version is not 1.3.0")
    if claims.get(c.DEPLOYMENT_ID) != cfg.deployment_id:
        problems.append("deployment_id is not the request's")
    known = KNOWN_DL_CLAIMS | {c.MESSAGE_TYPE, c.VERSION, c.DEPLOYMENT_ID}
    near = [k for k in claims if k not in known and k.strip().lower() in {n.lower() for n in known}]
    problems += [f"claim name {k!r} is not spelled exactly" for k in near]
    if problems:
        raise Failure("the Deep Linking response: " + "; ".join(problems), expected="the DL §4.5 claims",
                      received="; ".join(problems), exchanges=link.evidence())


@check(id="LTIT-DL-004", standard=STANDARD, category="deep-linking", level="required",
       requirements=("LTIT-REQ-DL-DATA",), title="The LtiDeepLinkingResponse echoes the request's data",
       why="The LMS uses data to know which course and placement the teacher's choice belongs to.",
       remediation="Copy deep_linking_settings.data into the https://purl.imsglobal.org/spec/lti-dl/claim/data "
                   "claim unchanged.",
       ref=f"{DL_SPEC} §4.4.1 (data), §4.5.7")
def check_dl_data(lti_tool: LtiToolSession) -> None:
    link = deep_link(lti_tool)
    if link.claims.get(c.DL_DATA) != link.settings["data"]:
        raise Failure("the Deep Linking response does not echo data", expected=link.settings["data"],
                      received=repr(link.claims.get(c.DL_DATA)), exchanges=link.evidence())


def _item_problems(item: Any, accept: list[str]) -> list[str]:
    if not isinstance(item, dict):
        return ["a content item is not an object"]
    kind = item.get("type")
    if kind not in c.CONTENT_ITEM_REQUIRED:
        return [f"content item type {kind!r} is not a Deep Linking type"]
    problems = [] if kind in accept else [f"type {kind!r} was not in accept_types"]
    problems += [f"{kind} item without {f}" for f in c.CONTENT_ITEM_REQUIRED[kind] if not item.get(f)]
    for name in ("url", "icon", "thumbnail"):
        value = item.get(name)
        url = value.get("url") if isinstance(value, dict) else value
        if isinstance(url, str) and not urlsplit(url).scheme:
            problems.append(f"{kind} item {name} is not an absolute URL")
    custom = item.get("custom")
    if custom is not None and (not isinstance(custom, dict) or not all(isinstance(v, str) for v in custom.values())):
        problems.append(f"{kind} item custom values must be strings")
    line_item = item.get("lineItem")
    if line_item is not None and not (isinstance(line_item, dict) and isinstance(line_item.get("scoreMaximum"),
                                                                                   int | float)
                                      and line_item["scoreMaximum"] > 0):
        problems.append(f"{kind} item lineItem without a positive scoreMaximum")
    return problems


@check(id="LTIT-DL-005", standard=STANDARD, category="deep-linking", level="required",
       requirements=("LTIT-REQ-DL-ITEMS",),
       title="Every content item is of an accepted type with its required fields",
       why="A content item the LMS cannot place (wrong type, no address) leaves the teacher with a broken link.",
       remediation="Return only types listed in accept_types, each with its required fields (link, file and image "
                   "need url, html needs html; lineItem needs scoreMaximum > 0; custom values are strings).",
       ref=f"{DL_SPEC} §3 (content item types), §4.5.8")
def check_dl_items(lti_tool: LtiToolSession) -> None:
    problems = []
    for accept_multiple in (True, False):
        link = deep_link(lti_tool, accept_multiple)
        items = link.claims.get(c.DL_CONTENT_ITEMS, [])
        if not isinstance(items, list):
            raise Failure("content_items is not an array", exchanges=link.evidence())
        problems += [p for item in items for p in _item_problems(item, link.settings["accept_types"])]
    if problems:
        raise Failure("the Deep Linking content items: " + "; ".join(sorted(set(problems))),
                      expected="accepted types with their required fields", received="; ".join(sorted(set(problems))),
                      exchanges=deep_link(lti_tool).evidence())


@check(id="LTIT-DL-006", standard=STANDARD, category="deep-linking", level="required",
       requirements=("LTIT-REQ-DL-MULTIPLE",), title="With accept_multiple false, at most one content item comes back",
       why="An LMS that asked for one activity may drop or misplace the extra ones.",
       remediation="When deep_linking_settings.accept_multiple is false, return at most one content item.",
       ref=f"{DL_SPEC} §4.4.1 (accept_multiple)")
def check_dl_accept_multiple(lti_tool: LtiToolSession) -> None:
    link = deep_link(lti_tool, accept_multiple=False)
    items = link.claims.get(c.DL_CONTENT_ITEMS, [])
    if isinstance(items, list) and len(items) > 1:
        raise Failure(f"{len(items)} content items came back although accept_multiple was false",
                      expected="at most 1", received=str(len(items)), exchanges=link.evidence())
