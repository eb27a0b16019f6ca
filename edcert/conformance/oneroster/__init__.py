"""OneRoster certification suite."""
from __future__ import annotations

from pathlib import Path

from edcert.harness.suites import Suite

SUITE = Suite(
    name="oneroster",
    standards=("oneroster-1.2",),
    path=Path(__file__).parent,
    plugin="edcert.conformance.oneroster._fixtures",
)
