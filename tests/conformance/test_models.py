"""The OneRoster 1.2 record validator on its own: one kind of defect, one rule."""
from __future__ import annotations

import copy

import pytest

from edcert.conformance.oneroster.models import (
    CLASS,
    ENROLLMENT,
    USER,
    Rule,
    is_date,
    is_datetime,
    show,
    validate,
)
from edcert.fixtures.districts import generate_district

DISTRICT = generate_district("small")


def first(kind: str, **where: str) -> dict:
    records = getattr(DISTRICT, kind)
    for record in records:
        if all(record.get(k) == v for k, v in where.items()):
            return copy.deepcopy(record)
    raise LookupError(kind)


@pytest.mark.parametrize(("kind", "shape"), [("classes", CLASS), ("users", USER), ("enrollments", ENROLLMENT)])
def test_every_generated_record_is_valid(kind: str, shape: object) -> None:
    for record in getattr(DISTRICT, kind):
        assert validate(record, shape) == []  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "ok"),
    [("2026-06-01T02:00:00Z", True), ("2026-06-01T02:00:00.123Z", True), ("2026-06-01T02:00:00+02:00", True),
     ("2026-06-01", False), ("2026-06-01T25:00:00Z", False), ("2026-02-30T00:00:00Z", False),
     ("2026-06-01T02:00:00+00:00Z", False), ("1/05/2023", False), (20260601, False)],
)
def test_datetime_format(value: object, ok: bool) -> None:
    assert is_datetime(value) is ok


@pytest.mark.parametrize(("value", "ok"), [("2026-06-01", True), ("2026-13-01", False), ("08/15/2025", False),
                                           ("2026-06-01T00:00:00Z", False), ("2024-02-29", True)])
def test_date_format(value: object, ok: bool) -> None:
    assert is_date(value) is ok


def rules(record: dict, shape: object) -> set[Rule]:
    return {issue.rule for issue in validate(record, shape)}  # type: ignore[arg-type]


def test_enumerations_are_case_sensitive_and_accept_ext() -> None:
    cls = first("classes")
    cls["classType"] = "Scheduled"
    assert rules(cls, CLASS) == {Rule.ENUM}
    cls["classType"] = "ext:lab-section"
    assert rules(cls, CLASS) == set()
    cls["classType"] = "ext:bad value"
    assert rules(cls, CLASS) == {Rule.ENUM}


def test_missing_required_field_is_one_rule_and_never_shows_personal_values() -> None:
    user = first("users")
    del user["givenName"]
    issues = validate(user, USER)
    assert {i.rule for i in issues} == {Rule.REQUIRED}
    user = first("users")
    user["familyName"] = 42
    issues = validate(user, USER)
    assert all("42" not in (i.shown or "") for i in issues)


def test_string_booleans_guidrefs_and_status_are_separate_rules() -> None:
    user = first("users")
    user["enabledUser"] = True
    assert rules(user, USER) == {Rule.BOOLEAN}
    enrollment = first("enrollments")
    del enrollment["class"]["type"]
    assert rules(enrollment, ENROLLMENT) == {Rule.GUIDREF}
    enrollment = first("enrollments")
    enrollment["status"] = "deleted"
    assert rules(enrollment, ENROLLMENT) == {Rule.STATUS}


def test_extra_properties_only_outside_metadata() -> None:
    cls = first("classes")
    cls["metadata"] = {"anything": {"goes": [1, 2]}}
    assert rules(cls, CLASS) == set()
    cls["vendorCode"] = "x"
    assert rules(cls, CLASS) == {Rule.EXTRA}


def test_show_hides_personal_values() -> None:
    from edcert.conformance.oneroster.models import USER as shape

    assert show("Zorblat", shape.props["givenName"]) == "a string"
    assert show("Scheduled") == "'Scheduled'"
