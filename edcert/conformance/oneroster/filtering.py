"""Filtering: every predicate of the ``filter`` parameter selects exactly the records it names.

Each check sends one filter (paged with a large limit, so one request usually
suffices) and compares the answer with the same predicate evaluated here on
the collection the run already read. Filters use only fields that carry no
personal data (status-like enumerations, ``dateLastModified``, titles), and
values are chosen from the data so that the filter keeps some records and
drops others: a provider ignoring the filter cannot pass.

The comparison is two-sided and robust to a listing that is itself imperfect:
every record the provider returns must satisfy the predicate (evaluated on the
returned record), and every record of the cached listing that satisfies it must
come back.
"""
from __future__ import annotations

import functools
import operator
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from edcert.conformance.oneroster._common import (
    QUERY_LIMIT,
    REST_BINDING,
    STANDARD,
    expect_status,
    expect_status_payload,
    fetch_query,
)
from edcert.conformance.oneroster._fixtures import Collection, OneRosterSession
from edcert.harness import check
from edcert.harness.errors import Failure, NotApplicable

JSON = dict[str, Any]
Predicate = Callable[[JSON], bool]

FILTER_REF = (f"{REST_BINDING} (filtering: filter=<field><predicate>'<value>' with predicates "
              "= != > >= < <= ~ and one logical AND/OR)")
FILTER_REMEDIATION = ("Apply the filter parameter on the server: return exactly the records for which "
                      "`{expr}` holds, no more and no fewer.")
# Enumeration-like fields, smallest collections first (no personal data; the values name categories).
ENUM_FIELDS = (("academicSessions", "type"), ("orgs", "type"), ("classes", "classType"), ("enrollments", "role"))
TIME_ENDPOINT = "classes"
DELTA_ENDPOINT = "enrollments"
TEXT_FIELDS = (("classes", "title"), ("courses", "title"))
UNKNOWN_FIELD = "edcertNoSuchField"


def quoted(value: str) -> str:
    """A filter value in single quotes (a quote inside is written twice)."""
    return "'" + value.replace("'", "''") + "'"


def instant(value: Any) -> datetime | None:
    """An RFC 3339 date-time (or a date) as an aware datetime; None when unreadable."""
    return _instant(value) if isinstance(value, str) else None


@functools.lru_cache(maxsize=65_536)
def _instant(value: str) -> datetime | None:
    # a district's records share a few hundred modification stamps: each is parsed once, not once per record
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def compare(value: Any, op: str, bound: str) -> bool:
    """``value <op> bound`` for the ordering predicates: as instants when both read as dates, else as text."""
    if not isinstance(value, str):
        return False
    left: Any = instant(value)
    right: Any = instant(bound)
    if left is None or right is None:
        left, right = value, bound
    if op == ">":
        return bool(left > right)
    if op == ">=":
        return bool(left >= right)
    if op == "<":
        return bool(left < right)
    return bool(left <= right)


_ORDER = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


def ordered(field: str, op: str, bound: str) -> Predicate:
    """``compare(record[field], op, bound)``, with the bound read once (a delta scans every enrollment)."""
    right = instant(bound)
    test = _ORDER.get(op, operator.le)
    # a district's records share a few hundred values of a date-time field: each is judged once
    judged: dict[str, bool] = {}

    def judge(value: str) -> bool:
        left = instant(value)
        verdict = bool(test(value, bound)) if left is None or right is None else bool(test(left, right))
        judged[value] = verdict
        return verdict

    def matches(record: JSON) -> bool:
        value = record.get(field)
        if not isinstance(value, str):
            return False
        verdict = judged.get(value)
        return judge(value) if verdict is None else verdict

    return matches


def timeline(records: list[JSON], field: str) -> list[str]:
    """The distinct values of a date-time field, earliest first (one original string per instant)."""
    by_instant: dict[datetime, str] = {}
    # the distinct values first, in the order they first appear (a delta reads every enrollment); only
    # strings can be dates, and a vendor's other values may not even be hashable (a list, an object)
    for value in dict.fromkeys(v for record in records if isinstance(v := record.get(field), str)):
        moment = instant(value)
        if moment is not None:
            by_instant.setdefault(moment, value)
    return [by_instant[k] for k in sorted(by_instant)]


@dataclass(frozen=True)
class Case:
    endpoint: str
    expr: str
    matches: Predicate  # records that must come back
    allowed: Predicate | None = None  # records that may come back (defaults to ``matches``)


def sid(record: JSON) -> str:
    return str(record.get("sourcedId"))


