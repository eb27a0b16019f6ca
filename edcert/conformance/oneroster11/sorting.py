"""Sorting: sort/orderBy as in 1.2, and 1.1's leniency on an unknown sort field.

1.1 providers may answer an unknown ``sort`` field with 200, the records in their default order and
a ``statusInfoSet`` warning ``invalid_sort_field`` (1.1 has that codeMinor; 1.2 does not); a 400
with it is fine too. Answering as if nothing were asked is not: the application then believes the
records are sorted.
"""
from __future__ import annotations

from edcert.conformance.oneroster import sorting as v12
from edcert.conformance.oneroster._common import shared_probe
from edcert.conformance.oneroster11._common import REST_BINDING, STANDARD, expect_refusal_or_warning, mirror
from edcert.conformance.oneroster11._fixtures import OneRoster11Session
from edcert.harness import check

UNKNOWN_FIELD = "edcertNoSuchField"

mirror(globals(), "OR12-SORT-001")
mirror(globals(), "OR12-SORT-002")


@check(
    id="OR11-SORT-003", standard=STANDARD, category="sorting", level="recommended",
    requirements=("OR11-REQ-SORT-INVALID",),
    title="An unknown sort field is refused (400) or answered with a statusInfoSet warning invalid_sort_field",
    why="If a mistyped sort is silently ignored, an application believes the records arrived in the order it "
        "asked for.",
    remediation="When sort names a field the entity does not have, either answer HTTP 400 with codeMinor "
                "invalid_sort_field, or answer 200 with the records and a statusInfoSet entry (imsx_codeMajor "
                "success, imsx_severity warning, codeMinor invalid_sort_field).",
    ref=f"{v12.SORT_REF.replace('1.2', '1.1')}; {REST_BINDING} (status codes: invalid_sort_field)",
)
def check_sort_unknown_field(oneroster11: OneRoster11Session) -> None:
    what = f"GET /classes?sort={UNKNOWN_FIELD}"
    response = shared_probe(oneroster11, what, lambda: oneroster11.get(
        "/classes", params={"sort": UNKNOWN_FIELD, "limit": 1}))
    expect_refusal_or_warning(response, "invalid_sort_field", what)
