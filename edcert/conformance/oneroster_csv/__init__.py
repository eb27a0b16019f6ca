"""OneRoster CSV bundle suite (standards ``oneroster-csv-1.1`` and ``oneroster-csv-1.2``).

The vendor configuration's ``[oneroster_csv]`` table names the zip and the version; ``edcert validate-csv``
builds that configuration from the command line.
"""
from __future__ import annotations

from pathlib import Path

from edcert.harness.suites import Suite

SUITE = Suite(
    name="oneroster_csv",
    standards=("oneroster-csv-1.1", "oneroster-csv-1.2"),
    path=Path(__file__).parent,
    plugin="edcert.conformance.oneroster_csv._fixtures",
)
