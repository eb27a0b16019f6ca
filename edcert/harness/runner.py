"""Run the suites against one vendor, in-process, and build the scorecard."""
from __future__ import annotations

import contextlib
import importlib
import io
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pytest

from edcert.harness.config import VendorConfig
from edcert.harness.errors import ConfigError
from edcert.harness.evidence import EvidenceMode
from edcert.harness.policy import Policy
from edcert.harness.registry import DEFAULT_PHASES
from edcert.harness.scorecard import CheckResult, Scorecard
from edcert.harness.session import RunState
from edcert.harness.suites import suites_for
from edcert.harness.writers import write_all


@dataclass
class RunResult:
    scorecard: Scorecard
    exit_code: int
    paths: dict[str, Path]
    requests: list[tuple[str, str, str]]
    """(method, URL, credential fingerprint) of every request the run sent, in order."""


class Progress:
    """What the runner tells about progress; the CLI draws it, tests ignore it."""

    def start(self, total: int) -> None: ...
    def advance(self, result: CheckResult) -> None: ...
    def stop(self) -> None: ...


class _RunPlugin:
    def __init__(self, state: RunState, progress: Progress) -> None:
        self.state = state
        self.progress = progress
        self.collected = 0

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        from edcert.plugin import RUN_KEY

        config.stash[RUN_KEY] = self.state

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collected = len(session.items)
        self.progress.start(len(session.items))


# How often CPython asks the thread holding the interpreter lock to let another one run (5 ms by default). A run
# is several threads sharing that lock: the checks, the background reader, the threads reading pages. Each forced
# switch puts a thread back on its own data, which the last one has pushed out of the processor's caches: with
# 20 ms a large district's run takes 15-20% less CPU and wall time (bench/README.md, sixth round), with no loss
# against a vendor across a network (a thread waiting on its socket has released the lock anyway).
RUN_SWITCH_INTERVAL_S = 0.02


# The interval is the process's: blocks held at once (runs on several threads) share one hold, and what the
# process had before the first began comes back when the last one ends, whichever order they end in.
_SWITCH_LOCK = threading.Lock()
_SWITCH_HOLDS = 0
_SWITCH_BEFORE = 0.0


@contextlib.contextmanager
def switch_interval(seconds: float) -> Iterator[None]:
    """``sys.setswitchinterval`` at least ``seconds`` while the block runs; what it was, after."""
    global _SWITCH_HOLDS, _SWITCH_BEFORE
    with _SWITCH_LOCK:
        if _SWITCH_HOLDS == 0:
            _SWITCH_BEFORE = sys.getswitchinterval()
        _SWITCH_HOLDS += 1
        sys.setswitchinterval(max(sys.getswitchinterval(), seconds))
    try:
        yield
    finally:
        with _SWITCH_LOCK:
            _SWITCH_HOLDS -= 1
            if _SWITCH_HOLDS == 0:
                sys.setswitchinterval(_SWITCH_BEFORE)


