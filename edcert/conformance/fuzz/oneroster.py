"""OneRoster 1.2 Rostering under generated requests: one check per schemathesis check (OR12-FUZZ-001..007).

schemathesis generates requests for all 41 operations from edcert's OpenAPI description
(``fixtures/specs/oneroster-1.2-rostering.json``), seeded and bounded by the ``[fuzz]`` table, and
sends them through the run's own client (auth, rate limit, write guard, evidence).
"""
from __future__ import annotations

import pytest

from edcert.conformance.fuzz._checks import declare_fuzz_checks
from edcert.conformance.fuzz._engine import FuzzReport

REF = "OneRoster 1.2 Rostering OpenAPI description (edcert fixtures/specs/oneroster-1.2-rostering.json)"


def _report(request: pytest.FixtureRequest) -> FuzzReport:
    report: FuzzReport = request.getfixturevalue("oneroster_fuzz")
    return report


declare_fuzz_checks(globals(), prefix="OR12", standard="oneroster-1.2", ref=REF, report_of=_report)
