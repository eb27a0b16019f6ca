"""Paging: limit and offset walk the Gradebook's line items without gaps, repeats or reordering."""
from __future__ import annotations

import pytest

from edcert.conformance.oneroster._service import Flavor, check_paging, register
from edcert.conformance.oneroster_gradebook._fixtures import FLAVORS, session


def _declare(flavor: Flavor) -> None:
    def paging(request: pytest.FixtureRequest, _f: Flavor = flavor) -> None:
        check_paging(session(request, _f), "lineItems")

    register(globals(), paging, f"check_{flavor.prefix.lower()}_paging", flavor, "pagination", dict(
        id=f"{flavor.prefix}-PAGE-001", level="required", requirements=(flavor.requirement("PAGE"),),
        title="Paging /lineItems with a small limit gives exactly the records of one large page",
        why="A gradebook sync reads page by page; a provider that skips or repeats records loses assignments.",
        remediation="Apply limit and offset exactly: the page at offset N starts with the (N+1)th record of a "
                    "stable order and holds at most limit records.",
        ref=f"{flavor.openapi}: limit and offset parameters of every collection operation",
    ))


for _flavor in FLAVORS:
    _declare(_flavor)
