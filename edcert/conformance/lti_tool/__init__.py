"""LTI 1.3 tool certification suite: edcert plays the platform and the user's browser."""
from __future__ import annotations

from pathlib import Path

from edcert.harness.suites import Suite

SUITE = Suite(
    name="lti_tool",
    standards=("lti-1.3-tool",),
    path=Path(__file__).parent,
    plugin="edcert.conformance.lti_tool._fixtures",
)
