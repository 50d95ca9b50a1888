"""The exceptions of the verifiers package."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from verifiers.verify import Check


class VerificationError(Exception):
    """Base of every error raised by the verifiers package."""


class MalformedToken(VerificationError):
    """The presented text is not an SD-JWT at all."""


class VerificationFailed(VerificationError):
    """A certificate failed at least one check; `checks` lists every check that ran, in order."""

    def __init__(self, checks: list[Check]) -> None:
        failed = [c for c in checks if not c.passed]
        super().__init__(", ".join(f"{c.name}: {c.code}" for c in failed))
        self.checks = checks
        self.failed = failed

    @property
    def code(self) -> str:
        return self.failed[0].code
