"""Operations: every 1.1 rostering GET (the same 41 operations as 1.2, under /ims/oneroster/v1p1).

The 1.2 operation checks, run against the 1.1 session (``_common.mirror``).
"""
from __future__ import annotations

from edcert.conformance.oneroster import operations as v12
from edcert.conformance.oneroster11._common import mirror

for _n in range(1, 42):
    mirror(globals(), f"OR12-OPS-{_n:03d}")
assert v12
