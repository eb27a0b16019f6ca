"""Session fixtures of the LTI platform suite: edcert's tool endpoints, launches and tokens, once per run."""
from __future__ import annotations

import base64
import json
import secrets
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from edcert.conformance.lti_platform._browser import BROWSER_HEADERS, Walk, auto_form, same_endpoint, walk
from edcert.conformance.lti_platform._claims import (
    CLIENT_ASSERTION_TYPE,
    DEEP_LINKING_RESPONSE,
    DEPLOYMENT_ID,
    DL_CONTENT_ITEMS,
    DL_DATA,
    DL_SETTINGS,
    LTI_VERSION,
    MESSAGE_TYPE,
    STANDARD,
    VERSION,
)
from edcert.conformance.lti_platform._tool import LaunchArrival, LoginArrival, ToolEndpoints
from edcert.harness.config import LtiPlatformConfig
from edcert.harness.errors import Failure
from edcert.harness.evidence import Exchange
from edcert.harness.http import VendorClient, exchange_of, json_body
from edcert.harness.loopback import SandboxServer  # a generic loopback uvicorn runner
from edcert.harness.session import RunState

# launch kind -> (the configuration setting holding its launch-start URL, what a person is asked to launch).
# The 1EdTech platform suite's payloads (Certification Guide §5.1-5.2): full student, student without PII,
# full instructor, instructor without PII, and a Deep Linking request.
LAUNCH_KINDS = {
    "full": ("launch_start_url", "a launch by a student (personal data included)"),
    "no_pii": ("launch_start_url_no_pii", "a launch by an instructor without personal data (no PII)"),
    "instructor": ("launch_start_url_instructor", "a launch by an instructor (personal data included)"),
    "student_no_pii": ("launch_start_url_student_no_pii", "a launch by a student without personal data (no PII)"),
    "deep_link": ("deep_link_start_url", "a Deep Linking launch (add content with the tool)"),
    "deep_linked": ("deep_link_item_start_url", "a launch of the activity edcert just added through Deep Linking"),
    "context_b": ("launch_start_url_context_b", "a launch by a student in a second course (not the first one's)"),
}


@dataclass
class Launch:
    """One launch that reached edcert: the login initiation, the id_token's parts (unverified) and the hops."""

    login: LoginArrival | None
    arrival: LaunchArrival
    id_token: str
    header: dict[str, Any]
    claims: dict[str, Any]
    exchanges: list[Exchange] = field(default_factory=list)

    def evidence(self) -> list[Exchange]:
        return self.exchanges[-3:]


@dataclass
class AuthAnswer:
    """The platform's answer to one (altered) authentication request."""

    response: httpx.Response
    redirect_uri: str
    exchanges: list[Exchange]

    @property
    def location(self) -> str | None:
        return self.response.headers.get("location") if self.response.is_redirect else None

    def delivered(self) -> dict[str, str] | None:
        """The parameters delivered to ``redirect_uri`` (a redirect's query or an auto-submitted form), if any."""
        if self.location is not None:
            parts = urlsplit(self.location)
            if same_endpoint(self.location, self.redirect_uri):
                return {**dict(parse_qsl(parts.query)), **dict(parse_qsl(parts.fragment))}
            return None
        form = auto_form(self.response) if self.response.status_code == 200 else None
        if form is not None and same_endpoint(form.action, self.redirect_uri):
            return form.fields
        return None

    def issued_id_token(self) -> bool:
        delivered = self.delivered()
        if delivered is not None and "id_token" in delivered:
            return True
        return self.location is not None and "id_token=" in self.location


def _unverified(token: str, what: str, evidence: list[Exchange]) -> tuple[dict[str, Any], dict[str, Any]]:
    parts = token.split(".")
    try:
        if len(parts) != 3:
            raise ValueError("not three parts")
        header, claims = (json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))) for p in parts[:2])
    except ValueError:
        raise Failure(f"{what} is not a compact JWS (header.payload.signature)", expected="a signed JWT",
                      received=f"{len(token)} characters that do not decode", exchanges=evidence) from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise Failure(f"{what}: header or payload is not a JSON object", exchanges=evidence)
    return header, claims


