"""The exceptions raised by the issuers package; each carries the data that explains it."""

from __future__ import annotations


class IssuerError(Exception):
    """Base of every error raised by the issuers package."""


class KeystoreError(IssuerError):
    """A key could not be stored, found or decrypted."""


class KeyNotFound(KeystoreError):
    def __init__(self, kid: str) -> None:
        super().__init__(f"no key with id {kid} in the keystore")
        self.kid = kid


class UnsupportedAlgorithm(IssuerError):
    def __init__(self, alg: str) -> None:
        super().__init__(f"unsupported signing algorithm {alg!r}")
        self.alg = alg
