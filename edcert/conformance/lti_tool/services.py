"""LTI Advantage services as the tool uses them: its token request (RFC 7523 client assertion), Names and Roles
(NRPS 2.0) and scores (AGS 2.0), judged from what edcert's platform received after a services launch
(LTI Advantage Conformance Guide §6.3-6.4)."""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

import pytest

from edcert.conformance.lti_tool._fixtures import SECURITY, STANDARD, Launch, LtiToolSession
from edcert.conformance.lti_tool._platform import LINEITEMS_PATH, NRPS_PAGE, NRPS_PATH, TOKEN_PATH
from edcert.harness import check
from edcert.harness.errors import Failure, NotApplicable
from edcert.harness.evidence import Exchange
from edcert.lti import claims as c

NRPS = "LTI Names and Role Provisioning Services 2.0"
AGS = "LTI Assignment and Grade Services 2.0"
ACTIVITY = {"Initialized", "Started", "InProgress", "Submitted", "Completed"}
GRADING = {"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"}
# ISO 8601 with sub-second precision and a time zone (AGS §3.4 timestamp)
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|[+-]\d\d:\d\d)$")


@dataclass
class Services:
    launch: Launch
    user: str
    received: list[dict[str, Any]]

    def at(self, path: str, method: str = "GET") -> list[dict[str, Any]]:
        return [r for r in self.received if r["path"].endswith(path) and r["method"] == method]


def services(lti_tool: LtiToolSession, role: str = c.ROLE_INSTRUCTOR) -> Services:
    """One launch (Instructor, or ``role``) carrying the NRPS and AGS claims, then what the tool asked of the
    platform."""
    if not lti_tool.config.services:
        pytest.skip("the vendor configuration does not claim LTI Advantage services (services = false)")
    return lti_tool.shared(f"services {role}", lambda: _services_launch(lti_tool, role))  # type: ignore[no-any-return]


def _services_launch(lti_tool: LtiToolSession, role: str) -> Services:
    platform = lti_tool.platform
    before = len(platform.received)
    user: list[str] = []

    def mutate(claims: dict[str, Any]) -> None:
        user.append(claims["sub"])
        claims[c.ROLES] = [role]
        claims.update(platform.service_claims(claims["sub"], role))
        claims[c.CONTEXT] = {"id": "edcert-course-1", "label": "MATH-7", "type": [c.CONTEXT_COURSE]}

    launch = lti_tool.launch(mutate)
    ends = time.monotonic() + lti_tool.config.services_wait
    while time.monotonic() < ends and not any(r["path"].endswith("/scores") for r in platform.received[before:]):
        time.sleep(0.1)
    return Services(launch, user[0], platform.received[before:])


def exchange(lti_tool: LtiToolSession, entry: dict[str, Any]) -> Exchange:
    """A request the tool made to edcert's platform, as redacted evidence (made once per request)."""
    if "exchange" not in entry:
        entry["exchange"] = lti_tool.state.recorder.record(
            method=entry["method"], url=entry["url"], request_headers=entry["headers"],
            request_body=entry["body"].encode() or None, status=None, response_headers={}, response_body=None,
            elapsed_ms=0.0, error="; ".join(entry["problems"]) or None)
    found: Exchange = entry["exchange"]
    return found


def _none_received(svc: Services, what: str) -> Failure:
    return Failure(f"after the services launch the tool sent no {what} to the platform",
                   expected=f"a {what}", received="nothing", exchanges=svc.launch.evidence())


def _problems(lti_tool: LtiToolSession, entries: list[dict[str, Any]], what: str, extra: list[str] | None = None
              ) -> None:
    problems = sorted({p for e in entries for p in e["problems"]} | set(extra or []))
    if problems:
        raise Failure(f"the tool's {what}: " + "; ".join(problems), expected=f"a conformant {what}",
                      received="; ".join(problems), exchanges=[exchange(lti_tool, e) for e in entries[:3]])


@check(id="LTIT-SVC-001", standard=STANDARD, category="services", level="required",
       requirements=("LTIT-REQ-SVC-ASSERTION",),
       title="The tool gets its service token with a valid RFC 7523 client assertion",
       why="The LMS hands out access to the class roster and the gradebook only to a tool that proves who it is.",
       remediation="POST grant_type=client_credentials, client_assertion_type=urn:ietf:params:oauth:"
                   "client-assertion-type:jwt-bearer and a client_assertion JWT signed RS256 with a key of your "
                   "JWKS (kid in the header), iss = sub = your client_id, aud = the token endpoint, iat, exp and "
                   "a unique jti.",
       ref=f"{SECURITY} §4.1.1; RFC 7523 §2.2, §3; LTI Core 1.3 §6.2")
def check_token_request(lti_tool: LtiToolSession) -> None:
    svc = services(lti_tool)
    tokens = svc.at(TOKEN_PATH, "POST")
    if not tokens:
        raise _none_received(svc, "token request")
    _problems(lti_tool, tokens, "token request")


