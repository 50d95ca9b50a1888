"""Checking registry certificates with nothing but published keys: no Flask, no database, no network."""

from verifiers.bundle import read_bundle
from verifiers.errors import (
    Check,
    InvalidBundle,
    InvalidCode,
    InvalidSignedForm,
    MalformedToken,
    StaleBundle,
    VerificationError,
    VerificationFailed,
)
from verifiers.formats import Annotation, Bundle
from verifiers.verify import VerifiedCertificate, VerifiedCopy, VerifiedStamp, Verifier

__all__ = [
    "Annotation",
    "Bundle",
    "Check",
    "InvalidBundle",
    "InvalidCode",
    "InvalidSignedForm",
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
