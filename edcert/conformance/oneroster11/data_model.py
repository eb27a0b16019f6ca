"""Data model: every record matches the OneRoster 1.1 model (``models.py``), with the 1.2 checks' code.

The 1.2 data-model checks validate against ``oneroster.shapes``; the 1.1 session brings the 1.1
shapes, so the same partition of problems (required, enumerations, formats, GUIDRefs, booleans,
status, closed model, unique ids) applies to 1.1 records.
"""
from __future__ import annotations

from edcert.conformance.oneroster import data_model as v12
from edcert.conformance.oneroster11._common import mirror

_USER_FIELDS = "sourcedId, status, dateLastModified, username, enabledUser, givenName, familyName, role, orgs"

for _n in range(1, 15):
    if _n not in (5, 8):
        mirror(globals(), f"OR12-DM-{_n:03d}")
mirror(globals(), "OR12-DM-005",
       remediation=f"Serve every user with all properties the 1.1 model requires ({_USER_FIELDS}), each of the "
                   "JSON type the model gives it: role one string, orgs a non-empty list of GUIDRefs.")
mirror(globals(), "OR12-DM-008",
       title="Every enumerated value (org type, session type, classType, user role, enrollment role) is one of "
             "the 1.1 values, exactly as spelled, or an ext: extension")
assert v12
