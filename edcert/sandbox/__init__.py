"""The reference sandbox: conformant servers for the standards edcert certifies, with named faults."""
from __future__ import annotations

import os

from edcert.sandbox.app import create_app
from edcert.sandbox.faults import FAULTS, Fault, validate_faults
from edcert.sandbox.hostile import HOSTILE, HostileMode, validate_hostile
from edcert.sandbox.server import SandboxServer

DEFAULT_CLIENT_ID = "edcert-sandbox"
DEFAULT_CLIENT_SECRET = "edcert-sandbox-secret"


def sandbox_credentials() -> tuple[str, str]:
    """(client_id, client_secret): ``EDCERT_SANDBOX_CLIENT_ID`` / ``_SECRET`` or the published defaults."""
    return (
        os.environ.get("EDCERT_SANDBOX_CLIENT_ID") or DEFAULT_CLIENT_ID,
        os.environ.get("EDCERT_SANDBOX_CLIENT_SECRET") or DEFAULT_CLIENT_SECRET,
    )


__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "FAULTS",
    "HOSTILE",
    "Fault",
    "HostileMode",
    "SandboxServer",
    "create_app",
    "sandbox_credentials",
    "validate_faults",
    "validate_hostile",
]
