"""edcert diff: regressions, fixes, new and removed checks, verdict changes, and the renewal gate's exit code."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from edcert.harness.diff import diff_scorecards, render_markdown, render_text
from edcert.harness.scorecard import Outcome, Scorecard
from edcert.harness.waivers import AppliedWaiver
from edcert.harness.writers.json import write_json
from tests.harness.md_render import render
from tests.harness.sandbox_scorecards import (
    EVIL_VENDOR,
    RECOMMENDED_ONLY,
    REQUIRED_AND_RECOMMENDED,
    evil_vendor_scorecard,
    invoke,
    sandbox_scorecard,
)


def edcert(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edcert", *args], capture_output=True, text=True, timeout=120,
                          env=os.environ.copy(), check=False)


@pytest.fixture(scope="module")
def cards(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("diff")
    paths = {}
    for name, sc in {"ok": sandbox_scorecard(), "bad": sandbox_scorecard(REQUIRED_AND_RECOMMENDED),
                     "rec": sandbox_scorecard(RECOMMENDED_ONLY)}.items():
        paths[name] = folder / f"{name}.json"
        write_json(sc, paths[name])
    return paths


def test_required_regression_fails_the_gate_with_and_without_strict() -> None:
    d = diff_scorecards(sandbox_scorecard(), sandbox_scorecard(REQUIRED_AND_RECOMMENDED))
    assert [(c.id, c.must_have, c.old, c.new) for c in d.regressed] == [
        ("OR12-AUTH-001", True, "passed", "failed"), ("OR12-SORT-002", False, "passed", "failed")]
    assert d.fixed == [] and d.added == [] and d.removed == [] and d.other == []
    assert [(s.standard, s.old_verdict, s.new_verdict) for s in d.verdict_changes] == [
        ("oneroster-1.2", "certified", "not_certified")]
    assert d.exit_code() == 1 and d.exit_code(strict=True) == 1
    assert [c.id for c in d.gating()] == ["OR12-AUTH-001"]


def test_recommended_regression_fails_only_with_strict() -> None:
    d = diff_scorecards(sandbox_scorecard(), sandbox_scorecard(RECOMMENDED_ONLY))
    assert [c.id for c in d.regressed] == ["OR12-SORT-002"]
    assert d.verdict_changes == []  # still certified; the score dropped
    assert d.standards[0].new_score is not None and d.standards[0].old_score == 100.0
    assert d.standards[0].new_score < 100.0
    assert d.exit_code() == 0 and d.exit_code(strict=True) == 1
    assert "No regression fails the gate" in render_text(d) and "--strict" in render_text(d)
    assert render_text(d, strict=True).startswith("edcert diff: REGRESSED: 1 check(s)")


def test_fixes_are_reported_and_never_fail() -> None:
    d = diff_scorecards(sandbox_scorecard(REQUIRED_AND_RECOMMENDED), sandbox_scorecard())
    assert [c.id for c in d.fixed] == ["OR12-AUTH-001", "OR12-SORT-002"] and d.regressed == []
    assert [(s.old_verdict, s.new_verdict) for s in d.verdict_changes] == [("not_certified", "certified")]
    assert d.exit_code(strict=True) == 0
    assert "Fixed (failed before, pass now): 2" in render_text(d)


def test_same_scorecard_has_no_changes() -> None:
    d = diff_scorecards(sandbox_scorecard(), sandbox_scorecard())
    assert not (d.regressed or d.fixed or d.added or d.removed or d.other or d.standards)
    assert "No check changed its outcome." in render_text(d)


def test_new_removed_and_other_changes() -> None:
    ok = sandbox_scorecard()
    older = ok.model_copy(update={"checks": [c for c in ok.checks if c.id != "OR12-PAGE-001"]})
    newer = ok.model_copy(update={"checks": [
        c.model_copy(update={"outcome": Outcome.SKIPPED}) if c.id == "OR12-FLD-001" else c
        for c in ok.checks if c.id != "OR12-SORT-001"]})
    d = diff_scorecards(older, newer)
    assert [(c.id, c.old, c.new) for c in d.added] == [("OR12-PAGE-001", None, "passed")]
    assert [(c.id, c.old, c.new) for c in d.removed] == [("OR12-SORT-001", "passed", None)]
    assert [(c.id, c.old, c.new) for c in d.other] == [("OR12-FLD-001", "passed", "skipped")]
    assert d.exit_code(strict=True) == 0
    text = render_text(d)
    assert "New checks: 1" in text and "Removed checks: 1" in text and "Other outcome changes: 1" in text


def test_a_regression_into_error_counts() -> None:
    ok = sandbox_scorecard()
    broken = ok.model_copy(update={"checks": [
        c.model_copy(update={"outcome": Outcome.ERROR, "message": "vendor unreachable"}) if c.id == "OR12-AUTH-002"
        else c for c in ok.checks]})
    d = diff_scorecards(ok, broken)
    assert [(c.id, c.new) for c in d.regressed] == [("OR12-AUTH-002", "error")]
    assert d.exit_code() == 1


def test_a_waived_regression_is_reported_but_does_not_gate() -> None:
    bad = sandbox_scorecard(REQUIRED_AND_RECOMMENDED)
    waiver = AppliedWaiver(justification="Fix ships in March.", expires=date(2099, 1, 1), status="active",
                           summary="Failure waived until 2099-01-01: Fix ships in March.")
    waived = bad.model_copy(update={"checks": [c.model_copy(update={"waiver": waiver}) for c in bad.checks]})
    d = diff_scorecards(sandbox_scorecard(), waived)
    assert [(c.id, c.waived) for c in d.regressed] == [("OR12-AUTH-001", True), ("OR12-SORT-002", True)]
    assert d.exit_code() == 0 and d.exit_code(strict=True) == 0
    assert "waived by the district" in render_text(d)


def test_cli_exit_codes_and_summary(cards: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    proc = edcert("diff", str(cards["ok"]), str(cards["bad"]))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout.startswith("edcert diff: REGRESSED: 1 must-have check(s)")
    assert "OR12-AUTH-001" in proc.stdout and "must-have" in proc.stdout
    assert "oneroster-1.2: certified -> not certified" in proc.stdout
    assert invoke(capsys, "diff", str(cards["ok"]), str(cards["rec"])).returncode == 0
    assert invoke(capsys, "diff", str(cards["ok"]), str(cards["rec"]), "--strict").returncode == 1
    assert invoke(capsys, "diff", str(cards["bad"]), str(cards["ok"]), "--strict").returncode == 0


def test_cli_markdown_for_a_ci_job_summary(cards: dict[str, Path], tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    proc = edcert("diff", str(cards["ok"]), str(cards["bad"]), "--markdown", str(summary), "--format", "markdown")
    assert proc.returncode == 1
    assert proc.stdout == summary.read_text()
    rendered = render(proc.stdout)
    assert "REGRESSED: 1 must-have check(s) passed before and fail now (exit 1)." in rendered.text
    verdicts, regressed = rendered.tables[0], rendered.tables[1]
    assert verdicts.rows == [["OneRoster 1.2", "certified", "not certified", "100.0", verdicts.rows[0][4]]]
    assert [r[:4] for r in regressed.rows] == [["OR12-AUTH-001", "must-have", "passed", "failed"],
                                               ["OR12-SORT-002", "recommended", "passed", "failed"]]
    # the text form stays the default
    assert edcert("diff", str(cards["ok"]), str(cards["bad"])).stdout.startswith("edcert diff:")


def test_markdown_escapes_vendor_text() -> None:
    evil = evil_vendor_scorecard()
    rendered = render(render_markdown(diff_scorecards(sandbox_scorecard(), evil)))
    assert not {"script", "img", "a", "b"} & set(rendered.tags)
    assert EVIL_VENDOR in rendered.text
    found = rendered.tables[1].rows[0][5]
    message = next(c.message for c in evil.checks if c.id == "OR12-AUTH-001")
    assert found == message  # pipe, backticks, tag and newline all survive as text in one cell


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not an edcert scorecard (not JSON"),
        ('{"a": 1}', "not an edcert scorecard (no schema_version and checks)"),
        ('{"schema_version": 1, "checks": "x"}', "not a valid edcert scorecard"),
        ('{"schema_version": 2, "checks": []}', "different schema_version"),
    ],
)
def test_cli_bad_input_is_a_one_line_usage_error(cards: dict[str, Path], tmp_path: Path, content: str,
                                                 message: str, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other.json"
    other.write_text(content)
    proc = invoke(capsys, "diff", str(cards["ok"]), str(other))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("edcert: error: ") and message in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_cli_missing_file_and_report_folder(cards: dict[str, Path], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    proc = invoke(capsys, "diff", str(tmp_path / "nope.json"), str(cards["ok"]))
    assert proc.returncode == 2 and "no such file" in proc.stderr
    folder = tmp_path / "report"
    folder.mkdir()
    (folder / "scorecard.json").write_text(cards["bad"].read_text())
    assert invoke(capsys, "diff", str(cards["ok"]), str(folder)).returncode == 1  # a report folder works too


def test_json_written_by_a_run_round_trips(cards: dict[str, Path]) -> None:
    data = json.loads(cards["bad"].read_text())
    assert Scorecard.model_validate(data).checks == sandbox_scorecard(REQUIRED_AND_RECOMMENDED).checks
