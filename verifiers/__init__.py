"""Checking registry certificates with nothing but published keys: no Flask, no database, no network."""

from verifiers.errors import MalformedToken, VerificationError, VerificationFailed
from verifiers.verify import Check, VerifiedCertificate, Verifier

__all__ = [
    "Check",
    "MalformedToken",
    "VerificationError",
    "VerificationFailed",
    "VerifiedCertificate",
    "Verifier",
]
