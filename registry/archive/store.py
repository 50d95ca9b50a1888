"""The document store: files named by their SHA-256, in a folder (`REGISTRY_DOCUMENT_STORE`).

A file is written aside and renamed into place, so a crash leaves no half-written document; every read
hashes the bytes again and refuses a file that is not what its name says.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from issuers.keystore import write_atomically
from registry.errors import RegistryError

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class DocumentDamaged(RegistryError):
    """A stored document is missing or is not the bytes its digest names."""

    status = 500
    code = "DOCUMENT_DAMAGED"
    title = "Stored document damaged"


class DocumentStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str) -> Path:
        if not SHA256_HEX.match(sha256):
            raise ValueError("a document is named by its SHA-256 in lower-case hex")
        return self.root / sha256[:2] / sha256[2:]

    def put(self, data: bytes) -> str:
        """Store `data` (once: the same bytes are one file) and return its SHA-256."""
        sha256 = hashlib.sha256(data).hexdigest()
        path = self._path(sha256)
        if path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == sha256:
            return sha256
        write_atomically(path, data)  # new, or a damaged copy the same bytes now repair
        return sha256

    def get(self, sha256: str) -> bytes:
        """The document's bytes, checked against its name; DocumentDamaged if missing or altered."""
        path = self._path(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise DocumentDamaged(f"document {sha256} is missing from the store") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise DocumentDamaged(f"document {sha256} in the store is not the document it was")
        return data

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).exists()

    def delete(self, sha256: str) -> None:
        """Remove the document (disposal); a document already gone is not an error."""
        self._path(sha256).unlink(missing_ok=True)
