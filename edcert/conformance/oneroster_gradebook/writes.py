"""Writes: a lineItem and a result round trip (create, read back, update, delete, confirm 404).

Only when the vendor configuration sets ``allow_writes = true``; otherwise every check here is skipped
with that reason and nothing is sent (the transport's write guard would refuse it anyway). The round
trip runs once per run, the first time a check needs it, and the checks read its steps:

1. pick a class, its school, a category and a student of that class from the provider's own data;
2. make sure edcert's fictional sourcedIds (``edcert-test-<random>-...``) do not exist yet, so nothing
   edcert did not create is ever touched;
3. PUT the lineItem, GET it back; PUT a result for it, GET it back; PUT the lineItem again with a new
   title, GET it back; DELETE the result and the lineItem, GET both: 404.

Whatever happens, a ``finally`` deletes what edcert created and has not seen deleted. The 1.2 binding
creates with a client-supplied sourcedId through PUT (scope gradebook.createput), answering 201; DELETE
(scope gradebook.delete) answers 204. 1.1 does the same under /ims/oneroster/v1p1 (OAuth 1.0a signed),
with its own lineItem shape (gradingPeriod, no school) and 200 or 201 for a PUT.
"""
from __future__ import annotations

import contextlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from edcert.conformance.oneroster._common import evidence
from edcert.conformance.oneroster._service import (
    Flavor,
    Record,
    ServiceSession,
    ids_of,
    read_single,
    readable,
    ref_of,
    register,
)
from edcert.conformance.oneroster_gradebook._fixtures import FLAVORS, entities, session
from edcert.harness.errors import Failure, HarnessError, NotApplicable
from edcert.harness.http import json_body

NOT_ALLOWED = ("writes are not allowed: the vendor configuration does not set allow_writes = true, so edcert "
               "sends no PUT or DELETE (set it for a sandbox whose data may be changed)")
SCORE = 87.5
CREATE, RESULT, UPDATE, DELETE, STATUS = "create", "result", "update", "delete", "status"
STEPS = (CREATE, RESULT, UPDATE, DELETE, STATUS)