class PlatformUnderTest:
    """The LTI platform under test, as the checks see it, with edcert's tool endpoints serving for the run."""

    def __init__(self, config: LtiPlatformConfig, state: RunState) -> None:
        self.config = config
        self.state = state
        self.key = RSAKey.generate_key(2048, parameters={"kid": "edcert-" + secrets.token_hex(6)}, private=True)
        self.tool = ToolEndpoints(self.key, config.client_id, config.auth_url)
        self.server = SandboxServer(self.tool.app(), host=config.tool_host, port=config.tool_port).start()
        self.tool_url = self.tool.tool_url = self.server.base_url
        self.client = VendorClient(
            timeout=config.timeout, rate_limit=config.rate_limit, max_response_bytes=config.max_response_bytes,
            max_retries=config.max_retries, max_retry_wait=config.max_retry_wait, verify_tls=config.verify_tls,
            recorder=state.recorder, ca_bundle=config.ca_bundle, run_budget=config.run_budget,
            allow_writes=config.allow_writes,
            # the token request and the forms a browser posts to edcert's own tool endpoints are no writes
            token_urls=(config.token_url, f"{self.tool_url}/login", f"{self.tool_url}/launch"),
        )
        cookie = config.session_cookie.get_secret_value()
        if cookie:
            name, _, value = cookie.partition("=")
            host = urlsplit(config.launch_start_url or config.auth_url).hostname or ""
            # into the browser's cookie jar (VendorClient keeps one per client), for the platform's host only
            self.client._client.cookies.set(name.strip(), value.strip(), domain=host)
        self._launches: dict[str, Launch | Failure] = {}
        self._tokens: dict[tuple[str, ...], str | Failure] = {}
        self.cache: dict[str, Any] = {}
        self._person_used = 0

    # -- launches ---------------------------------------------------------------------------------------

    def start_url(self, kind: str) -> str | None:
        url = getattr(self.config, LAUNCH_KINDS[kind][0])
        return None if url is None else url.replace("{tool_url}", quote(self.tool_url, safe=""))

    def launch(self, kind: str = "full", attempt: str = "") -> Launch:
        """The launch of this kind (a key of ``LAUNCH_KINDS``), made once per run.

        Raises:
            Failure: The launch did not reach edcert's launch URL with an id_token.
        """
        cached = f"{kind}#{attempt}"  # another attempt = another launch of the same kind
        if cached not in self._launches:
            try:
                self._launches[cached] = self._launch(kind)
            except Failure as failure:
                self._launches[cached] = failure
        found = self._launches[cached]
        if isinstance(found, Failure):
            raise Failure(found.message, expected=found.expected, received=found.received, exchanges=found.exchanges)
        return found

    def _launch(self, kind: str) -> Launch:
        before = len(self.tool.launches)
        result = Walk()
        if self.config.launch_mode == "person":
            what = LAUNCH_KINDS[kind][1]
            print(f"\nedcert waits {self.config.launch_wait:g} s for {what} of the tool registered with login URL "
                  f"{self.tool_url}/login: launch it from the platform now.", file=sys.stderr, flush=True)
            # a person may have launched before edcert asked: every launch not yet used counts
            arrival = self.tool.wait_for_launch(self._person_used, self.config.launch_wait)
            self._person_used += arrival is not None
        else:
            start = self.start_url(kind)
            if start is None:
                setting = LAUNCH_KINDS[kind][0]
                pytest.skip(f"no launch-start URL for this launch ({setting} is not configured)")
            result = walk(self.client, start, max_hops=self.config.max_hops)
            arrival = self.tool.wait_for_launch(before, 0.5)
        if arrival is None or not arrival.params.get("id_token"):
            final = result.response
            ended = None if final is None else urlsplit(str(final.url))
            received = ("nothing within the wait" if final is None or ended is None else
                        f"HTTP {final.status_code} from {ended.netloc}{ended.path}")
            if arrival is not None:
                received = f"a request to the launch URL with {sorted(arrival.params)}"
            raise Failure("the launch never delivered an id_token to edcert's launch URL",
                          expected=f"a form post of id_token and state to {self.tool_url}/launch",
                          received=received, exchanges=result.exchanges[-5:])
        token = arrival.params["id_token"]
        header, claims = _unverified(token, "the id_token", result.exchanges[-2:])
        return Launch(self.tool.login_for(arrival.params.get("state")), arrival, token, header, claims,
                      result.exchanges)

    def auth_probe(self, **override: str | None) -> AuthAnswer:
        """A fresh login, whose auth request edcert alters (``None`` drops a parameter) and sends itself."""
        start = self.start_url("full")
        if self.config.launch_mode == "person" or start is None:
            pytest.skip("probing the auth endpoint needs a launch-start URL (launch_mode = \"url\")")
        result = walk(self.client, start, max_hops=self.config.max_hops,
                      stop=lambda url: same_endpoint(url, self.config.auth_url))
        if result.stopped_at is None:
            raise Failure("the launch never reached the platform's auth endpoint through edcert's login URL",
                          expected=f"a login initiation to {self.tool_url}/login", received="another path",
                          exchanges=result.exchanges[-5:])
        _, url, _ = result.stopped_at
        params: dict[str, str] = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
        for name, value in override.items():
            if value is None:
                params.pop(name, None)
            else:
                params[name] = value
        base = url.split("?", 1)[0]
        response = self.client.request("GET", f"{base}?{urlencode(params)}", auth=None, headers=BROWSER_HEADERS)
        evidence = [e for e in [exchange_of(response)] if e is not None]
        return AuthAnswer(response, params.get("redirect_uri", ""), evidence)

    @property
    def content_item(self) -> dict[str, Any]:
        """The ltiResourceLink edcert deep-links for the run: its own url, title and custom parameters.

        The launch of the link the platform creates from it must carry them back (Proof of LTI Link).
        """
        if "dl-item" not in self.cache:
            tag = secrets.token_hex(4)
            self.cache["dl-item"] = {"type": "ltiResourceLink", "title": f"edcert certification activity {tag}",
                                     "url": f"{self.tool_url}/activity/{tag}",
                                     "custom": {"edcert_item": tag, "edcert_check": "proof of LTI link"}}
        item: dict[str, Any] = self.cache["dl-item"]
        return item

    def deep_linking_response(self, request: Launch, key: RSAKey | None = None) -> str:
        """edcert's LtiDeepLinkingResponse to ``request`` (DL 2.0 §4.5), signed with its key or ``key``.

        One ltiResourceLink item (``content_item``); ``data`` echoed when the request had it.
        """
        settings = request.claims.get(DL_SETTINGS)
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.config.client_id, "aud": self.config.issuer, "iat": now, "exp": now + 300,
            "nonce": secrets.token_urlsafe(16), MESSAGE_TYPE: DEEP_LINKING_RESPONSE, VERSION: LTI_VERSION,
            DEPLOYMENT_ID: request.claims.get(DEPLOYMENT_ID, self.config.deployment_id),
            DL_CONTENT_ITEMS: [self.content_item],
        }
        if isinstance(settings, dict) and "data" in settings:
            claims[DL_DATA] = settings["data"]
        return jwt.encode({"alg": "RS256", "kid": str(self.key.kid), "typ": "JWT"}, claims, key or self.key)

    # -- client assertions and tokens ------------------------------------------------------------------

    @property
    def audience(self) -> str:
        return self.config.token_audience or self.config.token_url

    def assertion(self, key: RSAKey | None = None, **override: Any) -> str:
        """A client assertion (RFC 7523) signed with edcert's key; ``None`` values drop a claim."""
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.config.client_id, "sub": self.config.client_id, "aud": self.audience,
                                  "iat": now, "exp": now + 300, "jti": uuid.uuid4().hex,
                                  "https://purl.imsglobal.org/spec/lti/claim/deployment_id": self.config.deployment_id}
        claims.update(override)
        signer = key or self.key
        return jwt.encode({"alg": "RS256", "kid": str(self.key.kid), "typ": "JWT"},
                          {k: v for k, v in claims.items() if v is not None}, signer)

    def token_request(self, scopes: tuple[str, ...], assertion: str | None = None,
                      grant_type: str = "client_credentials") -> httpx.Response:
        # A launch registers nothing in a real platform, but the platform must know the tool first: launch.
        data = {"grant_type": grant_type, "client_assertion_type": CLIENT_ASSERTION_TYPE,
                "client_assertion": assertion or self.assertion(), "scope": " ".join(scopes)}
        return self.client.request("POST", self.config.token_url, data=data, auth=None)

    def token(self, *scopes: str) -> str:
        """An access token for exactly these scopes, once per scope set (a Failure when refused)."""
        key = tuple(sorted(scopes))
        if key not in self._tokens:
            self._tokens[key] = self._token(key)
        found = self._tokens[key]
        if isinstance(found, Failure):
            raise Failure(found.message, expected=found.expected, received=found.received, exchanges=found.exchanges)
        return found

    def _token(self, scopes: tuple[str, ...]) -> str | Failure:
        response = self.token_request(scopes)
        evidence = [e for e in [exchange_of(response)] if e is not None]
        if response.status_code != 200:
            return Failure(f"the token endpoint refused a valid client assertion (HTTP {response.status_code})",
                           expected="HTTP 200 with an access token", received=f"HTTP {response.status_code}",
                           exchanges=evidence)
        body = json_body(response, "the token endpoint")
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            return Failure("the token response has no access_token", exchanges=evidence)
        self.state.redactor.add_secret(token)
        return token

    def service(self, method: str, url: str, scopes: tuple[str, ...], *, accept: str,
                json_body_: object = None, content_type: str | None = None, content: bytes | None = None,
                params: dict[str, Any] | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token(*scopes)}", "Accept": accept}
        if json_body_ is not None:
            content = json.dumps(json_body_).encode()
        if content is not None:
            headers["Content-Type"] = content_type or "application/json"
        return self.client.request(method, url, headers=headers, content=content, params=params, auth=None)

    def close(self) -> None:
        self.client.close()
        self.server.stop()


@pytest.fixture(scope="session")
def platform(request: pytest.FixtureRequest) -> PlatformUnderTest:
    """The LTI 1.3 platform under test (skips when the vendor does not claim lti-1.3-platform)."""
    from edcert.plugin import active_run

    state = active_run(request.config)
    config = None if state is None else state.config.lti_platform
    if state is None or config is None or STANDARD not in state.standards:
        pytest.skip("the vendor does not claim lti-1.3-platform")
    session: PlatformUnderTest = state.resource(STANDARD, lambda: PlatformUnderTest(config, state))
    return session


@pytest.fixture
def launch(platform: PlatformUnderTest) -> Launch:
    """The full (personal data included) launch of the run."""
    return platform.launch("full")


def evidence_of(response: httpx.Response) -> list[Exchange]:
    """The recorded exchange behind a response, as a list for a Failure."""
    return [e for e in [exchange_of(response)] if e is not None]