@check(id="LTIT-SVC-002", standard=STANDARD, category="services", level="recommended",
       requirements=("LTIT-REQ-SVC-SCOPE",),
       title="The tool asks only for scopes the launch offered",
       why="A tool asking for more access than the district granted is a warning sign, and the LMS may refuse it.",
       remediation="Request only the scopes listed in the launch's AGS claim and the NRPS scope when the NRPS "
                   "claim is present.",
       ref=f"{SECURITY} §4.1.1; RFC 6749 §3.3; {AGS} §3.1")
def check_token_scopes(lti_tool: LtiToolSession) -> None:
    svc = services(lti_tool)
    tokens = svc.at(TOKEN_PATH, "POST")
    if not tokens:
        raise _none_received(svc, "token request")
    extra = sorted({s for e in tokens for s in e.get("scope_problems", [])})
    if extra:
        raise Failure(f"the token request asks for scopes the launch never offered: {extra}",
                      expected="a subset of the offered scopes", received=str(extra),
                      exchanges=[exchange(lti_tool, e) for e in tokens[:3]])


@check(id="LTIT-SVC-003", standard=STANDARD, category="services", level="required",
       requirements=("LTIT-REQ-NRPS-REQUEST",),
       title="The Names and Roles request carries the bearer token and asks for the membership container type",
       why="A roster request the LMS cannot authorise or does not understand leaves the class list empty.",
       remediation=f"GET context_memberships_url with Authorization: Bearer <token> and Accept: {c.MEDIA_MEMBERSHIPS}.",
       ref=f"{NRPS} §2.2, §4; LTI Advantage Conformance Guide §6.3")
def check_nrps_request(lti_tool: LtiToolSession) -> None:
    svc = services(lti_tool)
    reads = svc.at(NRPS_PATH)
    if not reads:
        raise _none_received(svc, "Names and Roles request")
    _problems(lti_tool, reads, "Names and Roles request")


@check(id="LTIT-SVC-004", standard=STANDARD, category="services", level="recommended",
       requirements=("LTIT-REQ-NRPS-PAGING",),
       title="The tool reads every page of the roster (follows Link rel=\"next\")",
       why="A tool reading only the first page silently misses the rest of the class.",
       remediation="After each memberships page, GET the URL of the Link header's rel=\"next\" until there is none.",
       ref=f"{NRPS} §2.4.2 (limit and paging)")
def check_nrps_paging(lti_tool: LtiToolSession) -> None:
    svc = services(lti_tool)
    reads = svc.at(NRPS_PATH)
    if not reads:
        raise _none_received(svc, "Names and Roles request")
    pages = len(lti_tool.platform.members) // NRPS_PAGE + (1 if len(lti_tool.platform.members) % NRPS_PAGE else 0)
    seen = {r["query"].get("page", "0") for r in reads}
    if len(seen) < pages:
        raise Failure(f"the tool read {len(seen)} of the roster's {pages} pages", expected=f"{pages} pages read",
                      received=f"{len(seen)} page(s)", exchanges=[exchange(lti_tool, r) for r in reads[:3]])


def _scores(lti_tool: LtiToolSession) -> tuple[Services, list[dict[str, Any]]]:
    svc = services(lti_tool)
    posts = [r for r in svc.at("/scores", "POST") if LINEITEMS_PATH in r["path"]]
    if not posts:
        raise _none_received(svc, "score (POST {lineitem}/scores)")
    return svc, posts


@check(id="LTIT-SVC-005", standard=STANDARD, category="services", level="required",
       requirements=("LTIT-REQ-AGS-SCORE-MEDIA",),
       title="Scores are posted with the score media type and a token granted the score scope",
       why="The gradebook refuses, or mis-reads, grades sent without the agreed format and permission.",
       remediation=f"POST to {{lineitem}}/scores with Content-Type: {c.MEDIA_SCORE} and a bearer token granted "
                   f"{c.SCOPE_SCORE}.",
       ref=f"{AGS} §3.4 (score publish service), §3.1 (scopes)")
def check_score_request(lti_tool: LtiToolSession) -> None:
    _, posts = _scores(lti_tool)
    _problems(lti_tool, posts, "score request")


@check(id="LTIT-SVC-006", standard=STANDARD, category="services", level="required",
       requirements=("LTIT-REQ-AGS-SCORE-PAYLOAD",),
       title="Each score names the user and carries valid progress values, a precise timestamp and scoreMaximum",
       why="A grade without the maximum, the student or the time it was given can land wrong in the gradebook.",
       remediation="Send userId (the launch's sub), activityProgress and gradingProgress from the AGS vocabularies, "
                   "timestamp in ISO 8601 with fractional seconds and a time zone, and scoreMaximum whenever "
                   "scoreGiven is present (scoreGiven >= 0).",
       ref=f"{AGS} §3.4.4-3.4.9")
