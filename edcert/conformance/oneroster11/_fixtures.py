"""Session fixtures of the OneRoster 1.1 suite: the 1.2 session machinery over a 1.1 provider.

:class:`OneRoster11Session` is the 1.2 :class:`OneRosterSession` (collections fetched once per run,
paging, evidence) with the 1.1 base URL, the 1.1 record shapes and the 1.1 authentication:
OAuth 1.0a signing (:func:`v1p1_auth`) or, for providers offering it, OAuth 2.0 client credentials
with the v1p1 scopes. The 1.1 Gradebook and Resources suites reuse both.
"""
from __future__ import annotations

from typing import Any

import httpx
import pytest

from edcert.conformance.oneroster._fixtures import OneRosterSession
from edcert.conformance.oneroster11.models import SHAPES_V1P1
from edcert.harness.auth import OAuth1Signer, OAuth2ClientCredentials
from edcert.harness.config import OneRoster11Config

STANDARD = "oneroster-1.1"


def v1p1_auth(config: OneRoster11Config, scopes: tuple[str, ...] | None = None) -> httpx.Auth:
    """The auth a OneRoster 1.1 configuration asks for: an OAuth 1.0a signer or an OAuth 2.0 token source."""
    secret = config.client_secret.get_secret_value()
    if config.auth == "oauth1":
        return OAuth1Signer(config.client_id, secret, signature_method=config.signature_method,
                            signature_type=config.signature_type)
    assert config.token_url is not None  # the configuration requires it for oauth2
    return OAuth2ClientCredentials(config.token_url, config.client_id, secret,
                                   config.scopes if scopes is None else scopes)


class OneRoster11Session(OneRosterSession):
    """The OneRoster 1.1 provider under test, as the checks see it (every 1.2 session helper works)."""

    shapes = SHAPES_V1P1
    config: OneRoster11Config  # type: ignore[assignment]  # the 1.2 checks read only what both tables have

    @property
    def oauth1(self) -> bool:
        return self.config.auth == "oauth1"

    def auth_for(self, scopes: tuple[str, ...] | list[str]) -> Any:
        """OAuth 2.0: a token source for exactly these scopes; OAuth 1.0a has no scopes (the one signer)."""
        key = tuple(sorted(scopes)) if not self.oauth1 else ()
        if key not in self._auths:
            self._auths[key] = v1p1_auth(self.config, key)
        return self._auths[key]

    def signer(self, **changes: object) -> OAuth1Signer:
        """A variant of the run's OAuth 1.0a signer (a wrong secret, a fixed timestamp or nonce...)."""
        assert isinstance(self.auth, OAuth1Signer)
        return self.auth.variant(**changes)


@pytest.fixture(scope="session")
def oneroster11(request: pytest.FixtureRequest) -> OneRoster11Session:
    """The OneRoster 1.1 provider under test (skips when the vendor does not claim OneRoster 1.1)."""
    from edcert.plugin import active_run

    state = active_run(request.config)
    config = None if state is None else state.config.oneroster_v1p1
    if state is None or config is None or STANDARD not in state.standards:
        pytest.skip("the vendor does not claim OneRoster 1.1")
    session: OneRoster11Session = state.resource(STANDARD, lambda: OneRoster11Session(config, state))
    return session
