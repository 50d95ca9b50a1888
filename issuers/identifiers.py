"""The national e-license identifier: 1.2.156.3005.2.<type code>.<issuer code>.<serial>.<version>.<check>."""

from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass

from issuers.codes import mod37_36_check, validate_credit_code
from issuers.errors import InvalidCode

ROOT = "1.2.156.3005.2"
SERIAL_LENGTH = 20
_TYPE_CODE = re.compile(r"^[0-9A-Z]{18}[0-9]{3}$")
_SERIAL = re.compile(r"^[0-9A-Z]{20}$")


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
        validate_type_code(self.type_code)
        validate_credit_code(self.issuer_code)
        if not _SERIAL.match(self.serial):
            raise InvalidCode("identifier", self.serial, "serial must be 20 digits or upper-case letters")
        if not 1 <= self.version <= 999:
            raise InvalidCode("identifier", str(self.version), "version must be between 1 and 999")

    @property
    def check(self) -> str:
        # The check runs over the characters of the preceding parts with the dots left out,
        # because the dot is not in the MOD 37,36 alphabet.
        prefix = f"{ROOT}{self.type_code}{self.issuer_code}".replace(".", "")
        return mod37_36_check(f"{self.serial}{self.version:03d}", prefix)

    def __str__(self) -> str:
        return f"{ROOT}.{self.type_code}.{self.issuer_code}.{self.serial}.{self.version:03d}.{self.check}"

    def next_version(self) -> CertificateId:
        return CertificateId(self.type_code, self.issuer_code, self.serial, self.version + 1)

    @classmethod
    def parse(cls, text: str) -> CertificateId:
        """Parse and check an identifier; raise InvalidCode if any part or the check character is wrong."""
        if not text.startswith(ROOT + "."):
            raise InvalidCode("identifier", text, f"must start with {ROOT}")
        parts = text[len(ROOT) + 1 :].split(".")
        if len(parts) != 5 or not parts[3].isdigit() or len(parts[3]) != 3:
            raise InvalidCode("identifier", text, "must have type, issuer, serial, 3-digit version and check")
        ident = cls(parts[0], parts[1], parts[2], int(parts[3]))
        if ident.check != parts[4]:
            raise InvalidCode("identifier", text, "check character does not match")
        return ident
