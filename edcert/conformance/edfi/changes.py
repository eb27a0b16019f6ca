"""Change queries: availableChangeVersions, min/maxChangeVersion, /deletes and /keyChanges.

They apply where the discovery document lists urls.changeQueries (not applicable otherwise).
"""
from __future__ import annotations

from typing import Any

import httpx

from edcert.conformance.edfi._fixtures import STANDARD, EdFiSession, evidence, expect_status, json_array
from edcert.harness import check
from edcert.harness.errors import Failure, NotApplicable
from edcert.harness.http import json_body

CHANGES_REF = "Ed-Fi ODS/API 7.2: Using the Changed Record Queries"


def _listed(edfi: EdFiSession) -> str:
    url = edfi.url("changeQueries")
    if url is None:
        raise NotApplicable("the discovery document lists no changeQueries URL")
    return url if url.endswith("/") else url + "/"


def available_versions(edfi: EdFiSession) -> tuple[httpx.Response, dict[str, int]]:
    """The answer of availableChangeVersions and its versions, keys lower-cased (their casing changed in 6.0)."""
    base = _listed(edfi)
    answer: httpx.Response = edfi.probe("availableChangeVersions",
                                        lambda: edfi.get(base + "availableChangeVersions"))
    body = json_body(answer, "GET availableChangeVersions") if answer.status_code == 200 else None
    versions = {str(k).lower(): v for k, v in body.items()} if isinstance(body, dict) else {}
    return answer, {k: v for k, v in versions.items() if isinstance(v, int) and not isinstance(v, bool)}


@check(
    id="EDFI-CHG-001", standard=STANDARD, category="filtering", level="recommended",
    requirements=("EDFI-REQ-CHG-AVAILABLE",),
    title="availableChangeVersions gives the oldest and newest change versions",
    why="Downstream systems copy only what changed since their last sync, starting from these numbers.",
    remediation="Serve {changeQueries}/availableChangeVersions as {oldestChangeVersion, newestChangeVersion} "
                "(integers).",
    ref=CHANGES_REF,
)
def check_available_versions(edfi: EdFiSession) -> None:
    answer, versions = available_versions(edfi)
    expect_status(answer, 200, "GET availableChangeVersions")
    old, new = versions.get("oldestchangeversion"), versions.get("newestchangeversion")
    if old is None or new is None or new < old:
        raise Failure("availableChangeVersions lacks the oldest/newest change versions",
                      expected="oldestChangeVersion <= newestChangeVersion (integers)",
                      received=answer.text[:120], exchanges=evidence(answer))


@check(
    id="EDFI-CHG-002", standard=STANDARD, category="filtering", level="recommended",
    requirements=("EDFI-REQ-CHG-WINDOW",),
    title="minChangeVersion past the newest change returns nothing; from 0 it returns items",
    why="A sync that asks for what changed since last time must not get everything again, nor nothing.",
    remediation="Filter collections on minChangeVersion and maxChangeVersion (inclusive).",
    ref=CHANGES_REF,
)
def check_change_window(edfi: EdFiSession) -> None:
    _listed(edfi)
    _, versions = available_versions(edfi)
    beyond = versions.get("newestchangeversion", 2**31) + 1
    future = edfi.get(edfi.resource_url("students"), params={"minChangeVersion": beyond})
    everything = edfi.get(edfi.resource_url("students"), params={"minChangeVersion": 0, "limit": 1})
    if json_array(future, "GET students?minChangeVersion past the newest") != []:
        raise Failure("minChangeVersion past the newest change still returns items", expected="[]",
                      received="items", exchanges=evidence(future))
    if not json_array(everything, "GET students?minChangeVersion=0"):
        raise Failure("minChangeVersion=0 returns nothing", expected="items", received="[]",
                      exchanges=evidence(everything))


def _rows(edfi: EdFiSession, resource: str, kind: str) -> tuple[httpx.Response, list[dict[str, Any]]]:
    _listed(edfi)
    answer = edfi.get(edfi.resource_url(resource, kind))
    return answer, json_array(answer, f"GET /ed-fi/{resource}/{kind}")


@check(
    id="EDFI-CHG-003", standard=STANDARD, category="filtering", level="recommended",
    requirements=("EDFI-REQ-CHG-DELETES",),
    title="/deletes lists deleted items with their changeVersion and natural-key values",
    why="Ids are not the same across systems: a downstream copy can only remove a deleted record by its key.",
    remediation="Serve /{resource}/deletes as [{id, changeVersion, keyValues}].",
    ref=f"{CHANGES_REF}; Known issues (keyValues from 5.3-cqe / 6.1)",
)
def check_deletes(edfi: EdFiSession) -> None:
    answer, rows = _rows(edfi, "studentSectionAssociations", "deletes")
    if not rows:
        raise NotApplicable("nothing was deleted from studentSectionAssociations: no /deletes row to inspect")
    bad = [r for r in rows if not isinstance(r.get("changeVersion"), int) or not isinstance(r.get("keyValues"), dict)]
    if bad:
        raise Failure(f"{len(bad)} /deletes row(s) lack changeVersion or keyValues",
                      expected="{id, changeVersion, keyValues}", received=str(bad[0])[:120],
                      exchanges=evidence(answer))


@check(
    id="EDFI-CHG-004", standard=STANDARD, category="filtering", level="recommended",
    requirements=("EDFI-REQ-CHG-KEYCHANGES",),
    title="/keyChanges lists natural-key changes with the old and new key values",
    why="When an enrollment's entry date is corrected, downstream copies must move the record, not duplicate it.",
    remediation="Serve /{resource}/keyChanges as [{id, changeVersion, oldKeyValues, newKeyValues}].",
    ref=CHANGES_REF,
)
def check_key_changes(edfi: EdFiSession) -> None:
    answer, rows = _rows(edfi, "studentSchoolAssociations", "keyChanges")
    bad = [r for r in rows if not isinstance(r.get("oldKeyValues"), dict) or not isinstance(r.get("newKeyValues"),
                                                                                              dict)]
    if bad:
        raise Failure(f"{len(bad)} /keyChanges row(s) lack oldKeyValues or newKeyValues",
                      expected="{id, changeVersion, oldKeyValues, newKeyValues}", received=str(bad[0])[:120],
                      exchanges=evidence(answer))
