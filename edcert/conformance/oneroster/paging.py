"""Pagination: ``limit`` and ``offset`` page through a collection exactly, with honest headers.

Most checks here read one shared *page walk*: a collection of moderate size
(``/classes``, else ``/courses``, ``/orgs``...) read again with a small ``limit``
chosen so the walk takes 4-8 requests, whatever the size of the district. Each page of
the walk is compared with the same collection as the run already read it once
(``oneroster.collection``), in the provider's default order.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

from edcert.conformance.oneroster._common import (
    CORE_TAG,
    REST_BINDING,
    STANDARD,
    evidence,
    expect_status,
    shared_probe,
)
from edcert.conformance.oneroster._fixtures import (
    COLLECTION_KEYS,
    Collection,
    OneRosterSession,
    page_records,
)
from edcert.harness import check
from edcert.harness.errors import Failure, NotApplicable
from edcert.harness.evidence import Exchange
from edcert.harness.http import exchange_of

OPENAPI = "OneRoster 1.2 Rostering OpenAPI"
PAGING_REF = f"{REST_BINDING} (pagination: limit and offset); {OPENAPI}: limit and offset query parameters"
HEADERS_REF = f"{OPENAPI}: 200 response headers X-Total-Count and Link (next, last, first, prev)"
DEFAULT_LIMIT = 100  # the 1.2 OpenAPI default of ``limit``
# moderate size even in a 50,000-student district (never /users or /enrollments)
WALK_ENDPOINTS = ("classes", "courses", "orgs", "academicSessions")
MIN_PAGES, MAX_PAGES, IDEAL_PAGES = 4, 8, 6


@dataclass(frozen=True)
class WalkPage:
    offset: int
    records: list[dict[str, Any]]
    response: httpx.Response

    @property
    def ids(self) -> list[str]:
        return [str(r.get("sourcedId")) for r in self.records]

    def evidence(self) -> list[Exchange]:
        return evidence(self.response)


@dataclass(frozen=True)
class Walk:
    endpoint: str
    limit: int
    full: Collection
    pages: list[WalkPage]
    ended: bool  # a short page was reached

    @property
    def total(self) -> int:
        return len(self.full.records)

    @property
    def full_ids(self) -> list[str]:
        return [str(r.get("sourcedId")) for r in self.full.records]

    def describe(self, page: WalkPage) -> str:
        return f"GET /{self.endpoint}?limit={self.limit}&offset={page.offset}"


def walk_limit(total: int, page_size: int) -> int:
    """A page size giving 4-8 pages, preferring about 6 and a last page that is not full.

    A last page that is not full ends the walk without asking past the end of the
    collection (that request is the subject of OR12-PAGE-007, not of the walk). Never
    above the run's ``page_size``: a provider may cap its page size, and the run
    already relies on ``page_size`` being honoured (a very large collection then takes
    more than 8 pages).
    """
    return min(_ideal_limit(total), page_size)


def _ideal_limit(total: int) -> int:
    if total <= MIN_PAGES:
        return 1
    ideal = math.ceil(total / IDEAL_PAGES)
    options = [size for size in range(max(1, total // MAX_PAGES), total // MIN_PAGES + 1)
               if MIN_PAGES <= math.ceil(total / size) <= MAX_PAGES]
    if not options:
        return ideal
    return min(options, key=lambda size: (total % size == 0, abs(size - ideal)))


def walk_collection(oneroster: OneRosterSession) -> Collection:
    """The collection the walk pages through: the first that 4-8 pages of at most ``page_size`` cover."""
    most = MAX_PAGES * oneroster.config.page_size
    seen: list[Collection] = []
    for endpoint in WALK_ENDPOINTS:
        full = oneroster.collection(endpoint)
        if MIN_PAGES <= len(full.records) <= most:
            return full
        seen.append(full)
    large = [c for c in seen if len(c.records) > most]
    if large:  # a very large district: the smallest of them, in more than 8 pages
        return min(large, key=lambda c: len(c.records))
    best = max(seen, key=lambda c: len(c.records))
    if len(best.records) < 2:
        raise NotApplicable("no collection among /" + ", /".join(WALK_ENDPOINTS)
                            + " holds 2 records: nothing to page through")
    return best


def page_walk(oneroster: OneRosterSession) -> Walk:
    """Every page of the walk (each request sent once per run, shared by the checks)."""
    full = walk_collection(oneroster)
    endpoint = full.endpoint
    limit = walk_limit(len(full.records), oneroster.config.page_size)
    key = COLLECTION_KEYS[endpoint]
    pages: list[WalkPage] = []
    offset = 0
    for _ in range(math.ceil(len(full.records) / limit) + 2):
        def send(at: int = offset) -> httpx.Response:
            return oneroster.get(f"/{endpoint}", params={"limit": limit, "offset": at})

        response = shared_probe(oneroster, f"paging-walk /{endpoint} limit={limit} offset={offset}", send)
        records = page_records(response, key, f"GET /{endpoint}?limit={limit}&offset={offset}")
        pages.append(WalkPage(offset, records, response))
        if len(records) < limit:
            return Walk(endpoint, limit, full, pages, ended=True)
        offset += limit
    return Walk(endpoint, limit, full, pages, ended=False)


def full_page_at(oneroster: OneRosterSession, full: Collection, position: int) -> list[Exchange]:
    """The exchange of the cached full listing that holds ``position`` (evidence of the default order)."""
    index = position // oneroster.config.page_size
    return full.pages[index:index + 1]


def few(items: list[str], cap: int = 3) -> str:
    """``"a, b"`` or ``"3 of 412: a, b, c"`` (at most ``cap`` items shown)."""
    if len(items) <= cap:
        return ", ".join(items)
    return f"{cap} of {len(items)}: " + ", ".join(items[:cap])


# ---------------------------------------------------------------------------
# limit, offset and the walk


@check(
    id="OR12-PAGE-001", standard=STANDARD, category="pagination", level="required", tags=(CORE_TAG,),
    requirements=("OR12-REQ-PAGE-LIMIT",),
    title="A page never holds more records than the limit asked for",
    why="Applications ask for data in pages of a size they can handle; a provider that sends more can "
        "overwhelm them or make them skip records.",
    remediation="Return at most `limit` records per response (fewer only on the last page).",
    ref=PAGING_REF,
)
def check_limit_respected(oneroster: OneRosterSession) -> None:
    walk = page_walk(oneroster)
    over = [p for p in walk.pages if len(p.records) > walk.limit]
    if over:
        page = over[0]
        raise Failure(
            f"{walk.describe(page)} returned {len(page.records)} records ({len(over)} of {len(walk.pages)} "
            f"pages exceed the limit)",
            expected=f"at most {walk.limit} records", received=f"{len(page.records)} records",
            exchanges=page.evidence(),
        )


@check(
    id="OR12-PAGE-002", standard=STANDARD, category="pagination", level="required", tags=(CORE_TAG,),
    requirements=("OR12-REQ-PAGE-OFFSET",),
    title="offset=k starts the page at record k of the collection's default order",
    why="Applications read a large roster page by page; if a page does not start where asked, records are "
        "silently skipped or read twice.",
    remediation="Skip exactly `offset` records of the collection, in a default order that stays the same from "
                "request to request (for example ordered by sourcedId), then return up to `limit` records.",
    ref=PAGING_REF,
)
def check_offset_exact(oneroster: OneRosterSession) -> None:
    walk = page_walk(oneroster)
    full_ids = walk.full_ids
    for page in walk.pages:
        ids = page.ids
        want = full_ids[page.offset:page.offset + len(ids)]
        if not ids and page.offset < walk.total:
            raise Failure(
                f"{walk.describe(page)} returned no records although /{walk.endpoint} holds {walk.total}",
                expected=f"records from position {page.offset} on", received="an empty page",
                exchanges=page.evidence(),
            )
        if ids != want:
            at = next((i for i, (a, b) in enumerate(zip(ids, want, strict=False)) if a != b), len(want))
            got = ids[at] if at < len(ids) else "nothing"
            expected_id = want[at] if at < len(want) else "the end of the collection"
            raise Failure(
                f"{walk.describe(page)}: record {page.offset + at} is {got}, but in the full listing of "
                f"/{walk.endpoint} (same default order) position {page.offset + at} holds {expected_id}",
                expected=f"records {page.offset}..{page.offset + len(ids) - 1} of the full listing",
                received=f"a page starting with {ids[0] if ids else 'nothing'}",
                exchanges=[*page.evidence(), *full_page_at(oneroster, walk.full, page.offset + at)],
            )


@check(
    id="OR12-PAGE-003", standard=STANDARD, category="pagination", level="required", tags=(CORE_TAG,),
    requirements=("OR12-REQ-PAGE-COMPLETE",),
    title="Walking every page with a small limit yields each record exactly once",
    why="A district's roster is only complete if paging through it returns every student, class and "
        "enrollment once: no gaps, no duplicates.",
    remediation="Page with `limit`/`offset` over one stable order, so that consecutive pages neither overlap "
                "nor leave records out, and end with a short (or empty) page.",
    ref=PAGING_REF,
)
def check_walk_complete(oneroster: OneRosterSession) -> None:
    walk = page_walk(oneroster)
    ids = [i for page in walk.pages for i in page.ids]
    counts = Counter(ids)
    duplicates = [i for i, n in counts.items() if n > 1]
    full = set(walk.full_ids)
    missing = [i for i in walk.full_ids if i not in counts]
    extra = [i for i in counts if i not in full]
    problems = []
    if duplicates:
        problems.append(f"records came back on more than one page ({few(duplicates)})")
    if missing:
        problems.append(f"records never came back ({few(missing)})")
    if extra:
        problems.append(f"records are not in the full listing ({few(extra)})")
    if not walk.ended:
        problems.append(f"no short page after {len(walk.pages)} pages")
    if problems:
        raise Failure(
            f"paging /{walk.endpoint} with limit={walk.limit} ({len(walk.pages)} requests): " + "; ".join(problems),
            expected=f"the {walk.total} records of /{walk.endpoint}, each once",
            received=f"{len(ids)} records, {len(counts)} distinct",
            exchanges=[ex for p in walk.pages[:4] for ex in p.evidence()],
        )


# ---------------------------------------------------------------------------
# headers


@check(
    id="OR12-PAGE-004", standard=STANDARD, category="pagination", level="recommended",
    requirements=("OR12-REQ-PAGE-TOTAL-COUNT",),
    title="X-Total-Count, when sent, equals the number of records in the collection",
    why="Applications use the announced total to show progress and to know when they have every record; a "
        "wrong total makes them stop early or wait for records that do not exist.",
    remediation="Send X-Total-Count as the number of records matching the request (all pages together), the "
                "same on every page.",
    ref=HEADERS_REF,
)
def check_total_count(oneroster: OneRosterSession) -> None:
    walk = page_walk(oneroster)
    seen: list[tuple[str | None, Exchange | None]] = list(zip(walk.full.total_counts, walk.full.pages, strict=False))
    seen += [(p.response.headers.get("X-Total-Count"), exchange_of(p.response)) for p in walk.pages]
    present = [(value, ex) for value, ex in seen if value is not None]
    if not present:
        raise NotApplicable("the provider sends no X-Total-Count header")
    for value, ex in present:
        if value.strip() != str(walk.total):
            raise Failure(
                f"GET /{walk.endpoint} announced X-Total-Count: {value.strip()[:20]} but the collection holds "
                f"{walk.total} records",
                expected=str(walk.total), received=value.strip()[:20], exchanges=[ex] if ex else [],
            )


_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]+)*)")


def parse_link_header(header: str, base: str) -> dict[str, str]:
    """``rel -> absolute URL`` from an RFC 8288 Link header (first link of each rel wins)."""
    out: dict[str, str] = {}
    for match in _LINK.finditer(header):
        url = urljoin(base, match.group(1).strip())
        for param in match.group(2).split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "rel":
                for rel in value.strip().strip('"').split():
                    out.setdefault(rel.lower(), url)
    return out


def link_target(url: str) -> tuple[str, int | None, int | None]:
    """(path, offset, limit) a link points at; offset/limit None when unreadable."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)

    def number(name: str, default: int) -> int | None:
        values = query.get(name)
        if not values:
            return default
        return int(values[0]) if values[0].isdigit() else None

    return parts.path, number("offset", 0), number("limit", DEFAULT_LIMIT)


