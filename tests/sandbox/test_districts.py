"""The synthetic district generator: determinism, sizes, 1.2 shape, referential consistency."""
from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from edcert.fixtures.districts import (
    ENTITY_KEYS,
    ROSTERING_BASE,
    District,
    district_to_json,
    generate_district,
    load_district,
)
from edcert.sandbox.oneroster.model import ENTITIES, GUIDREF, ROLE, USER_ID, Shape

REQUIRED = {
    "org": ("sourcedId", "status", "dateLastModified", "name", "type", "identifier"),
    "academicSession": (
        "sourcedId", "status", "dateLastModified", "title", "startDate", "endDate", "type", "schoolYear",
    ),
    "course": ("sourcedId", "status", "dateLastModified", "title", "courseCode"),
    "class": ("sourcedId", "status", "dateLastModified", "title", "course", "school", "terms"),
    "user": ("sourcedId", "status", "dateLastModified", "enabledUser", "givenName", "familyName", "roles"),
    "enrollment": ("sourcedId", "status", "dateLastModified", "user", "class", "school", "role"),
    "demographics": ("sourcedId", "status", "dateLastModified"),
}
SHAPE_OF_KEY = {
    "orgs": "org",
    "academicSessions": "academicSession",
    "courses": "course",
    "classes": "class",
    "users": "user",
    "enrollments": "enrollment",
    "demographics": "demographics",
}
HREF_COLLECTION = {
    "org": "orgs", "user": "users", "class": "classes", "course": "courses", "academicSession": "academicSessions",
}
DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ENUMS = {
    ("org", "type"): {"department", "district", "local", "national", "school", "state"},
    ("academicSession", "type"): {"gradingPeriod", "semester", "schoolYear", "term"},
    ("class", "classType"): {"homeroom", "scheduled"},
    ("enrollment", "role"): {"administrator", "proctor", "student", "teacher"},
    ("demographics", "sex"): {"male", "female", "unspecified", "other"},
}
ROLE_VALUES = {
    "aide", "counselor", "districtAdministrator", "guardian", "parent", "principal", "proctor", "relative",
    "siteAdministrator", "student", "systemAdministrator", "teacher",
}
STRING_BOOLEANS = {
    ("user", "enabledUser"), ("enrollment", "primary"), ("demographics", "americanIndianOrAlaskaNative"),
    ("demographics", "asian"), ("demographics", "blackOrAfricanAmerican"),
    ("demographics", "nativeHawaiianOrOtherPacificIslander"), ("demographics", "white"),
    ("demographics", "demographicRaceTwoOrMoreRaces"), ("demographics", "hispanicOrLatinoEthnicity"),
}
DATE_FIELDS = {"startDate", "endDate", "beginDate", "birthDate"}


def check_shape(record: dict[str, Any], shape: Shape, where: str) -> None:
    """Only properties of the 1.2 model (additionalProperties: false), recursively."""
    for key, value in record.items():
        assert key in shape.props, f"{where}: {key!r} is not a {shape.name} property"
        prop = shape.props[key]
        if prop.kind == "str":
            assert isinstance(value, str), f"{where}.{key}"
        elif prop.kind == "strs":
            assert isinstance(value, list) and all(isinstance(v, str) for v in value), f"{where}.{key}"
        elif prop.kind in ("ref", "obj"):
            check_shape(value, prop.shape or GUIDREF, f"{where}.{key}")
        elif prop.kind in ("refs", "objs"):
            assert isinstance(value, list), f"{where}.{key}"
            for i, item in enumerate(value):
                check_shape(item, prop.shape or GUIDREF, f"{where}.{key}[{i}]")


def test_same_seed_same_bytes() -> None:
    assert district_to_json(generate_district("small")) == district_to_json(generate_district("small"))


def test_other_seed_other_district() -> None:
    assert district_to_json(generate_district("small", seed=1)) != district_to_json(generate_district("small"))


def test_unknown_size() -> None:
    with pytest.raises(ValueError, match="unknown district size"):
        generate_district("huge")


