"""LTI 1.3 platform certification suite: edcert plays the tool (standard ``lti-1.3-platform``)."""
from __future__ import annotations

from pathlib import Path

from edcert.harness.suites import Suite

SUITE = Suite(
    name="lti_platform",
    standards=("lti-1.3-platform",),
    path=Path(__file__).parent,
    plugin="edcert.conformance.lti_platform._fixtures",
)
