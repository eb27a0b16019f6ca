"""TLS: certificates are verified by default; --ca-bundle adds a district CA; --insecure is loud and never certifies.

A throwaway CA from trustme issues the sandbox's certificate. A certificate
edcert cannot verify is a failed required check (OR12-SEC-001), never an
error and never a silent pass; no data check passes over it. (A certificate
for another host name is in the fault matrix: tests/test_fault_matrix.py.)
"""
from __future__ import annotations

import asyncio
import json
import os
import ssl
import time
from pathlib import Path

import httpx
import pytest
import trustme
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from edcert.conformance.lti_tool._fixtures import LtiToolSession
from edcert.conformance.lti_tool._platform import TestPlatform
from edcert.conformance.oneroster.transport import is_loopback
from edcert.harness.config import parse_config
from edcert.harness.errors import ConfigError
from edcert.harness.http import shared_ssl_context, ssl_context
from edcert.harness.session import RunState
from edcert.lti.jose import new_key, public_jwks
from edcert.sandbox import DEFAULT_CLIENT_SECRET, SandboxServer
from tests.security._support import TlsFiles, measured_cli, sandbox, tls_files, vendor_toml

ENV = {"EDCERT_TEST_SECRET": DEFAULT_CLIENT_SECRET}


def cli_run(tmp_path: Path, tls: TlsFiles, *flags: str, url_host: str | None = None) -> tuple[int, dict, str, str]:  # type: ignore[type-arg]
    out = tmp_path / "report"
    with sandbox(ssl_certfile=str(tls.certfile), ssl_keyfile=str(tls.keyfile), url_host=url_host) as (server, _):
        assert server.base_url.startswith("https://")
        config = vendor_toml(tmp_path / "vendor.toml", server.base_url, timeout=5)
        measured = measured_cli(tmp_path, "run", "--config", str(config), "--out", str(out), "--no-progress",
                                *flags, env=ENV)
    data = json.loads((out / "scorecard.json").read_text())
    return measured.exit_code, data, measured.proc.stdout, measured.proc.stderr


def outcomes(data: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {c["id"]: c["outcome"] for c in data["checks"]}


def test_untrusted_certificate_fails_the_security_check_and_nothing_passes(tmp_path: Path) -> None:
    code, data, stdout, _ = cli_run(tmp_path, tls_files(tmp_path / "tls", "127.0.0.1"))
    assert code == 1, stdout
    got = outcomes(data)
    assert got["OR12-SEC-001"] == "failed"
    sec = next(c for c in data["checks"] if c["id"] == "OR12-SEC-001")
    assert "does not verify" in sec["message"] and "certificate" in sec["message"]
    assert sec["evidence"] and sec["evidence"][0]["error"]
    passed = {k for k, v in got.items() if v == "passed"}
    assert passed <= {"OR12-SEC-002"}, f"nothing that needs the vendor's answers passes: {passed}"
    assert "error" in set(got.values())
    assert data["standards"][0]["verdict"] == "not_certified" and data["insecure"] is False


def test_ca_bundle_trusts_a_district_ca(tmp_path: Path) -> None:
    tls = tls_files(tmp_path / "tls", "127.0.0.1")
    code, data, stdout, stderr = cli_run(tmp_path, tls, "--ca-bundle", str(tls.ca_bundle))
    assert code == 0, stdout + stderr
    assert outcomes(data)["OR12-SEC-001"] == "passed" and outcomes(data)["OR12-SEC-002"] == "passed"
    assert data["standards"][0]["verdict"] == "certified"
    assert data["insecure"] is False and data["warnings"] == []
    assert "WARNING" not in stdout + stderr


def test_insecure_is_loud_and_never_certifies(tmp_path: Path) -> None:
    code, data, stdout, stderr = cli_run(tmp_path, tls_files(tmp_path / "tls", "127.0.0.1"), "--insecure")
    assert code == 1
    got = outcomes(data)
    assert got["OR12-SEC-001"] == "failed", "the certificate is still judged, and still fails"
    assert sum(v == "passed" for v in got.values()) >= 100, "the data checks ran over the unverified connection"
    assert data["insecure"] is True and any("--insecure" in w for w in data["warnings"])
    assert data["standards"][0]["verdict"] == "not_certified"
    assert "--insecure" in data["standards"][0]["summary"]
    assert "WARNING" in stderr and "WARNING" in stdout and "OFF" in stdout
    html = (tmp_path / "report" / "scorecard.html").read_text()
    assert "--insecure" in html


def test_insecure_never_certifies_even_a_perfect_vendor(tmp_path: Path) -> None:
    tls = tls_files(tmp_path / "tls", "127.0.0.1")
    code, data, stdout, _ = cli_run(tmp_path, tls, "--insecure", "--ca-bundle", str(tls.ca_bundle))
    got = outcomes(data)
    # every check passed (the data-fidelity checks do not apply: this configuration names no roster_csv)
    assert {k for k, v in got.items() if v != "passed" and not (k.startswith("OR12-FID-") and v == "not_applicable")
            } == set(), "every check passed"
    assert code == 1 and data["gate"]["passed"] is False
    assert data["standards"][0]["verdict"] == "not_certified"
    assert "NOT CERTIFIED" in stdout


def test_bad_ca_bundle_is_a_usage_error(tmp_path: Path) -> None:
    measured = measured_cli(tmp_path, "demo", "--ca-bundle", str(tmp_path / "nope.pem"), "--no-progress")
    assert measured.exit_code == 2
    assert measured.proc.stderr.startswith("edcert: error: --ca-bundle") and measured.proc.stderr.count("\n") == 1
    with pytest.raises(ConfigError, match="CA bundle"):
        parse_config({"vendor": {"name": "x"}, "oneroster": {
            "version": "1.2", "base_url": "https://v.example", "token_url": "https://v.example/t", "client_id": "a",
            "client_secret_env": "S", "ca_bundle": str(tmp_path / "nope.pem")}}, env={"S": "s"})


def test_sandbox_server_tls_options(tmp_path: Path) -> None:
    tls = tls_files(tmp_path, "localhost")
    with pytest.raises(ValueError, match="both"):
        SandboxServer(object(), ssl_certfile=str(tls.certfile))  # type: ignore[arg-type]
    server = SandboxServer(object(), ssl_certfile=str(tls.certfile), ssl_keyfile=str(tls.keyfile),  # type: ignore[arg-type]
                           url_host="localhost")
    assert server.url_host == "localhost" and server.ssl_keyfile == str(tls.keyfile)


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.3.2.1", True), ("localhost", True), ("api.localhost", True), ("[::1]", True),
    ("::1", True), ("10.0.0.1", False), ("vendor.example", False), ("localhost.vendor.example", False),
])
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def _subjects(context: ssl.SSLContext) -> set[str]:
    return {str(cert["subject"]) for cert in context.get_ca_certs()}


