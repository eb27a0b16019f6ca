"""The ordering predicates the filter checks scan whole collections with agree with ``compare``, case by case."""
from __future__ import annotations

import itertools
from typing import Any

import pytest

from edcert.conformance.oneroster.filtering import compare, ordered

VALUES: list[Any] = ["2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000Z", "2025-12-31", "garbage",
                     "2026-01-01T01:00:00+01:00", None, 5, "", "2026-01-02T00:00:00", "2026-01-01T00:00:00.5Z"]
BOUNDS = [v for v in VALUES if isinstance(v, str)]


@pytest.mark.parametrize("op", [">", ">=", "<", "<="])
def test_ordered_matches_exactly_what_compare_says(op: str) -> None:
    outcomes = set()
    for value, bound in itertools.product(VALUES, BOUNDS):
        got = ordered("dateLastModified", op, bound)({"dateLastModified": value})
        assert got == compare(value, op, bound), (value, op, bound)
        outcomes.add(got)
    assert outcomes == {True, False}
