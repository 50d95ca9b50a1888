"""The keystore: one encrypted PKCS#8 file per private key in a directory, loaded once per process, and the
data keys that encrypt personal data at rest."""

from __future__ import annotations

import os
import re
import secrets
import tempfile
import threading
import time
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from issuers.errors import KeyNotFound, KeystoreError
from issuers.signing import DEFAULT_ALGORITHM, PrivateKey, SoftwareSigner, generate_private_key

MIN_SECRET_LENGTH = 32
KID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # an RFC 7638 thumbprint in base64url: 43 characters


def write_atomically(path: Path, data: bytes) -> None:
    """Write beside the target and rename, so a crash never leaves half a key file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
        self._present: set[str] = set()
        self._lock = threading.Lock()

    def _path(self, kid: str) -> Path:
        if not KID.fullmatch(kid):  # a kid comes from the database: never a path of its own
            raise KeyNotFound(f"not a key id: {kid[:80]!r}")
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
        write_atomically(self._path(signer.kid), pem)
        with self._lock:
            self._loaded[signer.kid] = signer
        return signer

    def has(self, kid: str) -> bool:
        """Whether the private half of this key is here (what makes a key the registry's own)."""
        if kid in self._loaded or kid in self._present:
            return True
        try:
            present = self._path(kid).exists()
        except KeyNotFound:
            return False
        if present:
            self._present.add(kid)  # key files are never deleted: a positive answer stays true
        return present

    def derive(self, purpose: bytes) -> bytes:
        """A 32-byte key for one purpose, derived from the secret (HKDF-SHA256): never stored anywhere."""
        return HKDF(hashes.SHA256(), 32, salt=None, info=purpose).derive(self._secret)

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


DATA_KEY_BYTES = 32  # AES-256


class DataKeys:
    """Keys that encrypt personal data at rest (AES-256-GCM), kept beside the private keys as
    `data-<id>.key`, each wrapped with a key derived from the keystore secret (HKDF-SHA256: the secret
    is a long random value, not a password). Ids sort by creation, so the newest encrypts; every one
    decrypts what it encrypted until a re-encryption has moved all rows to a newer one."""

    PREFIX = "data-"
    # How long a process keeps encrypting with the newest key it saw before it looks for a newer one
    # (a rotation by another process): listing the directory for every value cost 18% of issuance.
    RECHECK_SECONDS = 5.0

    def __init__(self, keystore: Keystore) -> None:
        self.directory = keystore.directory
        self._wrap = AESGCM(keystore.derive(b"registry data keys"))
        self._keys: dict[str, bytes] = {}
        self._newest: tuple[str, float] | None = None  # id, and when it was looked up (monotonic)
        self._lock = threading.Lock()

    def ids(self) -> list[str]:
        if not self.directory.exists():
            return []
        return sorted(p.stem.removeprefix(self.PREFIX) for p in self.directory.glob(f"{self.PREFIX}*.key"))

    def create(self) -> str:
        """Make a new data key, which encrypts from now on; return its id."""
        # Sortable by creation to the nanosecond, so the key made last is the newest even within a second.
        now = time.time_ns()
        key_id = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime(now // 10**9))}{now % 10**9:09d}{secrets.token_hex(2)}"
        nonce = os.urandom(12)
        wrapped = nonce + self._wrap.encrypt(nonce, AESGCM.generate_key(bit_length=256), key_id.encode())
        write_atomically(self.directory / f"{self.PREFIX}{key_id}.key", wrapped)
        self._newest = (key_id, time.monotonic())
        return key_id

    def newest(self) -> tuple[str, bytes]:
        """The id and key that encrypt now, made on first use (looked up again every RECHECK_SECONDS)."""
        cached = self._newest
        if cached is None or time.monotonic() - cached[1] > self.RECHECK_SECONDS:
            ids = self.ids()
            cached = (ids[-1] if ids else self.create(), time.monotonic())
            self._newest = cached
        return cached[0], self.get(cached[0])

    def get(self, key_id: str) -> bytes:
        """The data key `key_id`; raise KeyNotFound or KeystoreError."""
        with self._lock:
            found = self._keys.get(key_id)
        if found is not None:
            return found
        try:
            wrapped = (self.directory / f"{self.PREFIX}{key_id}.key").read_bytes()
        except FileNotFoundError:
            raise KeyNotFound(f"data key {key_id}") from None
        try:
            key = self._wrap.decrypt(wrapped[:12], wrapped[12:], key_id.encode())
        except InvalidTag as e:
            raise KeystoreError(f"data key {key_id} cannot be unwrapped with the configured secret") from e
        with self._lock:
            self._keys[key_id] = key
        return key
