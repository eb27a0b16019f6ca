"""Signed results: keygen, run/demo --sign, and verify against every kind of tampering."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edcert.fixtures.districts import generate_district
from edcert.harness.signing import generate_keypair, load_private_key, sign_report
from edcert.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxServer, create_app
from tests.harness.sandbox_scorecards import (
    REQUIRED_AND_RECOMMENDED,
    copy_report,
    invoke,
    sandbox_scorecard,
    write_report,
)


def edcert(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edcert", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})}, check=False)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    district_key, district_pub = generate_keypair(folder / "district")
    other_key, other_pub = generate_keypair(folder / "other")
    return {"key": district_key, "pub": district_pub, "other_key": other_key, "other_pub": other_pub}


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory, keys: dict[str, Path]) -> Path:
    """A report folder written from a real (faulty) sandbox run and signed with the district key."""
    folder = tmp_path_factory.mktemp("signed") / "report"
    write_report(sandbox_scorecard(REQUIRED_AND_RECOMMENDED), folder)
    sign_report(folder, load_private_key(keys["key"]))
    return folder


def private_material(key_path: Path) -> list[bytes]:
    """Every form in which the private key could leak: the PEM, its base64 body, the raw 32 bytes (hex, base64)."""
    pem = key_path.read_bytes()
    key = load_private_key(key_path)
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())
    body = b"".join(pem.splitlines()[1:-1])
    return [pem, body, raw, raw.hex().encode(), base64.b64encode(raw)]


def assert_no_private_key_in(folder: Path, key_path: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in private_material(key_path):
                assert secret not in data, f"private key material in {path.name}"


def test_keygen_writes_a_private_key_readable_only_by_its_owner(tmp_path: Path) -> None:
    proc = edcert("keygen", "--out", str(tmp_path / "district"))
    assert proc.returncode == 0, proc.stderr
    key, pub = tmp_path / "district.key", tmp_path / "district.pub"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert pub.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    assert isinstance(serialization.load_pem_private_key(key.read_bytes(), None), Ed25519PrivateKey)
    assert str(key) in proc.stdout and str(pub) in proc.stdout and "ed25519:" in proc.stdout
    # never overwritten, never through a missing folder
    again = edcert("keygen", "--out", str(tmp_path / "district"))
    assert again.returncode == 2 and "exists already" in again.stderr and again.stderr.count("\n") == 1
    missing = edcert("keygen", "--out", str(tmp_path / "no" / "such"))
    assert missing.returncode == 2 and "no such folder" in missing.stderr


def test_signed_manifest_lists_every_artifact_with_its_sha256(signed: Path, keys: dict[str, Path],
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    manifest = json.loads((signed / "manifest.json").read_text())
    artifacts = sorted(p.name for p in signed.iterdir() if p.name not in {"manifest.json", "signature"})
    assert {"scorecard.json", "scorecard.html", "scorecard.md", "junit.xml"} <= set(artifacts)
    assert sorted(manifest["files"]) == artifacts
    for name, entry in manifest["files"].items():
        data = (signed / name).read_bytes()
        assert entry == {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    # the signature is over the exact manifest bytes, with the district's public key
    public = serialization.load_pem_public_key(keys["pub"].read_bytes())
    public.verify(base64.b64decode((signed / "signature").read_text()),  # type: ignore[union-attr]
                  (signed / "manifest.json").read_bytes())
    assert_no_private_key_in(signed, keys["key"])
    proc = invoke(capsys, "verify", str(signed), "--key", str(keys["pub"]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith(f"verified: {signed}")


def _flip_byte(name: str) -> Callable[[Path], None]:
    def tamper(folder: Path) -> None:
        path = folder / name
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x01
        path.write_bytes(bytes(data))
    return tamper


def _append(folder: Path) -> None:
    with (folder / "scorecard.md").open("a") as fh:
        fh.write("\n")


def _add(name: str) -> Callable[[Path], None]:
    def tamper(folder: Path) -> None:
        path = folder / name
        path.parent.mkdir(exist_ok=True)
        path.write_text("not signed")
    return tamper


def _remove(name: str) -> Callable[[Path], None]:
    def tamper(folder: Path) -> None:
        (folder / name).unlink()
    return tamper


def _rehash_scorecard(folder: Path) -> None:
    """Change the verdict and update the manifest to match: the signature must catch it."""
    path = folder / "scorecard.json"
    path.write_text(path.read_text().replace('"not_certified"', '"certified"'))
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["scorecard.json"]["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (_flip_byte("scorecard.json"), "changed: scorecard.json"),
        (_flip_byte("junit.xml"), "changed: junit.xml"),
        (_append, "changed: scorecard.md"),
        (_add("extra.txt"), "added: extra.txt"),
        (_add("sub/hidden.html"), "added: sub/hidden.html"),
        (_remove("scorecard.html"), "removed: scorecard.html"),
        (_remove("manifest.json"), "removed: manifest.json"),
        (_remove("signature"), "removed: signature"),
        (_flip_byte("signature"), "signature"),
        (_rehash_scorecard, "changed: manifest.json or signature (the signature does not match the manifest)"),
    ],
    ids=["byte-scorecard", "byte-junit", "appended", "added", "added-in-subfolder", "removed", "no-manifest",
         "no-signature", "signature-byte", "manifest-rewritten"],
)
def test_verify_detects_tampering(signed: Path, keys: dict[str, Path], tmp_path: Path,
                                  tamper: Callable[[Path], None], expected: str,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    folder = copy_report(signed, tmp_path / "copy")
    tamper(folder)
    proc = invoke(capsys, "verify", str(folder), "--key", str(keys["pub"]))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout.startswith(f"NOT verified: {folder}")
    assert expected in proc.stdout


def test_verify_detects_the_wrong_key(signed: Path, keys: dict[str, Path], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    proc = invoke(capsys, "verify", str(signed), "--key", str(keys["other_pub"]))
    assert proc.returncode == 1
    assert "wrong key: the report was signed with key ed25519:" in proc.stdout
    # re-signed by someone else after a change: the district's key rejects it
    folder = copy_report(signed, tmp_path / "resigned")
    _flip_byte("scorecard.json")(folder)
    sign_report(folder, load_private_key(keys["other_key"]))
    assert invoke(capsys, "verify", str(folder), "--key", str(keys["other_pub"])).returncode == 0
    proc = invoke(capsys, "verify", str(folder), "--key", str(keys["pub"]))
    assert proc.returncode == 1 and "wrong key" in proc.stdout


def test_demo_and_run_sign_their_reports(keys: dict[str, Path], tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    proc = edcert("demo", "--out", str(demo), "--no-progress", "--sign", str(keys["key"]), "--only", "oneroster-1.2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"manifest.json: {demo / 'manifest.json'}" in proc.stdout
    signed_files = json.loads((demo / "manifest.json").read_text())["files"]
    assert {"junit.xml", "scorecard.html", "scorecard.json", "scorecard.md"} <= set(signed_files)
    assert set(signed_files) == {p.name for p in demo.iterdir()} - {"manifest.json", "signature"}
    assert edcert("verify", str(demo), "--key", str(keys["pub"])).returncode == 0
    assert_no_private_key_in(demo, keys["key"])

    app = create_app(generate_district("small"), faults=("oneroster.auth.no-token-accepted",),
                     client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET)
    with SandboxServer(app) as server:
        config = tmp_path / "vendor.toml"
        config.write_text(textwrap.dedent(f"""
            [vendor]
            name = "Signed Vendor"
            [oneroster]
            version = "1.2"
            base_url = "{server.base_url}"
            token_url = "{server.base_url}/oauth/token"
            client_id = "{DEFAULT_CLIENT_ID}"
            client_secret_env = "SIGNED_VENDOR_SECRET"
        """))
        out = tmp_path / "run"
        proc = edcert("run", "--config", str(config), "--out", str(out), "--no-progress", "--sign", str(keys["key"]),
                      env={"SIGNED_VENDOR_SECRET": DEFAULT_CLIENT_SECRET})
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the gate failed; the report is signed anyway
    assert (out / "signature").is_file()
    assert edcert("verify", str(out), "--key", str(keys["pub"])).returncode == 0
    assert_no_private_key_in(out, keys["key"])
    assert DEFAULT_CLIENT_SECRET.encode() not in (out / "manifest.json").read_bytes()


def test_bad_keys_are_usage_errors_before_anything_runs(keys: dict[str, Path], tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    encrypted = tmp_path / "encrypted.key"
    encrypted.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"passphrase")))
    junk = tmp_path / "junk.key"
    junk.write_text("not a key")
    cases = [
        (["demo", "--sign", str(keys["pub"])], "that is a public key"),
        (["demo", "--sign", str(encrypted)], "encrypted"),
        (["demo", "--sign", str(junk)], "not a PEM private key"),
        (["demo", "--sign", str(tmp_path / "missing.key")], "no such file"),
        (["run", "--config", str(tmp_path / "unused.toml"), "--sign", str(junk)], "not a PEM private key"),
        (["verify", str(tmp_path), "--key", str(keys["key"])], "is a private key"),
        (["verify", str(tmp_path), "--key", str(junk)], "not a PEM public key"),
        (["verify", str(tmp_path / "nope"), "--key", str(keys["pub"])], "no such folder"),
    ]
    for args, message in cases:
        proc = invoke(capsys, *args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert proc.stderr.startswith("edcert: error: ") and message in proc.stderr, (args, proc.stderr)
        assert proc.stderr.count("\n") == 1 and "sandbox listening" not in proc.stdout


def test_the_private_key_may_not_live_in_the_report_folder(tmp_path: Path) -> None:
    key, _ = generate_keypair(tmp_path / "inside")
    proc = edcert("demo", "--out", str(tmp_path), "--no-progress", "--sign", str(key))
    assert proc.returncode == 2
    assert "inside the report folder" in proc.stderr
    assert not (tmp_path / "scorecard.json").exists()
