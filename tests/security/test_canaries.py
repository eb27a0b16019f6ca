"""Canaries: a client secret, a private key and a student planted where a vendor could leak them.

The sandbox (hostile mode ``echo-secrets``) echoes the Authorization header on
every answer and the client secret and a private key (PEM and JWK) in its error
and token answers; the district holds a canary student. After a run through the
CLI, every byte of every file in the report folder (globbed, so writers added
later are covered) and the CLI's stdout and stderr are searched: no secret, no
key, no bearer token, and, unless ``--evidence full``, no student data.
"""
from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from edcert.fixtures.districts import District, generate_district
from edcert.sandbox import DEFAULT_CLIENT_ID
from tests.security._support import CANARY_SECRET, measured_cli, report_files, sandbox, vendor_toml

CANARY_STUDENT = {"givenName": "Quillonia", "familyName": "Zephyrwaite",
                  "email": "quillonia.zephyrwaite@canary.example.edu", "username": "qzephyrwaite"}
CANARY_BIRTH_DATE = "2011-03-17"
# Faults that make checks fail (so failure messages and repro commands are written too).
# The first two put the canary's own records (users page, demographics page) into failure evidence.
FAULTS = ("oneroster.model.datetime-as-date", "oneroster.model.demographics-us-birthdate",
          "oneroster.paging.ignores-limit", "oneroster.errors.unknown-id-200-empty")


def canary_district() -> District:
    district = generate_district("small")
    # The sandbox serves records in sourcedId order: the first one lands in the evidence excerpts.
    student = min(district.users, key=lambda u: u["sourcedId"])
    assert student["roles"][0]["role"] == "student"
    student.update(CANARY_STUDENT)
    demographics = next(d for d in district.demographics if d["sourcedId"] == student["sourcedId"])
    demographics["birthDate"] = CANARY_BIRTH_DATE
    return district


def canary_key() -> tuple[str, list[str]]:
    """A private key as PEM, and the strings that must never appear (its body lines, its JWK members)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    body_lines = [line for line in pem.splitlines() if line and not line.startswith("-----")]
    numbers = key.private_numbers()

    def b64(value: int) -> str:
        return base64.urlsafe_b64encode(value.to_bytes((value.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()

    return pem, [*body_lines[1:6], body_lines[-2], b64(numbers.d)[:40], b64(numbers.p)[:40], b64(numbers.q)[:40]]


def secret_forms(secret: str) -> list[str]:
    basic = base64.b64encode(f"{DEFAULT_CLIENT_ID}:{secret}".encode()).decode()
    return [secret, basic, basic.rstrip("=")]


def run_with_canaries(tmp_path: Path, evidence: str) -> tuple[str, list[str], list[str], dict[str, Any]]:
    pem, key_parts = canary_key()
    out = tmp_path / "report"
    with sandbox(canary_district(), secret=CANARY_SECRET, hostile="echo-secrets", canary_key=pem,
                 faults=FAULTS) as (server, app):
        config = vendor_toml(tmp_path / "vendor.toml", server.base_url)
        measured = measured_cli(tmp_path, "run", "--config", str(config), "--out", str(out), "--no-progress",
                                "--evidence", evidence, env={"EDCERT_TEST_SECRET": CANARY_SECRET})
        tokens = list(app.state.sandbox.tokens._tokens)  # every bearer token the sandbox issued
    assert measured.exit_code == 1, measured.proc.stdout + measured.proc.stderr
    files = report_files(out)
    assert {"scorecard.json", "scorecard.html", "junit.xml"} <= {p.name for p in files}
    blobs = {str(p.relative_to(out)): p.read_bytes().decode("utf-8", errors="replace") for p in files}
    blobs["stdout"] = measured.proc.stdout
    blobs["stderr"] = measured.proc.stderr
    text = "\n".join(f"== {name}\n{content}" for name, content in blobs.items())
    return text, [*secret_forms(CANARY_SECRET), *key_parts], tokens, blobs


def leaks(text: str, needles: list[str]) -> list[str]:
    return [n for n in needles if n and n in text]


def test_canaries_never_leak_with_masked_evidence(tmp_path: Path) -> None:
    text, secrets, tokens, blobs = run_with_canaries(tmp_path, "masked")
    assert len(tokens) >= 2
    assert leaks(text, secrets) == []
    assert leaks(text, tokens) == []
    assert leaks(text, [*CANARY_STUDENT.values(), CANARY_BIRTH_DATE, "03/17/2011"]) == []
    # the run did record the answers that carried them: the canaries were there to leak
    assert "X-Echo-Authorization".lower() in blobs["scorecard.json"].lower()
    assert "[redacted]" in blobs["scorecard.json"] and "[masked]" in blobs["scorecard.json"]
    assert "curl " in blobs["scorecard.json"]  # repro commands were written, and searched


def test_full_evidence_keeps_student_data_but_never_secrets(tmp_path: Path) -> None:
    text, secrets, tokens, _ = run_with_canaries(tmp_path, "full")
    assert leaks(text, secrets) == []
    assert leaks(text, tokens) == []
    # the positive control: with full evidence the student's records are there, so masking above was real
    assert CANARY_STUDENT["givenName"] in text and CANARY_STUDENT["email"] in text and "03/17/2011" in text


@pytest.mark.parametrize("evidence", ["masked", "full"])
def test_redactor_catches_echoed_credentials(evidence: str) -> None:
    from edcert.harness.evidence import Recorder, Redactor

    pem, key_parts = canary_key()
    rec = Recorder(Redactor(evidence, (CANARY_SECRET,)))  # type: ignore[arg-type]
    basic = base64.b64encode(f"{DEFAULT_CLIENT_ID}:{CANARY_SECRET}".encode()).decode()
    echoed = (f'{{"echo": "Basic {basic}", "auth": "Bearer opaque-token-1234567", "key": {pem!r}, '
              f'"note": "secret={CANARY_SECRET}"}}').encode()
    ex = rec.record(method="GET", url="https://v.example/x?token=abc", status=500,
                    request_headers={"Authorization": "Bearer opaque-token-1234567"}, request_body=None,
                    response_headers={"X-Echo": f"Basic {basic}", "X-Echo-Bearer": "Bearer opaque-token-1234567"},
                    response_body=echoed, elapsed_ms=1.0)
    dumped = ex.model_dump_json()
    assert leaks(dumped, [*secret_forms(CANARY_SECRET), "opaque-token-1234567", *key_parts]) == []
