"""Session fixtures of the Ed-Fi client suite: the sandbox target, what the vendor published, the recording.

The vendor's product has published to edcert's sandbox (``edcert sandbox serve --edfi-target``) before the run;
with ``scripted_client = true`` (demo, tests) edcert's scripted SIS client publishes first, playing the variant
the sandbox names. The checks read back the records through the Ed-Fi API (as Ed-Fi's own certification does)
and judge the client's behaviour from the sandbox's recording of every request it received.
"""
from __future__ import annotations

from typing import Any

import httpx
import pytest

from edcert.fixtures.edfi import RESOURCES, get_path, natural_key
from edcert.harness.auth import OAuth2ClientCredentials
from edcert.harness.config import EdFiClientConfig
from edcert.harness.errors import Failure, HarnessError
from edcert.harness.evidence import Exchange
from edcert.harness.http import VendorClient, exchange_of, ssl_context
from edcert.harness.session import RunState

STANDARD = "edfi-client"
SIS_REF = "Ed-Fi SIS v5 certification: test scenarios (certification-testing, bruno/SIS/v5)"
PRACTICES = "Ed-Fi certification: API Integration Best Practices"
RECORDING_PATH = "/_edcert/recording"
SCRIPTED_PATH = "/_edcert/scripted-client"
TOKEN_PATH = "/oauth/token"  # noqa: S105 - a URL path, not a password
DATA_PATH = "/data/v3/"


def evidence(*responses: httpx.Response | None) -> list[Exchange]:
    return [e for e in (exchange_of(r) for r in responses if r is not None) if e is not None]


class EdFiTarget:
    """edcert's sandbox playing the Ed-Fi API the vendor writes to, as the checks see it."""

    def __init__(self, config: EdFiClientConfig, state: RunState) -> None:
        self.config = config
        self.root = config.base_url
        self.client = VendorClient(
            timeout=config.timeout, rate_limit=config.rate_limit, max_response_bytes=config.max_response_bytes,
            max_retries=config.max_retries, max_retry_wait=config.max_retry_wait, verify_tls=config.verify_tls,
            recorder=state.recorder, ca_bundle=config.ca_bundle, run_budget=config.run_budget,
            token_urls=(self.root + TOKEN_PATH,),
        )
        # The target is edcert's own sandbox: its token and data URLs are known (no discovery request needed;
        # the vendor's client reads the discovery document itself).
        self.token_url = self.root + TOKEN_PATH
        self.data_url = self.root + DATA_PATH
        self.auth = OAuth2ClientCredentials(self.token_url, config.client_id,
                                            config.client_secret.get_secret_value())
        if config.scripted_client:
            self._run_scripted_client()
        self._cache: dict[str, Any] = {}

    def _run_scripted_client(self) -> None:
        from edcert.sandbox.edfi.app import SIS_CLIENT_ID, SIS_CLIENT_SECRET
        from edcert.sandbox.edfi.sis_client import PublishError, publish

        answer = self.get(self.root + SCRIPTED_PATH)
        body = _parsed(answer) if answer.status_code == 200 else None
        if not isinstance(body, dict):
            raise HarnessError(f"scripted_client: {self.root} does not say which SIS variant to play "
                               f"(HTTP {answer.status_code}); is it edcert's sandbox?")
        try:
            publish(self.root, SIS_CLIENT_ID, SIS_CLIENT_SECRET, variant=body.get("variant"),
                    transport=httpx.HTTPTransport(verify=ssl_context(self.config.verify_tls,
                                                                      self.config.ca_bundle)))
        except (PublishError, httpx.HTTPError) as exc:
            raise HarnessError(f"edcert's scripted SIS client could not publish: {exc}") from exc

    def get(self, url: str, params: Any = None) -> httpx.Response:
        return self.client.get(url, params=params, auth=self.auth)

    def resource_url(self, resource: str, item_id: str | None = None) -> str:
        return f"{self.data_url}ed-fi/{resource}" + (f"/{item_id}" if item_id else "")

    def find(self, resource: str, record: dict[str, Any]) -> tuple[httpx.Response, list[dict[str, Any]]]:
        """The items matching ``record``'s natural key (queried as Ed-Fi's checks do: reference keys unprefixed)."""
        spec = RESOURCES[resource]
        params = {param: str(get_path(record, path)) for path, param in spec.query_params.items()}
        key = f"find {resource} {sorted(params.items())}"
        if key not in self._cache:  # several checks look at the same record: one request
            answer = self.get(self.resource_url(resource), params=params)
            body = _parsed(answer) if answer.status_code == 200 else []
            self._cache[key] = (answer, [i for i in body if isinstance(i, dict)] if isinstance(body, list) else [])
        found: tuple[httpx.Response, list[dict[str, Any]]] = self._cache[key]
        return found

    def descriptors(self, resource: str) -> set[str]:
        """The descriptor URIs the target serves for ``resource`` (namespace#codeValue), read once."""
        key = f"descriptors {resource}"
        if key not in self._cache:
            answer = self.get(self.resource_url(resource), params={"limit": 500})
            body = _parsed(answer) if answer.status_code == 200 else []
            body = body if isinstance(body, list) else []
            self._cache[key] = {f"{d.get('namespace')}#{d.get('codeValue')}" for d in body if isinstance(d, dict)}
        found: set[str] = self._cache[key]
        return found

    def recording(self) -> list[dict[str, Any]]:
        """Every request the vendor's client (``sis_client_id``) sent the target, in order (read once)."""
        if "recording" not in self._cache:
            answer = self.get(self.root + RECORDING_PATH)
            body = _parsed(answer) if answer.status_code == 200 else None
            if not isinstance(body, dict) or not isinstance(body.get("requests"), list):
                raise HarnessError(f"cannot read the sandbox's recording at {self.root}{RECORDING_PATH} "
                                   f"(HTTP {answer.status_code})")
            self._cache["recording"] = [r for r in body["requests"]
                                        if isinstance(r, dict) and r.get("client") == self.config.sis_client_id]
        found: list[dict[str, Any]] = self._cache["recording"]
        return found

    def writes_of(self, resource: str, record: dict[str, Any]) -> list[dict[str, Any]]:
        """The recorded writes of the vendor's client concerning ``record`` (by natural key)."""
        key = list(natural_key(RESOURCES[resource], record))
        return [r for r in self.recording() if r.get("resource") == resource and r.get("key") == key
                and r.get("method") in ("POST", "PUT", "DELETE")]

    def close(self) -> None:
        self.client.close()


def _parsed(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def no_recorded_traffic() -> Failure:
    return Failure("the sandbox received no request from the vendor's client",
                   expected="the vendor's publishing to have run against the sandbox", received="no request")


@pytest.fixture(scope="session")
def edfi_target(request: pytest.FixtureRequest) -> EdFiTarget:
    """The sandbox target the vendor published to (skips when the vendor does not claim edfi-client)."""
    from edcert.plugin import active_run

    state = active_run(request.config)
    config = None if state is None else state.config.edfi_client
    if state is None or config is None or STANDARD not in state.standards:
        pytest.skip("the vendor does not claim to write to Ed-Fi (edfi-client)")
    target: EdFiTarget = state.resource(STANDARD, lambda: EdFiTarget(config, state))
    return target
