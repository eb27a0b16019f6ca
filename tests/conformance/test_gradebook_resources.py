"""OneRoster Gradebook and Resources 1.2: configuration, the write round trip's safety, the sandbox's services."""
from __future__ import annotations

from typing import Any

import httpx
import pytest

from edcert.harness.config import OR12_SCOPE_PREFIX, ConfigError, parse_config
from edcert.harness.runner import run
from edcert.harness.scorecard import Outcome
from edcert.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from edcert.sandbox.oneroster.services import GRADEBOOK_BASE, RESOURCES_BASE
from tests.sandbox_run import sandbox_config
from tests.security._support import sandbox

GRADEBOOK, RESOURCES = "oneroster-gradebook-1.2", "oneroster-resources-1.2"
WRITES = ("PUT", "POST", "PATCH", "DELETE")


def _table(**extra: Any) -> dict[str, Any]:
    return {"vendor": {"name": "v"}, "oneroster": {
        "version": "1.2", "base_url": "https://v.example", "token_url": "https://v.example/token",
        "client_id": "c", "client_secret_env": "S", **extra}}


def test_default_oneroster_table_claims_rostering_only_with_its_scopes() -> None:
    config = parse_config(_table(), env={"S": "x"})
    assert config.claimed_standards() == ["oneroster-1.2"]
    assert all("roster" in s for s in config.oneroster.scopes)  # type: ignore[union-attr]


def test_services_claim_their_standards_and_default_scopes_cover_them() -> None:
    config = parse_config(_table(services=["rostering", "gradebook", "resources"]), env={"S": "x"})
    assert config.claimed_standards() == ["oneroster-1.2", GRADEBOOK, RESOURCES]
    scopes = set(config.oneroster.scopes)  # type: ignore[union-attr]
    for name in ("roster-core.readonly", "gradebook.readonly", "resource.readonly", "assessment.readonly"):
        assert OR12_SCOPE_PREFIX + name in scopes
    assert config.oneroster.service_url("gradebook") == "https://v.example/ims/oneroster/gradebook/v1p2"  # type: ignore[union-attr]
    only = parse_config(_table(services=["gradebook"], scopes=["x"]), env={"S": "x"})
    assert only.claimed_standards() == [GRADEBOOK] and only.oneroster.scopes == ("x",)  # type: ignore[union-attr]


@pytest.mark.parametrize(("services", "message"), [
    ([], "at least one service"), (["gradebook", "gradebook"], "listed twice"), (["grades"], "oneroster.services"),
])
def test_bad_services_are_one_line_config_errors(services: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(_table(services=services), env={"S": "x"})


def _edcert_records(base_url: str) -> list[str]:
    """sourcedIds edcert's write checks would have created, still on the sandbox."""
    with httpx.Client(base_url=base_url) as client:
        token = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                            auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        found = []
        for endpoint in ("lineItems", "results"):
            body = client.get(f"{GRADEBOOK_BASE}/{endpoint}", params={"limit": 5000}, headers=headers).json()
            found += [r["sourcedId"] for r in body[endpoint] if r["sourcedId"].startswith("edcert-test-")]
    return found


def test_without_allow_writes_the_write_checks_are_skipped_and_nothing_is_written() -> None:
    with sandbox(hostile="writes-fail") as (server, app):
        result = run(sandbox_config(server.base_url, allow_writes=False), only=[GRADEBOOK], keyword="write")
        writes = list(app.state.hostile.writes)
    checks = {c.id: c for c in result.scorecard.checks}
    assert sorted(checks) == [f"ORGB12-WRITE-{n:03d}" for n in range(1, 6)]
    assert {c.outcome for c in checks.values()} == {Outcome.SKIPPED}
    assert all("allow_writes = true" in c.message for c in checks.values())
    assert writes == []
    assert not [m for m, _u, _f in result.requests if m in WRITES]


def test_the_round_trip_writes_only_its_own_records_and_cleans_up() -> None:
    with sandbox() as (server, _app):
        result = run(sandbox_config(server.base_url), only=[GRADEBOOK], keyword="write")
        left = _edcert_records(server.base_url)
    assert {c.id: c.outcome for c in result.scorecard.checks} == {
        f"ORGB12-WRITE-{n:03d}": Outcome.PASSED for n in range(1, 6)}
    written = [(m, u) for m, u, _f in result.requests if m in WRITES and not u.endswith("/oauth/token")]
    assert {m for m, _u in written} == {"PUT", "DELETE"}
    assert all("/edcert-test-" in u for _m, u in written), "only edcert's own fictional sourcedIds are written"
    assert left == []


def test_a_failing_round_trip_still_cleans_up() -> None:
    # the update is ignored: the round trip fails there, and its finally still deletes what it created
    with sandbox(faults=("gradebook.write.update-not-applied",)) as (server, _app):
        result = run(sandbox_config(server.base_url), only=[GRADEBOOK], keyword="write")
        left = _edcert_records(server.base_url)
    outcomes = {c.id: c.outcome for c in result.scorecard.checks}
    assert outcomes["ORGB12-WRITE-003"] is Outcome.FAILED
    assert left == []


def test_sandbox_enforces_service_scopes_and_keeps_writes_per_app() -> None:
    with sandbox() as (server, _app), httpx.Client(base_url=server.base_url) as client:
        def token(*scopes: str) -> dict[str, str]:
            answer = client.post("/oauth/token", auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET), data={
                "grant_type": "client_credentials", "scope": " ".join(OR12_SCOPE_PREFIX + s for s in scopes)})
            return {"Authorization": "Bearer " + answer.json()["access_token"]}

        roster = token("roster.readonly")
        assert client.get(f"{GRADEBOOK_BASE}/lineItems", headers=roster).status_code == 403
        assert client.get(f"{RESOURCES_BASE}/resources", headers=roster).status_code == 403
        reader = token("gradebook.readonly")
        item = client.get(f"{GRADEBOOK_BASE}/lineItems", params={"limit": 1}, headers=reader).json()["lineItems"][0]
        body = {"lineItem": {**item, "sourcedId": "t-1", "title": "new"}}
        assert client.put(f"{GRADEBOOK_BASE}/lineItems/t-1", json=body, headers=reader).status_code == 403
        writer = token("gradebook.readonly", "gradebook.createput", "gradebook.delete")
        assert client.put(f"{GRADEBOOK_BASE}/lineItems/t-1", json=body, headers=writer).status_code == 201
        assert client.get(f"{GRADEBOOK_BASE}/lineItems/t-1", headers=reader).json()["lineItem"]["title"] == "new"
        bad = {"lineItem": {"title": "no class"}}
        assert client.put(f"{GRADEBOOK_BASE}/lineItems/t-2", json=bad, headers=writer).status_code == 422
        assert client.delete(f"{GRADEBOOK_BASE}/lineItems/t-1", headers=writer).status_code == 204
        assert client.get(f"{GRADEBOOK_BASE}/lineItems/t-1", headers=reader).status_code == 404


def test_rostering_faults_leave_the_services_alone() -> None:
    # a rostering fault breaks rostering only: each fault trips exactly its own standard's checks
    with sandbox(faults=("oneroster.auth.no-token-accepted",)) as (server, _app), \
            httpx.Client(base_url=server.base_url) as client:
        assert client.get("/ims/oneroster/rostering/v1p2/orgs").status_code == 200
        assert client.get(f"{GRADEBOOK_BASE}/lineItems").status_code == 401
        assert client.get(f"{RESOURCES_BASE}/resources").status_code == 401
