"""The edcert engine: configuration, HTTP, evidence, the check registry, scoring and reports."""
from __future__ import annotations

from edcert.harness.errors import ConfigError, Failure, HarnessError, NotApplicable
from edcert.harness.registry import REGISTRY, CheckSpec, Level, check

__all__ = ["REGISTRY", "CheckSpec", "ConfigError", "Failure", "HarnessError", "Level", "NotApplicable", "check"]
