"""Session fixtures of the LTI tool suite: edcert's test platform, browsers, logins and launches."""
from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from edcert.conformance.lti_tool._platform import TestPlatform
from edcert.harness.config import LtiToolConfig
from edcert.harness.errors import Failure
from edcert.harness.evidence import Exchange
from edcert.harness.http import VendorClient, exchange_of, ssl_context
from edcert.harness.session import RunState
from edcert.harness.wire import WireTransport
from edcert.lti import claims as c
from edcert.lti.jose import sign

STANDARD = "lti-1.3-tool"
SECURITY = "1EdTech Security Framework 1.0"
CORE = "LTI Core 1.3"
DL_SPEC = "LTI Deep Linking 2.0"
REDIRECTS = (301, 302, 303, 307, 308)
HTML_ACCEPT = {"Accept": "text/html,application/xhtml+xml"}
MARKER_HOPS = 5  # redirects the browser follows after a launch to find the success marker


def evidence(*responses: httpx.Response | None) -> list[Exchange]:
    return [e for r in responses if r is not None and (e := exchange_of(r)) is not None]


@dataclass
class Login:
    """One third-party initiated login as a browser: the tool's answer and the auth request it made."""

    browser: VendorClient
    method: str
    sent: dict[str, str]
    response: httpx.Response
    auth: dict[str, str] = field(default_factory=dict)
    auth_base: str = ""
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass
class Launch:
    login: Login
    response: httpx.Response
    verdict: str  # accepted | refused | crashed

    def evidence(self) -> list[Exchange]:
        return evidence(self.login.response, self.response)


