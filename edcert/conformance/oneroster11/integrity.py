"""Referential integrity and the nested lists (the 1.2 checks, run against the 1.1 session).

A 1.1 user's single ``role`` at each of its ``orgs`` stands for 1.2's ``roles[]`` (``models.user_roles``).
"""
from __future__ import annotations

from edcert.conformance.oneroster import integrity as v12
from edcert.conformance.oneroster11._common import mirror

for _n in (1, 2, 4, 5, 6, 7, 8):
    mirror(globals(), f"OR12-REF-{_n:03d}")
mirror(globals(), "OR12-REF-003", title="Every user's orgs and agents exist in /orgs and /users")
for _n in range(1, 12):
    mirror(globals(), f"OR12-NEST-{_n:03d}")
assert v12
