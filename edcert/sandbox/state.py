"""Per-app state shared by the sandbox's parts: active faults, issued tokens."""
from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from edcert.sandbox.faults import FAULTS, validate_faults

Clock = Callable[[], float]


@dataclass(frozen=True)
class IssuedToken:
    client_id: str
    scopes: frozenset[str]
    expires_at: float


class TokenStore:
    """Opaque bearer tokens kept in memory with their scopes and expiry."""

    def __init__(self, ttl: int = 3600, clock: Clock = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._tokens: dict[str, IssuedToken] = {}

    def issue(self, client_id: str, scopes: Iterable[str]) -> str:
        now = self._clock()
        if len(self._tokens) > 10_000:  # a long-lived demo server: drop what has expired
            self._tokens = {t: i for t, i in self._tokens.items() if i.expires_at > now}
        token = secrets.token_urlsafe(32)
        self._tokens[token] = IssuedToken(client_id, frozenset(scopes), now + self.ttl)
        return token

    def lookup(self, token: str) -> IssuedToken | None:
        """The token's grant, or None when it is unknown or expired."""
        issued = self._tokens.get(token)
        if issued is None:
            return None
        if issued.expires_at <= self._clock():
            del self._tokens[token]
            return None
        return issued


@dataclass
class SandboxState:
    client_id: str
    client_secret: str
    faults: frozenset[str] = frozenset()
    tokens: TokenStore = field(default_factory=TokenStore)

    def __post_init__(self) -> None:
        self.faults = validate_faults(self.faults)

    def faulty(self, name: str) -> bool:
        """Is fault ``name`` switched on? (A name missing from the catalogue is a bug here.)"""
        if name not in FAULTS:
            raise KeyError(f"fault {name!r} is not in the catalogue")
        return name in self.faults