def few(items: list[str], cap: int = 3) -> str:
    if len(items) <= cap:
        return ", ".join(items)
    return f"{cap} of {len(items)}: " + ", ".join(items[:cap])


def counted(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def run_case(oneroster: OneRosterSession, case: Case, full: Collection) -> None:
    expected = [sid(r) for r in full.records if case.matches(r)]
    if len(set(expected)) == len(full.by_id()):
        raise NotApplicable(f"every record of /{case.endpoint} matches {case.expr}: nothing to tell apart")
    what = f"GET /{case.endpoint}?filter={case.expr}"
    records, exchanges = fetch_query(oneroster, case.endpoint, {"filter": case.expr}, what,
                                     expected=len(set(expected)))
    allowed = case.allowed or case.matches
    got = {sid(r) for r in records}
    wrong = [sid(r) for r in records if not allowed(r)]
    # more records than expected stops the read early: what did not arrive yet is not known to be missing
    truncated = len(records) > len(set(expected))
    missing = [] if truncated else [i for i in dict.fromkeys(expected) if i not in got]
    problems = []
    if wrong:
        problems.append(f"{counted(len(wrong), 'returned record')} not matching the filter ({few(wrong)})")
    if missing:
        problems.append(f"{counted(len(missing), 'matching record')} missing ({few(missing)})")
    if problems:
        raise Failure(
            f"{what}: " + "; ".join(problems),
            expected=f"the {len(set(expected))} records of /{case.endpoint} for which {case.expr} holds",
            received=f"{len(records)} records", exchanges=[*exchanges[:2], *full.evidence()],
        )


# ---------------------------------------------------------------------------
# choosing values from the data


def enum_choice(oneroster: OneRosterSession) -> tuple[Collection, str, list[tuple[str, int]]]:
    """A collection, an enumeration field of it and its values by frequency (at least two values)."""
    for endpoint, field in ENUM_FIELDS:
        full = oneroster.collection(endpoint)
        counts = Counter(r.get(field) for r in full.records if isinstance(r.get(field), str))
        if len(counts) >= 2:
            ranked = sorted(counts.items(), key=lambda kv: (kv[1], str(kv[0])))
            return full, field, [(str(k), v) for k, v in ranked]
    raise NotApplicable("no collection has an enumeration field with two different values to filter on")


def times(oneroster: OneRosterSession, endpoint: str, needed: int) -> tuple[Collection, list[str]]:
    full = oneroster.collection(endpoint)
    values = timeline(full.records, "dateLastModified")
    if len(values) < needed:
        raise NotApplicable(f"/{endpoint} has fewer than {needed} distinct dateLastModified values")
    return full, values


def time_case(oneroster: OneRosterSession, op: str) -> tuple[Case, Collection]:
    """``dateLastModified <op> T`` on /classes, T an existing value near the end that keeps the answer small."""
    full, values = times(oneroster, TIME_ENDPOINT, 3)
    # > and >= near the latest value, < and <= near the earliest: small answers, and T itself exists,
    # so > and >= (< and <=) differ exactly by the records modified at T.
    bound = values[-2] if op in (">", ">=") else values[1]
    expr = f"dateLastModified{op}{quoted(bound)}"
    return Case(TIME_ENDPOINT, expr, ordered("dateLastModified", op, bound)), full


def text_choice(oneroster: OneRosterSession) -> tuple[Collection, str, str]:
    """A title fragment (inside a word, so only a true substring test finds it) present in some titles only."""
    for endpoint, field in TEXT_FIELDS:
        full = oneroster.collection(endpoint)
        titles = [r[field] for r in full.records if isinstance(r.get(field), str)]
        fragments = sorted({word[1:-1] for title in titles for word in title.split()
                            if len(word) >= 5 and word.isalnum()})
        scored = []
        for fragment in fragments:
            count = sum(fragment in t for t in titles)
            if 1 <= count < len(full.records):
                scored.append((count < 2, count, fragment))
        if scored:
            return full, field, min(scored)[2]
    raise NotApplicable("no class or course title has a word that only some titles contain")


# ---------------------------------------------------------------------------
# the predicates


# The requirement (fixtures/requirements/oneroster-1.2.toml) each predicate check enforces.
_REQUIREMENTS = {
    "OR12-FILT-001": "OR12-REQ-FILT-EQUALITY", "OR12-FILT-002": "OR12-REQ-FILT-EQUALITY",
    "OR12-FILT-003": "OR12-REQ-FILT-COMPARE", "OR12-FILT-004": "OR12-REQ-FILT-COMPARE",
    "OR12-FILT-005": "OR12-REQ-FILT-COMPARE", "OR12-FILT-006": "OR12-REQ-FILT-COMPARE",
    "OR12-FILT-007": "OR12-REQ-FILT-CONTAINS", "OR12-FILT-008": "OR12-REQ-FILT-LOGICAL",
    "OR12-FILT-009": "OR12-REQ-FILT-LOGICAL", "OR12-FILT-010": "OR12-REQ-FILT-DELTA",
}


def _check_meta(check_id: str, title: str, why: str, expr: str) -> dict[str, Any]:
    return dict(
        id=check_id, standard=STANDARD, category="filtering", level="recommended",
        title=title, why=why, remediation=FILTER_REMEDIATION.format(expr=expr), ref=FILTER_REF,
        requirements=(_REQUIREMENTS[check_id],),
    )


@check(**_check_meta(
    "OR12-FILT-001", "filter=field='value' returns exactly the records whose field equals the value",
    "Applications ask the provider for just the records they need (for example only the terms); if the "
    "filter is wrong they import the wrong records.", "field='value'"))
def check_filter_equals(oneroster: OneRosterSession) -> None:
    full, field, ranked = enum_choice(oneroster)
    value = ranked[0][0]  # the rarest value: a small answer
    case = Case(full.endpoint, f"{field}={quoted(value)}", lambda r: r.get(field) == value)
    run_case(oneroster, case, full)


@check(**_check_meta(
    "OR12-FILT-002", "filter=field!='value' returns exactly the records whose field differs from the value",
    "Applications exclude categories of records with this filter; a wrong answer brings back what they "
    "meant to leave out.", "field!='value'"))
def check_filter_not_equals(oneroster: OneRosterSession) -> None:
    full, field, ranked = enum_choice(oneroster)
    value = ranked[-1][0]  # the commonest value: what remains is small
    case = Case(full.endpoint, f"{field}!={quoted(value)}", lambda r: r.get(field) != value)
    run_case(oneroster, case, full)


@check(**_check_meta(
    "OR12-FILT-003", "filter=dateLastModified>'T' returns exactly the records modified strictly after T",
    "Applications ask for what changed since a moment; if records modified exactly at that moment come "
    "back too, every sync repeats work or, worse, the comparison cannot be trusted.", "dateLastModified>'T'"))
def check_filter_greater(oneroster: OneRosterSession) -> None:
    case, full = time_case(oneroster, ">")
    run_case(oneroster, case, full)


@check(**_check_meta(
    "OR12-FILT-004", "filter=dateLastModified>='T' returns exactly the records modified at or after T",
    "Applications ask for everything from a moment on; records modified exactly at that moment must "
    "not be lost.", "dateLastModified>='T'"))
def check_filter_greater_equal(oneroster: OneRosterSession) -> None:
    case, full = time_case(oneroster, ">=")
    run_case(oneroster, case, full)


@check(**_check_meta(
    "OR12-FILT-005", "filter=dateLastModified<'T' returns exactly the records modified strictly before T",
    "Applications select older records with this filter; a wrong boundary brings back the wrong ones.",
    "dateLastModified<'T'"))
def check_filter_less(oneroster: OneRosterSession) -> None:
    case, full = time_case(oneroster, "<")
    run_case(oneroster, case, full)


@check(**_check_meta(
    "OR12-FILT-006", "filter=dateLastModified<='T' returns exactly the records modified at or before T",
    "Applications select records up to a moment with this filter; records modified exactly then must "
    "not be lost.", "dateLastModified<='T'"))
def check_filter_less_equal(oneroster: OneRosterSession) -> None:
    case, full = time_case(oneroster, "<=")
    run_case(oneroster, case, full)


@check(**_check_meta(
    "OR12-FILT-007", "filter=title~'text' returns exactly the records whose title contains the text",
    "Applications search classes and courses by part of their name; a provider that only finds exact "
    "names makes those searches come back empty.", "title~'text'"))
def check_filter_contains(oneroster: OneRosterSession) -> None:
    full, field, fragment = text_choice(oneroster)

    def exact_case(r: JSON) -> bool:
        value = r.get(field)
        return isinstance(value, str) and fragment in value

    def any_case(r: JSON) -> bool:  # a case-insensitive "contains" is as good
        value = r.get(field)
        return isinstance(value, str) and fragment.casefold() in value.casefold()

    case = Case(full.endpoint, f"{field}~{quoted(fragment)}", exact_case, any_case)
    run_case(oneroster, case, full)


@check(**_check_meta(
    "OR12-FILT-008", "Two filter clauses joined by AND return the records matching both",
    "Applications narrow a request with two conditions (for example a time window); if AND is not "
    "honoured they receive records outside it.", "a AND b"))
def check_filter_and(oneroster: OneRosterSession) -> None:
    full, values = times(oneroster, TIME_ENDPOINT, 4)
    low, high = values[-3], values[-2]  # a window that leaves records before and after it
    expr = f"dateLastModified>={quoted(low)} AND dateLastModified<={quoted(high)}"
    lo, hi = ordered("dateLastModified", ">=", low), ordered("dateLastModified", "<=", high)
    run_case(oneroster, Case(TIME_ENDPOINT, expr, lambda r: lo(r) and hi(r)), full)


@check(**_check_meta(
    "OR12-FILT-009", "Two filter clauses joined by OR return the records matching either",
    "Applications combine two conditions with OR to fetch both kinds of record at once; if OR is treated "
    "as AND they silently receive fewer records.", "a OR b"))
def check_filter_or(oneroster: OneRosterSession) -> None:
    full, values = times(oneroster, TIME_ENDPOINT, 3)
    low, high = values[0], values[-1]  # the two ends; everything in between must stay out
    expr = f"dateLastModified<={quoted(low)} OR dateLastModified>={quoted(high)}"
    lo, hi = ordered("dateLastModified", "<=", low), ordered("dateLastModified", ">=", high)
    run_case(oneroster, Case(TIME_ENDPOINT, expr, lambda r: lo(r) or hi(r)), full)


def delta_bound(records: list[JSON]) -> str:
    """T for the delta query: an existing dateLastModified with a small, non-empty set of later records.

    Among the values whose answer fits one page, the latest one whose answer holds a tobedeleted record
    is preferred, so that the query also shows that deletions reach a delta sync.
    """
    per_instant: dict[datetime, tuple[str, int, bool]] = {}
    # counted by (value, deleted) first, in the order they first appear, so each value is read once and
    # the first string of every instant is still the first one in the records
    counted = Counter((v, r.get("status") == "tobedeleted") for r in records
                      if isinstance(v := r.get("dateLastModified"), str))
    for (value, deleted_here), n in counted.items():
        moment = instant(value)
        if moment is None:
            continue
        first, count, deleted = per_instant.get(moment, (value, 0, False))
        per_instant[moment] = (first, count + n, deleted or deleted_here)
    ranked = [per_instant[k] for k in sorted(per_instant, reverse=True)]  # latest first
    after, deleted_after = 0, False
    for (_, count, deleted), (bound, _, _) in pairwise(ranked):
        after, deleted_after = after + count, deleted_after or deleted
        if after > QUERY_LIMIT:
            break
        if deleted_after:
            return bound
    return ranked[1][0]


@check(**_check_meta(
    "OR12-FILT-010", "A delta query dateLastModified>'T' returns exactly the records changed after T",
    "Nightly syncs only ask for what changed since the last run; if that answer is wrong, changes and "
    "removals (records marked to be deleted) never reach the application.", "dateLastModified>'T'"))
def check_filter_delta(oneroster: OneRosterSession) -> None:
    full, _ = times(oneroster, DELTA_ENDPOINT, 2)
    bound = delta_bound(full.records)
    case = Case(DELTA_ENDPOINT, f"dateLastModified>{quoted(bound)}", ordered("dateLastModified", ">", bound))
    run_case(oneroster, case, full)


@check(
    id="OR12-FILT-011", standard=STANDARD, category="filtering", level="recommended",
    requirements=("OR12-REQ-FILT-INVALID-FIELD",),
    title="A filter on an unknown field is refused with 400 and codeMinor invalid_filter_field",
    why="If a mistyped filter is silently ignored, an application asking for a few records receives the "
        "whole district and may treat it as the answer.",
    remediation="Answer HTTP 400 with the status payload carrying imsx_codeMinorFieldValue "
                "invalid_filter_field when a filter names a field the entity does not have.",
    ref=f"{FILTER_REF}; {REST_BINDING} (status codes: 400 invalid_filter_field)",
)
def check_filter_unknown_field(oneroster: OneRosterSession) -> None:
    expr = f"{UNKNOWN_FIELD}={quoted('x')}"
    what = f"GET /classes?filter={expr}"
    response = oneroster.get("/classes", params={"filter": expr, "limit": 1})
    expect_status(response, 400, what)
    expect_status_payload(response, "invalid_filter_field", what)
