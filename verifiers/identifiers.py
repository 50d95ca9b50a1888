"""The national e-license identifier: 1.2.156.3005.2.<type code>.<issuing unit code>.<serial>.<version>.<check>.

The check character is ISO 7064 MOD 37,36 over the type code, issuing unit code, serial and version
written one after the other, without the root and without dots. The type code is the defining
authority's credit code and a 3-digit number; the issuing unit code is a credit code; the serial is
1 to 32 digits or upper-case letters; the version is 3 digits.

Until 2026-11 this registry computed the check over the root as well, and drew 20-digit serials.
Those identifiers are read as *legacy* ones (`CertificateId.parse_legacy`) only so that a certificate
issued under the old rule can still be found, and re-identified (`flask certificates reidentify`).
"""

from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass

from verifiers.codes import mod37_36_check, validate_credit_code
from verifiers.errors import InvalidCode

ROOT = "1.2.156.3005.2"
SERIAL_LENGTH = 20  # of the serials this registry draws; any of 1 to 32 characters is read
_TYPE_CODE = re.compile(r"^[0-9A-Z]{18}[0-9]{3}$")
_SERIAL = re.compile(r"^[0-9A-Z]{1,32}$")
_VERSION = re.compile(r"^[0-9]{3}$")
_LEGACY_PREFIX = ROOT.replace(".", "")


@functools.lru_cache(maxsize=4096)
def validate_type_code(value: str) -> str:
    """Return a certificate type code (defining authority's credit code + 3 digits) or raise InvalidCode."""
    if not _TYPE_CODE.match(value):
        raise InvalidCode("type code", value, "must be an 18-character credit code followed by 3 digits")
    validate_credit_code(value[:18])
    return value


def new_serial() -> str:
    """Return a random 20-digit serial; random so that serials reveal nothing of issuance volumes."""
    return f"{secrets.randbelow(10**SERIAL_LENGTH):0{SERIAL_LENGTH}d}"


@dataclass(frozen=True, slots=True)
class CertificateId:
    type_code: str
    issuer_code: str
    serial: str
    version: int

    def __post_init__(self) -> None:
        try:
            validate_type_code(self.type_code)
        except InvalidCode as e:
            raise InvalidCode("identifier", self.type_code, f"type code: {e.reason}") from None
        try:
            validate_credit_code(self.issuer_code)
        except InvalidCode as e:
            raise InvalidCode("identifier", self.issuer_code, f"issuing unit code: {e.reason}") from None
        if not _SERIAL.match(self.serial):
            raise InvalidCode("identifier", self.serial, "serial must be 1 to 32 digits or upper-case letters")
        if not 0 <= self.version <= 999:
            raise InvalidCode("identifier", str(self.version), "version must be 3 digits")

    @property
    def check(self) -> str:
        return mod37_36_check(f"{self.serial}{self.version:03d}", f"{self.type_code}{self.issuer_code}")

    @property
    def legacy_check(self) -> str:
        """The check character this registry wrote before 2026-11 (over the root as well): for reading only."""
        return mod37_36_check(f"{self.serial}{self.version:03d}", f"{_LEGACY_PREFIX}{self.type_code}{self.issuer_code}")

    def __str__(self) -> str:
        return f"{ROOT}.{self.type_code}.{self.issuer_code}.{self.serial}.{self.version:03d}.{self.check}"

    def next_version(self) -> CertificateId:
        if self.version >= 999:
            raise InvalidCode("identifier", str(self), "the version is already 999")
        return CertificateId(self.type_code, self.issuer_code, self.serial, self.version + 1)

    @classmethod
    def parse(cls, text: str) -> CertificateId:
        """Parse and check an identifier; raise InvalidCode naming the part that is wrong."""
        ident, check = cls._parts(text)
        if ident.check != check:
            raise InvalidCode("identifier", text, f"check character is {check!r}, the parts give {ident.check!r}")
        return ident

    @classmethod
    def parse_legacy(cls, text: str) -> CertificateId:
        """Parse an identifier this registry issued before 2026-11, whose check character covers the root too."""
        ident, check = cls._parts(text)
        if ident.legacy_check != check:
            raise InvalidCode("identifier", text, "check character does not match the earlier rule either")
        return ident

    @classmethod
    def _parts(cls, text: str) -> tuple[CertificateId, str]:
        if not isinstance(text, str) or not text.startswith(ROOT + "."):
            raise InvalidCode("identifier", str(text), f"must start with {ROOT}.")
        parts = text[len(ROOT) + 1 :].split(".")
        if len(parts) != 5:
            raise InvalidCode(
                "identifier",
                text,
                f"must have type, issuer, serial, version and check: 5 parts after the root, not {len(parts)}",
            )
        type_code, issuer_code, serial, version, check = parts
        if not _VERSION.match(version):
            raise InvalidCode("identifier", text, f"version {version!r} must be 3 digits")
        if len(check) != 1:
            raise InvalidCode("identifier", text, "the check must be one character")
        return cls(type_code, issuer_code, serial, int(version)), check


def is_legacy(text: str) -> bool:
    """Whether `text` is an identifier of the earlier rule that fails today's (see the module's note)."""
    try:
        CertificateId.parse(text)
    except InvalidCode:
        try:
            CertificateId.parse_legacy(text)
        except InvalidCode:
            return False
        return True
    return False


def parse_any(text: str) -> CertificateId:
    """An identifier of today's rule or, for finding old certificates, of the earlier one; raise InvalidCode."""
    try:
        return CertificateId.parse(text)
    except InvalidCode as e:
        try:
            return CertificateId.parse_legacy(text)
        except InvalidCode:
            raise e from None
