"""The exceptions of the verifiers package, and the check results that some of them carry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Check:
    """One check of a verification, in the order it ran, with a stable machine-readable code."""

    name: str
    passed: bool
    code: str
    detail: str = ""


class VerificationError(Exception):
    """Base of every error raised by the verifiers package."""


class InvalidCode(VerificationError, ValueError):
    """A credit code, ID number or identifier that fails its format or check character."""

    def __init__(self, kind: str, value: str, reason: str) -> None:
        super().__init__(f"invalid {kind}: {reason}")
        self.kind = kind
        self.value = value
        self.reason = reason


class MalformedToken(VerificationError):
    """The presented text is not an SD-JWT at all."""


class InvalidSignedForm(VerificationError):
    """A registry-signed token (status list, bundle, checkpoint, annotation) that may not be relied on.

    `code` says why, as the verification checks name it (WRONG_TYPE, UNKNOWN_KEY, BAD_SIGNATURE,
    KEY_COMPROMISED, ...).
    """

    def __init__(self, message: str, code: str = "MALFORMED") -> None:
        super().__init__(message)
        self.code = code


class InvalidStatusList(InvalidSignedForm):
    """A status list whose signature, signer, lifetime or encoding is not right."""


class InvalidBundle(InvalidSignedForm):
    """A bundle whose signature, signer or form is not right."""


class InvalidCheckpoint(InvalidSignedForm):
    """A checkpoint whose signature, key or form is not right."""


class InvalidAnnotation(InvalidSignedForm):
    """A sharing annotation whose signature, key or form is not right."""


class StaleBundle(VerificationError):
    """A bundle older than the verifier's limit: its status lists may miss revocations."""

    def __init__(self, age: float, limit: float) -> None:
        super().__init__(f"the bundle is {age / 3600:.1f} hours old; the limit is {limit / 3600:.1f} hours")
        self.age = age
        self.limit = limit


class VerificationFailed(VerificationError):
    """A certificate failed at least one check; `checks` lists every check that ran, in order.

    `claims` holds the signed claims when the signature itself verified (say, of a revoked
    certificate), so a reader can see what failed; it is empty when the signature did not.
    """

    def __init__(self, checks: list[Check], claims: dict[str, Any] | None = None) -> None:
        failed = [c for c in checks if not c.passed]
        super().__init__(", ".join(f"{c.name}: {c.code}" for c in failed))
        self.checks = checks
        self.failed = failed
        self.claims = dict(claims or {})

    @property
    def code(self) -> str:
        return self.failed[0].code
