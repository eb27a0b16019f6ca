"""The ordering predicates the filter checks scan whole collections with agree with ``compare``, case by case."""
from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

from edcert.conformance.oneroster._common import QUERY_LIMIT
from edcert.conformance.oneroster.filtering import compare, delta_bound, instant, ordered, timeline

VALUES: list[Any] = ["2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000Z", "2025-12-31", "garbage",
                     "2026-01-01T01:00:00+01:00", None, 5, "", "2026-01-02T00:00:00", "2026-01-01T00:00:00.5Z",
                     ["2026-01-01T00:00:00Z"], {"at": "2026-01-01T00:00:00Z"}]  # a vendor's list, object
BOUNDS = [v for v in VALUES if isinstance(v, str)]


@pytest.mark.parametrize("op", [">", ">=", "<", "<="])
def test_ordered_matches_exactly_what_compare_says(op: str) -> None:
    outcomes = set()
    for value, bound in itertools.product(VALUES, BOUNDS):
        got = ordered("dateLastModified", op, bound)({"dateLastModified": value})
        assert got == compare(value, op, bound), (value, op, bound)
        outcomes.add(got)
    assert outcomes == {True, False}


@pytest.mark.parametrize("op", [">", ">=", "<", "<="])
def test_one_predicate_scanning_many_records_judges_each_as_compare_does(op: str) -> None:
    # a predicate remembers its verdict per value: a scan meeting each value many times, in any order
    rng = random.Random(op)
    for bound in BOUNDS:
        matches = ordered("dateLastModified", op, bound)
        for value in rng.choices(VALUES, k=200):
            assert matches({"dateLastModified": value}) == compare(value, op, bound), (value, op, bound)


def _plain_timeline(records: list[dict[str, Any]]) -> list[str]:
    by_instant: dict[Any, str] = {}
    for record in records:
        value = record.get("dateLastModified")
        moment = instant(value)
        if moment is not None and isinstance(value, str):
            by_instant.setdefault(moment, value)
    return [by_instant[k] for k in sorted(by_instant)]


def _plain_delta_bound(records: list[dict[str, Any]]) -> str:
    per_instant: dict[Any, tuple[str, int, bool]] = {}
    for record in records:
        value = record.get("dateLastModified")
        moment = instant(value)
        if moment is None or not isinstance(value, str):
            continue
        first, count, deleted = per_instant.get(moment, (value, 0, False))
        per_instant[moment] = (first, count + 1, deleted or record.get("status") == "tobedeleted")
    ranked = [per_instant[k] for k in sorted(per_instant, reverse=True)]
    after, deleted_after = 0, False
    for (_, count, deleted), (bound, _, _) in itertools.pairwise(ranked):
        after, deleted_after = after + count, deleted_after or deleted
        if after > QUERY_LIMIT:
            break
        if deleted_after:
            return bound
    return ranked[1][0]


def test_timeline_and_delta_bound_read_values_once_and_answer_as_a_record_by_record_scan() -> None:
    # several strings for one instant (which one is kept is the first in record order), values that are
    # not dates, records marked to be deleted here and there, answers large and small
    stamps = [f"2026-03-{d:02d}T{h:02d}:00:00Z" for d in range(1, 28) for h in (0, 12)]
    spellings = {s: [s, s.replace("Z", "+00:00"), s.replace("Z", ".000Z")] for s in stamps}
    seen_bounds = set()
    for seed in range(40):
        rng = random.Random(seed)
        records: list[dict[str, Any]] = []
        deletions = rng.choice([0.0, 0.0005, 0.002, 0.05])
        for _ in range(rng.choice([3, 50, 400, 3000])):
            stamp = rng.choice(stamps[: rng.randint(3, len(stamps))])
            value: Any = (rng.choice(spellings[stamp]) if rng.random() > 0.05
                          else rng.choice([None, 7, "soon", "", [stamp], {"at": stamp}]))
            status = "tobedeleted" if rng.random() < deletions else "active"
            records.append({"sourcedId": str(len(records)), "dateLastModified": value, "status": status})
        assert timeline(records, "dateLastModified") == _plain_timeline(records)
        if len(_plain_timeline(records)) >= 2:
            bound = delta_bound(records)
            assert bound == _plain_delta_bound(records)
            seen_bounds.add(bound)
    assert len(seen_bounds) > 5