def test_small_counts(district: District) -> None:
    counts = district.counts()
    assert list(counts) == list(ENTITY_KEYS)
    assert counts["users"] == 500
    assert counts["orgs"] == 4  # the district and 3 schools
    assert counts["academicSessions"] == 7
    assert counts["demographics"] == district.role_counts()["student"]
    assert 0.85 <= district.role_counts()["student"] / counts["users"] <= 0.9
    assert {"teacher", "guardian", "aide", "districtAdministrator"} <= set(district.role_counts())
    assert counts["classes"] >= 30
    assert counts["enrollments"] >= 3 * counts["demographics"]


def test_round_trip_through_json(district: District, tmp_path: Path) -> None:
    path = tmp_path / "district.json"
    path.write_text(district_to_json(district), encoding="utf-8")
    loaded = load_district(path)
    assert loaded == district
    assert district_to_json(loaded) == district_to_json(district)


def test_load_rejects_incomplete(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"orgs": []}', encoding="utf-8")
    with pytest.raises(ValueError, match="lacks"):
        load_district(path)


def test_records_never_share_nested_objects(district: District) -> None:
    seen: dict[int, str] = {}
    for key in ENTITY_KEYS:
        for record in getattr(district, key):
            for name, value in record.items():
                if isinstance(value, dict | list):
                    assert id(value) not in seen, f"{key}.{name} shared with {seen[id(value)]}"
                    seen[id(value)] = f"{key}.{name}"


def test_model_shape_and_formats(district: District) -> None:
    for key in ENTITY_KEYS:
        shape_name = SHAPE_OF_KEY[key]
        shape = ENTITIES[shape_name]
        for record in getattr(district, key):
            where = f"{key}/{record.get('sourcedId')}"
            check_shape(record, shape, where)
            for required in REQUIRED[shape_name]:
                assert required in record, f"{where} lacks {required}"
            assert record["status"] in ("active", "tobedeleted")
            assert DATETIME.fullmatch(record["dateLastModified"]), where
            for field in DATE_FIELDS & set(record):
                assert DATE.fullmatch(record[field]), f"{where}.{field}"
            for (entity, field), allowed in ENUMS.items():
                if entity == shape_name and field in record:
                    assert record[field] in allowed, f"{where}.{field}={record[field]!r}"
            for entity, field in STRING_BOOLEANS:
                if entity == shape_name and field in record:
                    assert record[field] in ("true", "false"), f"{where}.{field}"


def test_unique_ids(district: District) -> None:
    for key in ENTITY_KEYS:
        ids = [r["sourcedId"] for r in getattr(district, key)]
        assert len(ids) == len(set(ids)), key
    usernames = [u["username"] for u in district.users]
    assert len(usernames) == len(set(usernames))
    assert all(u["email"].endswith("@example.edu") for u in district.users)


def test_every_guidref_resolves(district: District) -> None:
    index = {
        "org": {r["sourcedId"]: r for r in district.orgs},
        "academicSession": {r["sourcedId"]: r for r in district.academicSessions},
        "course": {r["sourcedId"]: r for r in district.courses},
        "class": {r["sourcedId"]: r for r in district.classes},
        "user": {r["sourcedId"]: r for r in district.users},
    }
    count = 0

    def walk(node: Any) -> None:
        nonlocal count
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            if set(node) == {"href", "sourcedId", "type"}:
                count += 1
                assert node["sourcedId"] in index[node["type"]], node
                assert node["href"] == f"{ROSTERING_BASE}/{HREF_COLLECTION[node['type']]}/{node['sourcedId']}"
            else:
                for value in node.values():
                    walk(value)

    for key in ENTITY_KEYS:
        walk(getattr(district, key))
    assert count > 5000


def test_hierarchies_are_consistent(district: District) -> None:
    orgs = {o["sourcedId"]: o for o in district.orgs}
    for org in district.orgs:
        for child in org.get("children", []):
            assert orgs[child["sourcedId"]]["parent"]["sourcedId"] == org["sourcedId"]
        if "parent" in org:
            parent = orgs[org["parent"]["sourcedId"]]
            assert org["sourcedId"] in [c["sourcedId"] for c in parent["children"]]
    sessions = {s["sourcedId"]: s for s in district.academicSessions}
    types = Counter(s["type"] for s in district.academicSessions)
    assert types == {"schoolYear": 1, "term": 2, "gradingPeriod": 4}
    for session in district.academicSessions:
        assert re.fullmatch(r"\d{4}", session["schoolYear"])
        assert session["startDate"] < session["endDate"]
        for child in session.get("children", []):
            kid = sessions[child["sourcedId"]]
            assert kid["parent"]["sourcedId"] == session["sourcedId"]
            assert session["startDate"] <= kid["startDate"] and kid["endDate"] <= session["endDate"]
        if "parent" in session:
            siblings = sessions[session["parent"]["sourcedId"]]["children"]
            assert session["sourcedId"] in [c["sourcedId"] for c in siblings]


