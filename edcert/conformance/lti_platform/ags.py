"""Assignment and Grade Services 2.0: line items, scores and results (AGS 2.0 §3-4).

These checks write (they create line items and post scores), so they run only with allow_writes = true.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from edcert.conformance.lti_platform._claims import (
    AGS_CLAIM,
    CONTEXT,
    MEDIA_LINEITEM,
    MEDIA_LINEITEMS,
    MEDIA_RESULTS,
    MEDIA_SCORE,
    SCOPE_LINEITEM,
    SCOPE_RESULT_READONLY,
    SCOPE_SCORE,
    STANDARD,
)
from edcert.conformance.lti_platform._fixtures import Launch, PlatformUnderTest, evidence_of
from edcert.harness import check
from edcert.harness.errors import Failure, NotApplicable
from edcert.harness.http import json_body

AGS = "LTI Assignment and Grade Services 2.0"
ACCEPTED = (200, 201, 202, 204)
MAXIMUM = 10


def _lineitems_url(platform: PlatformUnderTest, launch: Launch) -> str:
    if not platform.config.allow_writes:
        pytest.skip("writes are not allowed (allow_writes = false): AGS checks create line items and post scores")
    claim = launch.claims.get(AGS_CLAIM)
    if not isinstance(claim, dict) or not isinstance(claim.get("lineitems"), str):
        raise NotApplicable("the launch offers no line-item service (no AGS endpoint claim with lineitems)")
    return str(claim["lineitems"])


def _created(platform: PlatformUnderTest, launch: Launch) -> tuple[httpx.Response, dict[str, Any]]:
    """The line item edcert creates for the run (once), and the creation's answer."""
    url = _lineitems_url(platform, launch)
    if "ags-created" not in platform.cache:
        tag = secrets.token_hex(4)
        body = {"label": f"edcert check {tag}", "scoreMaximum": MAXIMUM, "resourceId": f"edcert-{tag}",
                "tag": "edcert"}
        response = platform.service("POST", url, (SCOPE_LINEITEM,), accept=MEDIA_LINEITEM, json_body_=body,
                                    content_type=MEDIA_LINEITEM)
        platform.cache["ags-created"] = (response, body)
    found: tuple[httpx.Response, dict[str, Any]] = platform.cache["ags-created"]
    response, body = found
    if response.status_code not in (200, 201):
        raise Failure(f"creating a line item answered HTTP {response.status_code}", expected="HTTP 201 (or 200)",
                      received=f"HTTP {response.status_code}", exchanges=evidence_of(response))
    created = json_body(response, "the line-item service")
    if not isinstance(created, dict) or not isinstance(created.get("id"), str) or "://" not in created["id"]:
        raise Failure("the created line item has no id URL", expected='{"id": "https://..."}',
                      received=f"{type(created).__name__}", exchanges=evidence_of(response))
    return response, {**body, "id": created["id"]}


@dataclass
class Grading:
    newer: list[httpx.Response]
    after_newer: httpx.Response
    older: httpx.Response
    after_older: httpx.Response
    score_only_read: httpx.Response
    user_id: str


def _under(lineitem: str, service: str) -> str:
    """``{lineitem}/scores`` keeping the line item URL's query string (AGS 2.0 §3.4)."""
    parts = urlsplit(lineitem)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/" + service))


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def _grading(platform: PlatformUnderTest, launch: Launch) -> Grading:
    """Two scores with increasing timestamps, results, an older score, results again: once per run."""
    _, item = _created(platform, launch)
    if "ags-grading" not in platform.cache:
        user = str(launch.claims.get("sub"))
        now = datetime.now(UTC)

        def post(given: float, moment: datetime) -> httpx.Response:
            score = {"userId": user, "scoreGiven": given, "scoreMaximum": MAXIMUM, "timestamp": _stamp(moment),
                     "activityProgress": "Completed", "gradingProgress": "FullyGraded"}
            return platform.service("POST", _under(item["id"], "scores"), (SCOPE_SCORE,), accept="*/*",
                                    json_body_=score, content_type=MEDIA_SCORE)

        def results(scopes: tuple[str, ...]) -> httpx.Response:
            return platform.service("GET", _under(item["id"], "results"), scopes, accept=MEDIA_RESULTS,
                                    params={"user_id": user})

        newer = [post(3, now - timedelta(seconds=2)), post(8, now - timedelta(seconds=1))]
        after_newer = results((SCOPE_RESULT_READONLY,))
        older = post(1, now - timedelta(minutes=10))
        platform.cache["ags-grading"] = Grading(newer, after_newer, older, results((SCOPE_RESULT_READONLY,)),
                                                results((SCOPE_SCORE,)), user)
    found: Grading = platform.cache["ags-grading"]
    return found


