"""Signed checkpoints of the registry's access log: the tree size and root hash at a time, as a JWS."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass
from typing import Any

import jwt

from verifiers import jose
from verifiers.errors import VerificationError
from verifiers.jwk import UnusableKey, public_key

CHECKPOINT_TYP = "checkpoint+jwt"


class InvalidCheckpoint(VerificationError):
    """A checkpoint whose signature, key or form is not right."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: bytes
    issued_at: dt.datetime

    def note(self) -> str:
        """The checkpoint body in the C2SP tlog-checkpoint text form: origin, size, base64 root."""
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root_hash).decode()}\n"


def verify_checkpoint(signed: str, jwks: dict[str, Any]) -> Checkpoint:
    """Check a checkpoint against the registry's published keys; return it or raise InvalidCheckpoint.

    Only a key the JWKS marks as the registry's own may sign one; the header's algorithm is ignored
    in favour of the key's.
    """
    try:
        header = jose.header(signed)
    except jwt.DecodeError as e:
        raise InvalidCheckpoint("not a JWS") from e
    if header.get("typ") != CHECKPOINT_TYP:
        raise InvalidCheckpoint(f"typ is {header.get('typ')!r}, not {CHECKPOINT_TYP}")
    jwk = next((k for k in jwks.get("keys", []) if k.get("kid") == header.get("kid")), None)
    if jwk is None or jwk.get("purpose") != "registry":
        raise InvalidCheckpoint("not signed by a published key of the registry")
    try:
        key = public_key(jwk)
    except UnusableKey as e:
        raise InvalidCheckpoint(str(e)) from e
    try:
        claims = jwt.decode(signed, key, algorithms=[jwk["alg"]], options={"require": ["iat"], "verify_aud": False})
        root = base64.b64decode(claims["root_hash"], validate=True)
        size = int(claims["size"])
    except (jwt.InvalidTokenError, KeyError, ValueError, TypeError, binascii.Error) as e:
        raise InvalidCheckpoint(f"the checkpoint does not verify: {e}") from e
    if jwk.get("compromised_at") is not None and claims["iat"] >= jwk["compromised_at"]:
        raise InvalidCheckpoint("signed after the registry key was compromised")
    if len(root) != 32 or size < 0:
        raise InvalidCheckpoint("size or root hash out of range")
    return Checkpoint(str(claims.get("origin", "")), size, root, dt.datetime.fromtimestamp(claims["iat"], dt.UTC))
