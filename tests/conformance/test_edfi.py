"""Ed-Fi host and client modes beyond the fault matrix: read-only runs, bad configuration, unpublished
clients, the error-form and fictional-data classifiers, and `edcert sandbox serve --edfi-target`."""
from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from edcert.conformance.edfi.errors import MESSAGE, PROBLEM, error_form
from edcert.conformance.edfi_client.behaviour import real_looking
from edcert.fixtures.districts import generate_district
from edcert.harness.config import parse_config
from edcert.harness.errors import ConfigError
from edcert.harness.runner import run
from edcert.harness.scorecard import Outcome
from edcert.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxServer, create_app
from edcert.sandbox.vendor import SECRET_ENV, sandbox_vendor_data


def _config(base_url: str, **tables: dict[str, Any]) -> Any:
    data = sandbox_vendor_data(base_url, DEFAULT_CLIENT_ID)
    for name in [n for n in data if n != "vendor" and not n.startswith("edfi")]:
        data.pop(name)
    for name in ("edfi", "edfi_client"):
        if name in tables:
            data[name] = {**data[name], **tables[name]}
        elif tables:
            data.pop(name)
    return parse_config(data, env={SECRET_ENV: DEFAULT_CLIENT_SECRET})


def _sandbox() -> SandboxServer:
    return SandboxServer(create_app(generate_district("small"), client_id=DEFAULT_CLIENT_ID,
                                    client_secret=DEFAULT_CLIENT_SECRET))


def test_read_only_host_run_skips_the_write_checks_and_sends_no_write() -> None:
    with _sandbox() as server:
        result = run(_config(server.base_url, edfi={"allow_writes": False}))
    outcomes = {c.id: c.outcome for c in result.scorecard.checks}
    writes = {i for i in outcomes if i.startswith("EDFI-WRITE-")} | {"EDFI-ETAG-002"}
    assert len(writes) == 8 and {outcomes[i] for i in writes} == {Outcome.SKIPPED}
    assert {o for i, o in outcomes.items() if i not in writes} == {Outcome.PASSED}
    token_posts = [u for m, u, _ in result.requests if m == "POST"]
    assert token_posts and all(u.endswith("/oauth/token") for u in token_posts)
    assert not [m for m, _, _ in result.requests if m in ("PUT", "DELETE", "PATCH")]


def test_an_unpublished_client_fails_the_client_checks_without_errors() -> None:
    with _sandbox() as server:
        sc = run(_config(server.base_url, edfi_client={"scripted_client": False})).scorecard
    outcomes = {c.id: (c.outcome, c.message) for c in sc.checks}
    assert {o for o, _ in outcomes.values()} == {Outcome.FAILED}
    assert "no request from the vendor's client" in outcomes["EDFICL-BEH-001"][1]
    assert "matched 0 item(s)" in outcomes["EDFICL-SCN-003"][1]
    assert [s.verdict for s in sc.standards] == ["not_certified"]


@pytest.mark.parametrize(("table", "value", "message"), [
    ("edfi", {"base_url": "ftp://x"}, "edfi.base_url"),
    ("edfi_client", {"base_url": "localhost:8000"}, "edfi_client.base_url"),
    ("edfi", {"unknown_key": 1}, "unknown key 'edfi.unknown_key'"),
])
def test_bad_edfi_tables_are_one_line_config_errors(table: str, value: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")) as info:
        _config("http://127.0.0.1:9", **{table: value})
    assert "\n" not in str(info.value)


def test_error_forms_of_both_ods_generations_are_told_apart() -> None:
    assert error_form({"type": "urn:ed-fi:api:not-found", "status": 404, "title": "Not Found"}) == PROBLEM
    assert error_form({"message": "The specified resource could not be found."}) == MESSAGE
    assert error_form({"error": "x"}) is None
    assert error_form("Not Found") is None


@pytest.mark.parametrize(("text", "finding"), [
    ("078-05-1120", "an SSN-shaped number"),
    ("jo.smith@gmail.com", "an e-mail address at gmail.com"),
    ("zavi.k@student.example.org", None),
    ("gavnor@example.edu", None),
    ("2019-03-14", None),
    ("uri://ed-fi.org/GradeLevelDescriptor#Ninth grade", None),
])
def test_real_looking_data_is_recognised(text: str, finding: str | None) -> None:
    assert real_looking(text) == finding


def test_sandbox_serve_prints_the_edfi_target() -> None:
    env = {**os.environ, "EDCERT_SANDBOX_CLIENT_ID": "", "EDCERT_SANDBOX_CLIENT_SECRET": ""}
    lines = []
    with subprocess.Popen([sys.executable, "-m", "edcert", "sandbox", "serve", "--edfi-target"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env) as proc:
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line.rstrip())
                if "Ctrl-C" in line:
                    break
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    text = "\n".join(lines)
    base = lines[0].split(" on ", 1)[1].split()[0]
    assert f"base URL:      {base}/edfi/" in text
    assert "client id:     edcert-sis" in text and "client secret: edcert-sis-secret" in text
    assert f'base_url = "{base}/edfi"' in text and 'sis_client_id = "edcert-sis"' in text