def _ratio(response: httpx.Response, user: str) -> float | None:
    if response.status_code != 200:
        raise Failure(f"reading results answered HTTP {response.status_code}", expected="HTTP 200",
                      received=f"HTTP {response.status_code}", exchanges=evidence_of(response))
    body = json_body(response, "the results service")
    mine = [r for r in body if isinstance(r, dict) and r.get("userId") == user] if isinstance(body, list) else []
    if not mine or not isinstance(mine[0].get("resultScore"), int | float):
        return None
    maximum = mine[0].get("resultMaximum", 1)
    return float(mine[0]["resultScore"]) / float(maximum) if isinstance(maximum, int | float) and maximum else None


@check(
    id="LTIP-AGS-001", standard=STANDARD, category="services", level="required",
    title="A line item the tool creates comes back with an id URL, reads back the same and is listed",
    why="Tools create gradebook columns this way; if they vanish or change, grades land nowhere.",
    remediation="On POST to the line-items URL store the line item, answer 201 with it and its id URL, serve it "
                "at that URL and list it in the container.",
    ref=f"{AGS} §3.2 (line-item service)",
    requirements=("LTIP-REQ-AGS-LINEITEMS",), tags=("1edtech:create-line-item", "1edtech:retrieve-line-item"),
)
def check_lineitem_create_and_read(platform: PlatformUnderTest, launch: Launch) -> None:
    url = _lineitems_url(platform, launch)
    created, item = _created(platform, launch)
    read = platform.service("GET", item["id"], (SCOPE_LINEITEM,), accept=MEDIA_LINEITEM)
    body = json_body(read, "the line item") if read.status_code == 200 else None
    if not isinstance(body, dict) or body.get("label") != item["label"] or body.get("scoreMaximum") != MAXIMUM:
        raise Failure("the created line item does not read back the same", expected=f"HTTP 200 with label and "
                      f"scoreMaximum {MAXIMUM}", received=f"HTTP {read.status_code}",
                      exchanges=[*evidence_of(created), *evidence_of(read)])
    listing = platform.service("GET", url, (SCOPE_LINEITEM,), accept=MEDIA_LINEITEMS,
                               params={"resource_id": item["resourceId"]})
    listed = json_body(listing, "the line-item container") if listing.status_code == 200 else None
    if not isinstance(listed, list) or item["id"] not in {i.get("id") for i in listed if isinstance(i, dict)}:
        raise Failure("the line-item container does not list the line item just created",
                      expected=f"a list holding {item['id']}", received=f"HTTP {listing.status_code}",
                      exchanges=evidence_of(listing))


@check(
    id="LTIP-AGS-002", standard=STANDARD, category="services", level="required",
    title="Scores posted with increasing timestamps are accepted and the latest one is the result",
    why="When a student retries, the gradebook must show the latest grade the tool sent.",
    remediation="Accept scores (200/201/202/204) and keep the one with the latest timestamp as the result.",
    ref=f"{AGS} §3.4 (score publish service), §3.3 (results)",
    requirements=("LTIP-REQ-AGS-SCORES",), tags=("1edtech:post-score", "1edtech:retrieve-results"),
)
def check_scores_latest_wins(platform: PlatformUnderTest, launch: Launch) -> None:
    grading = _grading(platform, launch)
    for response in grading.newer:
        if response.status_code not in ACCEPTED:
            raise Failure(f"posting a score answered HTTP {response.status_code}", expected="HTTP 200-204",
                          received=f"HTTP {response.status_code}", exchanges=evidence_of(response))
    ratio = _ratio(grading.after_newer, grading.user_id)
    if ratio is None or abs(ratio - 0.8) > 1e-6:
        raise Failure("the result is not the latest score posted", expected="8 of 10 (0.8)",
                      received="no result" if ratio is None else f"{ratio:g} of 1",
                      exchanges=[*evidence_of(grading.newer[-1]), *evidence_of(grading.after_newer)])


