"""Authentication schemes, each an :class:`httpx.Auth`."""
from __future__ import annotations

from edcert.harness.auth.oauth1 import OAuth1Signer
from edcert.harness.auth.oauth2 import OAuth2ClientCredentials

__all__ = ["OAuth1Signer", "OAuth2ClientCredentials"]
