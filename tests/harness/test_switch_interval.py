"""A run lets each of its threads hold the interpreter lock longer (RUN_SWITCH_INTERVAL_S), and puts it back after.

The threads of a run (checks, background reader, page readers) share one lock; switching among them every 5 ms
cost a large district's run 15-20% of its CPU (bench/README.md, sixth round).
"""
from __future__ import annotations

import sys
import textwrap
import threading
from pathlib import Path

import pytest

from edcert.harness.runner import RUN_SWITCH_INTERVAL_S, run, switch_interval
from tests.sandbox_run import sandbox_config
from tests.security._support import sandbox

RECORDING_CHECK = textwrap.dedent('''
    import sys

    import edcert

    @edcert.check(id="DIST-SWITCH-00N", standard="oneroster-1.2", category="data-fidelity", level="optional",
                  title="A district check that notes the interpreter's switch interval", why="To see it.",
                  remediation="None.", ref="test")
    def test_notes_the_switch_interval(oneroster):
        with open(OUT, "w") as out:
            out.write(repr(sys.getswitchinterval()))
''')


@pytest.mark.parametrize("before", [0.005, 0.1])
def test_a_run_switches_threads_less_often_and_restores_the_interval(before: float, tmp_path: Path) -> None:
    noted = tmp_path / "interval.txt"
    check_file = tmp_path / f"test_district_switch_{int(before * 1000)}.py"  # one module name per run
    check_file.write_text(RECORDING_CHECK.replace("DIST-SWITCH-00N", f"DIST-SWITCH-{int(before * 1000):03d}")
                          .replace("open(OUT", f"open({str(noted)!r}"))
    previous = sys.getswitchinterval()
    sys.setswitchinterval(before)
    try:
        with sandbox() as (server, _):
            result = run(sandbox_config(server.base_url), extra_paths=[check_file], keyword="notes_the_switch_interval")
        assert sys.getswitchinterval() == pytest.approx(before, abs=1e-5)  # put back after the run
    finally:
        sys.setswitchinterval(previous)
    assert result.scorecard.gate["harness_errors"] == []
    # during the run: at least RUN_SWITCH_INTERVAL_S, and never shorter than what the process had chosen
    assert float(noted.read_text()) == pytest.approx(max(before, RUN_SWITCH_INTERVAL_S), abs=1e-5)
    assert RUN_SWITCH_INTERVAL_S > 0.005  # longer than CPython's default, or this change does nothing


def test_the_interval_is_restored_when_the_block_raises() -> None:
    previous = sys.getswitchinterval()
    inside: list[float] = []

    def failing_run() -> None:
        with switch_interval(0.03):
            inside.append(sys.getswitchinterval())
            raise RuntimeError("a run that fails")

    with pytest.raises(RuntimeError):
        failing_run()
    assert inside == [pytest.approx(max(previous, 0.03), abs=1e-5)]
    assert sys.getswitchinterval() == pytest.approx(previous, abs=1e-5)


def test_runs_on_two_threads_give_back_what_the_process_had_whichever_ends_first() -> None:
    # the interval is the process's: the first run to end must not take it from the one still running, and
    # the last must not leave the first run's setting behind
    previous = sys.getswitchinterval()
    sys.setswitchinterval(0.004)
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, float] = {}

    def first() -> None:
        with switch_interval(0.03):
            first_in.set()
            second_in.wait(5)
        seen["after the first ended"] = sys.getswitchinterval()
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with switch_interval(0.02):
            second_in.set()
            first_out.wait(5)
            seen["second, after the first ended"] = sys.getswitchinterval()

    try:
        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        seen["after both"] = sys.getswitchinterval()
    finally:
        sys.setswitchinterval(previous)
    assert seen["second, after the first ended"] == pytest.approx(0.03, abs=1e-5)  # still held, not 4 ms
    assert seen["after the first ended"] == pytest.approx(0.03, abs=1e-5)
    assert seen["after both"] == pytest.approx(0.004, abs=1e-5)  # not the 30 ms the first found on entering