@check(
    id="LTIP-AGS-003", standard=STANDARD, category="services", level="required",
    title="A score with an older timestamp than the one on record is not applied",
    why="Scores can arrive out of order; an old one must not overwrite a student's newer grade.",
    remediation="Compare the incoming timestamp with the stored one and ignore (or refuse) older scores.",
    ref=f"{AGS} §3.4.7 (timestamp)",
    requirements=("LTIP-REQ-AGS-TIMESTAMP",),
)
def check_older_score_ignored(platform: PlatformUnderTest, launch: Launch) -> None:
    grading = _grading(platform, launch)
    if grading.older.status_code >= 500:
        raise Failure("an older score crashed the platform", expected="ignored or refused with 4xx",
                      received=f"HTTP {grading.older.status_code}", exchanges=evidence_of(grading.older))
    before, after = _ratio(grading.after_newer, grading.user_id), _ratio(grading.after_older, grading.user_id)
    if before != after:
        raise Failure("a score with an older timestamp replaced the newer result",
                      expected=f"the result unchanged ({before})", received=f"{after}",
                      exchanges=[*evidence_of(grading.older), *evidence_of(grading.after_older)])


@check(
    id="LTIP-AGS-004", standard=STANDARD, category="auth", level="required",
    title="Results are read with the result.readonly scope, and refused to a token without it",
    why="Grades are student records; a tool allowed only to send scores must not read everyone's results.",
    remediation="Serve GET {lineitem}/results to tokens granted result.readonly; answer 403 (or 401) otherwise.",
    ref=f"{AGS} §3.3; 1EdTech Security Framework §4.1",
    requirements=("LTIP-REQ-AGS-RESULT-SCOPE",), tags=("1edtech:oauth2-call-results",),
)
def check_results_scope(platform: PlatformUnderTest, launch: Launch) -> None:
    grading = _grading(platform, launch)
    _ratio(grading.after_newer, grading.user_id)  # 200 with the result scope
    if grading.score_only_read.status_code not in (401, 403):
        raise Failure("results were served to a token granted only the score scope", expected="HTTP 401 or 403",
                      received=f"HTTP {grading.score_only_read.status_code}",
                      exchanges=evidence_of(grading.score_only_read))


@check(
    id="LTIP-AGS-005", standard=STANDARD, category="errors", level="recommended",
    title="An invalid line item (blank label, scoreMaximum 0, not JSON) is answered 400, never 500",
    why="A platform that crashes on bad input is fragile and hides the error from the tool's developers.",
    remediation="Validate line items and answer 400 with a message for a blank label, scoreMaximum <= 0 or a "
                "body that is not JSON.",
    ref=f"{AGS} §3.2; RFC 9110 §15.5.1",
    requirements=("LTIP-REQ-AGS-BAD-INPUT",),
)
def check_lineitem_bad_input(platform: PlatformUnderTest, launch: Launch) -> None:
    url = _lineitems_url(platform, launch)
    bad: list[tuple[str, bytes]] = [
        ("a blank label", b'{"label": "", "scoreMaximum": 10}'),
        ("scoreMaximum 0", b'{"label": "edcert invalid", "scoreMaximum": 0}'),
        ("a body that is not JSON", b"{not json"),
    ]
    for what, content in bad:
        response = platform.service("POST", url, (SCOPE_LINEITEM,), accept=MEDIA_LINEITEM, content=content,
                                    content_type=MEDIA_LINEITEM)
        if response.status_code != 400:
            raise Failure(f"a line item with {what} answered HTTP {response.status_code}", expected="HTTP 400",
                          received=f"HTTP {response.status_code}", exchanges=evidence_of(response))


def _ids(response: httpx.Response, what: str) -> set[str]:
    if response.status_code != 200:
        raise Failure(f"reading {what} answered HTTP {response.status_code}", expected="HTTP 200",
                      received=f"HTTP {response.status_code}", exchanges=evidence_of(response))
    body = json_body(response, what)
    return {str(i.get("id")) for i in body if isinstance(i, dict)} if isinstance(body, list) else set()