def test_verifying_contexts_are_built_once_and_a_district_ca_stays_in_its_own(tmp_path: Path) -> None:
    """One context per set of CAs (reading a bundle costs ~35 ms a client); a CA never widens another's."""
    default = shared_ssl_context()
    assert shared_ssl_context() is default and ssl_context(True) is default
    assert shared_ssl_context(trust_env=False) is not default  # certifi's CAs, as httpx without trust_env
    assert ssl_context(False) is False
    bundle = tmp_path / "district-ca.pem"
    first, second = trustme.CA(), trustme.CA()
    first.cert_pem.write_to_path(str(bundle))
    district = shared_ssl_context(str(bundle))
    assert district is not default and shared_ssl_context(str(bundle)) is district
    first_subject = _subjects(district) - _subjects(default)
    assert len(first_subject) == 1  # the district's CA, in its own context only
    # the file is replaced by another CA: read again, and the first CA is no longer trusted
    second.cert_pem.write_to_path(str(bundle))
    os.utime(bundle, ns=(time.time_ns(), time.time_ns() + 10**9))
    replaced = shared_ssl_context(str(bundle))
    assert replaced is not district
    assert not _subjects(replaced) & first_subject and len(_subjects(replaced) - _subjects(default)) == 1
    assert not first_subject & _subjects(shared_ssl_context())
    # a bundle that cannot be read raises as it always did, every time (nothing is kept for it)
    for _ in range(2):
        with pytest.raises(FileNotFoundError):
            ssl_context(True, str(tmp_path / "missing.pem"))


def test_the_lti_tools_keys_are_fetched_trusting_the_runs_ca_bundle(tmp_path: Path) -> None:
    """edcert's test platform reads a tool's JWKS as every request of the run is verified: with --ca-bundle.

    Without the bundle, a tool behind a district CA had every service token refused (LTIT-SVC-001 failed).
    """
    tls = tls_files(tmp_path / "tls", "127.0.0.1")
    key = new_key()

    async def jwks(_request: Request) -> Response:
        return JSONResponse(public_jwks(key))

    tool = Starlette(routes=[Route("/jwks", jwks)])
    with SandboxServer(tool, ssl_certfile=str(tls.certfile), ssl_keyfile=str(tls.keyfile)) as server:
        url = server.base_url + "/jwks"
        trusting = TestPlatform("127.0.0.1", 0, None, tool_jwks_url=url, ca_bundle=str(tls.ca_bundle))
        plain = TestPlatform("127.0.0.1", 0, None, tool_jwks_url=url)
        try:
            assert [k.kid for k in asyncio.run(trusting._tool_keys())] == [key.kid]
            with pytest.raises(httpx.ConnectError):  # the district's CA is not one of the usual ones
                asyncio.run(plain._tool_keys())
        finally:
            trusting.close()
            plain.close()
    # and a run's session hands its bundle to the platform
    config = parse_config({"vendor": {"name": "x"}, "lti_tool": {
        "login_url": "https://tool.example/login", "redirect_uris": ["https://tool.example/launch"],
        "jwks_url": url, "client_id": "c", "deployment_id": "d", "ca_bundle": str(tls.ca_bundle)}}, env={})
    assert config.lti_tool is not None
    session = LtiToolSession(config.lti_tool, RunState(config))
    try:
        assert session.platform.ca_bundle == str(tls.ca_bundle)
    finally:
        session.close()
