"""Deep Linking 2.0 from the platform side: the LtiDeepLinkingRequest it sends and the response it takes back.

edcert, as the tool, receives a Deep Linking launch, answers with its own signed LtiDeepLinkingResponse
posted (as a browser would) to ``deep_link_return_url``, and checks the platform accepts it, and refuses
the same response signed by a key edcert's JWKS does not publish. Posting a response adds content to a
course, so these run only with ``allow_writes = true``.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from joserfc.jwk import RSAKey

from edcert.conformance.lti_platform._browser import BROWSER_HEADERS
from edcert.conformance.lti_platform._claims import (
    CORE,
    CUSTOM,
    DEEP_LINKING_REQUEST,
    DL,
    DL_SETTINGS,
    LTI_VERSION,
    MESSAGE_TYPE,
    RESOURCE_LINK,
    RESOURCE_LINK_REQUEST,
    SEC,
    STANDARD,
    TARGET_LINK_URI,
    VERSION,
)
from edcert.conformance.lti_platform._fixtures import Launch, PlatformUnderTest, evidence_of
from edcert.conformance.lti_platform.id_token import verify_signature
from edcert.harness import check
from edcert.harness.errors import Failure

_SETTINGS_REQUIRED = ("deep_link_return_url", "accept_types", "accept_presentation_document_targets")


def _deep_link_launch(platform: PlatformUnderTest, attempt: str = "") -> Launch:
    if platform.config.launch_mode == "url" and platform.start_url("deep_link") is None:
        pytest.skip("no launch-start URL for a Deep Linking launch (deep_link_start_url is not configured)")
    return platform.launch("deep_link", attempt)


def _return_url(launch: Launch) -> str:
    settings = launch.claims.get(DL_SETTINGS)
    url = settings.get("deep_link_return_url") if isinstance(settings, dict) else None
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        raise Failure("the Deep Linking request has no absolute deep_link_return_url to answer to",
                      expected="deep_linking_settings.deep_link_return_url", received=repr(url),
                      exchanges=launch.evidence())
    return url


def _post_response(platform: PlatformUnderTest, launch: Launch, key: RSAKey | None = None) -> httpx.Response:
    if not platform.config.allow_writes:
        pytest.skip("writes are not allowed (allow_writes = false): a Deep Linking response adds content")
    if platform.config.launch_mode == "person":
        pytest.skip("in launch_mode = \"person\" the Deep Linking response is posted by the person's browser")
    token = platform.deep_linking_response(launch, key)
    # the auto-submitting form a tool answers with, posted by the browser that made the launch
    return platform.client.request("POST", _return_url(launch), data={"JWT": token}, auth=None,
                                   headers=BROWSER_HEADERS)


@check(
    id="LTIP-DL-001", standard=STANDARD, category="deep-linking", level="required",
    title="A Deep Linking launch is a signed LtiDeepLinkingRequest with deep_link_return_url, accept_types "
          "and accept_presentation_document_targets",
    why="Teachers add a tool's activities to a course through Deep Linking; without these settings the tool "
        "cannot tell what to offer or where to send the teacher's choice back.",
    remediation="Send message_type LtiDeepLinkingRequest, version 1.3.0, RS256 signed with a key of your JWKS, "
                "with the deep_linking_settings claim holding deep_link_return_url, accept_types and "
                "accept_presentation_document_targets (and data, echoed back by the tool).",
    ref=f"{DL} §4.4; {SEC} §5.1.2; 1EdTech Certification Guide §5.2",
    requirements=("LTIP-REQ-IDT-MESSAGE-DL",), tags=("1edtech:dl-request-payload",),
)
def check_deep_linking_request(platform: PlatformUnderTest) -> None:
    launch = _deep_link_launch(platform)
    verify_signature(platform, launch)
    c = launch.claims
    problems = []
    if c.get(MESSAGE_TYPE) != DEEP_LINKING_REQUEST or c.get(VERSION) != LTI_VERSION:
        problems.append(f"message_type {c.get(MESSAGE_TYPE)!r}, version {c.get(VERSION)!r}")
    missing = [name for name in ("iss", "aud", "sub", "exp", "iat", "nonce") if name not in c]
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    settings: Any = c.get(DL_SETTINGS)
    if not isinstance(settings, dict):
        problems.append("no deep_linking_settings claim")
    else:
        absent = [name for name in _SETTINGS_REQUIRED if not settings.get(name)]
        if absent:
            problems.append(f"deep_linking_settings lacks {', '.join(absent)}")
        for name in ("accept_types", "accept_presentation_document_targets"):
            if name in settings and not isinstance(settings[name], list):
                problems.append(f"{name} is not an array")
    if problems:
        raise Failure("the Deep Linking request is not conformant: " + "; ".join(problems),
                      expected=f"{DEEP_LINKING_REQUEST} with deep_linking_settings",
                      received="; ".join(problems), exchanges=launch.evidence())


@check(
    id="LTIP-DL-002", standard=STANDARD, category="deep-linking", level="required",
    title="The platform accepts the tool's signed LtiDeepLinkingResponse posted to deep_link_return_url",
    why="If the platform refuses a correct Deep Linking response, a teacher's chosen activity never appears "
        "in the course.",
    remediation="At deep_link_return_url, accept the form field JWT, verify it with the tool's JWKS (iss = "
                "client_id, aud = your issuer, message_type LtiDeepLinkingResponse, deployment_id, data echoed) "
                "and add its content items; answer the browser with a page, not an error.",
    ref=f"{DL} §4.5; {SEC} §5.2; 1EdTech Certification Guide §5.2 (Proof of LTI Link)",
    requirements=("LTIP-REQ-DL-RESPONSE-ACCEPT",), tags=("1edtech:dl-response-accepted",),
)
def check_deep_linking_response_accepted(platform: PlatformUnderTest) -> None:
    launch, response = _accepted(platform)
    if response.status_code >= 400:
        raise Failure(f"the platform refused a valid Deep Linking response (HTTP {response.status_code})",
                      expected="HTTP 2xx or 3xx: the content items are added",
                      received=f"HTTP {response.status_code}", exchanges=[*launch.evidence(), *evidence_of(response)])


def _accepted(platform: PlatformUnderTest) -> tuple[Launch, httpx.Response]:
    """edcert's valid Deep Linking response and the platform's answer, posted once per run."""
    if "dl-accepted" not in platform.cache:
        launch = _deep_link_launch(platform)
        platform.cache["dl-accepted"] = (launch, _post_response(platform, launch))
    found: tuple[Launch, httpx.Response] = platform.cache["dl-accepted"]
    return found


def _deep_linked_launch(platform: PlatformUnderTest) -> tuple[dict[str, Any], Launch]:
    """The launch of the resource link the platform created from edcert's item, and that item."""
    launch, response = _accepted(platform)
    if response.status_code >= 400:
        raise Failure("there is no deep-linked activity to launch: the platform refused the Deep Linking response "
                      f"(HTTP {response.status_code})", expected="the response accepted and its link launchable",
                      received=f"HTTP {response.status_code}", exchanges=[*launch.evidence(), *evidence_of(response)])
    return platform.content_item, platform.launch("deep_linked")