@check(
    id="LTIP-AGS-006", standard=STANDARD, category="services", level="recommended",
    title="Line items and scores stay in their course: a second course's line items and grades do not show in "
          "the first, nor the first's in the second",
    why="A tool used in two classes must see only each class's gradebook columns; a platform that mixes them "
        "shows one class's assignments, and grades, in another.",
    remediation="Scope the line-item container (the lineitems URL of a launch) to the launch's context: list "
                "only the line items created in that context, and keep scores on the line item they were posted to.",
    ref=f"{AGS} §3.1 (lineitems: the container for the current context), §3.2.1; "
        "1EdTech Certification Guide §5.4 (contexts A and B)",
    requirements=("LTIP-REQ-AGS-CONTEXTS",),
    tags=("1edtech:create-line-item", "1edtech:post-score", "1edtech:verify-gradebook-entities"),
)
def check_lineitems_stay_in_their_context(platform: PlatformUnderTest, launch: Launch) -> None:
    url_a = _lineitems_url(platform, launch)
    if platform.config.launch_mode == "url" and platform.start_url("context_b") is None:
        raise NotApplicable("no launch in a second course is configured (launch_start_url_context_b): the "
                            "1EdTech two-context line-item test needs one")
    _, item_a = _created(platform, launch)
    other = platform.launch("context_b")
    context_a, context_b = (c.get(CONTEXT, {}).get("id") if isinstance(c.get(CONTEXT), dict) else None
                            for c in (launch.claims, other.claims))
    if context_a == context_b:
        raise NotApplicable(f"the second-course launch is in the same context ({context_a!r}) as the first")
    url_b = _lineitems_url(platform, other)
    tag = secrets.token_hex(4)
    body = {"label": f"edcert check {tag} (second course)", "scoreMaximum": MAXIMUM, "resourceId": f"edcert-{tag}",
            "tag": "edcert"}
    created = platform.service("POST", url_b, (SCOPE_LINEITEM,), accept=MEDIA_LINEITEM, json_body_=body,
                               content_type=MEDIA_LINEITEM)
    item_b = json_body(created, "the line-item service") if created.status_code in (200, 201) else None
    if not isinstance(item_b, dict) or not isinstance(item_b.get("id"), str):
        raise Failure(f"creating a line item in the second course answered HTTP {created.status_code}",
                      expected="HTTP 201 with the line item's id", received=f"HTTP {created.status_code}",
                      exchanges=evidence_of(created))
    user = str(other.claims.get("sub"))
    score = {"userId": user, "scoreGiven": 5, "scoreMaximum": MAXIMUM, "timestamp": _stamp(datetime.now(UTC)),
             "activityProgress": "Completed", "gradingProgress": "FullyGraded"}
    posted = platform.service("POST", _under(item_b["id"], "scores"), (SCOPE_SCORE,), accept="*/*",
                              json_body_=score, content_type=MEDIA_SCORE)
    if posted.status_code not in ACCEPTED:
        raise Failure(f"posting a score in the second course answered HTTP {posted.status_code}",
                      expected="HTTP 200-204", received=f"HTTP {posted.status_code}", exchanges=evidence_of(posted))
    listing_a = platform.service("GET", url_a, (SCOPE_LINEITEM,), accept=MEDIA_LINEITEMS)
    listing_b = platform.service("GET", url_b, (SCOPE_LINEITEM,), accept=MEDIA_LINEITEMS)
    in_a, in_b = _ids(listing_a, "the first course's line items"), _ids(listing_b, "the second course's line items")
    leaks = []
    if item_b["id"] in in_a:
        leaks.append(f"the first course lists the second's line item {item_b['id']}")
    if item_a["id"] in in_b:
        leaks.append(f"the second course lists the first's line item {item_a['id']}")
    read_b, read_a = (platform.service("GET", _under(i, "results"), (SCOPE_RESULT_READONLY,), accept=MEDIA_RESULTS,
                                       params={"user_id": user}) for i in (item_b["id"], item_a["id"]))
    if _ratio(read_b, user) != 0.5:
        leaks.append("the second course's line item does not hold the score posted to it")
    if read_a.status_code == 200 and _ratio(read_a, user) == 0.5:
        leaks.append("the first course's line item shows the score posted in the second course")
    if leaks:
        raise Failure("line items or scores cross between courses: " + "; ".join(leaks),
                      expected="each course's line items and scores only in that course", received="; ".join(leaks),
                      exchanges=[*evidence_of(listing_a), *evidence_of(listing_b), *evidence_of(read_a)])
