"""Paging: limit and offset as in 1.2 (the 1.2 checks, run against the 1.1 session)."""
from __future__ import annotations

from edcert.conformance.oneroster import paging as v12
from edcert.conformance.oneroster11._common import mirror

for _n in range(1, 8):
    mirror(globals(), f"OR12-PAGE-{_n:03d}")
assert v12
