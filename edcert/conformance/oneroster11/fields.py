"""Field selection as in 1.2, with 1.1's leniency on an unknown field name.

1.1 providers may answer an unknown name in ``fields`` with 200, the known fields and a
``statusInfoSet`` warning ``invalid_selection_field``; a 400 with that codeMinor is fine too.
"""
from __future__ import annotations

from edcert.conformance.oneroster import fields as v12
from edcert.conformance.oneroster11._common import expect_refusal_or_warning, mirror
from edcert.conformance.oneroster11._fixtures import OneRoster11Session


def unknown_field(oneroster11: OneRoster11Session) -> None:
    selection = f"sourcedId,{v12.UNKNOWN_FIELD}"
    what = f"GET /{v12.ENDPOINT}?fields={selection}"
    response = oneroster11.get(f"/{v12.ENDPOINT}", params={"fields": selection, "limit": 1})
    expect_refusal_or_warning(response, "invalid_selection_field", what)


for _n in range(1, 4):
    mirror(globals(), f"OR12-FLD-{_n:03d}")
mirror(globals(), "OR12-FLD-004", body=unknown_field,
       title="An unknown name in fields is refused (400) or answered with a statusInfoSet warning "
             "invalid_selection_field",
       remediation="When fields names a field the entity does not have, either answer HTTP 400 with codeMinor "
                   "invalid_selection_field, or answer 200 with the known fields and a statusInfoSet entry "
                   "(imsx_codeMajor success, imsx_severity warning, codeMinor invalid_selection_field).")
