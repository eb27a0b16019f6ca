"""Ed-Fi API host certification suite (``edfi-api``): the vendor hosts an Ed-Fi-compatible API."""
from __future__ import annotations

from pathlib import Path

from edcert.harness.suites import Suite

SUITE = Suite(
    name="edfi",
    standards=("edfi-api",),
    path=Path(__file__).parent,
    plugin="edcert.conformance.edfi._fixtures",
)
