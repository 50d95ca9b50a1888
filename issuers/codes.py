"""Check characters of the national codes: GB 32100 credit codes, GB 11643 citizen IDs, ISO 7064 MOD 37,36."""

from __future__ import annotations

import datetime as dt
import functools
import string

from issuers.errors import InvalidCode

# GB 32100-2015: 31 characters, the letters I, O, Z, S and V left out so they are not read as digits.
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUES = {c: i for i, c in enumerate(_CREDIT_ALPHABET)}
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# GB 11643-1999: weights are 2^(17-i) mod 11; the check is the value that makes the sum 1 mod 11.
_CITIZEN_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CITIZEN_CHECKS = "10X98765432"

_MOD37_36_ALPHABET = string.digits + string.ascii_uppercase
_MOD37_36_VALUES = {c: i for i, c in enumerate(_MOD37_36_ALPHABET)}


def credit_code_check(first17: str) -> str:
    """Return the GB 32100 check character for the first 17 characters of a credit code."""
    total = sum(_CREDIT_VALUES[c] * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


@functools.lru_cache(maxsize=4096)
def validate_credit_code(value: str) -> str:
    """Return the unified social credit code if it is well formed and its check character matches; raise InvalidCode."""
    if len(value) != 18:
        raise InvalidCode("credit code", value, "must be 18 characters")
    bad = sorted({c for c in value if c not in _CREDIT_VALUES})
    if bad:
        raise InvalidCode("credit code", value, f"characters not allowed: {''.join(bad)}")
    if not value[2:8].isdigit():
        raise InvalidCode("credit code", value, "characters 3 to 8 must be an administrative division code")
    if credit_code_check(value[:17]) != value[17]:
        raise InvalidCode("credit code", value, "check character does not match")
    return value


def citizen_id_check(first17: str) -> str:
    """Return the GB 11643 MOD 11-2 check character for the first 17 digits of a citizen ID."""
    total = sum(int(c) * w for c, w in zip(first17, _CITIZEN_WEIGHTS, strict=True))
    return _CITIZEN_CHECKS[total % 11]


def validate_citizen_id(value: str) -> str:
    """Return the 18-character citizen ID if its digits, birth date and check character are right; raise InvalidCode."""
    if len(value) != 18:
        raise InvalidCode("citizen ID", value, "must be 18 characters")
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise InvalidCode("citizen ID", value, "must be 17 digits and a digit or X")
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidCode("citizen ID", value, "characters 7 to 14 are not a birth date") from None
    if citizen_id_check(value[:17]) != value[17]:
        raise InvalidCode("citizen ID", value, "check character does not match")
    return value


def mod37_36_check(text: str, prefix: str = "") -> str:
    """Return the ISO 7064 MOD 37,36 check character over `prefix + text` (digits and upper-case letters).

    Pass the part shared by many values as `prefix`: its running state is computed once and cached.
    """
    return _MOD37_36_ALPHABET[(37 - _mod37_36_state(text, _mod37_36_prefix_state(prefix))) % 36]


@functools.lru_cache(maxsize=1024)
def _mod37_36_prefix_state(prefix: str) -> int:
    return _mod37_36_state(prefix, 36)


def _mod37_36_state(text: str, p: int) -> int:
    for c in text:
        value = _MOD37_36_VALUES.get(c)
        if value is None:
            raise InvalidCode("identifier", text, f"character {c!r} not allowed")
        p = (((p + value) % 36 or 36) * 2) % 37
    return p


def mask_id(value: str) -> str:
    """Mask a national ID or credit code for display: the first 6 and last 4 characters stay."""
    return value[:6] + "*" * (len(value) - 10) + value[-4:]