def check_score_payload(lti_tool: LtiToolSession) -> None:
    svc, posts = _scores(lti_tool)
    problems: list[str] = []
    for post in posts:
        try:
            score = json.loads(post["body"])
        except ValueError:
            problems.append("the body is not JSON")
            continue
        if not isinstance(score, dict):
            problems.append("the body is not a JSON object")
            continue
        if score.get("userId") != svc.user:
            problems.append("userId is not the launch's sub")
        if score.get("activityProgress") not in ACTIVITY:
            problems.append(f"activityProgress {score.get('activityProgress')!r} is not in the vocabulary")
        if score.get("gradingProgress") not in GRADING:
            problems.append(f"gradingProgress {score.get('gradingProgress')!r} is not in the vocabulary")
        if not isinstance(score.get("timestamp"), str) or not TIMESTAMP.match(score["timestamp"]):
            problems.append("timestamp is not ISO 8601 with fractional seconds and a time zone")
        given = score.get("scoreGiven")
        if given is not None:
            if not isinstance(given, int | float) or given < 0:
                problems.append("scoreGiven is not a number >= 0")
            maximum = score.get("scoreMaximum")
            if not isinstance(maximum, int | float) or maximum <= 0:
                problems.append("scoreGiven without a positive scoreMaximum")
    if problems:
        raise Failure("the tool's score: " + "; ".join(sorted(set(problems))), expected="an AGS §3.4 score",
                      received="; ".join(sorted(set(problems))), exchanges=[exchange(lti_tool, p) for p in posts[:3]])


def _ags_requests(lti_tool: LtiToolSession, suffix: str, method: str, what: str) -> list[dict[str, Any]]:
    svc = services(lti_tool)
    found = [r for r in svc.at(suffix, method) if LINEITEMS_PATH in r["path"]]
    if not found:
        # creating line items and reading results are MAY (AGS 2.0 §3.2-3.3): a tool that does neither is fine
        raise NotApplicable(f"the tool did not {what} after the services launch")
    return found


@check(id="LTIT-SVC-007", standard=STANDARD, category="services", level="required",
       requirements=("LTIT-REQ-AGS-LINEITEM-REQUEST", "LTIT-REQ-AGS-LINEITEMS"),
       title="Line items the tool creates are posted with the line item media type, the lineitem scope, a label "
             "and scoreMaximum > 0",
       why="A gradebook column the LMS cannot read or authorise never appears, and the grades sent to it are lost.",
       remediation=f"POST to the AGS claim's lineitems URL with Content-Type: {c.MEDIA_LINEITEM}, a bearer token "
                   f"granted {c.SCOPE_LINEITEM}, and a body with a non-blank label and scoreMaximum > 0.",
       ref=f"{AGS} §3.2 (line item service); LTI Advantage Conformance Guide §6.4",
       tags=("1edtech:ags-create-lineitem",))
def check_lineitem_request(lti_tool: LtiToolSession) -> None:
    created = _ags_requests(lti_tool, LINEITEMS_PATH, "POST", "create a line item (POST {lineitems})")
    _problems(lti_tool, created, "line item request")


@check(id="LTIT-SVC-008", standard=STANDARD, category="services", level="required",
       requirements=("LTIT-REQ-AGS-RESULTS-REQUEST", "LTIT-REQ-AGS-LINEITEMS"),
       title="Results are read with the result.readonly scope and the result container media type",
       why="A results request the LMS cannot authorise or does not understand shows the tool no grades.",
       remediation=f"GET {{lineitem}}/results with Accept: {c.MEDIA_RESULTS} and a bearer token granted "
                   f"{c.SCOPE_RESULT_READONLY}.",
       ref=f"{AGS} §3.3 (result service); LTI Advantage Conformance Guide §6.4",
       tags=("1edtech:ags-read-results",))
def check_results_request(lti_tool: LtiToolSession) -> None:
    reads = _ags_requests(lti_tool, "/results", "GET", "read results (GET {lineitem}/results)")
    _problems(lti_tool, reads, "results request")


@check(id="LTIT-SVC-009", standard=STANDARD, category="services", level="recommended",
       requirements=("LTIT-REQ-AGS-LEARNER-SCORE",),
       title="A learner's launch offering the grade service leads the tool to post that learner's score",
       why="Grades come from students doing the activity; a tool that sends grades only when a teacher opens it "
           "leaves the gradebook empty.",
       remediation="When a learner launch carries the AGS claim with a lineitem and the score scope, post the "
                   "learner's score (userId = the launch's sub) to {lineitem}/scores once the learner has a "
                   "result (Initialized/Started progress counts).",
       ref=f"{AGS} §3.4; LTI Advantage Conformance Guide §6.4 (a learner launch, then the tool's scores)",
       tags=("1edtech:ags-learner-launch",))
def check_learner_score(lti_tool: LtiToolSession) -> None:
    svc = services(lti_tool, c.ROLE_LEARNER)
    posts = [r for r in svc.at("/scores", "POST") if LINEITEMS_PATH in r["path"]]
    mine = []
    for post in posts:
        try:
            score = json.loads(post["body"])
        except ValueError:
            continue
        if isinstance(score, dict) and score.get("userId") == svc.user:
            mine.append(post)
    if not mine:
        raise Failure("after a learner's launch offering the grade service the tool posted no score for that "
                      "learner", expected=f"POST {{lineitem}}/scores with userId {svc.user!r}",
                      received=f"{len(posts)} score(s), none for the learner",
                      exchanges=[*svc.launch.evidence(), *(exchange(lti_tool, p) for p in posts[:2])])
