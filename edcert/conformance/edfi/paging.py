"""Paging: offset/limit with a default page of 25, a maximum limit, Total-Count, a stable walk."""
from __future__ import annotations

from typing import Any

import httpx

from edcert.conformance.edfi._fixtures import CONVENTIONS, STANDARD, EdFiSession, evidence, json_array
from edcert.harness import check
from edcert.harness.errors import Failure

PAGING_REF = f"{CONVENTIONS}: paging (offset, limit default 25, maximum 500; totalCount and Total-Count)"
DEFAULT_LIMIT = 25
MAX_LIMIT = 500
WALKED = "students"  # a collection larger than the default page (the sandbox's has 440)


def over_max_answer(edfi: EdFiSession) -> httpx.Response:
    answer: httpx.Response = edfi.probe("limit above max", lambda: edfi.get(
        edfi.resource_url(WALKED), params={"limit": MAX_LIMIT + 1}))
    return answer


def counted_answer(edfi: EdFiSession) -> httpx.Response:
    answer: httpx.Response = edfi.probe("totalCount", lambda: edfi.get(
        edfi.resource_url(WALKED), params={"limit": MAX_LIMIT, "totalCount": "true"}))
    return answer


def _walk(edfi: EdFiSession) -> tuple[list[str], list[httpx.Response]]:
    ids: list[str] = []
    pages: list[httpx.Response] = []
    size = edfi.config.page_size
    for page in range(edfi.config.max_pages):
        answer = edfi.get(edfi.resource_url(WALKED), params={"offset": page * size, "limit": size})
        pages.append(answer)
        items = json_array(answer, f"GET /ed-fi/{WALKED} page {page + 1}")
        ids += [str(i.get("id")) for i in items]
        if len(items) < size:
            break
    return ids, pages


def walk(edfi: EdFiSession) -> tuple[list[str], list[httpx.Response]]:
    found: tuple[list[str], list[httpx.Response]] = edfi.probe("walk", lambda: _walk(edfi))
    return found


@check(
    id="EDFI-PAGE-001", standard=STANDARD, category="pagination", level="recommended",
    requirements=("EDFI-REQ-PAGE-DEFAULT",),
    title="Without limit, a collection answers a page of at most 25 items",
    why="A default page keeps one request from pulling a whole district's records at once.",
    remediation="Apply limit=25 when the request gives none.",
    ref=PAGING_REF,
)
def check_default_page(edfi: EdFiSession) -> None:
    answer = edfi.probe("default page", lambda: edfi.get(edfi.resource_url(WALKED)))
    items = json_array(answer, f"GET /ed-fi/{WALKED} without limit")
    if len(items) > DEFAULT_LIMIT:
        raise Failure(f"GET /ed-fi/{WALKED} without limit answered {len(items)} items",
                      expected=f"at most {DEFAULT_LIMIT}", received=str(len(items)), exchanges=evidence(answer))


@check(
    id="EDFI-PAGE-002", standard=STANDARD, category="pagination", level="recommended",
    requirements=("EDFI-REQ-PAGE-MAX",),
    title="A limit above the maximum (501) is refused with 400",
    why="A silently truncated page makes a client believe it has every record when it does not.",
    remediation="Answer 400 (parameter-validation-failed) to a limit above the configured maximum (500).",
    ref=PAGING_REF,
)
def check_limit_above_max(edfi: EdFiSession) -> None:
    answer = over_max_answer(edfi)
    if answer.status_code != 400:
        raise Failure(f"limit={MAX_LIMIT + 1} answered HTTP {answer.status_code}", expected="HTTP 400",
                      received=f"HTTP {answer.status_code}", exchanges=evidence(answer))


@check(
    id="EDFI-PAGE-003", standard=STANDARD, category="pagination", level="recommended",
    requirements=("EDFI-REQ-PAGE-TOTAL",),
    title="totalCount=true adds a Total-Count header equal to the number of items",
    why="Clients size and verify their downloads with the total; a wrong or missing one hides lost records.",
    remediation="With totalCount=true, send Total-Count: <number of matching items>.",
    ref=PAGING_REF,
)
def check_total_count(edfi: EdFiSession) -> None:
    answer = counted_answer(edfi)
    items = json_array(answer, f"GET /ed-fi/{WALKED}?limit={MAX_LIMIT}&totalCount=true")
    total = answer.headers.get("Total-Count")
    ok = total is not None and total.isdigit() and (
        int(total) == len(items) if len(items) < MAX_LIMIT else int(total) >= len(items))
    if not ok:
        raise Failure("Total-Count does not give the number of items", expected=f"Total-Count: {len(items)}",
                      received=total or "no Total-Count header", exchanges=evidence(answer))


@check(
    id="EDFI-PAGE-004", standard=STANDARD, category="pagination", level="required",
    requirements=("EDFI-REQ-PAGE-WALK",),
    title="Walking the pages with offset and limit returns every item exactly once",
    why="If pages overlap or skip, the state receives duplicated or missing students.",
    remediation="Order collections stably (e.g. by an internal key) so offset paging neither repeats nor skips.",
    ref=PAGING_REF,
)
def check_walk(edfi: EdFiSession) -> None:
    ids, pages = walk(edfi)
    whole: list[dict[str, Any]] = json_array(counted_answer(edfi), f"GET /ed-fi/{WALKED}?limit={MAX_LIMIT}")
    duplicates = len(ids) - len(set(ids))
    missing = {str(i.get("id")) for i in whole} - set(ids)
    if duplicates or (len(whole) < MAX_LIMIT and missing):
        raise Failure(f"walking /ed-fi/{WALKED} page by page repeated {duplicates} and missed {len(missing)} item(s)",
                      expected="every item once", received=f"{duplicates} repeated, {len(missing)} missing",
                      exchanges=evidence(*pages[:2]))