def test_users_roles_and_agents(district: District) -> None:
    users = {u["sourcedId"]: u for u in district.users}
    for user in district.users:
        primaries = [r for r in user["roles"] if r["roleType"] == "primary"]
        assert len(primaries) == 1
        assert user["primaryOrg"] == primaries[0]["org"]
        assert all(r["role"] in ROLE_VALUES for r in user["roles"])
        for item in user["userIds"]:
            check_shape(item, USER_ID, "userIds")
        for role in user["roles"]:
            check_shape(role, ROLE, "roles")
        is_student = primaries[0]["role"] == "student"
        assert ("grades" in user) == is_student
        for agent in user.get("agents", []):
            other = users[agent["sourcedId"]]
            assert user["sourcedId"] in [a["sourcedId"] for a in other.get("agents", [])]
            assert {is_student, other["roles"][0]["role"] == "student"} == {True, False}
    demo_ids = [d["sourcedId"] for d in district.demographics]
    student_ids = [u["sourcedId"] for u in district.users if u["roles"][0]["role"] == "student"]
    assert demo_ids == student_ids


def test_classes_and_enrollments_agree(district: District) -> None:
    classes = {c["sourcedId"]: c for c in district.classes}
    users = {u["sourcedId"]: u for u in district.users}
    courses = {c["sourcedId"]: c for c in district.courses}
    terms = {s["sourcedId"]: s for s in district.academicSessions if s["type"] == "term"}
    for klass in district.classes:
        assert klass["terms"] and all(t["sourcedId"] in terms for t in klass["terms"])
        assert courses[klass["course"]["sourcedId"]]["org"] == klass["school"]
    primary_teachers: Counter[str] = Counter()
    for enrollment in district.enrollments:
        klass = classes[enrollment["class"]["sourcedId"]]
        assert enrollment["school"] == klass["school"]
        user = users[enrollment["user"]["sourcedId"]]
        assert enrollment["role"] in {r["role"] for r in user["roles"]}
        assert user["primaryOrg"] == klass["school"]
        if enrollment["role"] == "teacher":
            assert enrollment["primary"] in ("true", "false")
            primary_teachers[klass["sourcedId"]] += enrollment["primary"] == "true"
        else:
            assert "primary" not in enrollment
        term_dates = [terms[t["sourcedId"]] for t in klass["terms"]]
        assert enrollment["beginDate"] == min(t["startDate"] for t in term_dates)
        assert enrollment["endDate"] == max(t["endDate"] for t in term_dates)
    assert all(primary_teachers[c] == 1 for c in classes)


def test_timestamps_spread_and_shared(district: District) -> None:
    stamps = Counter(u["dateLastModified"] for u in district.users)
    days = {s[:10] for s in stamps}
    assert len(days) > 100  # spread over months
    assert max(stamps.values()) >= 2  # and some records share a timestamp


@pytest.mark.slow
def test_medium_size() -> None:
    medium = generate_district("medium")
    counts = medium.counts()
    assert counts["users"] == 10_000
    assert 300 <= counts["classes"] <= 600


@pytest.mark.slow
def test_large_size_and_speed() -> None:
    started = time.perf_counter()
    large = generate_district("large")
    elapsed = time.perf_counter() - started
    counts = large.counts()
    assert counts["users"] == 50_000
    assert counts["classes"] == 2_000
    assert 140_000 <= counts["enrollments"] <= 160_000
    assert 0.85 <= large.role_counts()["student"] / counts["users"] <= 0.9
    assert elapsed < 60, f"generating the large district took {elapsed:.1f}s"  # ~3 s on an idle machine
