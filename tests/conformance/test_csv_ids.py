"""Duplicate sourcedIds in a file nothing references are found exactly, whatever form the ids are held in."""
from __future__ import annotations

from pathlib import Path

import pytest

from edcert.conformance.oneroster_csv._validator import _compact, validate_bundle
from edcert.fixtures.csv_bundles import conformant


def duplicates_found(tmp_path: Path, second_id: str) -> list[int | None]:
    bundle = conformant("1.2")
    first = bundle.tables["enrollments"][1][0]
    bundle.cell("enrollments", 2, "sourcedId", second_id.replace("FIRST", first))
    path = tmp_path / "bundle.zip"
    path.write_bytes(bundle.zip())
    report = validate_bundle(path, "1.2")
    return [f.line for f in report.rules["ID-002"].kept if f.file == "enrollments.csv"]


def test_a_repeated_uuid_is_a_duplicate(tmp_path: Path) -> None:
    assert duplicates_found(tmp_path, "FIRST") == [3]


@pytest.mark.parametrize("variant", ["FIRST ", "{FIRST}"])
def test_an_id_that_only_looks_like_another_is_not_a_duplicate(tmp_path: Path, variant: str) -> None:
    assert duplicates_found(tmp_path, variant) == []


def test_an_upper_case_uuid_is_another_id() -> None:
    lower = "0f1551ba-7558-42ae-9719-af35e661bb3d"
    assert _compact(lower) == 0x0F1551BA755842AE9719AF35E661BB3D
    assert _compact(lower.upper()) == lower.upper()  # kept as text: never equal to the number
    assert _compact("not-a-uuid") == "not-a-uuid"
