"""The README's first command and the pytest plugin, end to end through real sockets."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from edcert.fixtures.districts import generate_district
from edcert.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxServer, create_app
from tests.sandbox_run import vendor_toml

#: Every standard the sandbox serves, so every one `edcert demo` must certify.
SANDBOX_STANDARDS = ("oneroster-1.2", "oneroster-gradebook-1.2", "oneroster-resources-1.2", "oneroster-1.1",
                     "oneroster-gradebook-1.1", "oneroster-resources-1.1",
                     "edfi-api", "edfi-client", "lti-1.3-platform", "lti-1.3-tool")

pytest_plugins = ["pytester"]


def edcert(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edcert", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})}, check=False)


def test_demo_certifies_the_sandbox_and_writes_every_report(tmp_path: Path) -> None:
    proc = edcert("demo", "--out", str(tmp_path), "--no-progress",
                  env={"EDCERT_SANDBOX_CLIENT_SECRET": "demo-canary-secret-42"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "oneroster-1.2" in proc.stdout and "oneroster-1.1" in proc.stdout and "CERTIFIED" in proc.stdout
    data = json.loads((tmp_path / "scorecard.json").read_text())
    # every standard the sandbox serves is certified
    assert {s["standard"]: s["verdict"] for s in data["standards"]} == dict.fromkeys(SANDBOX_STANDARDS, "certified")
    assert len(data["checks"]) >= 60
    # TLS and https checks do not apply to the plain-http sandbox on loopback (tests/security/test_tls.py)
    assert {c["outcome"] for c in data["checks"] if c["id"] not in {"OR12-SEC-001", "OR12-SEC-002"}} == {"passed"}
    for name in ("scorecard.json", "scorecard.html", "junit.xml"):
        text = (tmp_path / name).read_text()
        assert "demo-canary-secret-42" not in text, name


def test_demo_with_a_fault_fails_the_gate(tmp_path: Path) -> None:
    proc = edcert("demo", "--out", str(tmp_path), "--no-progress", "--fault", "oneroster.auth.no-token-accepted")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    data = json.loads((tmp_path / "scorecard.json").read_text())
    failed = {c["id"] for c in data["checks"] if c["outcome"] == "failed"}
    assert "OR12-AUTH-001" in failed
    assert data["standards"][0]["verdict"] == "not_certified"


def test_demo_unknown_fault_is_a_usage_error() -> None:
    proc = edcert("demo", "--fault", "no.such.fault", "--no-progress")
    assert proc.returncode == 2
    assert "unknown fault" in proc.stderr and "Traceback" not in proc.stderr


def test_pytest_plugin_runs_the_suites_and_a_districts_own_check(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = create_app(generate_district("small"), client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET)
    with SandboxServer(app) as server:
        vendor_toml(pytester.path / "vendor.toml", server.base_url, secret_env="PLUGIN_TEST_SECRET",
                    name="Plugin Vendor")
        pytester.makepyfile(test_district=textwrap.dedent("""
            import edcert

            @edcert.check(id="DIST-LOCAL-001", standard="oneroster-1.2", category="data-fidelity",
                          level="required", title="Our district has at least one school",
                          why="Without schools nothing else can be rostered.", remediation="Load the schools.",
                          ref="district policy")
            def test_has_schools(oneroster):
                assert oneroster.collection("schools").records
        """))
        monkeypatch.setenv("PLUGIN_TEST_SECRET", DEFAULT_CLIENT_SECRET)
        out = tmp_path / "out"
        result = pytester.runpytest_inprocess("--edcert-config", "vendor.toml", "--edcert-out", str(out), "-q")
    assert result.ret == 0, result.stdout.str()[-2000:]
    data = json.loads((out / "scorecard.json").read_text())
    ids = {c["id"] for c in data["checks"]}
    assert "DIST-LOCAL-001" in ids and "OR12-AUTH-001" in ids
    assert data["standards"][0]["verdict"] == "certified"


def test_no_check_repeats_a_request_another_check_made() -> None:
    from collections import Counter

    from tests.sandbox_run import run_sandbox

    sent = run_sandbox(only=[s for s in SANDBOX_STANDARDS if not s.startswith("lti-")]).requests
    # LTI is left out: a launch is a browser flow repeated on purpose (a fresh login per auth-endpoint probe, a
    # fresh client assertion per token-endpoint check). Reads only: the Ed-Fi write checks send the same URL
    # with different bodies on purpose (an upsert is the same POST twice; a stale If-Match and a good PUT; a
    # referenced and a clean-up DELETE).
    # A read of edcert's own test record between writes to it (the gradebook round trip) is no repeat either.
    data_requests = [key for key in sent if not key[1].endswith("/oauth/token") and key[0] == "GET"
                     and "/edcert-test-" not in key[1]]
    repeated = {key: n for key, n in Counter(data_requests).items() if n > 1}
    # OR11-AUTH-006 sends one signed request twice on purpose (same nonce: a replay the provider must refuse)
    replay = [key for key, n in repeated.items() if n == 2 and key[1].endswith("/ims/oneroster/v1p1/users?limit=1")]
    assert len(replay) == 1
    assert {k: n for k, n in repeated.items() if k not in replay} == {}
    assert len(data_requests) > 50


def test_demo_on_a_terminal_draws_progress_and_still_prints_the_summary(tmp_path: Path) -> None:
    import pty
    import select

    controller, terminal = pty.openpty()
    with subprocess.Popen([sys.executable, "-m", "edcert", "demo", "--out", str(tmp_path)],
                          stdin=terminal, stdout=terminal, stderr=terminal, close_fds=True) as proc:
        os.close(terminal)
        chunks = []
        while True:
            ready, _, _ = select.select([controller], [], [], 120)
            if not ready:
                break
            try:
                data = os.read(controller, 65536)
            except OSError:  # the terminal closed: the program ended
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=60)
    os.close(controller)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0
    assert "checking" in screen  # the progress bar was drawn
    assert "CERTIFIED" in screen and "exit 0: gate passed" in screen
