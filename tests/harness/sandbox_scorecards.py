"""Real scorecards from sandbox runs, made once per test process (compare, diff, Markdown, signing tests)."""
from __future__ import annotations

import functools
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from edcert.fixtures.districts import generate_district
from edcert.harness.cli import main
from edcert.harness.config import VendorInfo
from edcert.harness.runner import run
from edcert.harness.scorecard import Scorecard
from edcert.harness.writers import write_all
from edcert.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxServer, create_app
from tests.sandbox_run import run_sandbox, sandbox_config

#: Trips OR12-AUTH-001 (required) and OR12-SORT-002 (recommended).
REQUIRED_AND_RECOMMENDED = ("oneroster.auth.no-token-accepted", "oneroster.sort.desc-ignored")
#: Trips only OR12-SORT-002 (recommended).
RECOMMENDED_ONLY = ("oneroster.sort.desc-ignored",)
EVIL_VENDOR = 'Evil <script>alert("x")</script> | `Co` *Ltd* [link](javascript:alert(1))'


@functools.cache
def sandbox_scorecard(faults: tuple[str, ...] = ()) -> Scorecard:
    """The scorecard of a OneRoster 1.2 run against the sandbox started with these faults.

    These scorecards exercise the reports, compare and diff; one standard keeps them fast and their expected
    rows plain (the other standards' runs are proven in tests/test_fault_matrix.py).
    """
    return run_sandbox(faults, only=["oneroster-1.2"]).scorecard


@functools.cache
def evil_vendor_scorecard() -> Scorecard:
    """A run whose vendor configuration names a vendor with script markup, a pipe and Markdown in it.

    The sandbox cannot be made to send script markup in its messages, so the first failure's message and
    received value are replaced with vendor-like text that tries to break out of a table cell and a code span.
    """
    app = create_app(generate_district("small"), faults=("oneroster.auth.no-token-accepted",),
                     client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET)
    with SandboxServer(app) as server:
        config = sandbox_config(server.base_url)
        config = config.model_copy(update={"vendor": VendorInfo(name=EVIL_VENDOR, product="<b>Hub</b>")})
        scorecard = run(config).scorecard
    checks = []
    for c in scorecard.checks:
        if c.id == "OR12-AUTH-001":
            c = c.model_copy(update={"message": "got <img src=x onerror=alert(1)> | injected\nsecond line `tick`",
                                     "received": "</td><script>alert(2)</script>"})
        checks.append(c)
    return scorecard.model_copy(update={"checks": checks})


def write_report(scorecard: Scorecard, folder: Path) -> Path:
    """Write every report format into ``folder`` (as ``edcert run`` does) and return scorecard.json's path."""
    write_all(scorecard, folder)
    return folder / "scorecard.json"


def copy_report(source: Path, target: Path) -> Path:
    """A fresh copy of a report folder (tests tamper with copies)."""
    shutil.copytree(source, target)
    return target


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def invoke(capsys: pytest.CaptureFixture[str], *args: str) -> CliResult:
    """Run the edcert command line in this process (as ``main`` does for the console script)."""
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return CliResult(code, captured.out, captured.err)
