"""Filtering: the 1.1 filter grammar is 1.2's (the 1.2 checks, run against the 1.1 session).

Only the unknown-field refusal differs: 1.1 errors travel in the ``statusInfoSet`` envelope.
"""
from __future__ import annotations

from edcert.conformance.oneroster import filtering as v12
from edcert.conformance.oneroster._common import expect_status, loose_code_minors
from edcert.conformance.oneroster11._common import envelope_code_minors, mirror
from edcert.conformance.oneroster11._fixtures import OneRoster11Session
from edcert.harness.errors import Failure
from edcert.harness.http import json_body


def unknown_filter_field(oneroster11: OneRoster11Session) -> None:
    expr = f"{v12.UNKNOWN_FIELD}={v12.quoted('x')}"
    what = f"GET /classes?filter={expr}"
    response = oneroster11.get("/classes", params={"filter": expr, "limit": 1})
    expect_status(response, 400, what)
    body = json_body(response, what)
    found = envelope_code_minors(body) or loose_code_minors(body)
    if "invalid_filter_field" not in found:
        raise Failure(f"{what}: the 400 does not carry codeMinor invalid_filter_field",
                      expected="invalid_filter_field", received=", ".join(found[:3]) or "no codeMinor")


for _n in range(1, 11):
    mirror(globals(), f"OR12-FILT-{_n:03d}")
mirror(globals(), "OR12-FILT-011", body=unknown_filter_field,
       remediation="Answer HTTP 400 with the 1.1 statusInfoSet carrying imsx_codeMinorFieldValue "
                   "invalid_filter_field when a filter names a field the entity does not have.")
