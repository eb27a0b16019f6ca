"""Two runs against the same sandbox: the same outcome for every check, and scorecards equal but for time.

Everything but timestamps, durations and elapsed times must be identical:
messages, expected/received, evidence URLs and bodies, exchange ids, repro
commands. A difference means a check depends on dictionary or set order, on
the clock or on a race.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from edcert.sandbox import DEFAULT_CLIENT_SECRET
from tests.security._support import measured_cli, sandbox, vendor_toml

# Keys whose values are wall-clock times or durations, wherever they appear.
TIME_KEYS = {"started_at", "finished_at", "duration_s", "duration_ms", "elapsed_ms"}
# Response headers that carry the time of the answer.
TIME_HEADERS = {"date"}
# A few faults, so that failure messages, expected/received and repro commands are compared too.
FAULTS = ("oneroster.paging.ignores-limit", "oneroster.model.enum-case-drift", "oneroster.filter.or-as-and",
          "oneroster.integrity.dangling-enrollment-user", "oneroster.nested.school-classes-missing-one")


def normalised(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in TIME_KEYS:
                out[key] = "<time>"
            elif key == "evidence" and isinstance(item, list):
                # an exchange's id counts requests as they complete; pages read ahead on several threads
                # complete in an order that differs from run to run (the exchanges themselves do not)
                out[key] = [normalised({k: v for k, v in e.items() if k != "id"}) for e in item]
            elif key == "response_headers" and isinstance(item, dict):
                out[key] = {k: ("<time>" if k.lower() in TIME_HEADERS else v) for k, v in item.items()}
            else:
                out[key] = normalised(item)
        return out
    if isinstance(value, list):
        return [normalised(v) for v in value]
    return value


def differences(a: Any, b: Any, where: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        found = [f"{where}.{k}: only in one" for k in sorted(set(a) ^ set(b))]
        for k in sorted(set(a) & set(b)):
            found += differences(a[k], b[k], f"{where}.{k}")
        return found
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{where}[{i}]")]
    return [] if a == b else [f"{where}: {str(a)[:200]!r} != {str(b)[:200]!r}"]


def test_two_runs_differ_only_in_time(tmp_path: Path) -> None:
    cards = []
    with sandbox(faults=FAULTS) as (server, _):
        config = vendor_toml(tmp_path / "vendor.toml", server.base_url)
        # Two processes with different hash seeds: set and dict-of-hash order differ between them.
        for seed in ("1", "2"):
            out = tmp_path / f"run{seed}"
            measured = measured_cli(tmp_path, "run", "--config", str(config), "--out", str(out), "--no-progress",
                                    env={"EDCERT_TEST_SECRET": DEFAULT_CLIENT_SECRET, "PYTHONHASHSEED": seed})
            assert measured.exit_code == 1, measured.proc.stdout + measured.proc.stderr
            cards.append(json.loads((out / "scorecard.json").read_text()))
    first, second = cards
    assert [(c["id"], c["outcome"]) for c in first["checks"]] == [(c["id"], c["outcome"]) for c in second["checks"]]
    assert {c["outcome"] for c in first["checks"]} >= {"passed", "failed"}
    assert differences(normalised(first), normalised(second)) == []
    # the normalisation hid only times: the two runs really did run at different times
    assert first["started_at"] != second["started_at"]
