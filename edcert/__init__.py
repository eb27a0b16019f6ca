"""edcert: certify that an ed-tech vendor really speaks the K-12 data standards it claims.

The public surface for people writing their own checks::

    import edcert

    @edcert.check(id="DIST-ROSTER-001", standard="oneroster-1.2", category="data-fidelity",
                  level="required", title="...", why="...", remediation="...", ref="...")
    def check_our_schools(oneroster):
        ...
        raise edcert.Failure("...", expected=..., received=...)
"""
from __future__ import annotations

__version__ = "0.1.0"

from edcert.harness.errors import ConfigError, Failure, HarnessError, NotApplicable
from edcert.harness.registry import CheckSpec, Level, check

__all__ = ["CheckSpec", "ConfigError", "Failure", "HarnessError", "Level", "NotApplicable", "__version__", "check"]
