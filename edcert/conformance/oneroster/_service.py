"""What the OneRoster Gradebook and Resources suites share: one session per service, read like rostering.

A :class:`ServiceSession` is a :class:`OneRosterSession` on another service's base URL with that service's
collection keys, so collections are paged, cached and recorded exactly as rostering's are. A
:class:`Flavor` names one version of one service (its standard, its check-id prefix, its documents): the
suites define their checks once per flavor, so OneRoster 1.1 (``/ims/oneroster/v1p1``) is one more
flavor, not a copy of the checks.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from edcert.conformance.oneroster._common import evidence, expect_status
from edcert.conformance.oneroster._fixtures import OneRosterSession, page_records
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
    version: str  # 1.2 (1.1 to come)
    prefix: str  # check ids: ORGB12-OPS-001
    binding: str  # the REST binding's name, for refs
    openapi: str  # the OpenAPI file's name, for refs
    scope_prefix: str

    @property
    def standard(self) -> str:
        return f"oneroster-{self.service}-{self.version}"

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


def service_session(request: pytest.FixtureRequest, flavor: Flavor, keys: dict[str, str]) -> ServiceSession:
    """The run's session for ``flavor`` (skips when the vendor does not claim it)."""
    from edcert.plugin import active_run

    state = active_run(request.config)
    config = None if state is None else state.config.oneroster
    if state is None or config is None or flavor.standard not in state.standards:
        pytest.skip(f"the vendor does not claim {flavor.standard}")
    session: ServiceSession = state.resource(flavor.standard, lambda: ServiceSession(config, state, flavor, keys))
    return session


def rostering_of(session: OneRosterSession) -> OneRosterSession:
    """The same provider's rostering service, shared with the rostering suite (its collections read once)."""
    state, config = session.state, session.config
    found: OneRosterSession = state.resource(config.standard, lambda: OneRosterSession(config, state))
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


def first_of(candidates: list[str | None], what: str) -> str:
    for candidate in candidates:
        if candidate:
            return candidate
    raise NotApplicable(f"the provider lists no {what} to ask about")


def read_single(session: ServiceSession, endpoint: str, key: str, sid: str, noun: str) -> Record:
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
    return found


def read_list(session: ServiceSession, path: str, key: str, limit: int = 100) -> tuple[list[Record], httpx.Response]:
    """One page of a nested collection, failing unless every item carries a sourcedId."""
    response = session.get(path, params={"limit": limit})
    records = page_records(response, key, f"GET {path}")
    missing = [i for i, r in enumerate(records) if not (isinstance(r.get("sourcedId"), str) and r["sourcedId"])]
    if missing:
        raise Failure(f"GET {path}: {len(missing)} of {len(records)} items carry no sourcedId",
                      expected="every item an object with a sourcedId", received=f"{len(missing)} without",
                      exchanges=evidence(response))
    return records, response


def register(module_globals: dict[str, Any], func: Callable[..., None], name: str, flavor: Flavor,
             category: str, meta: dict[str, Any]) -> None:
    """Declare a generated check under ``name`` in the module whose globals are given (pytest collects it)."""
    func.__name__ = func.__qualname__ = name
    module_globals[name] = check(standard=flavor.standard, category=category, **meta)(func)
