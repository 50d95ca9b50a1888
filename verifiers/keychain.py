"""The registry's key chain: each registry key is announced by a statement signed by the key before it
(the first by itself), as TUF rotates its root. A verifier pins one registry key id, which is the RFC 7638
thumbprint of the key and so names it exactly, and follows the statements from there: a key that only
appears in a database row, or in a key set, is never trusted by that alone.

A statement is a JWS (`typ: key-statement+jwt`) with the new key's public JWK (`jwk`), its id (`sub`) and
the id of the key that signed it (`prev`; the same as `sub` for the first).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

import jwt

from verifiers import jose
from verifiers.errors import InvalidBundle
from verifiers.jwk import public_key

KEY_STATEMENT_TYP = "key-statement+jwt"


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint of an EC or OKP public JWK (the required members, sorted, no spaces)."""
    required = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}.get(str(jwk.get("kty")))
    if required is None or any(k not in jwk for k in required):
        raise InvalidBundle("a key statement names a key of no known kind", "BAD_KEY_STATEMENT")
    canonical = json.dumps({k: jwk[k] for k in required}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode("ascii")).digest()).rstrip(b"=").decode()


def statement_claims(issued_at: int, jwk: dict[str, Any], prev: str) -> dict[str, Any]:
    """The claims announcing the registry key `jwk`, to be signed by the key `prev` (itself if the first)."""
    return {"iat": issued_at, "sub": jwk["kid"], "jwk": jwk, "prev": prev}


def _read(statement: str, trusted: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The new key's JWK if the statement is signed by a trusted key (or, for a pinned key, by itself)."""
    try:
        header = jose.header(statement)
        claims = jose.unverified_payload(statement)
    except jwt.DecodeError:
        return None
    jwk = claims.get("jwk")
    if header.get("typ") != KEY_STATEMENT_TYP or not isinstance(jwk, dict) or claims.get("sub") != jwk.get("kid"):
        return None
    try:
        if thumbprint(jwk) != jwk.get("kid"):
            return None  # the id must name exactly this key
    except InvalidBundle:
        return None
    signer = header.get("kid")
    signer_jwk = trusted.get(str(signer)) or (jwk if signer == jwk["kid"] else None)
    if signer_jwk is None or claims.get("prev") != signer:
        return None
    try:
        jwt.decode(statement, public_key(signer_jwk), algorithms=[str(signer_jwk.get("alg"))])
    except (jwt.InvalidTokenError, ValueError, TypeError):
        return None
    return jwk


def follow(statements: Iterable[str], pinned: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The registry keys trusted from the pinned ids through the statements: {kid: public JWK}.

    A pinned key is trusted once its own self-signed statement shows a key whose thumbprint is the pin;
    any other key once a statement signed by a trusted key announces it.
    """
    pending = list(statements)
    trusted: dict[str, dict[str, Any]] = {}
    pins = set(pinned)
    progress = True
    while progress:
        progress = False
        for statement in list(pending):
            jwk = _read(statement, trusted)
            if jwk is None:
                continue
            kid = jwk["kid"]
            self_signed = jose.header(statement).get("kid") == kid
            if self_signed and kid not in pins:
                continue  # a key vouching for itself is trusted only when it is pinned
            trusted[kid] = jwk
            pending.remove(statement)
            progress = True
    return trusted
