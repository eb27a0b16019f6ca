"""The compiled clean-record test never passes a record the full validator would fault."""
from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from edcert.conformance.oneroster import models
from edcert.conformance.oneroster._fastcheck import compile_shape
from edcert.fixtures.districts import generate_district

ODD_VALUES: tuple[Any, ...] = (None, 5, True, "", " ", "True", "ext:x-1", "2026-13-01", "2026-06-01T25:00:00Z",
                               [], [5], {}, {"type": "org"}, "x")
ENDPOINTS = ("orgs", "academicSessions", "courses", "classes", "users", "enrollments", "demographics")


def walk(record: dict[str, Any], shape: models.Shape) -> list[models.Issue]:
    w = models._Walk()
    w.shape(record, shape, "")
    return w.issues


def mutations(record: Any) -> Iterator[Any]:
    """The record with one value anywhere in it replaced, dropped, or one property added."""
    if isinstance(record, dict):
        yield {**record, "notAOneRosterProperty": "x"}
        for key, value in record.items():
            yield {k: v for k, v in record.items() if k != key}
            for odd in ODD_VALUES:
                yield {**record, key: odd}
            for inner in mutations(value):
                yield {**record, key: inner}
    elif isinstance(record, list) and record:
        yield []
        for inner in mutations(record[0]):
            yield [inner, *record[1:]]


@pytest.fixture(scope="module")
def district() -> dict[str, list[dict[str, Any]]]:
    return generate_district("small").to_dict()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_conformant_record_takes_the_fast_path(district: dict[str, list[dict[str, Any]]],
                                                     endpoint: str) -> None:
    clean = compile_shape(models.SHAPES[endpoint])
    records = district[endpoint]
    assert records and all(clean(r) for r in records)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_broken_record_is_never_called_clean(district: dict[str, list[dict[str, Any]]], endpoint: str) -> None:
    shape = models.SHAPES[endpoint]
    clean = compile_shape(shape)
    tried = faulted = 0
    for record in district[endpoint][:3]:
        for broken in mutations(copy.deepcopy(record)):
            tried += 1
            issues = walk(broken, shape)
            if issues:
                faulted += 1
                assert not clean(broken), f"called clean, but the validator finds {issues[:2]}"
                assert models.validate(broken, shape) == issues
    assert faulted > 50 and tried > faulted
