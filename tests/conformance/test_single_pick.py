"""The single-record checks ask for the record a full listing of ids would put first, without listing them all."""
from __future__ import annotations

import random
from typing import Any

from edcert.conformance.oneroster.operations import _first_id, _ids


def test_first_id_is_the_first_of_the_active_first_listing() -> None:
    # active records first, then the rest; ids that are not strings or are empty are never picked
    picked = set()
    for seed in range(300):
        rng = random.Random(seed)
        records: list[dict[str, Any]] = []
        for i in range(rng.choice([0, 1, 2, 5, 30])):
            sid: Any = rng.choice([f"id-{i}", f"id-{i}", "", None, 7])
            status: Any = rng.choice(["active", "tobedeleted", None, "inactive"][: rng.randint(1, 4)])
            records.append({"sourcedId": sid, "status": status} if rng.random() > 0.05 else {"status": status})
        listing = _ids(records)
        assert _first_id(records) == (listing[0] if listing else None), records
        picked.add(None if not listing else records[[r.get("sourcedId") for r in records].index(listing[0])]["status"])
    assert {None, "active", "tobedeleted"} <= picked  # nothing to pick; an active one; only inactive ones left
