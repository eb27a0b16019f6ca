"""Shared fixtures for the sandbox tests: a small district, apps, clients, tokens."""
from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from typing import Any

import httpx
import pytest

from edcert.fixtures.districts import District, generate_district
from edcert.sandbox import SandboxServer, create_app
from edcert.sandbox.oneroster.model import ROSTERING_SCOPES, SCOPE_DEMOGRAPHICS, SCOPE_ROSTER, SCOPE_ROSTER_CORE

BASE = "/ims/oneroster/rostering/v1p2"
CLIENT_ID = "test-client"
CLIENT_SECRET = "test-secret"
ALL_SCOPES = " ".join(ROSTERING_SCOPES)
CORE = SCOPE_ROSTER_CORE
ROSTER = SCOPE_ROSTER
DEMO = SCOPE_DEMOGRAPHICS


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: generates the medium/large districts (a few seconds)")


@pytest.fixture(scope="session")
def district() -> District:
    return generate_district("small")


def make_app(district: District, faults: Iterable[str] = (), **kwargs: Any) -> Any:
    return create_app(district, faults=faults, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, **kwargs)


class AsgiClient:
    """A synchronous client over httpx's in-process ASGI transport (no socket)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as client:
                return await client.request(method, url, **kwargs)

        return asyncio.run(go())

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)


def get_token(client: httpx.Client | AsgiClient, scope: str | None = ALL_SCOPES) -> str:
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    response = client.post("/oauth/token", data=data, auth=(CLIENT_ID, CLIENT_SECRET))
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def code_minor(response: httpx.Response) -> str:
    body = response.json()
    assert body["imsx_codeMajor"] == "failure"
    assert body["imsx_severity"] == "error"
    fields = body["imsx_CodeMinor"]["imsx_codeMinorField"]
    assert fields[0]["imsx_codeMinorFieldName"] == "TargetEndSystem"
    value: str = fields[0]["imsx_codeMinorFieldValue"]
    return value


@pytest.fixture(scope="session")
def server(district: District) -> Iterator[SandboxServer]:
    with SandboxServer(make_app(district)) as running:
        yield running


@pytest.fixture(scope="session")
def http(server: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        yield client


@pytest.fixture(scope="session")
def tokens(http: httpx.Client) -> dict[str, str]:
    """Tokens by grant: all, core, roster, demo, core+demo."""
    return {
        "all": get_token(http),
        "core": get_token(http, CORE),
        "roster": get_token(http, ROSTER),
        "demo": get_token(http, DEMO),
    }


@pytest.fixture(scope="session")
def api(http: httpx.Client, tokens: dict[str, str]) -> Any:
    """GET under the OneRoster base with the all-scopes token."""

    def get(path: str, params: Any = None, token: str | None = None) -> httpx.Response:
        return http.get(BASE + path, params=params, headers=bearer(token or tokens["all"]))

    return get
