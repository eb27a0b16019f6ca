"""OneRoster 1.1 certification suite (rostering, base /ims/oneroster/v1p1, OAuth 1.0a)."""
from __future__ import annotations

from pathlib import Path

from edcert.harness.suites import Suite

SUITE = Suite(
    name="oneroster11",
    standards=("oneroster-1.1",),
    path=Path(__file__).parent,
    plugin="edcert.conformance.oneroster11._fixtures",
)
