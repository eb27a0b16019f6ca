"""Serve an ASGI app with uvicorn on loopback: the runner moved to :mod:`edcert.harness.loopback`."""
from __future__ import annotations

from edcert.harness.loopback import SandboxServer

__all__ = ["SandboxServer"]
