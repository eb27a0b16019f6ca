"""The fuzz phase: property-based requests generated from OpenAPI descriptions (schemathesis).

Opt-in (``edcert run --phase fuzz``): its checks carry the tag ``phase:fuzz`` and run only when the
phase is chosen. Each schemathesis check is one scorecard check, per standard.
"""
from __future__ import annotations

from pathlib import Path

from edcert.harness.suites import Suite

SUITE = Suite(
    name="fuzz",
    standards=("oneroster-1.2", "oneroster-gradebook-1.2", "oneroster-resources-1.2", "oneroster-1.1",
               "edfi-api"),
    path=Path(__file__).parent,
    plugin="edcert.conformance.fuzz._fixtures",
    phases=("fuzz",),
)
