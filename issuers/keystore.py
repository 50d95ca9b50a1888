"""The keystore: one encrypted PKCS#8 file per private key in a directory, loaded once per process."""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from issuers.errors import KeyNotFound, KeystoreError
from issuers.signing import DEFAULT_ALGORITHM, PrivateKey, SoftwareSigner, generate_private_key

MIN_SECRET_LENGTH = 32


class Keystore:
    """Private keys as `<kid>.p8` files, encrypted with a secret from configuration.

    PKCS#8 encryption in cryptography derives its key with few PBKDF2 rounds, so the secret must be
    a long random value (at least 32 characters), never a human password.
    """

    def __init__(self, directory: str | os.PathLike[str], secret: str) -> None:
        if len(secret) < MIN_SECRET_LENGTH:
            raise KeystoreError(f"the keystore secret must be at least {MIN_SECRET_LENGTH} random characters")
        self.directory = Path(directory)
        self._secret = secret.encode("utf-8")
        self._loaded: dict[str, SoftwareSigner] = {}
        self._lock = threading.Lock()

    def _path(self, kid: str) -> Path:
        return self.directory / f"{kid}.p8"

    def create(self, alg: str = DEFAULT_ALGORITHM) -> SoftwareSigner:
        """Generate a key, write it encrypted, and return its signer."""
        return self.add(generate_private_key(alg))

    def add(self, private_key: PrivateKey) -> SoftwareSigner:
        signer = SoftwareSigner(private_key)
        pem = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._secret),
        )
        self.directory.mkdir(parents=True, exist_ok=True)
        # Write beside the target and rename, so a crash never leaves half a key file.
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self._path(signer.kid))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        with self._lock:
            self._loaded[signer.kid] = signer
        return signer

    def has(self, kid: str) -> bool:
        return kid in self._loaded or self._path(kid).exists()

    def signer(self, kid: str) -> SoftwareSigner:
        """Return the signer for a key id, decrypting its file on first use; raise KeyNotFound."""
        found = self._loaded.get(kid)
        if found is not None:
            return found
        path = self._path(kid)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise KeyNotFound(kid) from None
        try:
            key = serialization.load_pem_private_key(data, password=self._secret)
        except (ValueError, TypeError) as e:
            raise KeystoreError(f"key {kid} cannot be decrypted with the configured secret") from e
        signer = SoftwareSigner(key)  # type: ignore[arg-type]
        if signer.kid != kid:
            raise KeystoreError(f"key file {path.name} holds key {signer.kid}")
        with self._lock:
            self._loaded[kid] = signer
        return signer
