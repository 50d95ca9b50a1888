"""Verifier bundles: the registry's published keys and status lists, signed together, for offline use."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jwt

from verifiers import jose
from verifiers.errors import VerificationError
from verifiers.jwk import UnusableKey, public_key

BUNDLE_TYP = "verifier-bundle+jwt"


class InvalidBundle(VerificationError):
    """A bundle whose signature, signer or form is not right."""


class StaleBundle(VerificationError):
    """A bundle older than the verifier's limit: its status lists may miss revocations."""

    def __init__(self, age: float, limit: float) -> None:
        super().__init__(f"the bundle is {age / 3600:.1f} hours old; the limit is {limit / 3600:.1f} hours")
        self.age = age
        self.limit = limit


@dataclass(frozen=True, slots=True)
class Bundle:
    issuer: str
    created_at: dt.datetime
    kid: str
    jwks: dict[str, Any]
    status_lists: dict[str, str]

    def age(self, now: float | None = None) -> float:
        return (time.time() if now is None else now) - self.created_at.timestamp()


def read_bundle(text: str, trusted_kids: Sequence[str] = ()) -> Bundle:
    """Check a bundle's signature by a registry key it publishes (and, if given, one of `trusted_kids`).

    Without `trusted_kids` the bundle is trusted on its own say, as the first fetch over HTTPS
    from the registry; pin the registry's key id to take that trust from a second channel.
    """
    try:
        header = jose.header(text)
        claims = jwt.decode(text, options={"verify_signature": False})
    except jwt.DecodeError as e:
        raise InvalidBundle("not a signed bundle") from e
    if header.get("typ") != BUNDLE_TYP:
        raise InvalidBundle(f"typ is {header.get('typ')!r}")
    kid = header.get("kid")
    keys = claims.get("jwks", {}).get("keys", []) if isinstance(claims.get("jwks"), dict) else []
    jwk = next((k for k in keys if k.get("kid") == kid), None)
    if jwk is None or jwk.get("purpose") != "registry" or jwk.get("status") == "compromised":
        raise InvalidBundle("not signed by a usable registry key of its own key set")
    if trusted_kids and kid not in trusted_kids:
        raise InvalidBundle(f"signed by {kid}, which is not a trusted registry key")
    try:
        checked = jwt.decode(text, public_key(jwk), algorithms=[jwk["alg"]], options={"require": ["iat", "iss"]})
    except (jwt.InvalidTokenError, UnusableKey) as e:
        raise InvalidBundle(f"the bundle's signature does not verify: {e}") from e
    return Bundle(
        issuer=str(checked["iss"]),
        created_at=dt.datetime.fromtimestamp(checked["iat"], dt.UTC),
        kid=str(kid),
        jwks=checked["jwks"],
        status_lists=dict(checked.get("status_lists", {})),
    )


def dump_summary(bundle: Bundle) -> str:
    return json.dumps(
        {
            "issuer": bundle.issuer,
            "created_at": bundle.created_at.isoformat(),
            "signed_by": bundle.kid,
            "keys": len(bundle.jwks.get("keys", [])),
            "status_lists": len(bundle.status_lists),
        }
    )
