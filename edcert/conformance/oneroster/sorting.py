"""Sorting: ``sort=<field>`` with ``orderBy=asc|desc`` orders a collection by that field.

The specification asks for Unicode collation; providers sort in their database,
by code point or ignoring case. Any of these orders is accepted, as long as one
of them holds over the whole answer; ties may come in any order. The field and
collection are chosen so that the provider's default order is *not* already
sorted, so a provider ignoring ``sort`` (or ``orderBy``) cannot pass.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable
from itertools import pairwise
from typing import Any

from edcert.conformance.oneroster._common import REST_BINDING, STANDARD, fetch_query
from edcert.conformance.oneroster._fixtures import Collection, OneRosterSession
from edcert.harness import check
from edcert.harness.errors import Failure, NotApplicable

JSON = dict[str, Any]
SORT_REF = f"{REST_BINDING} (sorting: sort=<field>, orderBy=asc|desc; order per Unicode collation)"
# Fields without personal data, smallest collections first (the whole collection comes back sorted).
SORT_FIELDS = (("academicSessions", "title"), ("orgs", "name"), ("courses", "title"), ("classes", "title"))


def _collation(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# Accepted orders: code point, case-insensitive, and accent- and case-insensitive (a Unicode-collation stand-in).
ORDERS: tuple[Callable[[str], str], ...] = (str, str.casefold, _collation)


def is_sorted(values: list[str], descending: bool) -> bool:
    for key in ORDERS:
        keys = [key(v) for v in values]
        pairs = list(pairwise(keys))
        if all(a >= b for a, b in pairs) if descending else all(a <= b for a, b in pairs):
            return True
    return False


def values_of(records: list[JSON], field: str) -> list[str]:
    return [r[field] for r in records if isinstance(r.get(field), str)]


def sort_choice(oneroster: OneRosterSession, descending: bool) -> tuple[Collection, str]:
    """A collection and field whose default order is not already in the order the check asks for."""
    for endpoint, field in SORT_FIELDS:
        full = oneroster.collection(endpoint)
        values = values_of(full.records, field)
        if len(set(values)) >= 2 and not is_sorted(values, descending):
            return full, field
    raise NotApplicable("in every candidate collection the default order is already sorted by the candidate "
                        "field, so sorting cannot be told apart")


def run_sort(oneroster: OneRosterSession, descending: bool) -> None:
    full, field = sort_choice(oneroster, descending)
    order = "desc" if descending else "asc"
    what = f"GET /{full.endpoint}?sort={field}&orderBy={order}"
    records, exchanges = fetch_query(oneroster, full.endpoint, {"sort": field, "orderBy": order}, what,
                                     expected=len(full.records))
    keyed = [r for r in records if isinstance(r.get(field), str)]
    if len({r[field] for r in keyed}) < 2:
        raise Failure(f"{what} returned {len(records)} records, too few with distinct {field} values to show "
                      f"an order (the collection holds {len(full.records)})",
                      expected=f"the {len(full.records)} records of /{full.endpoint}",
                      received=f"{len(records)} records", exchanges=exchanges[:2])
    if is_sorted(values_of(keyed, field), descending):
        return
    at = next(i for i in range(1, len(keyed))
              if (keyed[i][field] > keyed[i - 1][field]) == descending and keyed[i][field] != keyed[i - 1][field])
    direction = "descending" if descending else "ascending"
    raise Failure(
        f"{what}: the records are not in {direction} order of {field} (the record at position {at}, "
        f"{keyed[at].get('sourcedId')}, is out of order after {keyed[at - 1].get('sourcedId')})",
        expected=f"{field} {direction} (by code point or ignoring case)",
        received=f"{len(records)} records, not in {direction} {field} order", exchanges=exchanges[:2],
    )


@check(
    id="OR12-SORT-001", standard=STANDARD, category="sorting", level="recommended",
    requirements=("OR12-REQ-SORT-ORDER",),
    title="sort=<field>&orderBy=asc returns the collection in ascending order of that field",
    why="Applications ask for lists in a predictable order (for example sessions by title) to show them to "
        "staff and to compare them between syncs.",
    remediation="Order the collection by the field named in `sort`, ascending when orderBy=asc (Unicode "
                "collation, or at least code-point order), before applying limit and offset.",
    ref=SORT_REF,
)
def check_sort_ascending(oneroster: OneRosterSession) -> None:
    run_sort(oneroster, descending=False)


@check(
    id="OR12-SORT-002", standard=STANDARD, category="sorting", level="recommended",
    requirements=("OR12-REQ-SORT-ORDER",),
    title="sort=<field>&orderBy=desc returns the collection in descending order of that field",
    why="Applications ask for the newest or last-named records first; ignoring the requested direction "
        "shows them the wrong end of the list.",
    remediation="Honour orderBy=desc: order the collection by the `sort` field in descending order before "
                "applying limit and offset.",
    ref=SORT_REF,
)
def check_sort_descending(oneroster: OneRosterSession) -> None:
    run_sort(oneroster, descending=True)