def link_problems(walk: Walk, page: WalkPage) -> list[str]:
    header = page.response.headers.get("Link")
    total, limit, at = walk.total, walk.limit, page.offset
    if header is None:
        return ["no Link header"] if at + limit < total else []
    links = parse_link_header(header, str(page.response.request.url))
    problems: list[str] = []

    def points_at(rel: str, offsets: range) -> None:
        path, offset, lim = link_target(links[rel])
        if not path.rstrip("/").endswith(f"/{walk.endpoint}"):
            problems.append(f'rel="{rel}" points at another path')
        elif offset not in offsets or lim != limit:
            want = f"offset {offsets.start}" if len(offsets) == 1 else \
                f"an offset from {offsets.start} to {offsets.stop - 1}"
            problems.append(f'rel="{rel}" points at offset {offset}, limit {lim} instead of {want}, limit {limit}')

    if at + limit < total:
        if "next" in links:
            points_at("next", range(at + limit, at + limit + 1))
        else:
            problems.append('no rel="next" although more records follow')
    if "last" in links:
        points_at("last", range(max(0, total - limit), max(0, total - 1) + 1))
    else:
        problems.append('no rel="last"')
    if "first" in links:
        points_at("first", range(0, 1))
    if "prev" in links and at > 0:
        points_at("prev", range(max(0, at - limit), max(0, at - limit) + 1))
    return problems


