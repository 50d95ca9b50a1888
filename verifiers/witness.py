"""A witness of the registry's access log, and cosignatures in the C2SP tlog-cosignature form.

A witness keeps the last checkpoint it saw of a log. Shown a newer one, it checks the registry's
signature on it and a consistency proof from the old tree to the new; only then does it cosign the new
checkpoint and remember it. A log that rewrote its history, or shows different trees to different
readers, cannot get a witness to cosign both. Readers who require cosignatures from k of n witnesses
they know are protected from a registry that forks its log.

Cosignature (c2sp.org/tlog-cosignature, Ed25519): the note signature line
`— <name> base64(key id || timestamp || signature)`, where key id = SHA-256(name || "\\n" || 0x04 ||
public key)[:4], timestamp is big-endian u64 seconds, and the signature covers
"cosignature/v1\\ntime <timestamp>\\n" followed by the checkpoint body (origin, size, base64 root).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from verifiers.checkpoint import verify_checkpoint
from verifiers.errors import VerificationError
from verifiers.formats import Checkpoint
from verifiers.merkle import InvalidProof, verify_consistency

DASH = "\u2014"  # EM DASH, as signed notes begin signature lines
ED25519_COSIGNATURE = b"\x04"


class WitnessRefused(VerificationError):
    """A checkpoint a witness will not cosign, or a cosignature that does not hold."""


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(name.encode("utf-8") + b"\n" + ED25519_COSIGNATURE + raw).digest()[:4]


def signed_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + body.encode("utf-8")


def cosign(name: str, key: Ed25519PrivateKey, body: str, timestamp: int) -> str:
    """The cosignature line for a checkpoint body, by the witness `name` at `timestamp`."""
    signature = key.sign(signed_message(body, timestamp))
    blob = key_id(name, key.public_key()) + timestamp.to_bytes(8, "big") + signature
    return f"{DASH} {name} {base64.b64encode(blob).decode()}"


def verify_cosignature(line: str, body: str, name: str, public_key: Ed25519PublicKey) -> int:
    """Check one cosignature line by the named witness over `body`; return its time or raise WitnessRefused."""
    parts = line.strip().split(" ")
    if len(parts) != 3 or parts[0] != DASH or parts[1] != name:
        raise WitnessRefused(f"not a signature line of {name}")
    try:
        blob = base64.b64decode(parts[2], validate=True)
    except (ValueError, binascii.Error):
        raise WitnessRefused("the cosignature is not base64") from None
    if len(blob) != 4 + 8 + 64 or blob[:4] != key_id(name, public_key):
        raise WitnessRefused(f"not a cosignature by {name}'s key")
    timestamp = int.from_bytes(blob[4:12], "big")
    try:
        public_key.verify(blob[12:], signed_message(body, timestamp))
    except InvalidSignature:
        raise WitnessRefused(f"{name}'s cosignature does not verify") from None
    return timestamp


def require_cosignatures(
    body: str, lines: Sequence[str], witnesses: Mapping[str, Ed25519PublicKey], quorum: int
) -> list[str]:
    """The names of the known witnesses whose cosignature on `body` holds; WitnessRefused below `quorum`."""
    good = []
    for name, key in witnesses.items():
        for line in lines:
            try:
                verify_cosignature(line, body, name, key)
            except WitnessRefused:
                continue
            good.append(name)
            break
    if len(good) < quorum:
        raise WitnessRefused(f"{len(good)} of the {quorum} cosignatures required (from {', '.join(good) or 'none'})")
    return good


def load_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def new_key(path: Path) -> Ed25519PublicKey:
    """Write a new Ed25519 witness key (PEM, readable by its owner only); return its public half."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    _write(path, pem, mode=0o600)
    return key.public_key()


def public_text(key: Ed25519PublicKey) -> str:
    """The public key as the registry's witness list names it: base64 of the 32 raw bytes."""
    return base64.b64encode(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def _write(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True, slots=True)
class Seen:
    origin: str
    size: int
    root_hash: bytes


class Witness:
    """One witness of one log: its name and key, the registry keys it trusts, and the last tree it saw."""

    def __init__(self, name: str, key: Ed25519PrivateKey, state: Path, jwks: dict[str, Any]) -> None:
        self.name = name
        self.key = key
        self.state = state
        self.jwks = jwks

    def last(self) -> Seen | None:
        if not self.state.exists():
            return None
        saved = json.loads(self.state.read_text())
        return Seen(saved["origin"], saved["size"], base64.b64decode(saved["root_hash"]))

    def observe(
        self, signed: str, consistency: Callable[[int, int], list[bytes]], now: Callable[[], float] = time.time
    ) -> str:
        """Cosign the checkpoint `signed` (a registry JWS) if it is consistent with the last one seen;
        `consistency(old, new)` fetches the proof. Return the cosignature line, or raise WitnessRefused."""
        try:
            checkpoint = verify_checkpoint(signed, self.jwks)
        except VerificationError as e:
            raise WitnessRefused(f"the checkpoint does not verify: {e}") from None
        last = self.last()
        if last is not None:
            self._check_consistent(last, checkpoint, consistency)
        line = cosign(self.name, self.key, checkpoint.note(), int(now()))
        record = {"origin": checkpoint.origin, "size": checkpoint.size}
        record["root_hash"] = base64.b64encode(checkpoint.root_hash).decode()
        _write(self.state, json.dumps(record).encode())
        return line

    @staticmethod
    def _check_consistent(last: Seen, new: Checkpoint, consistency: Callable[[int, int], list[bytes]]) -> None:
        if new.origin != last.origin:
            raise WitnessRefused(f"this witness follows {last.origin}, not {new.origin}")
        if new.size < last.size:
            raise WitnessRefused(f"the log shrank: {new.size} entries after {last.size}")
        if new.size == last.size:
            if new.root_hash != last.root_hash:
                raise WitnessRefused(f"two different trees of {new.size} entries: the log forked")
            return
        if last.size == 0:
            return
        try:
            verify_consistency(last.size, new.size, last.root_hash, new.root_hash, consistency(last.size, new.size))
        except InvalidProof as e:
            raise WitnessRefused(f"the tree of {new.size} does not extend the one of {last.size} seen: {e}") from None
