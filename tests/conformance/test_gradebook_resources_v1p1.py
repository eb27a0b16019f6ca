"""OneRoster 1.1 Gradebook and Resources: the services key of [oneroster_v1p1], the round trip, the sandbox."""
from __future__ import annotations

from typing import Any

import httpx
import pytest

from edcert.harness.auth import OAuth1Signer
from edcert.harness.config import OR11_SCOPE_PREFIX, ConfigError, parse_config
from edcert.harness.runner import run
from edcert.harness.scorecard import Outcome
from edcert.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from edcert.sandbox.oneroster.app_v1p1 import V1P1_BASE
from tests.sandbox_run import sandbox_config
from tests.security._support import sandbox

GRADEBOOK, RESOURCES = "oneroster-gradebook-1.1", "oneroster-resources-1.1"
WRITES = ("PUT", "POST", "PATCH", "DELETE")


def _table(**extra: Any) -> dict[str, Any]:
    return {"vendor": {"name": "v"}, "oneroster_v1p1": {
        "base_url": "https://v.example", "client_id": "c", "client_secret_env": "S", **extra}}


def test_default_v1p1_table_claims_rostering_only() -> None:
    config = parse_config(_table(), env={"S": "x"})
    assert config.claimed_standards() == ["oneroster-1.1"]


def test_v1p1_services_claim_their_standards_under_one_root() -> None:
    config = parse_config(_table(services=["rostering", "gradebook", "resources"]), env={"S": "x"})
    assert config.claimed_standards() == ["oneroster-1.1", GRADEBOOK, RESOURCES]
    table = config.oneroster_v1p1
    assert table is not None
    assert {table.service_url(s) for s in ("rostering", "gradebook", "resources")} == {
        "https://v.example/ims/oneroster/v1p1"}
    oauth2 = parse_config(_table(services=["gradebook", "resources"], auth="oauth2",
                                 token_url="https://v.example/token"), env={"S": "x"}).oneroster_v1p1
    assert oauth2 is not None
    assert set(oauth2.scopes) == {OR11_SCOPE_PREFIX + "gradebook.readonly", OR11_SCOPE_PREFIX + "resource.readonly"}


@pytest.mark.parametrize(("services", "message"), [
    ([], "at least one service"), (["resources", "resources"], "listed twice"), (["grades"], "services"),
])
def test_bad_v1p1_services_are_one_line_config_errors(services: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(_table(services=services), env={"S": "x"})


def _signed() -> OAuth1Signer:
    return OAuth1Signer(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, signature_method="HMAC-SHA256")


def _edcert_records(client: httpx.Client) -> list[str]:
    found = []
    for endpoint in ("lineItems", "results"):
        body = client.get(f"{V1P1_BASE}/{endpoint}", params={"limit": 5000}, auth=_signed()).json()
        found += [r["sourcedId"] for r in body[endpoint] if r["sourcedId"].startswith("edcert-test-")]
    return found


def test_without_allow_writes_the_v1p1_write_checks_are_skipped() -> None:
    with sandbox() as (server, _app):
        result = run(sandbox_config(server.base_url, v1p1={"allow_writes": False}), only=[GRADEBOOK],
                     keyword="write")
    checks = {c.id: c for c in result.scorecard.checks}
    assert sorted(checks) == [f"ORGB11-WRITE-{n:03d}" for n in range(1, 5)]
    assert {c.outcome for c in checks.values()} == {Outcome.SKIPPED}
    assert all("allow_writes = true" in c.message for c in checks.values())
    assert not [m for m, _u, _f in result.requests if m in WRITES]


def test_the_v1p1_round_trip_is_signed_writes_its_own_records_and_cleans_up() -> None:
    with sandbox() as (server, _app), httpx.Client(base_url=server.base_url) as client:
        result = run(sandbox_config(server.base_url), only=[GRADEBOOK], keyword="write")
        left = _edcert_records(client)
    assert {c.id: c.outcome for c in result.scorecard.checks} == {
        f"ORGB11-WRITE-{n:03d}": Outcome.PASSED for n in range(1, 5)}
    written = [u for m, u, _f in result.requests if m in WRITES]
    assert written and all(V1P1_BASE + "/" in u and "/edcert-test-" in u for u in written)
    assert left == []


def test_sandbox_serves_the_1p1_services_in_1p1_shapes_next_to_rostering() -> None:
    with sandbox() as (server, _app), httpx.Client(base_url=server.base_url) as client:
        unsigned = client.get(f"{V1P1_BASE}/lineItems")
        assert unsigned.status_code == 401 and "statusInfoSet" in unsigned.json()
        wrong = client.get(f"{V1P1_BASE}/results", auth=_signed().variant(client_secret="wrong"))
        assert wrong.status_code == 401
        item = client.get(f"{V1P1_BASE}/lineItems", params={"limit": 1}, auth=_signed()).json()["lineItems"][0]
        assert "school" not in item and item["gradingPeriod"]["type"] == "academicSession"
        assert item["class"]["href"].startswith(V1P1_BASE + "/classes/")
        result = client.get(f"{V1P1_BASE}/results", params={"limit": 1}, auth=_signed()).json()["results"][0]
        assert not {"late", "class", "scoreScale"} & set(result)
        assert client.get(f"{V1P1_BASE}/resources", auth=_signed()).json()["resources"]
        missing = client.get(f"{V1P1_BASE}/scoreScales", auth=_signed())
        assert missing.status_code == 404 and "statusInfoSet" in missing.json()
        assert client.get(f"{V1P1_BASE}/users", params={"limit": 1}, auth=_signed()).json()["users"][0]["role"]
