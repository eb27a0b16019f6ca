"""OneRoster Resources certification suite (1.2; 1.1 is one more flavor in ``_fixtures.FLAVORS``)."""
from __future__ import annotations

from pathlib import Path

from edcert.harness.suites import Suite

SUITE = Suite(
    name="oneroster_resources",
    standards=("oneroster-resources-1.2", "oneroster-resources-1.1"),
    path=Path(__file__).parent,
    plugin="edcert.conformance.oneroster_resources._fixtures",
)
