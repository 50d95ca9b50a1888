"""Check characters of the national codes: GB 32100 credit codes, GB 11643 MOD 11-2, ISO 7064 MOD 37,36.

Here, not in `issuers`, because a verifier needs them too: an identifier names a type and an issuer by
their credit codes, and an offline verifier checks identifiers with no registry at hand.
"""

from __future__ import annotations

import functools
import string

from verifiers.errors import InvalidCode

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
    """Return the GB 11643 MOD 11-2 check character for the first 17 digits of an 18-digit ID number.

    The resident identity card, the residence permits of Hong Kong, Macao and Taiwan residents and the
    2023 foreigners' permanent residence identity card all use it.
    """
    total = sum(int(c) * w for c, w in zip(first17, _CITIZEN_WEIGHTS, strict=True))
    return _CITIZEN_CHECKS[total % 11]


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


def icao_check(text: str) -> str:
    """Return the ICAO Doc 9303 check digit over digits, upper-case letters and '<': weights 7, 3, 1, sum mod 10.

    The 15-character foreigners' permanent residence identity card (2004 form) uses it over its first 14.
    """
    total = 0
    for i, c in enumerate(text):
        if c.isdigit():
            value = int(c)
        elif "A" <= c <= "Z":
            value = ord(c) - ord("A") + 10
        elif c == "<":
            value = 0
        else:
            raise InvalidCode("document number", text, f"character {c!r} not allowed")
        total += value * (7, 3, 1)[i % 3]
    return str(total % 10)
