"""Authentication schemes, each an :class:`httpx.Auth`."""
from __future__ import annotations

from edcert.harness.auth.oauth2 import OAuth2ClientCredentials

__all__ = ["OAuth2ClientCredentials"]