def run(
    config: VendorConfig,
    *,
    only: list[str] | None = None,
    evidence_mode: EvidenceMode = "masked",
    out_dir: Path | None = None,
    progress: Progress | None = None,
    extra_paths: list[Path] | None = None,
    keyword: str | None = None,
    policy: Policy | None = None,
    phases: tuple[str, ...] | None = None,
) -> RunResult:
    """Run every claimed standard's checks against the vendor.

    Args:
        config: The vendor configuration.
        only: Restrict to these standards.
        evidence_mode: ``masked`` or ``full``.
        out_dir: Where to write the reports (nothing is written when ``None``).
        progress: Progress reporting.
        extra_paths: More check files or folders (a district's own checks).
        keyword: A pytest ``-k`` expression (narrow the run, e.g. in tests).
        policy: District profile, waivers and vendor attestations (see ``edcert.harness.policy``).
        phases: The phases to run (default: ``conformance``; ``fuzz`` adds generated requests).

    Raises:
        ConfigError: ``only`` names a standard the vendor does not claim.
    """
    claimed = config.claimed_standards()
    for name in only or []:
        if name not in claimed:
            raise ConfigError(f"--only {name}: the vendor configuration does not claim it "
                              f"(claimed: {', '.join(claimed)})")
    progress = progress or Progress()
    state = RunState(config, only=only, evidence_mode=evidence_mode,
                     on_result=progress.advance, policy=policy, phases=phases)
    suites = suites_for(state.standards, state.phases)
    paths = [str(s.path) for s in suites] + [str(p) for p in extra_paths or []]
    ini = resources.files("edcert.harness").joinpath("pytest-run.ini")
    args = [*paths, "-c", str(ini), "--rootdir", str(Path(paths[0]).parent) if paths else ".",
            "-p", "no:cacheprovider", "-q", "--no-header",
            # schemathesis is a library here (the fuzz phase), not a pytest plugin: loading its plugin would
            # also make pytest rewrite the assertions of its whole package (seconds per run)
            "-p", "no:schemathesis",
            # the same for hypothesis's plugin (it imports hypothesis at the end of every session to summarise
            # its statistics: ~7 s on a loaded machine), anyio's (imports asyncio's backend) and xdist's: a run
            # uses none of them; hypothesis stays a library of the fuzz phase
            "-p", "no:hypothesispytest", "-p", "no:anyio", "-p", "no:xdist", "-p", "no:xdist.looponfail",
            # pytest's collectors of unraisable and thread exceptions end every session with several full garbage
            # collections (half a second in a big process); a check's stray exception is no verdict of edcert's
            "-p", "no:unraisableexception", "-p", "no:threadexception",
            # nobody reads pytest's own tracebacks here, and formatting them dominates a failing run
            "--tb=" + ("short" if os.environ.get("EDCERT_DEBUG") else "no")]
    if keyword:
        args += ["-k", keyword]
    if not extra_paths and not os.environ.get("EDCERT_DEBUG"):
        # edcert's own checks fail a vendor only by raising Failure, never by a bare assert, so pytest's
        # assertion rewriting (of every edcert module, on each run: ~2 s) buys nothing; a district's own
        # checks fail by plain asserts and keep it, for their messages
        args.append("--assert=plain")
    if set(state.phases) - set(DEFAULT_PHASES):
        # pytest rewrites the assertions of every package that ships a pytest plugin (schemathesis, hypothesis)
        # when it is first imported inside a session: hundreds of modules, many seconds. The suites' plugins
        # (and what they import) are imported here, before the session, instead.
        for suite in suites:
            importlib.import_module(suite.plugin)
    sink = io.StringIO()
    plugin = _RunPlugin(state, progress)
    try:
        with contextlib.redirect_stdout(sink), switch_interval(RUN_SWITCH_INTERVAL_S):
            code = pytest.main(args, plugins=[plugin])
    except KeyboardInterrupt:  # before pytest's session began (still loading plugins): no check ran yet
        code = pytest.ExitCode.INTERRUPTED
    finally:
        progress.stop()
    if code == pytest.ExitCode.INTERRUPTED:
        # Ctrl-C or SIGTERM: pytest stopped, the scorecard keeps what finished and says it is incomplete.
        state.complete = False
        done = len(state.results)
        state.warnings.append(f"The run was interrupted (Ctrl-C or SIGTERM) after {done} of "
                              f"{plugin.collected or '?'} checks: the scorecard is incomplete.")
        state.harness_errors.append(f"interrupted after {done} of {plugin.collected or '?'} checks")
    elif code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        tail = sink.getvalue().strip().splitlines()[-3:]
        state.harness_errors.append(f"pytest ended with {pytest.ExitCode(code).name}: {' / '.join(tail)}")
    scorecard = state.scorecard()
    written = write_all(scorecard, out_dir) if out_dir is not None else {}
    return RunResult(scorecard=scorecard, exit_code=int(scorecard.gate["exit_code"]), paths=written,
                     requests=list(state.recorder.sent))

