"""A district as a OneRoster CSV zip and back: export, the shipped sandbox bundle, import, bad input."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from edcert.fixtures.csv_bundles import tiny_district, zip_bytes
from edcert.fixtures.districts import ENTITY_KEYS, District, generate_district
from edcert.fixtures.roster_csv import (
    SANDBOX_ROSTER,
    RosterCsvError,
    district_zip,
    read_roster_zip,
    sandbox_roster_bytes,
)
from edcert.harness.config import parse_config
from edcert.harness.errors import ConfigError
from edcert.harness.runner import run


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def strip(district: District, *, drop: tuple[str, ...] = ("metadata",)) -> dict[str, list[dict[str, object]]]:
    """Records as comparable plain data (without what the CSV binding has no column for)."""
    return {key: sorted(({k: v for k, v in r.items() if k not in drop} for r in getattr(district, key)),
                        key=lambda r: str(r["sourcedId"])) for key in ENTITY_KEYS}


def validate(path: Path, version: str) -> dict[str, str]:
    config = parse_config({"vendor": {"name": "export"}, "oneroster_csv": {"path": str(path), "version": version}})
    return {c.id: c.outcome.value for c in run(config).scorecard.checks if c.outcome.value in ("failed", "error")}


def test_the_shipped_sandbox_bundle_is_the_default_district_exported() -> None:
    # compared member by member: the deflated bytes may differ between zlib versions, the CSV text may not
    assert members(SANDBOX_ROSTER.read_bytes()) == members(sandbox_roster_bytes()), \
        "regenerate it: python -m edcert.fixtures.roster_csv"


@pytest.mark.parametrize(("version", "mode"), [("1.2", "bulk"), ("1.2", "delta"), ("1.1", "bulk")])
def test_an_exported_district_passes_validate_csv(tmp_path: Path, version: str, mode: str) -> None:
    path = tmp_path / "district.zip"
    path.write_bytes(district_zip(generate_district("small"), version, mode))
    assert validate(path, version) == {}


def test_a_delta_export_reads_back_as_the_same_district(tmp_path: Path) -> None:
    district = generate_district("small")
    path = tmp_path / "delta.zip"
    path.write_bytes(district_zip(district, "1.2", "delta"))
    roster = read_roster_zip(path)
    assert roster.version == "1.2" and roster.mode("users") == "delta" and roster.mode("lineItems") == "absent"
    back = strip(roster.district, drop=("metadata", "dateLastModified"))
    original = strip(district, drop=("metadata", "dateLastModified"))
    assert back == original
    # the CSV writes dateLastModified with milliseconds: the same instants
    stamps = {r["sourcedId"]: r["dateLastModified"] for r in roster.district.users}
    assert all(stamps[u["sourcedId"]] == u["dateLastModified"][:-1] + ".000Z" for u in district.users)


def test_a_bulk_export_holds_the_active_records_and_stamps_them_on_import(tmp_path: Path) -> None:
    district = generate_district("small")
    path = tmp_path / "bulk.zip"
    path.write_bytes(district_zip(district))
    roster = read_roster_zip(path)
    active = {key: {r["sourcedId"] for r in getattr(district, key) if r["status"] == "active"} for key in ENTITY_KEYS}
    assert {key: {r["sourcedId"] for r in getattr(roster.district, key)} for key in ENTITY_KEYS} == active
    assert any(r["status"] == "tobedeleted" for r in district.enrollments)  # so the test above means something
    assert {r["status"] for r in roster.district.enrollments} == {"active"}
    assert {r["dateLastModified"] for r in roster.district.orgs} == {"2026-11-28T00:00:00.000Z"}
    # a bulk file cannot name a deleted guardian as agent: references to records it drops are dropped too
    kept_users = active["users"]
    assert all(a["sourcedId"] in kept_users for u in roster.district.users for a in u.get("agents", []))


def test_a_one_one_bundle_reads_its_single_role_and_orgs(tmp_path: Path) -> None:
    district = tiny_district()
    path = tmp_path / "v11.zip"
    path.write_bytes(district_zip(district, "1.1", "bulk"))
    back = {u["sourcedId"]: u for u in read_roster_zip(path).district.users}
    for user in district.users:
        primary = next(r for r in user["roles"] if r["roleType"] == "primary")
        got = back[user["sourcedId"]]
        assert got["roles"][0]["role"] == primary["role"] and got["roles"][0]["roleType"] == "primary"
        assert got["primaryOrg"]["sourcedId"] == user["primaryOrg"]["sourcedId"]
        assert got["givenName"] == user["givenName"] and got.get("grades") == user.get("grades")


@pytest.mark.parametrize(("data", "message"), [
    (b"not a zip at all", "not a readable OneRoster CSV zip"),
    (zip_bytes([("users.csv", b"sourcedId\r\n")]), "no manifest.csv"),
    (zip_bytes([("manifest.csv", b"propertyName,value\r\noneroster.version,2.0\r\n")]), "oneroster.version is '2.0'"),
    (zip_bytes([("manifest.csv", b"propertyName,value\r\noneroster.version,1.2\r\nfile.orgs,bulk\r\n")]),
     "orgs.csv is missing"),
    (zip_bytes([("manifest.csv", b"propertyName,value\r\noneroster.version,1.2\r\nfile.orgs,bulk\r\n"),
                ("orgs.csv", b"sourcedId,status,name\r\no1,,A,extra\r\n")]), "orgs.csv line 2: 4 fields"),
    (zip_bytes([("manifest.csv", b"propertyName,value\r\noneroster.version,1.2\r\nfile.orgs,bulk\r\n"),
                ("orgs.csv", b"sourcedId,name\r\n\xff\xfe,A\r\n")]), "UnicodeDecodeError"),
])
def test_a_bad_zip_is_one_clear_line(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "bad.zip"
    path.write_bytes(data)
    with pytest.raises(RosterCsvError, match=message) as info:
        read_roster_zip(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_the_sandbox_loads_a_district_from_a_csv_zip(tmp_path: Path) -> None:
    from edcert.harness.cli import _district

    path = tmp_path / "district.zip"
    path.write_bytes(district_zip(tiny_district()))
    district = _district(str(path))
    assert district.counts()["users"] == len(tiny_district().users)
    (tmp_path / "broken.zip").write_bytes(zip_bytes([("users.csv", b"x\r\n")]))
    with pytest.raises(ConfigError, match=r"no manifest\.csv"):
        _district(str(tmp_path / "broken.zip"))


def test_sandbox_serve_serves_the_district_of_a_csv_zip(tmp_path: Path) -> None:
    import os
    import re
    import signal
    import subprocess
    import sys

    import httpx

    district = tiny_district()
    path = tmp_path / "ours.zip"
    path.write_bytes(district_zip(district))
    env = {**os.environ, "EDCERT_SANDBOX_CLIENT_ID": "district-9", "EDCERT_SANDBOX_CLIENT_SECRET": "s-e-c-r-e-t-9"}
    with subprocess.Popen([sys.executable, "-m", "edcert", "sandbox", "serve", "--port", "0", "--district", str(path)],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env) as proc:
        try:
            assert proc.stdout is not None
            text = "".join(proc.stdout.readline() for _ in range(3))
            base = re.search(r"on (http://127\.0\.0\.1:\d+)", text)
            assert base and f"district (CSV roster):   {path}" in text, text
            token = httpx.post(f"{base.group(1)}/oauth/token", data={"grant_type": "client_credentials"},
                               auth=("district-9", "s-e-c-r-e-t-9"), timeout=10).json()["access_token"]
            users = httpx.get(f"{base.group(1)}/ims/oneroster/rostering/v1p2/users", params={"limit": 1000},
                              headers={"Authorization": f"Bearer {token}"}, timeout=10).json()["users"]
            assert sorted(u["sourcedId"] for u in users) == sorted(u["sourcedId"] for u in district.users)
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=20)
    assert proc.returncode == 0
