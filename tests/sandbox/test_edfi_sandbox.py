"""The Ed-Fi sandbox behaves like an ODS/API 7.2 host, and records what a SIS client sends it."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from edcert.fixtures.districts import generate_district
from edcert.sandbox import SandboxServer, create_app
from edcert.sandbox.edfi.app import FLOOD_LIMIT, SIS_CLIENT_ID, SIS_CLIENT_SECRET
from edcert.sandbox.edfi.sis_client import publish

CLIENT_ID, CLIENT_SECRET = "test-client", "test-secret"


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    app = create_app(generate_district("small"), client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    with SandboxServer(app) as running:
        yield running


@pytest.fixture(scope="module")
def root(server: SandboxServer) -> str:
    return server.base_url + "/edfi"


def token(root: str, client: tuple[str, str] = (CLIENT_ID, CLIENT_SECRET)) -> dict[str, str]:
    answer = httpx.post(root + "/oauth/token", auth=client, data={"grant_type": "client_credentials"})
    assert answer.status_code == 200
    return {"Authorization": "Bearer " + answer.json()["access_token"]}


@pytest.fixture(scope="module")
def auth(root: str) -> dict[str, str]:
    return token(root)


def data(root: str, path: str) -> str:
    return f"{root}/data/v3/ed-fi/{path}"


def test_discovery_is_anonymous_with_absolute_urls(root: str) -> None:
    doc = httpx.get(root + "/").json()
    assert doc["version"] and doc["dataModels"][0]["name"] == "Ed-Fi"
    for name in ("oauth", "dataManagementApi", "dependencies", "openApiMetadata"):
        assert doc["urls"][name].startswith(root + "/")
    order = [d["resource"] for d in httpx.get(doc["urls"]["dependencies"]).json()]
    assert order.index("/ed-fi/students") < order.index("/ed-fi/studentSchoolAssociations")
    spec_uri = httpx.get(doc["urls"]["openApiMetadata"]).json()[0]["endpointUri"]
    spec = httpx.get(spec_uri).json()
    assert spec["openapi"].startswith("3.0") and "/ed-fi/students/{id}" in spec["paths"]
    assert spec["servers"][0]["url"] == root + "/data/v3"


def test_token_by_basic_and_by_form_body_and_bad_client(root: str) -> None:
    by_form = httpx.post(root + "/oauth/token", data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                                       "client_secret": CLIENT_SECRET})
    assert by_form.status_code == 200 and by_form.json()["expires_in"] > 0
    bad = httpx.post(root + "/oauth/token", auth=(CLIENT_ID, "wrong"), data={"grant_type": "client_credentials"})
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    assert httpx.get(data(root, "students")).status_code == 401


def test_paging_queries_and_problem_details(root: str, auth: dict[str, str]) -> None:
    page = httpx.get(data(root, "students"), headers=auth, params={"totalCount": "true"})
    assert len(page.json()) == 25 and int(page.headers["Total-Count"]) == 440
    too_big = httpx.get(data(root, "students"), headers=auth, params={"limit": 501})
    assert too_big.status_code == 400
    assert too_big.json()["type"] == "urn:ed-fi:api:bad-request:parameter-validation-failed"
    first = page.json()[0]
    one = httpx.get(data(root, "studentSchoolAssociations"), headers=auth,
                    params={"studentUniqueId": first["studentUniqueId"]}).json()
    assert len(one) == 1 and one[0]["studentReference"]["studentUniqueId"] == first["studentUniqueId"]
    by_id = httpx.get(data(root, f"students/{first['id']}"), headers=auth)
    assert by_id.json()["id"] == first["id"] and by_id.headers["ETag"].startswith('"')
    assert httpx.get(data(root, "students/nope"), headers=auth).status_code == 404


def _student(unique_id: str, **extra: Any) -> dict[str, Any]:
    return {"studentUniqueId": unique_id, "firstName": "Ixa", "lastSurname": "Quor", "birthDate": "2012-02-02",
            **extra}


def test_upsert_put_etag_and_delete(root: str, auth: dict[str, str]) -> None:
    created = httpx.post(data(root, "students"), headers=auth, json=_student("T-1"))
    assert created.status_code == 201 and created.headers["ETag"]
    again = httpx.post(data(root, "students"), headers=auth, json=_student("T-1", birthCity="Vell"))
    assert again.status_code == 200 and again.headers["Location"] == created.headers["Location"]
    location = created.headers["Location"]
    stale = httpx.put(location, headers={**auth, "If-Match": created.headers["ETag"]}, json=_student("T-1"))
    assert stale.status_code == 412 and stale.json()["type"] == "urn:ed-fi:api:optimistic-lock-failed"
    assert httpx.put(location, headers=auth, json=_student("T-1")).status_code == 204
    assert httpx.put(data(root, "students/unknown"), headers=auth, json=_student("T-1")).status_code == 404
    school_id = httpx.get(data(root, "schools"), headers=auth).json()[0]["schoolId"]
    ssa = {"entryDate": "2026-09-01", "entryGradeLevelDescriptor": "uri://ed-fi.org/GradeLevelDescriptor#Ninth grade",
           "schoolReference": {"schoolId": school_id}, "studentReference": {"studentUniqueId": "T-1"}}
    child = httpx.post(data(root, "studentSchoolAssociations"), headers=auth, json=ssa)
    assert child.status_code == 201
    referenced = httpx.delete(location, headers=auth)
    assert referenced.status_code == 409
    assert referenced.json()["type"] == "urn:ed-fi:api:data-conflict:dependent-item-exists"
    orphan = httpx.post(data(root, "studentSchoolAssociations"), headers=auth,
                        json={**ssa, "studentReference": {"studentUniqueId": "NOBODY"}})
    assert orphan.status_code == 409
    assert httpx.delete(child.headers["Location"], headers=auth).status_code == 204
    assert httpx.get(child.headers["Location"], headers=auth).status_code == 404
    assert httpx.delete(location, headers=auth).status_code == 204
    deletes = httpx.get(data(root, "students/deletes"), headers=auth).json()
    assert {"studentUniqueId": "T-1"} in [d["keyValues"] for d in deletes]


def test_change_versions_filter(root: str, auth: dict[str, str]) -> None:
    versions = httpx.get(root + "/changeQueries/v1/availableChangeVersions", headers=auth).json()
    newest = versions["NewestChangeVersion"]
    assert httpx.get(data(root, "students"), headers=auth, params={"minChangeVersion": newest + 1}).json() == []
    changed = httpx.get(data(root, "studentSchoolAssociations/keyChanges"), headers=auth).json()
    assert changed and changed[0]["oldKeyValues"] != changed[0]["newKeyValues"]


def _sis_requests(root: str) -> list[dict[str, Any]]:
    answer = httpx.get(root + "/_edcert/recording", headers=token(root)).json()
    return [r for r in answer["requests"] if r["client"] == SIS_CLIENT_ID]


def test_scripted_client_is_recorded_with_injected_errors_and_backoff() -> None:
    app = create_app(generate_district("small"), client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    with SandboxServer(app) as running:
        root = running.base_url + "/edfi"
        assert httpx.get(root + "/_edcert/recording").status_code == 401
        publish(root, SIS_CLIENT_ID, SIS_CLIENT_SECRET)
        seen = _sis_requests(root)
    notes = [r["note"] for r in seen if r["note"]]
    assert notes == ["token-issued", "injected-500", "injected-429"]
    retry = next(i for i, r in enumerate(seen) if r["note"] == "injected-429")
    assert seen[retry + 1]["key"] == seen[retry]["key"] and seen[retry + 1]["at"] - seen[retry]["at"] >= 1
    assert all(r["status"] < 400 for r in seen if not r["note"])


def test_a_flooding_client_is_throttled() -> None:
    app = create_app(generate_district("small"), client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    with SandboxServer(app) as running:
        root = running.base_url + "/edfi"
        publish(root, SIS_CLIENT_ID, SIS_CLIENT_SECRET, variant="flood")
        seen = _sis_requests(root)
    throttled = [r for r in seen if r["note"] == "throttled"]
    assert throttled and all(r["status"] == 429 for r in throttled)
    assert len(seen) - len(throttled) >= FLOOD_LIMIT
