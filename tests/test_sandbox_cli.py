"""`edcert sandbox serve` prints what a vendor tester needs and serves until stopped."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import httpx


def test_serve_prints_urls_and_credentials_and_serves() -> None:
    env = {**os.environ, "EDCERT_SANDBOX_CLIENT_ID": "district-7", "EDCERT_SANDBOX_CLIENT_SECRET": "s-e-c-r-e-t"}
    with subprocess.Popen([sys.executable, "-m", "edcert", "sandbox", "serve", "--port", "0"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env) as proc:
        _exercise(proc)
    assert proc.returncode == 0


def _exercise(proc: subprocess.Popen[str]) -> None:
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(5)]
        text = "".join(lines)
        base = re.search(r"on (http://127\.0\.0\.1:\d+)", text)
        assert base, text
        assert "district-7" in text and "s-e-c-r-e-t" in text
        token = httpx.post(f"{base.group(1)}/oauth/token", data={"grant_type": "client_credentials"},
                           auth=("district-7", "s-e-c-r-e-t"), timeout=10)
        assert token.status_code == 200
        users = httpx.get(f"{base.group(1)}/ims/oneroster/rostering/v1p2/users", params={"limit": 2},
                          headers={"Authorization": f"Bearer {token.json()['access_token']}"}, timeout=10)
        assert users.status_code == 200 and len(users.json()["users"]) == 2
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)


def test_faults_lists_the_catalogue() -> None:
    proc = subprocess.run([sys.executable, "-m", "edcert", "sandbox", "faults"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0
    assert "oneroster.paging.ignores-offset" in proc.stdout
