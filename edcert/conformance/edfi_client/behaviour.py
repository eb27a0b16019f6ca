"""Client behaviour, judged from the sandbox's recording of every request the vendor's client sent.

After Ed-Fi's API Integration Best Practices and certification testing rules: reuse tokens, follow the
dependency order, back off and redeliver after server errors and 429s, update rather than delete-and-recreate,
send fictional data only, and do not flood the API.
"""
from __future__ import annotations

import re
from typing import Any

from edcert.conformance.edfi_client._fixtures import PRACTICES, STANDARD, EdFiTarget, no_recorded_traffic
from edcert.harness import check
from edcert.harness.errors import Failure, NotApplicable

TOKEN_REFRESH_MARGIN = 120.0  # seconds before expiry a client may refresh its token early
BACKOFF_AFTER_5XX = 0.2  # seconds: the least pause edcert calls a back-off
SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
# RFC 2606 / RFC 6761 names, and the example.edu domain of edcert's synthetic districts
FICTIONAL_DOMAINS = ("example", "test", "invalid", "localhost", "example.com", "example.org", "example.net",
                     "example.edu")


def _traffic(target: EdFiTarget) -> list[dict[str, Any]]:
    seen = target.recording()
    if not seen:
        raise no_recorded_traffic()
    return seen


def _describe(entry: dict[str, Any]) -> str:
    return f"#{entry.get('seq')} {entry.get('method')} {entry.get('path')} (HTTP {entry.get('status')})"


@check(
    id="EDFICL-BEH-001", standard=STANDARD, category="client-behaviour", level="recommended",
    requirements=("EDFICL-REQ-TOKEN-REUSE",),
    title="The client reuses its access token until it (nearly) expires",
    why="A client asking for a token per request overloads the district's API; Ed-Fi 7.3 refuses it after 15.",
    remediation="Cache the access token for expires_in seconds and request a new one only shortly before it "
                "expires or after a 401.",
    ref=f"{PRACTICES} (reuse tokens until they expire); ODS/API 7.3 BearerTokenPerClientLimit",
)
def check_token_reuse(edfi_target: EdFiTarget) -> None:
    seen = _traffic(edfi_target)
    premature = []
    valid_until: float | None = None
    refused = False
    for entry in seen:
        if entry.get("note") == "token-issued":
            if valid_until is not None and not refused and valid_until - entry["at"] > TOKEN_REFRESH_MARGIN:
                premature.append(entry)
            valid_until, refused = entry.get("expires_at"), False
        elif entry.get("status") == 401:
            refused = True
    if len(premature) > 1:  # one early refresh (a restarted process) is tolerated
        raise Failure(f"the client asked for {len(premature)} new tokens while its token was still valid",
                      expected="one token reused until shortly before expires_in",
                      received=f"{len(premature) + 1} tokens, e.g. {_describe(premature[0])}")


@check(
    id="EDFICL-BEH-002", standard=STANDARD, category="client-behaviour", level="required",
    requirements=("EDFICL-REQ-DEPENDENCY-ORDER",),
    title="The client writes parents before children (no unresolved references)",
    why="One school sent after its enrollments turns into thousands of rejected records at the state.",
    remediation="Send resources in the order of the API's dependencies document; do not send a child whose "
                "parent failed.",
    ref=f"{PRACTICES} (no child writes after a parent fails; dependency order)",
)
def check_dependency_order(edfi_target: EdFiTarget) -> None:
    orphans = [e for e in _traffic(edfi_target) if e.get("note") == "unresolved-reference"]
    if orphans:
        raise Failure(f"{len(orphans)} write(s) referenced records the client had not sent yet",
                      expected="parents written first", received=", ".join(_describe(e) for e in orphans[:3]))


def _after(seen: list[dict[str, Any]], entry: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in seen if e["seq"] > entry["seq"]]


def _redelivery(seen: list[dict[str, Any]], note: str, pause: float, what: str) -> None:
    injected = [e for e in seen if e.get("note") == note]
    if not injected:
        raise NotApplicable(f"the client never received the sandbox's injected {what} (it never wrote the "
                            "resource it is injected on)")
    for entry in injected:
        later = _after(seen, entry)
        again = [e for e in later if e.get("method") == entry["method"] and e.get("resource") == entry["resource"]
                 and e.get("key") == entry["key"]]
        if not again or not any(isinstance(e.get("status"), int) and e["status"] < 300 for e in again):
            raise Failure(f"the client never redelivered {_describe(entry)} after the {what}",
                          expected="the same write sent again later and accepted", received="no redelivery")
        gap = (later[0]["at"] if later else entry["at"]) - entry["at"]
        if gap < pause:
            raise Failure(f"the client sent its next request {gap:.2f} s after the {what} ({_describe(entry)})",
                          expected=f"a pause of at least {pause:g} s", received=f"{gap:.2f} s")


