"""edcert run --phase: the fuzz phase is opt-in, bounded by the [fuzz] table, and a bad phase is a usage error."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from edcert.harness.config import load_config
from edcert.harness.errors import ConfigError
from tests.harness.sandbox_scorecards import invoke
from tests.sandbox_run import vendor_toml
from tests.security._support import sandbox

SECRET_ENV = "EDCERT_TEST_SECRET"


def with_fuzz_table(path: Path, table: str) -> Path:
    path.write_text(path.read_text() + "\n[fuzz]\n" + table + "\n")
    return path


def test_phase_fuzz_runs_only_the_fuzz_checks_bounded_by_the_table(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from edcert.sandbox import DEFAULT_CLIENT_SECRET

    monkeypatch.setenv(SECRET_ENV, DEFAULT_CLIENT_SECRET)
    with sandbox() as (server, _):
        config = with_fuzz_table(vendor_toml(tmp_path / "vendor.toml", server.base_url),
                                 "seed = 3\nmax_examples = 1\nnegative_examples = 0\ntime_budget = 300")
        out = tmp_path / "out"
        result = invoke(capsys, "run", "--config", str(config), "--phase", "fuzz", "--out", str(out), "--no-progress")
    card = json.loads((out / "scorecard.json").read_text())
    ids = {c["id"]: c["outcome"] for c in card["checks"]}
    assert {i for i in ids if not i.startswith(("OR12-FUZZ-", "OR12-OWN-"))} == set()
    assert ids["OR12-FUZZ-001"] == "passed" and ids["OR12-FUZZ-007"] == "not_applicable"  # no negative case
    assert ids["OR12-OWN-001"] == "skipped"
    # one generated request per operation (41), plus the token request and the ignored_auth probes
    assert 41 < card["requests_sent"] < 41 + 1 + 2 * 41
    assert result.returncode == 1  # the fuzz phase alone certifies nothing


def test_unknown_phase_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result = invoke(capsys, "run", "--config", str(tmp_path / "none.toml"), "--phase", "stress")
    assert result.returncode == 2 and "stress" in result.stderr


def test_fuzz_table_rejects_unknown_keys_and_missing_own_spec_file(tmp_path: Path) -> None:
    base = vendor_toml(tmp_path / "v.toml", "https://vendor.example")
    with pytest.raises(ConfigError, match=r"fuzz\.examples"):
        load_config(with_fuzz_table(base, "examples = 3"), env={SECRET_ENV: "x"})
    base = vendor_toml(tmp_path / "w.toml", "https://vendor.example")
    with pytest.raises(ConfigError, match="own_spec_file"):
        load_config(with_fuzz_table(base, 'own_spec_file = "nope.json"'), env={SECRET_ENV: "x"})
    base = vendor_toml(tmp_path / "x.toml", "https://vendor.example")
    (tmp_path / "spec.json").write_text("{}")
    table = load_config(with_fuzz_table(base, 'own_spec_file = "spec.json"\nseed = 7'), env={SECRET_ENV: "x"}).fuzz
    assert table is not None and table.seed == 7 and table.own_spec_file == str(tmp_path / "spec.json")
    assert table.standards == ()
