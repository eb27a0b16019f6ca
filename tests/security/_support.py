"""Helpers of the security tests: hostile sandboxes, the CLI in a measured subprocess, a throwaway CA."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edcert.fixtures.districts import District, generate_district
from edcert.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxServer, create_app
from tests.sandbox_run import vendor_toml  # noqa: F401 - the security tests import it from here

ROOT = Path(__file__).resolve().parents[2]
CANARY_SECRET = "canary-client-secret-7f3a9c2e51"


@dataclass
class Measured:
    proc: subprocess.CompletedProcess[str]
    exit_code: int
    elapsed_s: float
    peak_rss_mb: float


def measured_cli(tmp: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 240) -> Measured:
    """Run ``edcert ARGS`` in a subprocess that reports its own peak memory and elapsed time."""
    stats = tmp / "measure.json"
    proc = subprocess.run([sys.executable, "-m", "tests.security._measure", str(stats), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT, check=False,
                          env={**os.environ, **(env or {})})
    data = json.loads(stats.read_text()) if stats.exists() else {"exit_code": -1, "elapsed_s": 0, "peak_rss_mb": 0}
    return Measured(proc, proc.returncode, float(data["elapsed_s"]), float(data["peak_rss_mb"]))


@contextmanager
def sandbox(district: District | None = None, *, secret: str = DEFAULT_CLIENT_SECRET, **app_kwargs: Any
            ) -> Iterator[tuple[SandboxServer, Any]]:
    """A sandbox served on loopback (``app_kwargs`` go to ``create_app``, e.g. ``hostile=``)."""
    server_kwargs = {k: app_kwargs.pop(k) for k in ("ssl_certfile", "ssl_keyfile", "url_host") if k in app_kwargs}
    app = create_app(district or generate_district("small"), client_id=DEFAULT_CLIENT_ID, client_secret=secret,
                     **app_kwargs)
    with SandboxServer(app, **server_kwargs) as server:
        yield server, app


def report_files(out: Path) -> list[Path]:
    """Every file a run left in its report folder (globbed, so future writers are covered)."""
    return sorted(p for p in out.rglob("*") if p.is_file())


@dataclass
class TlsFiles:
    ca_bundle: Path  # the CA that issued the certificate (what --ca-bundle would be given)
    certfile: Path  # the server's certificate chain
    keyfile: Path


def tls_files(folder: Path, *hosts: str) -> TlsFiles:
    """A throwaway CA (trustme) and a server certificate for ``hosts``, written as PEM files."""
    import trustme

    folder.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    cert = ca.issue_cert(*hosts)
    files = TlsFiles(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    ca.cert_pem.write_to_path(str(files.ca_bundle))
    cert.private_key_and_cert_chain_pem.write_to_path(str(files.certfile))
    cert.private_key_pem.write_to_path(str(files.keyfile))
    return files
