"""What the OneRoster Gradebook and Resources suites share: one session per service, read like rostering.

A :class:`ServiceSession` is a :class:`OneRosterSession` on another service's base URL with that service's
collection keys, so collections are paged, cached and recorded exactly as rostering's are. A
:class:`Flavor` names one version of one service (its standard, its check-id prefix, its documents): the
suites define their checks once per flavor, so OneRoster 1.1 (``/ims/oneroster/v1p1``) is one more
flavor, not a copy of the checks.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from edcert.conformance.oneroster._common import (
    QUERY_LIMIT,
    evidence,
    expect_status,
    loose_code_minors,
    shared_probe,
    status_payload_problems,
)
from edcert.conformance.oneroster._fixtures import Collection, OneRosterSession, page_records
from edcert.conformance.oneroster.data_model import Group, evidence_of, groups_of
from edcert.conformance.oneroster.models import Issue, Rule, Shape, join_groups, validate_all
from edcert.conformance.oneroster11._common import envelope_code_minors, envelope_problems
from edcert.conformance.oneroster11._fixtures import OneRoster11Session
from edcert.harness import check
from edcert.harness.config import OneRosterConfig
from edcert.harness.errors import Failure, NotApplicable
from edcert.harness.http import json_body
from edcert.harness.session import RunState

Record = dict[str, Any]


@dataclass(frozen=True)
class Flavor:
    """One version of one OneRoster service, as its checks are declared."""

    service: str  # gradebook | resources
    version: str  # 1.2 | 1.1
    prefix: str  # check ids: ORGB12-OPS-001
    binding: str  # the REST binding's name, for refs
    openapi: str  # the OpenAPI file's name, for refs (1.1: its information model / JSON binding)
    scope_prefix: str

    @property
    def standard(self) -> str:
        return f"oneroster-{self.service}-{self.version}"

    @property
    def v1p1(self) -> bool:
        """1.1: one base for every service, OAuth 1.0a signing, the statusInfoSet envelope."""
        return self.version == "1.1"

    @property
    def base_path(self) -> str:
        """The service's path under the server root, for remediation texts."""
        return "/ims/oneroster/v1p1" if self.v1p1 else f"/ims/oneroster/{self.service}/v1p2"

    def requirement(self, name: str) -> str:
        return f"{self.prefix}-REQ-{name}"

    def scope(self, name: str) -> str:
        return self.scope_prefix + name


class ServiceSession(OneRosterSession):
    """One OneRoster service (gradebook, resources) of the provider under test."""

    def __init__(self, config: OneRosterConfig, state: RunState, flavor: Flavor, keys: dict[str, str]) -> None:
        self.collection_keys = keys
        super().__init__(config, state, base=config.service_url(flavor.service))
        self.flavor = flavor

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Any method on a path under the service's base (writes go through the transport's write guard)."""
        return self.client.request(method, self.url(path), **kwargs)


class V1p1ServiceSession(ServiceSession, OneRoster11Session):
    """A 1.1 service: the 1.1 session's authentication (OAuth 1.0a signing, or OAuth 2.0 with v1p1 scopes)."""


def service_session(request: pytest.FixtureRequest, flavor: Flavor, keys: dict[str, str]) -> ServiceSession:
    """The run's session for ``flavor`` (skips when the vendor does not claim it)."""
    from edcert.plugin import active_run

    state = active_run(request.config)
    config: Any = None if state is None else state.config.oneroster_v1p1 if flavor.v1p1 else state.config.oneroster
    if state is None or config is None or flavor.standard not in state.standards:
        pytest.skip(f"the vendor does not claim {flavor.standard}")
    kind = V1p1ServiceSession if flavor.v1p1 else ServiceSession
    session: ServiceSession = state.resource(flavor.standard, lambda: kind(config, state, flavor, keys))
    return session


def rostering_of(session: OneRosterSession) -> OneRosterSession:
    """The same provider's rostering service, shared with the rostering suite (its collections read once)."""
    state, config = session.state, session.config
    kind = OneRoster11Session if isinstance(session, OneRoster11Session) else OneRosterSession
    found: OneRosterSession = state.resource(config.standard, lambda: kind(config, state))
    return found


def ids_of(records: list[Record]) -> list[str]:
    """sourcedIds in order, active records first (a provider may hide tobedeleted ones)."""
    usable = [r for r in records if isinstance(r.get("sourcedId"), str) and r["sourcedId"]]
    return [r["sourcedId"] for r in usable if r.get("status") == "active"] + [
        r["sourcedId"] for r in usable if r.get("status") != "active"]


def ref_of(record: Record, name: str) -> str | None:
    ref = record.get(name)
    if isinstance(ref, dict) and isinstance(ref.get("sourcedId"), str) and ref["sourcedId"]:
        return str(ref["sourcedId"])
    return None