@dataclass
class RoundTrip:
    """The steps of the write round trip and what each proved (None: passed)."""

    gb: ServiceSession
    outcome: dict[str, Failure | NotApplicable | None] = field(default_factory=dict)
    crashed: HarnessError | None = None
    created: dict[str, str] = field(default_factory=dict)  # endpoint -> sourcedId edcert created
    gone: set[str] = field(default_factory=set)
    put_status: int | None = None

    @property
    def auth(self) -> Any:
        flavor = self.gb.flavor
        extra = (flavor.scope("gradebook.createput"), flavor.scope("gradebook.delete"))
        return self.gb.auth_for(tuple(dict.fromkeys((*self.gb.config.scopes, *extra))))

    def send(self, method: str, endpoint: str, sid: str, body: Record | None = None) -> httpx.Response:
        kwargs: dict[str, Any] = {"auth": self.auth}
        if body is not None:
            kwargs["content"] = json.dumps(body).encode()
            kwargs["headers"] = {"Content-Type": "application/json"}
        return self.gb.request(method, f"/{endpoint}/{quote(sid, safe='')}", **kwargs)

    def exists(self, endpoint: str, sid: str, key: str) -> bool:
        response = self.send("GET", endpoint, sid)
        if response.status_code != 200:
            return False
        try:
            body = json_body(response, "GET")
        except Failure:
            return False
        return isinstance(body, dict) and isinstance(body.get(key), dict)

    def run(self) -> None:
        try:
            self._steps()
        except Failure as failure:  # e.g. a timeout: every step not decided yet is not proven
            for step in STEPS:
                self.outcome.setdefault(step, failure)
        except HarnessError as exc:
            self.crashed = exc
        except Exception as exc:  # an edcert bug must not rerun the writes in the next check
            self.crashed = HarnessError(f"the write round trip broke: {exc!r}")
        finally:
            self._clean_up()

    def _clean_up(self) -> None:
        # only edcert's own records, and only those not yet seen gone
        for endpoint in ("results", "lineItems"):
            sid = self.created.get(endpoint)
            if sid is not None and sid not in self.gone:
                with contextlib.suppress(HarnessError):
                    self.send("DELETE", endpoint, sid)

    def skip_rest(self, reason: str, *steps: str) -> None:
        for step in steps:
            self.outcome.setdefault(step, NotApplicable(reason))

    def _steps(self) -> None:
        gb = self.gb
        steps = STEPS
        items = readable(gb, "lineItems")
        if items is None:
            return self.skip_rest("GET /lineItems could not be read: no class to write a line item for", *steps)
        served = entities(gb.flavor)
        li_props, result_props = served["lineItems"][2].props, served["results"][2].props
        copied = [n for n in ("class", "school", "gradingPeriod") if n in li_props and li_props[n].required]
        templates = [i for i in items if all(ref_of(i, n) for n in copied)]
        if not templates:
            return self.skip_rest(f"no line item names a {' and a '.join(copied)} to copy them from", *steps)
        results = readable(gb, "results") or []
        by_item = {i.get("sourcedId"): i for i in templates}
        pairs = [(by_item[li], r) for r in results if (li := ref_of(r, "lineItem")) in by_item and ref_of(r, "student")]
        template, model_result = pairs[0] if pairs else (templates[0], None)
        categories = ids_of(readable(gb, "categories") or [])
        category = template.get("category") if ref_of(template, "category") else None
        if category is None and categories:
            category = {"href": gb.url(f"/categories/{categories[0]}"), "sourcedId": categories[0], "type": "category"}
        if category is None:
            return self.skip_rest("no category to file the test line item under", *steps)
        tag = secrets.token_hex(4)
        li_id, result_id = f"edcert-test-{tag}-lineitem", f"edcert-test-{tag}-result"
        if self.exists("lineItems", li_id, "lineItem") or self.exists("results", result_id, "result"):
            return self.skip_rest("a record with edcert's test sourcedId already exists; edcert does not touch it",
                                  *steps)
        now = datetime.now(UTC).replace(microsecond=0)
        line_item: Record = {
            "sourcedId": li_id, "status": "active", "dateLastModified": now.isoformat().replace("+00:00", "Z"),
            "title": "edcert test assignment (safe to delete)", "description": "Created by edcert's write check.",
            "assignDate": f"{now.date()}T08:00:00Z", "dueDate": f"{now.date()}T23:59:00Z",
            **{n: template[n] for n in copied}, "category": category, "resultValueMin": 0.0, "resultValueMax": 100.0,
        }
        # 1. create the lineItem and read it back
        response = self.send("PUT", "lineItems", li_id, {"lineItem": line_item})
        self.put_status = response.status_code
        if response.is_success:
            self.created["lineItems"] = li_id
        else:
            self.outcome[CREATE] = Failure(f"PUT /lineItems/{li_id} answered HTTP {response.status_code}",
                                           expected="HTTP 201", received=f"HTTP {response.status_code}",
                                           exchanges=evidence(response))
            self.skip_rest("the test line item could not be created (the create check reports it)", *steps)
            return None
        self.outcome[STATUS] = None if response.status_code == 201 else Failure(
            f"PUT /lineItems/{li_id} created the line item but answered HTTP {response.status_code}",
            expected="HTTP 201", received=f"HTTP {response.status_code}", exchanges=evidence(response))
        self.outcome[CREATE] = self._read_back("lineItems", "lineItem", li_id, {
            "title": line_item["title"], "class": ref_of(line_item, "class"),
            "category": ref_of(line_item, "category")})
        # 2. a result for it
        if model_result is None:
            self.outcome[RESULT] = NotApplicable("no result names a student of a class with line items")
        else:
            result: Record = {
                "sourcedId": result_id, "status": "active", "dateLastModified": line_item["dateLastModified"],
                "lineItem": {"href": gb.url(f"/lineItems/{li_id}"), "sourcedId": li_id, "type": "lineItem"},
                "student": model_result["student"], "class": template["class"], "scoreStatus": "fully graded",
                "score": SCORE, "scoreDate": str(now.date()), "comment": "edcert test score (safe to delete)",
            }
            result = {k: v for k, v in result.items() if k in result_props}  # the flavor's model only
            response = self.send("PUT", "results", result_id, {"result": result})
            if response.is_success:
                self.created["results"] = result_id
                self.outcome[RESULT] = self._read_back("results", "result", result_id, {
                    "lineItem": li_id, "student": ref_of(result, "student"), "score": SCORE})
            else:
                self.outcome[RESULT] = Failure(f"PUT /results/{result_id} answered HTTP {response.status_code}",
                                               expected="HTTP 201", received=f"HTTP {response.status_code}",
                                               exchanges=evidence(response))
        if self.outcome[CREATE] is not None:
            self.skip_rest("the created line item could not be read back (the create check reports it)",
                           UPDATE, DELETE)
            return None
        # 3. update
        updated = {**line_item, "title": "edcert test assignment (updated, safe to delete)"}
        response = self.send("PUT", "lineItems", li_id, {"lineItem": updated})
        if not response.is_success:
            self.outcome[UPDATE] = Failure(f"PUT /lineItems/{li_id} (an update) answered HTTP {response.status_code}",
                                           expected="HTTP 201", received=f"HTTP {response.status_code}",
                                           exchanges=evidence(response))
        else:
            self.outcome[UPDATE] = self._read_back("lineItems", "lineItem", li_id, {"title": updated["title"]},
                                                   after="the update")
        # 4. delete, then 404
        self.outcome[DELETE] = self._delete_all()
        return None

    def _read_back(self, endpoint: str, key: str, sid: str, want: dict[str, Any], after: str = "the PUT"
                   ) -> Failure | None:
        try:
            found, response = read_single(self.gb, endpoint, key, sid, key)
        except Failure as failure:
            return Failure(f"after {after}, {failure.message}", expected=failure.expected,
                           received=failure.received, exchanges=failure.exchanges)
        wrong = []
        for name, value in want.items():
            got = ref_of(found, name) if isinstance(found.get(name), dict) else found.get(name)
            if got != value or type(got) is not type(value):
                wrong.append(f"{name}: sent {value!r}, read back {got!r}")
        if wrong:
            return Failure(f"GET /{endpoint}/{sid} after {after} does not hold what was written ({wrong[0]})",
                           expected="the values edcert wrote", received="; ".join(wrong),
                           exchanges=evidence(response))
        return None

    def _delete_all(self) -> Failure | None:
        for endpoint, key in (("results", "result"), ("lineItems", "lineItem")):
            sid = self.created.get(endpoint)
            if sid is None:
                continue
            response = self.send("DELETE", endpoint, sid)
            if not response.is_success:
                return Failure(f"DELETE /{endpoint}/{sid} answered HTTP {response.status_code}",
                               expected="HTTP 204", received=f"HTTP {response.status_code}",
                               exchanges=evidence(response))
            after = self.send("GET", endpoint, sid)
            if after.status_code != 404:
                return Failure(f"GET /{endpoint}/{sid} after its DELETE answered HTTP {after.status_code}: the "
                               f"{key} is still there", expected="HTTP 404", received=f"HTTP {after.status_code}",
                               exchanges=[*evidence(response), *evidence(after)])
            self.gone.add(sid)
        return None


