from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from edcert.harness.registry import REGISTRY
from edcert.harness.suites import load_all_checks

REQUIRED_KEYS = {"id", "standard", "category", "level", "title", "why", "remediation", "ref", "tags",
                 "requirements"}


def edcert(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edcert", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})}, cwd=cwd, check=False)


def test_checks_json_lists_every_check_with_its_metadata() -> None:
    proc = edcert("checks", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)
    load_all_checks()
    assert {c["id"] for c in listed} == {s.id for s in REGISTRY if s.module.startswith("edcert.")}
    for item in listed:
        assert set(item) == REQUIRED_KEYS
        assert item["level"] in {"required", "recommended", "optional"}
        assert all(item[k] for k in REQUIRED_KEYS - {"tags"})


def test_checks_unknown_standard_is_a_usage_error() -> None:
    proc = edcert("checks", "--standard", "nope")
    assert proc.returncode == 2
    assert proc.stderr.startswith("edcert: error: --standard nope")
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("config", "env", "message"),
    [
        ("[vendor]\nname='x'\n[oneroster]\nversion='1.2'\n", {}, "missing key 'oneroster.base_url'"),
        ("[vendor]\nname='x'\n[oneroster]\nversion='1.2'\nbase_url='http://127.0.0.1:9'\n"
         "token_url='http://127.0.0.1:9/t'\nclient_id='a'\nclient_secret_env='EDCERT_TEST_UNSET'\n", {},
         "environment variable EDCERT_TEST_UNSET"),
        ("[vendor]\nname=3\n", {}, "'vendor.name'"),
    ],
)
def test_bad_configuration_exits_2_with_one_line(tmp_path: Path, config: str, env: dict[str, str],
                                                   message: str) -> None:
    path = tmp_path / "vendor.toml"
    path.write_text(config)
    proc = edcert("run", "--config", str(path), env=env)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_missing_config_option_is_usage(tmp_path: Path) -> None:
    proc = edcert("run")
    assert proc.returncode == 2
    assert "--config" in proc.stderr


def test_unreachable_vendor_gives_errors_and_exit_3(tmp_path: Path) -> None:
    path = tmp_path / "vendor.toml"
    # port 9 (discard) on loopback: nothing listens there
    path.write_text("[vendor]\nname='Gone Inc'\n[oneroster]\nversion='1.2'\nbase_url='http://127.0.0.1:9'\n"
                    "token_url='http://127.0.0.1:9/oauth/token'\nclient_id='a'\nclient_secret_env='GONE_SECRET'\n"
                    "timeout=2\n")
    out = tmp_path / "out"
    proc = edcert("run", "--config", str(path), "--out", str(out), "--no-progress",
                  env={"GONE_SECRET": "gone-secret-value"})
    assert proc.returncode == 3, proc.stdout + proc.stderr
    data = json.loads((out / "scorecard.json").read_text())
    outcomes = {c["outcome"] for c in data["checks"]}
    assert "passed" not in outcomes and "error" in outcomes
    assert data["standards"][0]["verdict"] == "not_certified"
    for name in ("scorecard.json", "scorecard.html", "junit.xml"):
        assert "gone-secret-value" not in (out / name).read_text()
