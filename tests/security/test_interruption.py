"""Ctrl-C or SIGTERM during a run: an incomplete scorecard with what finished, servers stopped, exit 3.

The signal arrives once the sandbox listens and the run is under way (the
medium district takes tens of seconds to certify). Afterwards the sandbox's
port is free and nothing but the reports was left on disk.
"""
from __future__ import annotations

import json
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from edcert.fixtures.districts import ROSTERING_BASE, generate_district
from edcert.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxServer, create_app
from tests.security._support import ROOT, vendor_toml

REPORTS = {"scorecard.json", "scorecard.html", "scorecard.md", "junit.xml"}
SETTLE_S = 1.0  # after the first check's request: some checks have finished, most have not


def connected_to(port: int, timeout: float = 120) -> bool:
    """Wait until some socket on this machine is connected to ``port`` (from /proc/net/tcp, Linux).

    The demo's sandbox listens before its run has loaded the suites: a signal then is an interrupt before the
    run (exit 130). A client connection to the sandbox is the sure sign that checks are under way.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            remote, state = line.split()[2:4]
            if int(remote.split(":")[1], 16) == port and state == "01":  # 01 = ESTABLISHED
                return True
        time.sleep(0.05)
    return False


def start(args: list[str], tmp_path: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    return subprocess.Popen([sys.executable, "-m", "edcert", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT, env={**os.environ, "TMPDIR": str(scratch), **(env or {})})


def wait_for_line(proc: subprocess.Popen[str], pattern: str, timeout: float = 120) -> re.Match[str]:
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        if selector.select(timeout=1):
            line = proc.stdout.readline()
            seen.append(line)
            found = re.search(pattern, line)
            if found:
                return found
            if not line and proc.poll() is not None:
                break
    proc.kill()
    raise AssertionError(f"never printed {pattern!r}: {seen}")


def assert_interrupted(proc: subprocess.Popen[str], out: Path, tmp_path: Path, *, some_done: bool = True
                       ) -> dict:  # type: ignore[type-arg]
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 3, stdout + stderr
    assert "Traceback" not in stderr
    assert "run INCOMPLETE" in stdout and "interrupted after" in stdout
    data = json.loads((out / "scorecard.json").read_text())
    assert data["complete"] is False
    assert data["gate"]["exit_code"] == 3 and data["gate"]["passed"] is False
    assert any("interrupted" in w for w in data["warnings"])
    assert int(some_done) <= len(data["checks"]) < 100, "what finished is kept; the rest never ran"
    assert all(s["verdict"] == "not_certified" for s in data["standards"]), "an unfinished run certifies nothing"
    assert {p.name for p in out.iterdir()} <= REPORTS | {"manifest.json", "signature"}, "no partial or temp file"
    assert list((tmp_path / "tmp").iterdir()) == [], "no temporary file left behind"
    return data


def test_sigterm_during_demo(tmp_path: Path) -> None:
    out = tmp_path / "report"
    proc = start(["demo", "--district", "medium", "--no-progress", "--out", str(out)], tmp_path)
    port = int(wait_for_line(proc, r"sandbox listening on http://127\.0\.0\.1:(\d+)").group(1))
    assert connected_to(port), "the demo's checks never reached its sandbox"
    time.sleep(SETTLE_S)
    proc.send_signal(signal.SIGTERM)
    # (how many checks finished by then depends on the machine's speed: test_interrupting_run pins that down)
    assert_interrupted(proc, out, tmp_path, some_done=False)
    # the sandbox the demo started is stopped: its port can be taken again at once. SO_REUSEADDR, as every server
    # sets it: the closed connections' TIME_WAIT may hold the port for a minute, a listener still there never
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen()
    # and a second run would find no temporary file in its way (edcert writes straight into the report folder)
    assert list((tmp_path / "tmp").iterdir()) == []


class CountingApp:
    """Counts the data requests the sandbox served, so the test can interrupt a run once it is under way."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.data_requests = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith(ROSTERING_BASE):
            self.data_requests += 1
        await self.app(scope, receive, send)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupting_run(sig: signal.Signals, tmp_path: Path) -> None:
    counting = CountingApp(create_app(generate_district("medium"), client_id=DEFAULT_CLIENT_ID,
                                      client_secret=DEFAULT_CLIENT_SECRET))
    with SandboxServer(counting) as server:
        config = vendor_toml(tmp_path / "vendor.toml", server.base_url)
        out = tmp_path / "report"
        proc = start(["run", "--config", str(config), "--no-progress", "--out", str(out)], tmp_path,
                     env={"EDCERT_TEST_SECRET": DEFAULT_CLIENT_SECRET})
        deadline = time.monotonic() + 120
        while counting.data_requests < 30 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)  # the auth checks are done by then; the collections are being read
        proc.send_signal(sig)
        assert_interrupted(proc, out, tmp_path)