def round_trip(request: pytest.FixtureRequest, flavor: Flavor) -> RoundTrip:
    gb = session(request, flavor)
    if not gb.config.allow_writes:
        pytest.skip(NOT_ALLOWED)

    def make() -> RoundTrip:
        trip = RoundTrip(gb)
        trip.run()
        return trip

    trip: RoundTrip = gb.state.resource(f"{flavor.standard}:write-round-trip", make)
    return trip


def verdict(request: pytest.FixtureRequest, flavor: Flavor, step: str) -> None:
    trip = round_trip(request, flavor)
    if trip.crashed is not None:
        raise trip.crashed
    if step not in trip.outcome:
        raise HarnessError(f"the write round trip never reached its '{step}' step")
    found = trip.outcome[step]
    if found is not None:
        raise found


WRITE_CHECKS = (
    (CREATE, "required", "WRITE-PUT", "A lineItem created with PUT /lineItems/{sourcedId} reads back as written",
     "A teacher's tool that posts an assignment must find it in the gradebook afterwards.",
     'Accept PUT /lineItems/{sourcedId} with {"lineItem": {...}} (scope gradebook.createput), store it under '
     "the sourcedId in the path, and serve it back on GET /lineItems/{sourcedId}."),
    (RESULT, "required", "WRITE-PUT", "A result created with PUT /results/{sourcedId} reads back with its score",
     "Scores a teacher enters must arrive in the gradebook exactly as entered.",
     'Accept PUT /results/{sourcedId} with {"result": {...}} and store lineItem, student and score as sent '
     "(score a JSON number)."),
    (UPDATE, "required", "WRITE-UPDATE", "A second PUT of the lineItem replaces it (the new title reads back)",
     "A corrected assignment must replace the old one, not be silently ignored.",
     "Treat PUT on an existing sourcedId as a replacement of the record and serve the new values."),
    (DELETE, "required", "WRITE-DELETE", "DELETE removes the result and the lineItem (GET then answers 404)",
     "An assignment or score a teacher deletes must really disappear from the district's gradebook.",
     "Accept DELETE /results/{sourcedId} and /lineItems/{sourcedId} (scope gradebook.delete), answer 204 and "
     "answer 404 to later GETs of them."),
    (STATUS, "recommended", "WRITE-PUT-201", "A PUT that creates a record answers 201",
     "Integration tools read 201 as 'created'; another code makes them report a failure that did not happen.",
     "Answer HTTP 201 to a PUT that stored the record (the only success code the 1.2 binding declares)."),
)


def _declare(flavor: Flavor) -> None:
    for n, (step, level, requirement, title, why, remediation) in enumerate(WRITE_CHECKS, start=1):
        if flavor.v1p1 and step == STATUS:
            continue  # 1.1 accepts 200 or 201 for a PUT

        def write(request: pytest.FixtureRequest, _f: Flavor = flavor, _s: str = step) -> None:
            verdict(request, _f, _s)

        register(globals(), write, f"check_{flavor.prefix.lower()}_write_{step}", flavor, "writes", dict(
            id=f"{flavor.prefix}-WRITE-{n:03d}", level=level, tags=("writes",),
            requirements=(flavor.requirement(requirement),), title=title, why=why, remediation=remediation,
            ref=f"{flavor.binding}: PUT and DELETE of lineItems and results; {flavor.openapi}: their responses",
        ))


for _flavor in FLAVORS:
    _declare(_flavor)