@check(
    id="EDFICL-BEH-003", standard=STANDARD, category="client-behaviour", level="required",
    requirements=("EDFICL-REQ-BACKOFF",),
    title="After a 500 the client backs off, then redelivers the record",
    why="Ed-Fi APIs have outages; a client that hammers them or drops the record loses data silently.",
    remediation="On 5xx, wait (exponential back-off) and resend the same record; surface repeated failures.",
    ref=f"{PRACTICES} (exponential back-off); certification error handling (redeliver after failure)",
)
def check_backoff_500(edfi_target: EdFiTarget) -> None:
    _redelivery(_traffic(edfi_target), "injected-500", BACKOFF_AFTER_5XX, "HTTP 500")


@check(
    id="EDFICL-BEH-004", standard=STANDARD, category="client-behaviour", level="required",
    requirements=("EDFICL-REQ-RETRY-AFTER",),
    title="After a 429 the client waits as long as Retry-After says, then redelivers",
    why="A client ignoring 'too many requests' gets itself cut off, and its records are lost.",
    remediation="On 429, wait the Retry-After seconds before the next request, then resend the refused record.",
    ref=f"{PRACTICES}; RFC 6585 §4; RFC 9110 §10.2.3 (Retry-After)",
)
def check_retry_after(edfi_target: EdFiTarget) -> None:
    _redelivery(_traffic(edfi_target), "injected-429", 0.9, "HTTP 429 with Retry-After: 1")


@check(
    id="EDFICL-BEH-005", standard=STANDARD, category="client-behaviour", level="required",
    requirements=("EDFICL-REQ-UPDATE-IN-PLACE",),
    title="The client updates records in place (POST or PUT), never by delete-and-recreate",
    why="Deleting and re-creating a record changes its id and history: the state sees a withdrawal and a new "
        "record instead of a correction.",
    remediation="Send updates as POST (upsert on the natural key) or PUT to the item's id.",
    ref=f"{PRACTICES} (update by POST/PUT, not DELETE+POST); testing requirements",
)
def check_no_delete_recreate(edfi_target: EdFiTarget) -> None:
    seen = _traffic(edfi_target)
    recreated = []
    for entry in seen:
        if entry.get("method") == "DELETE" and entry.get("status") == 204 and any(
                e.get("method") == "POST" and e.get("resource") == entry.get("resource")
                and e.get("key") == entry.get("key") for e in _after(seen, entry)):
            recreated.append(entry)
    if recreated:
        raise Failure(f"{len(recreated)} record(s) were deleted and then created again",
                      expected="updates by POST or PUT", received=", ".join(_describe(e) for e in recreated[:3]))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def real_looking(text: str) -> str | None:
    """Why a value looks like real personal data (an SSN shape, a real e-mail domain), or None."""
    if SSN.search(text):
        return "an SSN-shaped number"
    for domain in EMAIL.findall(text):
        low = domain.lower()
        if not any(low == d or low.endswith("." + d) for d in FICTIONAL_DOMAINS):
            return f"an e-mail address at {domain}"
    return None


@check(
    id="EDFICL-BEH-006", standard=STANDARD, category="security", level="required",
    requirements=("EDFICL-REQ-FICTIONAL",),
    title="The client sends fictional data only (no SSN-shaped numbers, no real e-mail domains)",
    why="Certification runs against a test API; real student data there is a privacy breach.",
    remediation="Publish only made-up people to certification and sandbox APIs; use reserved example domains.",
    ref="Ed-Fi certification testing requirements (fictional data only)",
)
def check_fictional_data(edfi_target: EdFiTarget) -> None:
    findings = []
    for entry in _traffic(edfi_target):
        for text in _strings(entry.get("body")):
            reason = real_looking(text)
            if reason:
                findings.append(f"{_describe(entry)}: {reason}")
    if findings:
        raise Failure(f"{len(findings)} value(s) look like real personal data", expected="fictional data only",
                      received="; ".join(findings[:3]))


@check(
    id="EDFICL-BEH-007", standard=STANDARD, category="client-behaviour", level="required",
    requirements=("EDFICL-REQ-NO-FLOOD",),
    title="The client does not flood the API (it is never throttled)",
    why="A client in a tight loop slows the district's API for every other system.",
    remediation="Pace requests, poll with change queries at a sensible interval, and honour 429 Retry-After.",
    ref=f"{PRACTICES} (consumers use change queries and paging)",
)
def check_no_flood(edfi_target: EdFiTarget) -> None:
    throttled = [e for e in _traffic(edfi_target) if e.get("note") == "throttled"]
    if throttled:
        raise Failure(f"the sandbox throttled {len(throttled)} request(s) of the client (more than it accepts "
                      "per second)", expected="no throttled request", received=_describe(throttled[0]))