@check(
    id="OR12-PAGE-005", standard=STANDARD, category="pagination", level="recommended",
    requirements=("OR12-REQ-PAGE-LINK",),
    title="The Link header, when sent, points next/last (and first/prev) at the right pages",
    why="Applications that follow the provider's own next-page links loop forever or skip records when those "
        "links point at the wrong page.",
    remediation='Send `Link: <...offset=k+limit>; rel="next", <...>; rel="last"` (plus first/prev) with the '
                "same limit as the request, next pointing at offset+limit and last at the page holding the "
                "final record.",
    ref=f"{HEADERS_REF}; RFC 8288 (Web Linking)",
)
def check_link_header(oneroster: OneRosterSession) -> None:
    walk = page_walk(oneroster)
    if not any("Link" in p.response.headers for p in walk.pages):
        raise NotApplicable("the provider sends no Link header")
    for page in walk.pages:
        if page.offset >= walk.total:
            continue  # a page past the end (the walk overran): nothing for links to point at
        problems = link_problems(walk, page)
        if problems:
            raise Failure(
                f"{walk.describe(page)} (of {walk.total} records): " + "; ".join(problems),
                expected=f'rel="next" at offset {page.offset + walk.limit} (when more records follow), rel="last" '
                         f"at the page holding record {walk.total - 1}, all with limit={walk.limit}",
                received=(page.response.headers.get("Link") or "no Link header")[:300],
                exchanges=page.evidence(),
            )