@check(
    id="LTIP-DL-004", standard=STANDARD, category="deep-linking", level="required",
    title="The link the platform created from the Deep Linking response launches with the item's url as "
          "target_link_uri and its custom parameters",
    why="A teacher adds a specific activity through Deep Linking; if its launch loses the activity's address or "
        "settings, students land on the tool's start page instead of the activity the teacher chose.",
    remediation="Create a resource link from each ltiResourceLink item and launch it as an LtiResourceLinkRequest "
                "with a resource_link.id, the item's url as target_link_uri, and every custom parameter of the "
                "item, unchanged, in the custom claim.",
    ref=f"{DL} §3.2 (url, custom); {CORE} §5.3; 1EdTech Certification Guide §5.2 (Proof of LTI Link)",
    requirements=("LTIP-REQ-DL-LINK-LAUNCH",), tags=("1edtech:proof-of-lti-link",),
)
def check_deep_linked_item_launch(platform: PlatformUnderTest) -> None:
    item, launch = _deep_linked_launch(platform)
    verify_signature(platform, launch)
    c = launch.claims
    problems = []
    if c.get(MESSAGE_TYPE) != RESOURCE_LINK_REQUEST:
        problems.append(f"message_type {c.get(MESSAGE_TYPE)!r}")
    link = c.get(RESOURCE_LINK)
    if not isinstance(link, dict) or not isinstance(link.get("id"), str) or not link["id"]:
        problems.append("no resource_link.id")
    if c.get(TARGET_LINK_URI) != item["url"]:
        problems.append(f"target_link_uri {c.get(TARGET_LINK_URI)!r}, not the item's url")
    custom = c.get(CUSTOM)
    lost = [k for k, v in item["custom"].items() if not isinstance(custom, dict) or custom.get(k) != v]
    if lost:
        problems.append(f"custom parameters {lost} missing or changed")
    if problems:
        raise Failure("the launch of the deep-linked activity does not carry the item: " + "; ".join(problems),
                      expected=f"target_link_uri {item['url']!r}, custom {item['custom']!r}",
                      received="; ".join(problems), exchanges=launch.evidence())


