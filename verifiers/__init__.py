"""Checking registry certificates with nothing but published keys: no Flask, no database, no network."""

from verifiers.bundle import Bundle, InvalidBundle, StaleBundle, read_bundle
from verifiers.copies import Annotation
from verifiers.errors import MalformedToken, VerificationError, VerificationFailed
from verifiers.verify import Check, VerifiedCertificate, VerifiedCopy, VerifiedStamp, Verifier

__all__ = [
    "Annotation",
    "Bundle",
    "Check",
    "InvalidBundle",
    "MalformedToken",
    "StaleBundle",
    "VerificationError",
    "VerificationFailed",
    "VerifiedCertificate",
    "VerifiedCopy",
    "VerifiedStamp",
    "Verifier",
    "read_bundle",
]