# ---------------------------------------------------------------------------
# defaults and edges


@check(
    id="OR12-PAGE-006", standard=STANDARD, category="pagination", level="recommended",
    requirements=("OR12-REQ-PAGE-DEFAULT-LIMIT",),
    title="Without a limit parameter a collection answers at most 100 records",
    why="Applications that do not ask for a page size rely on the standard's default of 100; a provider that "
        "sends the whole district at once can time out or exhaust them.",
    remediation="Apply limit=100 when the request has no limit parameter.",
    ref=f"{OPENAPI}: limit (default 100)",
)
def check_default_limit(oneroster: OneRosterSession) -> None:
    classes = oneroster.collection("classes")
    # /classes when it is large enough to show the default; else /users, the largest core collection.
    endpoint = "classes" if len(classes.records) > DEFAULT_LIMIT else "users"
    response = oneroster.get(f"/{endpoint}")
    records = page_records(response, COLLECTION_KEYS[endpoint], f"GET /{endpoint} without limit")
    if len(records) > DEFAULT_LIMIT:
        raise Failure(
            f"GET /{endpoint} without a limit parameter returned {len(records)} records",
            expected=f"at most {DEFAULT_LIMIT} records", received=f"{len(records)} records",
            exchanges=evidence(response),
        )


@check(
    id="OR12-PAGE-007", standard=STANDARD, category="pagination", level="recommended",
    requirements=("OR12-REQ-PAGE-PAST-END",),
    title="An offset past the last record answers 200 with an empty list",
    why="Applications stop reading when a page comes back empty; an error there makes a complete download "
        "look like a failure.",
    remediation="When offset is at or beyond the number of records, answer HTTP 200 with an empty array.",
    ref=PAGING_REF,
)
def check_offset_past_end(oneroster: OneRosterSession) -> None:
    full = walk_collection(oneroster)
    limit = walk_limit(len(full.records), oneroster.config.page_size)
    offset = len(full.records) + limit
    what = f"GET /{full.endpoint}?limit={limit}&offset={offset} ({len(full.records)} records exist)"
    response = oneroster.get(f"/{full.endpoint}", params={"limit": limit, "offset": offset})
    expect_status(response, 200, what)
    records = page_records(response, COLLECTION_KEYS[full.endpoint], what)
    if records:
        raise Failure(
            f"{what} returned {len(records)} records", expected="an empty list",
            received=f"{len(records)} records", exchanges=evidence(response),
        )
