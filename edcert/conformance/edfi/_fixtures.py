"""Session fixtures of the Ed-Fi host suite: one client, the discovery document and probes fetched once per run.

A broken discovery document (missing, not JSON, relative URLs) fails the discovery checks but does not stop
the run: relative URLs are resolved against the root, and the token and data URLs fall back to the
configuration (``token_url``, ``data_url``) or to the ODS/API's conventional ``/oauth/token`` and
``/data/v3/`` under the root.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

from edcert.harness.auth import OAuth2ClientCredentials
from edcert.harness.config import EdFiConfig
from edcert.harness.errors import Failure
from edcert.harness.evidence import Exchange
from edcert.harness.http import VendorClient, exchange_of, json_body
from edcert.harness.session import RunState

STANDARD = "edfi-api"
GUIDELINES = "Ed-Fi API Design and Implementation Guidelines"
DISCOVERY_REF = f"{GUIDELINES}: Discovery API 1.0 (api-specifications/discovery/1.0)"
CONVENTIONS = f"{GUIDELINES}: REST API conventions"
ODS_72 = "Ed-Fi ODS/API 7.2 error response knowledge base"
SIS_RESOURCES = ("schools", "students", "staffs", "sections", "studentSchoolAssociations",
                 "studentSectionAssociations", "gradeLevelDescriptors")
_TOKEN_PATH = "/oauth/token"  # noqa: S105 - a URL path, not a password
_DATA_PATH = "/data/v3/"


def evidence(*responses: httpx.Response | None) -> list[Exchange]:
    return [e for e in (exchange_of(r) for r in responses if r is not None) if e is not None]


def expect_status(response: httpx.Response, allowed: int | set[int], what: str) -> None:
    wanted = {allowed} if isinstance(allowed, int) else allowed
    if response.status_code not in wanted:
        shown = " or ".join(str(s) for s in sorted(wanted))
        raise Failure(f"{what} answered HTTP {response.status_code}", expected=f"HTTP {shown}",
                      received=f"HTTP {response.status_code}", exchanges=evidence(response))


def parsed(response: httpx.Response) -> Any:
    """The JSON of an answer, or None when it is not JSON (for steps that only look)."""
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def json_array(response: httpx.Response, what: str) -> list[dict[str, Any]]:
    """A 200 answer holding a JSON array of objects, or a Failure with evidence."""
    expect_status(response, 200, what)
    body = json_body(response, what)
    if not isinstance(body, list) or not all(isinstance(i, dict) for i in body):
        raise Failure(f"{what} did not answer a JSON array of objects", expected="[{...}, ...]",
                      received=type(body).__name__, exchanges=evidence(response))
    return body


@dataclass
class Discovery:
    response: httpx.Response | None
    document: dict[str, Any] | None
    problem: str | None
    urls: dict[str, str] = field(default_factory=dict)
    relative: list[str] = field(default_factory=list)
    authenticated_retry: httpx.Response | None = None


class EdFiSession:
    """The Ed-Fi API under test, as the checks see it."""

    def __init__(self, config: EdFiConfig, state: RunState) -> None:
        self.config = config
        self.state = state
        self.root = config.base_url
        self.client = VendorClient(
            timeout=config.timeout, rate_limit=config.rate_limit, max_response_bytes=config.max_response_bytes,
            max_retries=config.max_retries, max_retry_wait=config.max_retry_wait, verify_tls=config.verify_tls,
            recorder=state.recorder, ca_bundle=config.ca_bundle, run_budget=config.run_budget,
            allow_writes=config.allow_writes,
        )
        self._probes: dict[str, Any] = {}
        self.auth_method = "client_secret_basic"
        self.discovery = self._discover()
        self.token_url = self.discovery.urls.get("oauth") or config.token_url or self.root + _TOKEN_PATH
        self.client.transport.token_urls = frozenset({self.token_url.rstrip("/")})
        data = self.discovery.urls.get("dataManagementApi") or config.data_url or self.root + _DATA_PATH
        self.data_url = data if data.endswith("/") else data + "/"
        self.auth = self._choose_auth()

    # -- discovery --

    def _discover(self) -> Discovery:
        response = self.client.get(self.root + "/", auth=None)
        found = Discovery(response=response, document=None, problem=None)
        answer = response
        if response.status_code in (401, 403):
            # Not anonymous (a failed requirement), but the rest can still be tested with a token.
            token_url = self.config.token_url or self.root + _TOKEN_PATH
            retry_auth = OAuth2ClientCredentials(token_url, self.config.client_id,
                                                 self.config.client_secret.get_secret_value())
            self.client.transport.token_urls = frozenset({token_url})
            answer = found.authenticated_retry = self.client.get(self.root + "/", auth=retry_auth)
        if answer.status_code != 200:
            found.problem = f"GET {self.root}/ answered HTTP {answer.status_code}"
            return found
        try:
            document = answer.json()
        except (ValueError, UnicodeDecodeError, RecursionError):
            found.problem = f"GET {self.root}/ did not answer JSON ({answer.headers.get('content-type', 'none')})"
            return found
        if not isinstance(document, dict):
            found.problem = f"GET {self.root}/ answered JSON that is not an object"
            return found
        found.document = document
        urls = document.get("urls")
        for name, value in (urls.items() if isinstance(urls, dict) else []):
            if not isinstance(value, str) or not value:
                continue
            if not value.startswith(("http://", "https://")):
                found.relative.append(name)
            found.urls[name] = urljoin(self.root + "/", value)
        return found

    def url(self, name: str) -> str | None:
        return self.discovery.urls.get(name)

    # -- tokens --

    def token_request(self, method: str, client_id: str | None = None, secret: str | None = None) -> httpx.Response:
        """A raw client-credentials token request: ``basic`` (HTTP Basic) or ``post`` (form body)."""
        cid = client_id or self.config.client_id
        sec = self.config.client_secret.get_secret_value() if secret is None else secret
        form = {"grant_type": "client_credentials"}
        if method == "basic":
            return self.client.request("POST", self.token_url, data=form, auth=httpx.BasicAuth(cid, sec))
        return self.client.request("POST", self.token_url, data={**form, "client_id": cid, "client_secret": sec},
                                   auth=None)

    def token_answer(self, method: str) -> httpx.Response:
        answer: httpx.Response = self.probe(f"token by {method}", lambda: self.token_request(method))
        return answer

    def _choose_auth(self) -> OAuth2ClientCredentials:
        secret = self.config.client_secret.get_secret_value()
        method = "client_secret_basic"
        if self.token_answer("basic").status_code != 200 and self.token_answer("post").status_code == 200:
            method = "client_secret_post"  # Basic is refused (a finding of its own): go on with the form body
        self.auth_method = method
        return OAuth2ClientCredentials(self.token_url, self.config.client_id, secret, auth_method=method)

    # -- requests --

    def probe(self, name: str, send: Callable[[], Any]) -> Any:
        """The answer to ``name``, sent at most once per run and shared by the checks reading it (a Failure too)."""
        if name not in self._probes:
            try:
                self._probes[name] = send()
            except Failure as failure:
                self._probes[name] = failure
        found = self._probes[name]
        if isinstance(found, Failure):
            raise Failure(found.message, expected=found.expected, received=found.received,
                          exchanges=found.exchanges)
        return found

    def resource_url(self, resource: str, item_id: str | None = None) -> str:
        return f"{self.data_url}ed-fi/{resource}" + (f"/{item_id}" if item_id else "")

    def get(self, url: str, params: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, params=params, **kwargs)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """A request with the run's token (``auth=None`` sends it anonymously)."""
        kwargs.setdefault("auth", self.auth)
        if "json" in kwargs:
            kwargs["content"] = json.dumps(kwargs.pop("json")).encode()
            kwargs["headers"] = {**(kwargs.get("headers") or {}), "Content-Type": "application/json"}
        return self.client.request(method, url, **kwargs)

    def first_page(self, resource: str) -> httpx.Response:
        """``GET /ed-fi/{resource}?limit=page_size`` (sent once)."""
        answer: httpx.Response = self.probe(f"page {resource}", lambda: self.get(
            self.resource_url(resource), params={"limit": self.config.page_size}))
        return answer

    def items(self, resource: str) -> list[dict[str, Any]]:
        return json_array(self.first_page(resource), f"GET /ed-fi/{resource}")

    def first_item(self, resource: str) -> dict[str, Any]:
        items = self.items(resource)
        if not items:
            raise Failure(f"GET /ed-fi/{resource} answered an empty list: nothing to test with",
                          expected="at least one item", received="[]", exchanges=evidence(self.first_page(resource)))
        return items[0]

    def close(self) -> None:
        self.client.close()


@pytest.fixture(scope="session")
def edfi(request: pytest.FixtureRequest) -> EdFiSession:
    """The Ed-Fi API under test (skips when the vendor does not claim edfi-api)."""
    from edcert.plugin import active_run

    state = active_run(request.config)
    config = None if state is None else state.config.edfi
    if state is None or config is None or STANDARD not in state.standards:
        pytest.skip("the vendor does not claim the Ed-Fi API (edfi-api)")
    session: EdFiSession = state.resource(STANDARD, lambda: EdFiSession(config, state))
    return session
