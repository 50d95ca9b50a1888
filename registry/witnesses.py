"""Witnesses' cosignatures of the access log's checkpoints: accepted only from the witnesses the
registry is configured with (REGISTRY_WITNESSES), each checked against its key before it is kept, and
published beside the checkpoint it cosigns so that readers can require k of n."""

from __future__ import annotations

import base64
import binascii

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.errors import NotFound, ValidationFailed
from registry.models import LogCheckpoint, LogCosignature, utcnow
from verifiers.witness import WitnessRefused, verify_cosignature


def parse_witnesses(text: str) -> dict[str, Ed25519PublicKey]:
    """`name=base64 key` pairs separated by commas, as `certverify witness init` prints them."""
    witnesses = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        name, _, key = pair.partition("=")
        try:
            witnesses[name.strip()] = Ed25519PublicKey.from_public_bytes(base64.b64decode(key.strip(), validate=True))
        except (ValueError, binascii.Error) as e:
            raise ValueError(f"REGISTRY_WITNESSES: {name.strip() or pair!r} has no valid Ed25519 key: {e}") from None
    return witnesses


def checkpoint_body(origin: str, checkpoint: LogCheckpoint) -> str:
    """The C2SP tlog-checkpoint body the registry signed and the witnesses cosign."""
    root = base64.b64encode(bytes.fromhex(checkpoint.root_hash)).decode()
    return f"{origin}\n{checkpoint.size}\n{root}\n"


class Cosignatures:
    def __init__(self, session: Session, origin: str, witnesses: dict[str, Ed25519PublicKey]) -> None:
        self.session = session
        self.origin = origin
        self.witnesses = witnesses

    def add(self, size: int, line: str) -> LogCosignature:
        """Keep a known witness's valid cosignature of the checkpoint of `size` (a newer one replaces it)."""
        checkpoint = self.session.get(LogCheckpoint, size)
        if checkpoint is None:
            raise NotFound(f"no checkpoint of size {size}", code="CHECKPOINT_NOT_FOUND")
        body = checkpoint_body(self.origin, checkpoint)
        for name, key in self.witnesses.items():
            try:
                verify_cosignature(line, body, name, key)
            except WitnessRefused:
                continue
            found = self.session.get(LogCosignature, (size, name))
            if found is None:
                found = LogCosignature(size=size, witness=name, line=line, at=utcnow())
                self.session.add(found)
            else:
                found.line, found.at = line, utcnow()
            self.session.flush()
            return found
        raise ValidationFailed(
            "not a valid cosignature of this checkpoint by a witness this registry knows",
            code="COSIGNATURE_INVALID",
        )

    def of(self, size: int) -> list[str]:
        query = select(LogCosignature.line).where(LogCosignature.size == size).order_by(LogCosignature.witness)
        return list(self.session.scalars(query))
