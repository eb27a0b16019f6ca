"""A vendor's own document in Swagger 2.0 (what older Ed-Fi hosts publish) is fuzzed like an OpenAPI 3 one.

Its OAuth 2.0 security definition is probed as the bearer header it is on the wire (``ignored_auth``), and
its ``basePath`` says where the operations are, on the vendor's own host only.
"""
from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from edcert.conformance.fuzz._engine import FuzzSettings, fuzz
from edcert.conformance.fuzz._fixtures import own_base_url
from edcert.harness.evidence import Recorder, Redactor
from edcert.harness.http import VendorClient
from edcert.sandbox import SandboxServer

TOKEN = "swagger-two-token"
SWAGGER = {
    "swagger": "2.0",
    "info": {"title": "an older Ed-Fi host", "version": "1"},
    "basePath": "/data/v3",
    "securityDefinitions": {"oauth2_client_credentials": {
        "type": "oauth2", "flow": "application", "tokenUrl": "/oauth/token", "scopes": {}}},
    "security": [{"oauth2_client_credentials": []}],
    "paths": {"/schools": {"get": {
        "produces": ["application/json"],
        "parameters": [{"name": "limit", "in": "query", "type": "integer", "minimum": 0, "maximum": 500}],
        "responses": {"200": {"description": "schools", "schema": {"type": "array", "items": {
            "type": "object", "required": ["schoolId"], "properties": {"schoolId": {"type": "integer"}}}}},
            "400": {"description": "bad limit"}, "401": {"description": "no token"}}}}},
}


class Bearer(httpx.Auth):
    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {TOKEN}"
        yield request


def host(checks_token: bool) -> Starlette:
    async def schools(request: Request) -> Response:
        if checks_token and request.headers.get("authorization") != f"Bearer {TOKEN}":
            return Response(status_code=401)
        return JSONResponse([{"schoolId": 255901}])

    return Starlette(routes=[Route("/data/v3/schools", schools)])


@pytest.fixture
def client() -> Iterator[VendorClient]:
    vendor = VendorClient(timeout=10, rate_limit=None, max_response_bytes=1_000_000, max_retries=0, max_retry_wait=0,
                          verify_tls=True, recorder=Recorder(Redactor()), auth=Bearer())
    yield vendor
    vendor.close()


def run(checks_token: bool, client: VendorClient) -> Any:
    with SandboxServer(host(checks_token)) as server:
        base = own_base_url(SWAGGER, server.base_url + "/", server.base_url + "/elsewhere")
        assert base == server.base_url + "/data/v3"
        return fuzz(SWAGGER, base_url=base, client=client,
                    config=FuzzSettings(seed=1, max_examples=5, negative_examples=0, time_budget=60),
                    checks=("not_a_server_error", "ignored_auth"))


def test_a_swagger_2_host_that_checks_its_token_passes(client: VendorClient) -> None:
    report = run(True, client)
    assert report.operations == 1 and report.invalid_operations == [] and report.cases >= 1
    assert {n: (v.evaluated > 0, v.failed) for n, v in report.verdicts.items()} == {
        "not_a_server_error": (True, 0), "ignored_auth": (True, 0)}


def test_a_swagger_2_host_that_ignores_its_token_is_caught(client: VendorClient) -> None:
    report = run(False, client)
    assert report.verdicts["ignored_auth"].failed > 0
    assert report.verdicts["not_a_server_error"].failed == 0


def test_a_base_path_on_another_host_falls_back() -> None:
    assert own_base_url({**SWAGGER, "basePath": "http://elsewhere.example/data"}, "http://127.0.0.1:1/",
                        "http://127.0.0.1:1/data") == "http://127.0.0.1:1/data"