def first_of(candidates: Sequence[str | None], what: str) -> str:
    for candidate in candidates:
        if candidate:
            return candidate
    raise NotApplicable(f"the provider lists no {what} to ask about")


def read_single(session: ServiceSession, endpoint: str, key: str, sid: str, noun: str
                ) -> tuple[Record, httpx.Response]:
    """GET one record by sourcedId and fail unless it comes back as that one object under ``key``."""
    what = f"GET /{endpoint}/{sid}"
    response = session.get(f"/{endpoint}/{quote(sid, safe='')}")
    expect_status(response, 200, what)
    body = json_body(response, what)
    found = body.get(key) if isinstance(body, dict) else None
    if not isinstance(found, dict):
        shown = f"keys {sorted(body)[:5]}" if isinstance(body, dict) else f"{type(body).__name__} at the top"
        raise Failure(f"{what} did not wrap the {noun} as one object under '{key}'",
                      expected=f'{{"{key}": {{...}}}}', received=shown, exchanges=evidence(response))
    if found.get("sourcedId") != sid:
        raise Failure(f"{what} answered a different record than the one asked for", expected=f"sourcedId {sid}",
                      received=f"sourcedId {found.get('sourcedId')}", exchanges=evidence(response))
    return found, response


def read_list(session: ServiceSession, path: str, key: str, limit: int = 100) -> tuple[list[Record], httpx.Response]:
    """One page of a nested collection, failing unless every item carries a sourcedId."""
    response = session.get(path, params={"limit": limit})
    return records_with_ids(response, key, f"GET {path}"), response


def records_with_ids(response: httpx.Response, key: str, what: str) -> list[Record]:
    """The records of a collection answer, failing unless every item carries a sourcedId."""
    records = page_records(response, key, what)
    missing = [i for i, r in enumerate(records) if not (isinstance(r.get("sourcedId"), str) and r["sourcedId"])]
    if missing:
        raise Failure(f"{what}: {len(missing)} of {len(records)} items carry no sourcedId",
                      expected="every item an object with a sourcedId", received=f"{len(missing)} without",
                      exchanges=evidence(response))
    return records


def register(module_globals: dict[str, Any], func: Callable[..., None], name: str, flavor: Flavor,
             category: str, meta: dict[str, Any]) -> None:
    """Declare a generated check under ``name`` in the module whose globals are given (pytest collects it)."""
    func.__name__ = func.__qualname__ = name
    module_globals[name] = check(standard=flavor.standard, category=category, **meta)(func)


# -- check bodies both services share ------------------------------------------------------------------------

def readable(session: ServiceSession, endpoint: str) -> list[Record] | None:
    """A cached collection, or None when it cannot be read (its operation check reports why)."""
    try:
        return session.collection(endpoint).records
    except Failure:
        return None


def records_for_pick(session: ServiceSession, endpoint: str, check_id: str) -> list[Record]:
    found = readable(session, endpoint)
    if found is None:
        raise NotApplicable(f"GET /{endpoint} could not be read, so no sourcedId could be picked ({check_id} "
                            "reports it)")
    return found


def check_single(session: ServiceSession, endpoint: str, key: str, noun: str, collection_check: str) -> None:
    sid = first_of(list(ids_of(records_for_pick(session, endpoint, collection_check))), noun)
    read_single(session, endpoint, key, sid, noun)


UNKNOWN_ID = "edcert-unknown-sourcedid-7d41e0b2"


def unknown_answer(session: ServiceSession, endpoint: str) -> httpx.Response:
    return shared_probe(session, f"GET /{endpoint}/{{unknown}}",
                        lambda: session.get(f"/{endpoint}/{UNKNOWN_ID}"))


def check_unknown_404(session: ServiceSession, endpoint: str) -> None:
    expect_status(unknown_answer(session, endpoint), 404, f"GET /{endpoint}/{{a sourcedId that does not exist}}")


def check_unknown_payload(session: ServiceSession, endpoint: str) -> None:
    response = unknown_answer(session, endpoint)
    if response.status_code != 404:
        raise NotApplicable("the unknown sourcedId was not answered with 404 (the 404 check reports it)")
    what = f"the 404 to GET /{endpoint}/{{unknown sourcedId}}"
    try:
        body = json_body(response, what)
    except Failure as failure:
        raise Failure(f"{what} is not the JSON status payload", expected="imsx_StatusInfoDType JSON",
                      received=failure.received, exchanges=evidence(response)) from None
    v1p1 = session.flavor.v1p1
    problems = envelope_problems(body) if v1p1 else status_payload_problems(body)
    minors = envelope_code_minors(body) if v1p1 else loose_code_minors(body)
    if problems or "unknownobject" not in minors:
        payload = "the 1.1 statusInfoSet envelope" if v1p1 else "the status payload"
        raise Failure(f"{what} does not carry {payload} with codeMinor unknownobject",
                      expected=("statusInfoSet: [{imsx_codeMajor failure, ... unknownobject}]" if v1p1
                                else "imsx_codeMajor failure, imsx_CodeMinor ... unknownobject"),
                      received="; ".join(problems) or ", ".join(minors) or "no codeMinor",
                      exchanges=evidence(response))


