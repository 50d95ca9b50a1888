"""Checking registry certificates with nothing but published keys: no Flask, no database, no network."""

from verifiers.bundle import Bundle, InvalidBundle, StaleBundle, read_bundle
from verifiers.errors import MalformedToken, VerificationError, VerificationFailed
from verifiers.verify import Check, VerifiedCertificate, Verifier

__all__ = [
    "Bundle",
    "Check",
    "InvalidBundle",
    "MalformedToken",
    "StaleBundle",
    "VerificationError",
    "VerificationFailed",
    "VerifiedCertificate",
    "Verifier",
    "read_bundle",
]
