"""OneRoster Gradebook certification suite (1.2 and 1.1, one flavor each in ``_fixtures.FLAVORS``)."""
from __future__ import annotations

from pathlib import Path

from edcert.harness.suites import Suite

SUITE = Suite(
    name="oneroster_gradebook",
    standards=("oneroster-gradebook-1.2", "oneroster-gradebook-1.1"),
    path=Path(__file__).parent,
    plugin="edcert.conformance.oneroster_gradebook._fixtures",
)