class LtiToolSession:
    """The tool under test as the checks see it, with edcert's platform for the run."""

    def __init__(self, config: LtiToolConfig, state: RunState) -> None:
        self.config = config
        self.state = state
        self.platform = TestPlatform(config.platform_host, config.platform_port, config.platform_issuer,
                                     client_id=config.client_id, tool_jwks_url=config.jwks_url,
                                     verify_tls=config.verify_tls, ca_bundle=config.ca_bundle)
        # one connection pool for every browser (each keeps its own cookie jar): TLS set-up is paid once
        self._pool = WireTransport(ssl_context(config.verify_tls, config.ca_bundle))
        self._shared: dict[str, Any] = {}

    # -- browsers and logins -------------------------------------------------------------------------

    def browser(self) -> VendorClient:
        """A fresh browser: its own cookie jar. Posting a launch writes no district data, so the login and
        redirect URIs are the POSTs the write guard lets through."""
        cfg = self.config
        client = VendorClient(
            timeout=cfg.timeout, rate_limit=cfg.rate_limit, max_response_bytes=cfg.max_response_bytes,
            max_retries=cfg.max_retries, max_retry_wait=cfg.max_retry_wait, verify_tls=cfg.verify_tls,
            recorder=self.state.recorder, ca_bundle=cfg.ca_bundle, run_budget=cfg.run_budget,
            token_urls=(cfg.login_url, *cfg.redirect_uris), transport=self._pool,
        )
        return client

    def shared(self, name: str, make: Callable[[], Any]) -> Any:
        """One answer per run for probes several checks read."""
        if name not in self._shared:
            self._shared[name] = make()
        return self._shared[name]

    def login(self, method: str | None = None, *, target: str | None = None,
              browser: VendorClient | None = None) -> Login:
        """Start a third-party initiated login (GET or form POST) and read the tool's auth request."""
        cfg = self.config
        method = method or self.login_method()
        sent = {
            "iss": self.platform.issuer,
            "login_hint": f"edcert-user-{secrets.token_hex(4)}",
            "target_link_uri": target or cfg.target_link_uri,
            # opaque to the tool and to be echoed byte for byte: spaces, '+', '/', '=' and non-ASCII included
            "lti_message_hint": f"edcert hint+/={secrets.token_hex(4)}&é",
            "lti_deployment_id": cfg.deployment_id,
            "client_id": cfg.client_id,
        }
        browser = browser or self.browser()
        if method == "GET":
            response = browser.request("GET", cfg.login_url, params=sent, headers=HTML_ACCEPT)
        else:
            response = browser.request("POST", cfg.login_url, data=sent, headers=HTML_ACCEPT)
        login = Login(browser=browser, method=method, sent=sent, response=response)
        location = response.headers.get("location")
        if response.status_code not in REDIRECTS or not location:
            kind = "an HTML page" if "html" in response.headers.get("content-type", "") else "no redirect"
            login.problem = (f"the {method} login answered HTTP {response.status_code} with {kind}, not a redirect "
                             "to the platform's authentication endpoint")
            return login
        target_url = urlsplit(str(response.url.join(location)))
        login.auth_base = f"{target_url.scheme}://{target_url.netloc}{target_url.path}"
        login.auth = dict(parse_qsl(target_url.query, keep_blank_values=True))
        if login.auth_base.rstrip("/") != self.platform.auth_url:
            login.problem = (f"the {method} login redirected to {login.auth_base}, not to the platform's "
                             f"authentication endpoint {self.platform.auth_url}")
        return login

    def login_method(self) -> str:
        """The login method launches use: the form POST, or GET when the tool does not take the POST."""
        return "POST" if self.login_probe("POST").ok else "GET"

    def login_probe(self, method: str) -> Login:
        login: Login = self.shared(f"login {method}", lambda: self.login(method))
        return login

    # -- launches ----------------------------------------------------------------------------------

    def base_claims(self, login: Login, *, message_type: str = c.RESOURCE_LINK_REQUEST,
                    roles: list[str] | None = None) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.platform.issuer, "aud": self.config.client_id, "sub": login.sent["login_hint"],
            "iat": now, "exp": now + 300, "nonce": login.auth.get("nonce", ""),
            c.MESSAGE_TYPE: message_type, c.VERSION: c.LTI_VERSION, c.DEPLOYMENT_ID: self.config.deployment_id,
            c.ROLES: [c.ROLE_INSTRUCTOR] if roles is None else roles,
            c.TOOL_PLATFORM: {"guid": "edcert-test-platform", "name": "edcert test platform"},
            c.LAUNCH_PRESENTATION: {"document_target": "iframe"},
        }
        if message_type == c.RESOURCE_LINK_REQUEST:
            claims[c.TARGET_LINK_URI] = login.sent["target_link_uri"]
            claims[c.RESOURCE_LINK] = {"id": "edcert-resource-link-1", "title": "edcert test activity"}
        return claims

    def post_launch(self, login: Login, id_token: str, *, state: str | None = None,
                    browser: VendorClient | None = None) -> Launch:
        """POST id_token and state to the redirect_uri as the browser's auto-submitted form would."""
        redirect = login.auth.get("redirect_uri", "")
        if redirect not in self.config.redirect_uris:  # a platform only ever posts to a registered URI
            redirect = self.config.redirect_uris[0]
        form = {"id_token": id_token, "state": login.auth.get("state", "") if state is None else state}
        client = browser or login.browser
        response = client.request("POST", redirect, data=form, headers=HTML_ACCEPT)
        return Launch(login=login, response=response, verdict=self.verdict(response, client))

    def launch(self, mutate: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None, *,
               sign_with: Callable[[dict[str, Any]], str] | None = None, message_type: str = c.RESOURCE_LINK_REQUEST,
               roles: list[str] | None = None, target: str | None = None) -> Launch:
        """A fresh login, then a launch whose claims ``mutate`` may change (or replace, by returning new ones)."""
        login = self.login(target=target)
        if not login.ok:
            raise Failure(f"edcert could not start a launch: {login.problem}", exchanges=evidence(login.response))
        claims = self.base_claims(login, message_type=message_type, roles=roles)
        if mutate is not None:
            claims = mutate(claims) or claims
        token = sign_with(claims) if sign_with is not None else sign(claims, self.platform.key)
        return self.post_launch(login, token)

    def verdict(self, response: httpx.Response, browser: VendorClient | None = None) -> str:
        """accepted, refused or crashed: from the HTTP status, or from the success marker when configured.

        With a success marker, the browser follows the tool's redirects first (a tool commonly answers the
        launch POST with a redirect to the activity page, where the marker is), at most ``MARKER_HOPS``.
        """
        if response.status_code >= 500:
            return "crashed"
        if response.status_code >= 400:
            return "refused"
        if self.config.success_marker is not None:
            for _ in range(MARKER_HOPS):
                location = response.headers.get("location") if response.is_redirect else None
                if browser is None or not location:
                    break
                response = browser.request("GET", str(response.url.join(location)), headers=HTML_ACCEPT)
                if response.status_code >= 500:
                    return "crashed"
            return "accepted" if self.config.success_marker in response.text else "refused"
        return "accepted"

    def close(self) -> None:
        self._pool.close()
        self.platform.close()


class FormReader(HTMLParser):
    """The forms of an HTML page: action, method and the named input values (for auto-submitting forms)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": values.get("action", ""), "method": values.get("method", "get").lower(),
                               "inputs": {}})
        elif tag == "input" and self.forms and values.get("name"):
            self.forms[-1]["inputs"][values["name"]] = values.get("value", "")


def read_forms(page: str) -> list[dict[str, Any]]:
    reader = FormReader()
    reader.feed(page)
    reader.close()
    return reader.forms


@pytest.fixture(scope="session")
def lti_tool(request: pytest.FixtureRequest) -> LtiToolSession:
    """The LTI tool under test (skips when the vendor does not claim lti-1.3-tool)."""
    from edcert.plugin import active_run

    state = active_run(request.config)
    config = None if state is None else state.config.lti_tool
    if state is None or config is None or STANDARD not in state.standards:
        pytest.skip("the vendor does not claim lti-1.3-tool")
    session: LtiToolSession = state.resource(STANDARD, lambda: LtiToolSession(config, state))
    return session
