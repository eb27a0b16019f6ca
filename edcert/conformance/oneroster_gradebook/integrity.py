"""Referential integrity: every result's lineItem is a line item the provider serves."""
from __future__ import annotations

import pytest

from edcert.conformance.oneroster._service import Flavor, readable, ref_of, register
from edcert.conformance.oneroster.models import id_list
from edcert.conformance.oneroster_gradebook._fixtures import FLAVORS, session
from edcert.harness.errors import Failure, NotApplicable


def _declare(flavor: Flavor) -> None:
    def results_point_at_line_items(request: pytest.FixtureRequest, _f: Flavor = flavor) -> None:
        gb = session(request, _f)
        results, items = readable(gb, "results"), readable(gb, "lineItems")
        if results is None or items is None:
            raise NotApplicable("/results or /lineItems could not be read (the operation checks report why)")
        known = {i.get("sourcedId") for i in items}
        dangling = [str(r.get("sourcedId")) for r in results
                    if (li := ref_of(r, "lineItem")) is not None and li not in known]
        if dangling:
            raise Failure(f"{len(dangling)} of {len(results)} results name a lineItem /lineItems does not have "
                          f"({id_list(dangling)})", expected="every result's lineItem.sourcedId in /lineItems",
                          received=f"{len(dangling)} dangling", exchanges=gb.collection("results").evidence())

    register(globals(), results_point_at_line_items, f"check_{flavor.prefix.lower()}_results_line_items", flavor,
             "referential-integrity", dict(
                 id=f"{flavor.prefix}-REF-001", level="recommended", requirements=(flavor.requirement("REF"),),
                 title="Every result's lineItem is a line item the provider serves",
                 why="A score for an assignment that does not exist cannot be shown in any gradebook.",
                 remediation="Only serve results whose lineItem.sourcedId is served by /lineItems (delete or "
                             "mark tobedeleted the results of deleted line items).",
                 ref=f"{flavor.openapi}: ResultDType.lineItem (LineItemGUIDRefDType)",
             ))


for _flavor in FLAVORS:
    _declare(_flavor)