def check_no_token(session: ServiceSession, endpoint: str) -> None:
    response = session.get(f"/{endpoint}", params={"limit": 1}, auth=None)
    expect_status(response, 401, f"GET /{endpoint} without a token")


WRONG_SECRET = "edcert-wrong-secret-not-the-districts"  # noqa: S105  # deliberately wrong


def check_wrong_scope(session: ServiceSession, endpoint: str, scopes: tuple[str, ...]) -> None:
    """A token granted only ``scopes`` (none of this service's) must not read ``endpoint``.

    OAuth 1.0a (1.1) has no scopes: there the same request signed with a wrong secret must be refused.
    """
    if isinstance(session, OneRoster11Session) and session.oauth1:
        response = session.get(f"/{endpoint}", params={"limit": 1},
                               auth=session.signer(client_secret=WRONG_SECRET))
        expect_status(response, 401, f"GET /{endpoint} signed with a wrong consumer secret")
        return
    response = session.get(f"/{endpoint}", params={"limit": 1}, auth=session.auth_for(scopes))
    expect_status(response, {401, 403}, f"GET /{endpoint} with a token holding only rostering scopes")


WALK_PAGES = 5


def check_paging(session: ServiceSession, endpoint: str) -> None:
    """Walking ``endpoint`` with a small limit gives exactly the records of one large page, in order."""
    key = session.collection_keys[endpoint]
    first = session.get(f"/{endpoint}", params={"limit": QUERY_LIMIT, "offset": 0})
    whole = page_records(first, key, f"GET /{endpoint}?limit={QUERY_LIMIT}")
    if len(whole) < 2:
        raise NotApplicable(f"/{endpoint} holds fewer than two records: there is nothing to page")
    if len(whole) >= QUERY_LIMIT:
        raise NotApplicable(f"/{endpoint} holds {QUERY_LIMIT} records or more: edcert compares against one page")
    limit = max(1, -(-len(whole) // WALK_PAGES))
    walked: list[str] = []
    pages: list[httpx.Response] = []
    offset = 0
    while offset < len(whole) and len(pages) < WALK_PAGES * 3:
        response = session.get(f"/{endpoint}", params={"limit": limit, "offset": offset})
        pages.append(response)
        page = page_records(response, key, f"GET /{endpoint}?limit={limit}&offset={offset}")
        if not page:
            break
        walked.extend(str(r.get("sourcedId")) for r in page)
        offset += len(page)
    expected = [str(r.get("sourcedId")) for r in whole]
    if walked != expected:
        missing = [s for s in expected if s not in set(walked)]
        extra = len(walked) - len(set(walked))
        raise Failure(f"paging /{endpoint} with limit={limit} does not give the records of one large page: "
                      f"{len(missing)} missing, {extra} repeated",
                      expected=f"{len(expected)} records, each once, in the same order",
                      received=f"{len(walked)} records" + (f", missing e.g. {missing[0]}" if missing else ""),
                      exchanges=[e for r in pages[:3] for e in evidence(r)])


def issues_of(session: ServiceSession, endpoint: str, shape: Shape) -> tuple[Collection, dict[int, list[Issue]]] | None:
    """The collection and its records' issues, validated once per run; None when it cannot be read."""
    cache: dict[str, tuple[Collection, dict[int, list[Issue]]]] = session.__dict__.setdefault("_validated", {})
    if endpoint not in cache:
        try:
            collection = session.collection(endpoint)
        except Failure:
            return None
        dirty = collection.dirty if collection.tested is shape else None  # tested while reading
        cache[endpoint] = (collection, validate_all(collection.records, shape, dirty))
    return cache[endpoint]


def check_model(session: ServiceSession, shapes: dict[str, Shape], rules: tuple[Rule, ...], expected: str) -> None:
    """Fail with a summary when a record of a readable collection among ``shapes`` breaks one of ``rules``."""
    groups: list[Group] = []
    collections: dict[str, Collection] = {}
    for endpoint, shape in shapes.items():
        found = issues_of(session, endpoint, shape)
        if found is None:
            continue
        collections[endpoint] = found[0]
        groups.extend(groups_of(endpoint, found[0], found[1], rules))
    if not collections:
        raise NotApplicable(f"none of {', '.join('/' + e for e in shapes)} could be read (the operation checks "
                            "report why)")
    if groups:
        raise Failure(join_groups([g.text() for g in groups]), expected=expected, received=groups[0].text(),
                      exchanges=evidence_of(session, collections, groups))
