"""Signed results: an Ed25519 signature over a manifest of every artifact in a report folder.

``sign_report`` writes ``manifest.json`` (the SHA-256 and size of every file in the folder, scorecard.json
included) and ``signature`` (the base64 Ed25519 signature over the exact bytes of manifest.json, which are
written canonically: sorted keys, fixed indentation, ASCII only). ``verify_report`` recomputes every hash and
checks the signature, so a changed byte, an added or a removed file, or the wrong key is reported. The
cryptography is the ``cryptography`` package's; nothing here is hand-rolled.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from edcert import __version__
from edcert.harness.errors import ConfigError

MANIFEST = "manifest.json"
SIGNATURE = "signature"
MANIFEST_FORMAT = "edcert-signed-report"
_SIGNING_FILES = {MANIFEST, SIGNATURE}


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short, stable name for a public key: ``ed25519:`` and the first 16 bytes of its SHA-256, in hex."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + hashlib.sha256(raw).hexdigest()[:32]


def generate_keypair(prefix: str | Path) -> tuple[Path, Path]:
    """Write ``PREFIX.key`` (PKCS#8 PEM, mode 0600) and ``PREFIX.pub`` (SubjectPublicKeyInfo PEM).

    Raises:
        ConfigError: One of the files exists already (keys are never overwritten) or the folder is missing.
    """
    base = Path(prefix)
    private_path, public_path = Path(f"{base}.key"), Path(f"{base}.pub")
    for path in (private_path, public_path):
        if path.exists():
            raise ConfigError(f"{path} exists already; edcert never overwrites a key (choose another --out)")
    if not private_path.parent.is_dir():
        raise ConfigError(f"{private_path.parent}: no such folder")
    private_key = Ed25519PrivateKey.generate()
    private_pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption())
    public_pem = private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)
    # Created with mode 0600 (O_EXCL: never through an existing file or link); fchmod pins it whatever the umask.
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fh.fileno(), 0o600)
        fh.write(private_pem)
    public_path.write_bytes(public_pem)
    return private_path, public_path


def _read_pem(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file ({what})") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a {what}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    """Read an unencrypted Ed25519 private key (PEM, as written by ``edcert keygen``).

    Raises:
        ConfigError: The file is missing or is not an unencrypted Ed25519 private key.
    """
    p = Path(path)
    data = _read_pem(p, "Ed25519 private key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise ConfigError(f"{p}: the private key is encrypted; edcert needs an unencrypted key") from None
    except (ValueError, UnsupportedAlgorithm):
        hint = " (that is a public key; sign with the .key file)" if b"PUBLIC KEY" in data else ""
        raise ConfigError(f"{p}: not a PEM private key{hint}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{p}: not an Ed25519 key (edcert keygen writes one)")
    return key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    """Read an Ed25519 public key (PEM, as written by ``edcert keygen``).

    Raises:
        ConfigError: The file is missing or is not an Ed25519 public key.
    """
    p = Path(path)
    data = _read_pem(p, "Ed25519 public key")
    if b"PRIVATE KEY" in data:
        raise ConfigError(f"{p}: is a private key; verify with the public key (the .pub file)")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise ConfigError(f"{p}: not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"{p}: not an Ed25519 public key (edcert keygen writes one)")
    return key


def _hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def _artifacts(folder: Path) -> dict[str, dict[str, Any]]:
    """Every file under ``folder`` except the signature files themselves, by POSIX relative path."""
    found: dict[str, dict[str, Any]] = {}
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            rel = path.relative_to(folder).as_posix()
            if rel in _SIGNING_FILES:
                continue
            sha256, size = _hash_file(path)
            found[rel] = {"sha256": sha256, "bytes": size}
    return found


def canonical_json(data: dict[str, Any]) -> bytes:
    """The one serialisation of a manifest that is signed: sorted keys, two-space indent, ASCII, final newline."""
    return (json.dumps(data, sort_keys=True, indent=2, ensure_ascii=True) + "\n").encode("ascii")


def build_manifest(folder: Path, public_key: Ed25519PublicKey) -> dict[str, Any]:
    """The manifest of a report folder as it is now."""
    return {
        "format": MANIFEST_FORMAT,
        "version": 1,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "harness": {"name": "edcert", "version": __version__},
        "hash_algorithm": "sha256",
        "signature_algorithm": "ed25519",
        "key_id": key_id(public_key),
        "files": _artifacts(folder),
    }


def check_key_outside(key_path: Path, folder: Path) -> None:
    """Refuse a signing key stored inside the report folder (it would be listed, and shipped, with the report).

    Raises:
        ConfigError: The key file lies inside ``folder``.
    """
    if key_path.resolve().is_relative_to(folder.resolve()):
        raise ConfigError(f"--sign {key_path}: the private key is inside the report folder {folder}; keep it "
                          "outside so it is never shipped with the report")


def sign_report(folder: Path, private_key: Ed25519PrivateKey) -> dict[str, Path]:
    """Write ``manifest.json`` and ``signature`` into a finished report folder; returns their paths."""
    manifest = canonical_json(build_manifest(folder, private_key.public_key()))
    signature = private_key.sign(manifest)
    manifest_path, signature_path = folder / MANIFEST, folder / SIGNATURE
    manifest_path.write_bytes(manifest)
    signature_path.write_text(base64.b64encode(signature).decode("ascii") + "\n", encoding="ascii")
    return {MANIFEST: manifest_path, SIGNATURE: signature_path}


@dataclass
class Verification:
    """What ``verify_report`` found: ``ok`` only when the signature and every file match."""

    folder: Path
    key_id: str
    problems: list[str] = field(default_factory=list)
    files: int = 0
    signed_at: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def _check_signature(folder: Path, public_key: Ed25519PublicKey, result: Verification) -> dict[str, Any] | None:
    manifest_path, signature_path = folder / MANIFEST, folder / SIGNATURE
    if not manifest_path.is_file():
        result.problems.append(f"removed: {MANIFEST} (the folder is not signed, or its manifest was deleted)")
        return None
    manifest_bytes = manifest_path.read_bytes()
    try:
        manifest = json.loads(manifest_bytes)
        if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
            raise ValueError("not an edcert manifest")
    except ValueError:
        result.problems.append(f"changed: {MANIFEST} is not an edcert manifest any more")
        return None
    if not signature_path.is_file():
        result.problems.append(f"removed: {SIGNATURE} (the manifest is not signed)")
        return manifest
    try:
        signature = base64.b64decode(signature_path.read_bytes().strip(), validate=True)
    except (binascii.Error, ValueError):
        result.problems.append(f"changed: {SIGNATURE} is not a base64 signature")
        return manifest
    try:
        public_key.verify(signature, manifest_bytes)
    except InvalidSignature:
        signed_by = manifest.get("key_id")
        if signed_by != result.key_id:
            result.problems.append(f"wrong key: the report was signed with key {signed_by}, "
                                   f"not with the given key {result.key_id}")
        else:
            result.problems.append(f"changed: {MANIFEST} or {SIGNATURE} (the signature does not match the manifest)")
    return manifest


def verify_report(folder: Path, public_key: Ed25519PublicKey) -> Verification:
    """Check a signed report folder against a public key.

    Raises:
        ConfigError: ``folder`` is not a folder.
    """
    if not folder.is_dir():
        raise ConfigError(f"{folder}: no such folder")
    result = Verification(folder=folder, key_id=key_id(public_key))
    manifest = _check_signature(folder, public_key, result)
    if manifest is None:
        return result
    result.signed_at = str(manifest.get("created_at", ""))
    listed = manifest.get("files")
    if not isinstance(listed, dict):
        result.problems.append(f"changed: {MANIFEST} lists no files")
        return result
    present = _artifacts(folder)
    result.files = len(present)
    for name in sorted(set(listed) | set(present)):
        if name not in present:
            result.problems.append(f"removed: {name} (listed in the signed manifest, missing from the folder)")
        elif name not in listed:
            result.problems.append(f"added: {name} (not in the signed manifest)")
        elif not isinstance(listed[name], dict) or listed[name].get("sha256") != present[name]["sha256"]:
            result.problems.append(f"changed: {name} (its SHA-256 differs from the signed manifest)")
    return result
