"""Names and Role Provisioning Services 2.0: the context's members, paged (NRPS 2.0 §2-3)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import httpx

from edcert.conformance.lti_platform._claims import MEDIA_MEMBERSHIPS, NRPS_CLAIM, SCOPE_NRPS, STANDARD
from edcert.conformance.lti_platform._fixtures import Launch, PlatformUnderTest, evidence_of
from edcert.harness import check
from edcert.harness.errors import Failure, NotApplicable
from edcert.harness.http import json_body

NRPS = "LTI Names and Role Provisioning Services 2.0"
MAX_PAGES = 1000


@dataclass
class Roster:
    first: httpx.Response
    members: list[dict[str, Any]]
    pages: list[httpx.Response] = field(default_factory=list)


def _url(launch: Launch) -> str:
    claim = launch.claims.get(NRPS_CLAIM)
    if not isinstance(claim, dict) or not isinstance(claim.get("context_memberships_url"), str):
        raise NotApplicable("the launch offers no Names and Roles service (no namesroleservice claim)")
    return str(claim["context_memberships_url"])


def _page(platform: PlatformUnderTest, url: str, params: dict[str, Any] | None) -> tuple[httpx.Response, list[Any]]:
    response = platform.service("GET", url, (SCOPE_NRPS,), accept=MEDIA_MEMBERSHIPS, params=params)
    if response.status_code != 200:
        raise Failure(f"the memberships service answered HTTP {response.status_code}", expected="HTTP 200",
                      received=f"HTTP {response.status_code}", exchanges=evidence_of(response))
    body = json_body(response, "the memberships service")
    members = body.get("members") if isinstance(body, dict) else None
    if not isinstance(members, list):
        raise Failure("the memberships answer has no members array", expected='{"members": [...]}',
                      received=type(body).__name__, exchanges=evidence_of(response))
    return response, members


def roster(platform: PlatformUnderTest, launch: Launch, *, paged: bool) -> Roster:
    """Every member, read once per run: in one request, or page by page at the configured small limit."""
    key = f"nrps-{'paged' if paged else 'whole'}"
    if key not in platform.cache:
        url = _url(launch)
        first, members = _page(platform, url, {"limit": platform.config.nrps_page_limit} if paged else None)
        out = Roster(first, list(members), [first])
        response = first
        visited = {str(first.url)}
        while paged and "next" in response.links and len(out.pages) < MAX_PAGES:
            following = urljoin(str(response.url), response.links["next"]["url"])
            if following in visited:
                raise Failure('the memberships Link rel="next" points back at a page already read',
                              expected="a next page, then none", received=following,
                              exchanges=evidence_of(response))
            visited.add(following)
            response, members = _page(platform, following, None)
            out.pages.append(response)
            out.members.extend(members)
        platform.cache[key] = out
    found: Roster = platform.cache[key]
    return found


@check(
    id="LTIP-NRPS-001", standard=STANDARD, category="services", level="required",
    title="The memberships service answers with the NRPS membership container media type",
    why="Tools check the media type before reading a roster; a generic type can make them refuse it.",
    remediation=f"Answer GET context_memberships_url with Content-Type {MEDIA_MEMBERSHIPS}.",
    ref=f"{NRPS} §2.1, §2.3",
    requirements=("LTIP-REQ-NRPS-MEDIA",), tags=("1edtech:verify-names-and-roles-headers",),
)
def check_nrps_media_type(platform: PlatformUnderTest, launch: Launch) -> None:
    first = roster(platform, launch, paged=False).first
    ctype = first.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != MEDIA_MEMBERSHIPS:
        raise Failure("the memberships answer has the wrong media type", expected=MEDIA_MEMBERSHIPS,
                      received=ctype or "none", exchanges=evidence_of(first))


@check(
    id="LTIP-NRPS-002", standard=STANDARD, category="services", level="required",
    title="Every member has user_id and roles, and the launching user is a member",
    why="A tool matches roster entries to launches by user_id and decides rights by roles; without them the "
        "class list in the tool is wrong.",
    remediation="Give every member user_id (the same value as the launch's sub) and a roles array.",
    ref=f"{NRPS} §2.2",
    requirements=("LTIP-REQ-NRPS-MEMBERS",), tags=("1edtech:names-and-roles-payload",),
)
def check_nrps_members(platform: PlatformUnderTest, launch: Launch) -> None:
    found = roster(platform, launch, paged=False)
    bad = [i for i, m in enumerate(found.members)
           if not isinstance(m, dict) or not isinstance(m.get("user_id"), str) or not isinstance(m.get("roles"), list)]
    if bad:
        raise Failure(f"{len(bad)} of {len(found.members)} members lack user_id or a roles array",
                      expected="user_id and roles on every member", received=f"members at {bad[:5]}",
                      exchanges=evidence_of(found.first))
    if launch.claims.get("sub") not in {m["user_id"] for m in found.members}:
        raise Failure("the launching user is not among the context's members", expected="the launch's sub",
                      received=f"{len(found.members)} members without it", exchanges=evidence_of(found.first))


@check(
    id="LTIP-NRPS-003", standard=STANDARD, category="pagination", level="required",
    title="A memberships page cut by limit carries Link rel=\"next\", and the pages hold every member once",
    why="Large classes are read page by page; without the next link a tool sees only the first few students.",
    remediation='When a page does not hold every member, send Link: <url>; rel="next" pointing at the next page.',
    ref=f"{NRPS} §2.4 (limit, Link rel=next)",
    requirements=("LTIP-REQ-NRPS-PAGING",), tags=("1edtech:names-and-roles-link-header",),
)
def check_nrps_paging(platform: PlatformUnderTest, launch: Launch) -> None:
    whole = roster(platform, launch, paged=False)
    limit = platform.config.nrps_page_limit
    if len(whole.members) <= limit:
        raise NotApplicable(f"the context has {len(whole.members)} members, not more than the page limit {limit}")
    paged = roster(platform, launch, paged=True)
    ids = [m.get("user_id") for m in paged.members if isinstance(m, dict)]
    evidence = [e for r in paged.pages[:2] for e in evidence_of(r)]
    if len(paged.pages) == 1:
        raise Failure(f"a page of {len(paged.members)} members (limit={limit}) out of {len(whole.members)} has no "
                      'Link rel="next"', expected='Link: <...>; rel="next"',
                      received=paged.first.headers.get("link") or "no Link header", exchanges=evidence)
    if sorted(map(str, ids)) != sorted(str(m.get("user_id")) for m in whole.members):
        raise Failure("following the next links does not give every member exactly once",
                      expected=f"{len(whole.members)} distinct members", received=f"{len(ids)} ({len(set(ids))} "
                      "distinct)", exchanges=evidence)


_STATUSES = {"Active", "Inactive", "Deleted"}


@check(
    id="LTIP-NRPS-004", standard=STANDARD, category="services", level="optional",
    title="When the roster offers Link rel=\"differences\", that URL answers a membership container of the changes",
    why="Tools that keep a class list up to date ask only for what changed; a differences link that does not work "
        "makes them miss new and dropped students.",
    remediation='Serve the rel="differences" URL as a complete, opaque URL answering 200 with the NRPS membership '
                "container (members with user_id, roles and status Active, Inactive or Deleted), or leave the link "
                "out.",
    ref=f"{NRPS} §2.4.3 (membership differences); 1EdTech Certification Guide §5.3 (Confirming Names & Roles Link "
        "Header)",
    requirements=("LTIP-REQ-NRPS-DIFFERENCES",), tags=("1edtech:names-and-roles-link-header",),
)
def check_nrps_differences(platform: PlatformUnderTest, launch: Launch) -> None:
    first = roster(platform, launch, paged=False).first
    link = first.links.get("differences")
    if not link or not link.get("url"):
        raise NotApplicable('the memberships answer offers no Link rel="differences" (a MAY of NRPS 2.0 §2.4.3)')
    response, members = _page(platform, urljoin(str(first.url), link["url"]), None)
    bad = [i for i, m in enumerate(members) if not isinstance(m, dict) or not isinstance(m.get("user_id"), str)
           or m.get("status", "Active") not in _STATUSES]
    if bad:
        raise Failure(f"{len(bad)} of {len(members)} members of the differences report lack user_id or have an "
                      "unknown status", expected="user_id and status Active, Inactive or Deleted",
                      received=f"members at {bad[:5]}", exchanges=evidence_of(response))
