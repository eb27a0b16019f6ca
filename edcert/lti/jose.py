"""Keys and JWTs for LTI, through joserfc (never hand-rolled crypto).

Keys are generated in memory for each run or app and never written anywhere; only their public halves
are published (``public_jwks``).
"""
from __future__ import annotations

import base64
import json
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import Key, KeyParameters, KeySet, RSAKey
from joserfc.jws import JWSRegistry

ALG = "RS256"
# Header parameters the 1EdTech suite sends on purpose (``badtestonly``) must not stop edcert from signing.
_LAX = JWSRegistry(strict_check_header=False)


def new_key(kid: str | None = None) -> RSAKey:
    """A fresh 2048-bit RSA signing key; its kid is the RFC 7638 thumbprint unless given."""
    parameters: KeyParameters = {"alg": ALG, "use": "sig"}
    if kid is not None:
        parameters["kid"] = kid
    key = RSAKey.generate_key(2048, parameters=parameters, private=True)
    key.ensure_kid()
    return key


def public_jwk(key: RSAKey) -> dict[str, Any]:
    return dict(key.as_dict(private=False))


def public_jwks(*keys: RSAKey) -> dict[str, Any]:
    return {"keys": [public_jwk(k) for k in keys]}


def sign(claims: dict[str, Any], key: RSAKey, header: dict[str, Any] | None = None) -> str:
    """A compact RS256 JWT; ``header`` replaces the default ``{"alg": "RS256", "kid": key.kid}``."""
    head = {"alg": ALG, "typ": "JWT", "kid": key.kid} if header is None else header
    return jwt.encode(head, claims, key, algorithms=[ALG], registry=_LAX)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=").decode()


def unsigned(claims: dict[str, Any], header: dict[str, Any]) -> str:
    """A JWT with an empty signature part (what ``alg: none`` looks like on the wire; no crypto involved)."""
    return f"{_b64(header)}.{_b64(claims)}."


def with_foreign_signature(token: str, header: dict[str, Any]) -> str:
    """``token`` with its header replaced: the signature no longer covers what is sent."""
    _, payload, signature = token.split(".")
    return f"{_b64(header)}.{payload}.{signature}"


def peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a compact JWT, NOT verified (to read what a token says before trusting it).

    Raises:
        ValueError: ``token`` is not a three-part compact JWT with JSON objects in it.
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a compact JWT (three dot-separated parts)")
    try:
        header, claims = (json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))) for p in parts[:2])
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"not a JWT: {exc}") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise ValueError("not a JWT: header or claims are not JSON objects")
    return header, claims


def verify(token: str, keys: KeySet | Key) -> dict[str, Any]:
    """The claims of an RS256 JWT whose signature verifies against ``keys`` (by kid).

    Raises:
        ValueError: The token does not verify (bad signature, unknown kid, other algorithm...).
    """
    try:
        return dict(jwt.decode(token, keys, algorithms=[ALG], registry=_LAX).claims)
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{type(exc).__name__}: {exc}") from None


def import_jwks(data: Any) -> KeySet:
    """A KeySet from a JWKS document (public keys only are kept).

    Raises:
        ValueError: It is not a JWKS of usable keys.
    """
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise ValueError('not a JWKS ({"keys": [...]})')
    try:
        keys = [RSAKey.import_key({k: v for k, v in jwk.items() if k not in PRIVATE_MEMBERS})
                for jwk in data["keys"] if isinstance(jwk, dict) and jwk.get("kty") == "RSA"]
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"a key does not import: {exc}") from None
    return KeySet(keys)  # type: ignore[arg-type]


PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth")