@check(
    id="LTIP-DL-005", standard=STANDARD, category="deep-linking", level="recommended",
    title="The deep-linked activity's launch names it with the item's title (resource_link.title)",
    why="Tools show the activity's name from the launch; a link that forgets the title the teacher chose looks "
        "like another activity.",
    remediation="Keep the ltiResourceLink item's title as the resource link's title and send it in "
                "resource_link.title.",
    ref=f"{DL} §3.2 (title); {CORE} §5.3.5",
    requirements=("LTIP-REQ-DL-LINK-TITLE",), tags=("1edtech:proof-of-lti-link",),
)
def check_deep_linked_item_title(platform: PlatformUnderTest) -> None:
    item, launch = _deep_linked_launch(platform)
    link = launch.claims.get(RESOURCE_LINK)
    title = link.get("title") if isinstance(link, dict) else None
    if title != item["title"]:
        raise Failure("the deep-linked activity's launch does not carry the item's title",
                      expected=repr(item["title"]), received=repr(title), exchanges=launch.evidence())


@check(
    id="LTIP-DL-003", standard=STANDARD, category="security", level="required",
    title="The platform refuses a Deep Linking response signed by a key the tool's JWKS does not publish",
    why="Anyone could otherwise post links of their choosing into a course in the tool's name.",
    remediation="Verify the Deep Linking response's signature with the key its kid names in the tool's "
                "registered JWKS, and refuse it (an error page, no content added) when it does not verify.",
    ref=f"{SEC} §5.2, §5.1.3 step 1; {DL} §4.5",
    requirements=("LTIP-REQ-DL-RESPONSE-VERIFY",),
)
def check_deep_linking_forged_response_refused(platform: PlatformUnderTest) -> None:
    launch = _deep_link_launch(platform, attempt="forged")
    # edcert's own kid, another private key: only the signature tells them apart
    forged = RSAKey.generate_key(2048, parameters={"kid": str(platform.key.kid)}, private=True)
    response = _post_response(platform, launch, forged)
    if response.status_code < 400:
        raise Failure("the platform accepted a Deep Linking response whose signature does not verify",
                      expected="HTTP 4xx, no content added", received=f"HTTP {response.status_code}",
                      exchanges=[*launch.evidence(), *evidence_of(response)])
