"""Signed checkpoints of the registry's access log: the tree size and root hash at a time, as a JWS."""

from __future__ import annotations

from typing import Any

from verifiers import formats
from verifiers.formats import Checkpoint
from verifiers.jose import KeyRing, read_trusted


def verify_checkpoint(signed: str, jwks: dict[str, Any]) -> Checkpoint:
    """Check a checkpoint against the registry's published keys; return it or raise InvalidCheckpoint.

    Only a key the JWKS marks as the registry's own may sign one, by every key rule of `jose`.
    """
    return Checkpoint.from_claims(read_trusted(signed, formats.CHECKPOINT, KeyRing(jwks)).claims)
