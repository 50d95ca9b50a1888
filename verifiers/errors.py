"""The exceptions of the verifiers package."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from verifiers.verify import Check


class VerificationError(Exception):
    """Base of every error raised by the verifiers package."""


class MalformedToken(VerificationError):
    """The presented text is not an SD-JWT at all."""


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
