"""Personal data encrypted at rest: AES-256-GCM with the keystore's newest data key.

A sealed value is text, `enc1:<data key id>:<base64url(nonce | ciphertext)>`, so a column keeps its
type and the key that opens a value is named beside it (rotation re-encrypts with a newer one). The
column it belongs to is the associated data, so a value copied into another column does not open.
Text without the prefix is read as it is: rows written before encryption, until re-encryption.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from issuers.errors import KeystoreError
from issuers.keystore import DataKeys

PREFIX = "enc1:"


def is_sealed(text: str) -> bool:
    return text.startswith(PREFIX)


def sealed_with(text: str) -> str | None:
    """The data key id a sealed value names, or None for plain text."""
    return text[len(PREFIX) :].split(":", 1)[0] if is_sealed(text) else None


class Cipher:
    def __init__(self, keys: DataKeys) -> None:
        self.keys = keys

    def seal(self, plaintext: str, column: str) -> str:
        key_id, key = self.keys.newest()
        nonce = os.urandom(12)
        sealed = nonce + AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), column.encode("ascii"))
        return f"{PREFIX}{key_id}:{base64.urlsafe_b64encode(sealed).decode('ascii')}"

    def open(self, text: str, column: str) -> str:
        """The plaintext of a sealed value (or plain text as it is); raise KeystoreError if it does not open."""
        if not is_sealed(text):
            return text
        try:
            key_id, body = text[len(PREFIX) :].split(":", 1)
            sealed = base64.urlsafe_b64decode(body)
            plain = AESGCM(self.keys.get(key_id)).decrypt(sealed[:12], sealed[12:], column.encode("ascii"))
        except (ValueError, InvalidTag) as e:
            raise KeystoreError(f"a sealed value of {column} does not open") from e
        return plain.decode("utf-8")
