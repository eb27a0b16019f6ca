"""Profiles, waivers and attestations end to end: `edcert demo` subprocesses and the pytest plugin."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from edcert.fixtures.districts import generate_district
from edcert.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxServer, create_app
from tests.sandbox_run import vendor_toml

pytest_plugins = ["pytester"]

FIXTURES = Path(str(resources.files("edcert.fixtures")))
TODAY = "2026-11-28"
PROMOTE_PAGE_004 = """
    name = "Nightly sync"
    retest_interval_days = 30
    [checks]
    promote = ["OR12-PAGE-004"]
"""
WAIVERS = """
    [[waiver]]
    check = "OR12-PAGE-004"
    justification = "X-Total-Count is fixed in the vendor's January release."
    expires = 2027-01-31
    approved_by = "District data office"

    [[waiver]]
    check = "OR12-SORT-001"
    justification = "Sorting was broken last year."
    expires = 2027-06-30

    [[waiver]]
    check = "OR12-AUTH-003"
    justification = "An old waiver nobody removed."
    expires = 2026-01-31
"""


def edcert(*args: str, today: str = TODAY) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edcert", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "EDCERT_TODAY": today}, check=False)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def scorecard(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "scorecard.json").read_text())
    return data


def check(data: dict[str, Any], check_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in data["checks"] if c["id"] == check_id)
    return found


def test_a_promoted_check_fails_the_gate_a_waiver_lifts_it_and_the_waiver_expires(tmp_path: Path) -> None:
    profile = write(tmp_path, "sync.toml", PROMOTE_PAGE_004)
    waivers = write(tmp_path, "waivers.toml", WAIVERS)
    # the profile and waivers name OneRoster 1.2 checks: the other standards would only cost time
    fault = ("--fault", "oneroster.paging.wrong-total-count", "--only", "oneroster-1.2")

    out = tmp_path / "promoted"
    proc = edcert("demo", "--no-progress", "--out", str(out), *fault, "--profile", str(profile))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    data = scorecard(out)
    assert data["profile"]["name"] == "Nightly sync" and data["profile"]["file"] == "sync.toml"
    assert data["profile"]["sha256"] == hashlib.sha256(profile.read_bytes()).hexdigest()
    assert data["retest_by"] == "2026-12-28" and data["profile"]["promoted"] == ["OR12-PAGE-004"]
    assert data["standards"][0]["verdict"] == "not_certified"
    assert data["standards"][0]["failed_required"] == ["OR12-PAGE-004"]
    assert check(data, "OR12-PAGE-004")["must_have"] is True
    assert "profile: Nightly sync (sync.toml, sha256 " in proc.stdout and "re-test by 2026-12-28" in proc.stdout

    out = tmp_path / "waived"
    proc = edcert("demo", "--no-progress", "--out", str(out), *fault, "--profile", str(profile),
                  "--waivers", str(waivers))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = scorecard(out)
    page = check(data, "OR12-PAGE-004")
    assert page["outcome"] == "failed" and page["waiver"]["status"] == "active"  # waived, not passed
    assert data["standards"][0]["verdict"] == "certified" and data["standards"][0]["waived"] == ["OR12-PAGE-004"]
    report = data["waivers"]
    assert report["today"] == TODAY and report["active"] == ["OR12-PAGE-004"]
    assert report["now_passing"] == ["OR12-SORT-001"] and report["expired"] == ["OR12-AUTH-003"]
    assert "1 EXPIRED and ignored (OR12-AUTH-003)" in proc.stdout
    assert "1 now passing, remove them (OR12-SORT-001)" in proc.stdout
    case = next(c for c in ET.parse(out / "junit.xml").getroot().iter("testcase")
                if c.get("name", "").startswith("OR12-PAGE-004 "))
    skipped = case.find("skipped")
    assert skipped is not None and skipped.get("message", "").startswith("waived until 2027-01-31")

    out = tmp_path / "expired"
    proc = edcert("demo", "--no-progress", "--out", str(out), *fault, "--profile", str(profile),
                  "--waivers", str(waivers), today="2027-02-01")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    data = scorecard(out)
    assert check(data, "OR12-PAGE-004")["waiver"]["status"] == "expired"
    assert "OR12-PAGE-004" in data["waivers"]["expired"] and data["standards"][0]["verdict"] == "not_certified"


def test_a_demoted_required_check_no_longer_gates(tmp_path: Path) -> None:
    profile = write(tmp_path, "p.toml", 'name = "No auth"\n[checks]\ndemote = ["OR12-AUTH-001"]\n')
    out = tmp_path / "out"
    proc = edcert("demo", "--no-progress", "--out", str(out), "--fault", "oneroster.auth.no-token-accepted",
                  "--profile", str(profile), "--only", "oneroster-1.2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = scorecard(out)
    auth = check(data, "OR12-AUTH-001")
    assert auth["outcome"] == "failed" and auth["must_have"] is False and auth["level"] == "required"
    assert data["standards"][0]["verdict"] == "certified" and data["standards"][0]["counts"]["failed"] == 1


def test_the_example_rostering_profile_with_the_example_attestations_passes(tmp_path: Path) -> None:
    profile = FIXTURES / "profiles" / "rostering-only.toml"
    attestations = FIXTURES / "attestations" / "example.toml"
    out = tmp_path / "out"
    proc = edcert("demo", "--no-progress", "--out", str(out), "--profile", str(profile),
                  "--attestations", str(attestations))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = scorecard(out)
    assert data["profile"]["sha256"] == hashlib.sha256(profile.read_bytes()).hexdigest()
    assert data["retest_by"] == "2027-11-28"
    oneroster = next(s for s in data["standards"] if s["standard"] == "oneroster-1.2")
    assert oneroster["minimum_score"] == 85 and oneroster["verdict"] == "certified"
    items = {i["id"]: i for i in data["attestations"]["items"]}
    assert items["ndpa-signed"]["meets_requirement"] is True and items["ndpa-signed"]["required"] is True
    assert items["accessibility-conformance-report"]["answer"] == "partial"
    # attestations are not checks: no check result carries an attestation id, and the counts hold checks only
    assert not {c["id"] for c in data["checks"]} & set(items)
    assert sum(sum(s["counts"].values()) for s in data["standards"]) == len(data["checks"])
    assert "attestations (example.toml): 4 of 5 answered" in proc.stdout


def test_a_profile_requiring_ed_fi_gates_on_the_ed_fi_client_checks(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = edcert("demo", "--no-progress", "--out", str(out),
                  "--profile", str(FIXTURES / "profiles" / "state-reporting-edfi.toml"),
                  "--attestations", str(FIXTURES / "attestations" / "example.toml"))
    assert proc.returncode == 0, proc.stdout + proc.stderr  # required attestations met; the scripted SIS passes
    data = scorecard(out)
    edfi = next(s for s in data["standards"] if s["standard"] == "edfi-client")
    assert edfi["required"] is True and edfi["verdict"] == "certified"
    oneroster = next(s for s in data["standards"] if s["standard"] == "oneroster-1.2")
    assert oneroster["required"] is False and oneroster["verdict"] == "certified"


@pytest.mark.parametrize(
    ("option", "text", "message"),
    [
        ("--profile", 'name = "x"\n[checks]\npromote = ["OR12-NOPE-001"]\n', "unknown check 'OR12-NOPE-001'"),
        ("--profile", 'name = "x"\nrequired_standards = ["ims-qti"]\n', "unknown standard 'ims-qti'"),
        ("--waivers", '[[waiver]]\ncheck = "OR12-AUTH-001"\njustification = "x"\n', "missing key 'waiver[1].expires'"),
        ("--attestations", '[[attestation]]\nid = "ndpa-signed"\nanswer = "sure"\ndate = 2026-01-01\nsigner = "a"\n',
         "'attestation[1].answer'"),
    ],
)
@pytest.mark.parametrize("command", ["demo", "run"])
def test_bad_policy_files_exit_2_with_one_line_before_anything_runs(
    tmp_path: Path, command: str, option: str, text: str, message: str,
) -> None:
    bad = write(tmp_path, "bad.toml", text)
    vendor = FIXTURES / "vendors" / "oneroster-1.2.example.toml"
    args = ["demo", "--no-progress"] if command == "demo" else ["run", "--config", str(vendor), "--no-progress"]
    proc = edcert(*args, option, str(bad))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith(f"edcert: error: {option} {bad}") and message in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "sandbox listening" not in proc.stdout


def test_a_bad_edcert_today_is_a_usage_error(tmp_path: Path) -> None:
    waivers = write(tmp_path, "w.toml", WAIVERS)
    proc = edcert("demo", "--no-progress", "--out", str(tmp_path / "out"), "--waivers", str(waivers),
                  today="31/01/2027")
    assert proc.returncode == 2 and proc.stderr == "edcert: error: EDCERT_TODAY='31/01/2027': not a YYYY-MM-DD date\n"


@pytest.mark.parametrize("command", ["demo", "run"])
def test_help_lists_the_policy_options(command: str) -> None:
    proc = edcert(command, "--help")
    assert proc.returncode == 0
    for option in ("--profile FILE", "--waivers FILE", "--attestations FILE"):
        assert option in proc.stdout


def test_pytest_plugin_takes_a_profile_that_promotes_the_districts_own_check(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = create_app(generate_district("small"), client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET)
    with SandboxServer(app) as server:
        vendor_toml(pytester.path / "vendor.toml", server.base_url, secret_env="PLUGIN_POLICY_SECRET",
                    name="Plugin Vendor")
        pytester.makefile(".toml", profile='name = "Our district"\n[checks]\npromote = ["DIST-WISH-001"]\n')
        pytester.makefile(".toml", waivers='[[waiver]]\ncheck = "OR12-AUTH-001"\njustification = "x"\n'
                                           'expires = 2027-01-31\n')
        pytester.makepyfile(test_district=textwrap.dedent("""
            import edcert

            @edcert.check(id="DIST-WISH-001", standard="oneroster-1.2", category="data-fidelity",
                          level="recommended", title="Our district has at least 1000 schools",
                          why="A wish the sandbox cannot meet.", remediation="Grow.", ref="district policy")
            def test_many_schools(oneroster):
                assert len(oneroster.collection("schools").records) >= 1000, "too few schools"
        """))
        monkeypatch.setenv("PLUGIN_POLICY_SECRET", DEFAULT_CLIENT_SECRET)
        monkeypatch.setenv("EDCERT_TODAY", TODAY)
        out = tmp_path / "out"
        result = pytester.runpytest_inprocess("--edcert-config", "vendor.toml", "--edcert-out", str(out),
                                              "--edcert-profile", "profile.toml", "--edcert-waivers", "waivers.toml",
                                              "-q")
        bad = pytester.runpytest_inprocess("--edcert-config", "vendor.toml", "--edcert-profile", "waivers.toml")
    assert result.ret == 1, result.stdout.str()[-2000:]  # the district's own check failed
    data = json.loads((out / "scorecard.json").read_text())
    assert data["profile"]["name"] == "Our district"
    wish = check(data, "DIST-WISH-001")
    assert wish["outcome"] == "failed" and wish["must_have"] is True
    assert data["standards"][0]["verdict"] == "not_certified" and data["gate"]["exit_code"] == 1
    assert data["waivers"]["now_passing"] == ["OR12-AUTH-001"]
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    assert "--profile waivers.toml: missing key 'name'" in bad.stderr.str()
