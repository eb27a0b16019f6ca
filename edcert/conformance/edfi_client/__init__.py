"""Ed-Fi client certification suite (``edfi-client``): the vendor writes to an Ed-Fi API (edcert's sandbox)."""
from __future__ import annotations

from pathlib import Path

from edcert.harness.suites import Suite

SUITE = Suite(
    name="edfi_client",
    standards=("edfi-client",),
    path=Path(__file__).parent,
    plugin="edcert.conformance.edfi_client._fixtures",
)
