"""The documents holders identify themselves with: what each number looks like, its check, how it is masked.

Kinds, as the API, the identity provider's tokens and the signed forms name them:

- `person`: the resident identity card (GB 11643): 18 characters, area code, birth date, sequence,
  MOD 11-2 check.
- `organization`: the unified social credit code (GB 32100): 18 characters, MOD 31 check.
- `foreign_permanent_resident`: the foreigners' permanent residence identity card, in its 2023 form
  (18: 9, province, ISO 3166 numeric nationality, birth date, sequence, MOD 11-2 check) or its 2004
  form (15: ISO 3166 alpha-3 nationality, place, YYMMDD, sequence, ICAO 7-3-1 check).
- `hmt_residence_permit`: the residence permit of Hong Kong, Macao and Taiwan residents: 18 characters,
  area code 810000, 820000 or 830000, birth date, sequence, MOD 11-2 check.
- `passport`: issuing country (ISO 3166 alpha-3) and number; no check can be made from the number alone.

`person` keeps the name it had before the other kinds existed: holder references hash the kind.
A document's number is written canonically (a passport as `USA:123456789`); that text is what is signed,
disclosed and hashed into the holder reference, so the same number under two kinds names two holders.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

import pycountry

from verifiers.codes import citizen_id_check, icao_check, validate_credit_code
from verifiers.errors import InvalidCode


class HolderKind(StrEnum):
    PERSON = "person"
    ORGANIZATION = "organization"
    FOREIGN_PERMANENT_RESIDENT = "foreign_permanent_resident"
    HMT_RESIDENCE_PERMIT = "hmt_residence_permit"
    PASSPORT = "passport"


DOCUMENT_NAMES = {
    HolderKind.PERSON: "resident identity card",
    HolderKind.ORGANIZATION: "unified social credit code",
    HolderKind.FOREIGN_PERMANENT_RESIDENT: "foreigners' permanent residence identity card",
    HolderKind.HMT_RESIDENCE_PERMIT: "Hong Kong, Macao and Taiwan residents' residence permit",
    HolderKind.PASSPORT: "passport",
}
# GB/T 2260 province-level codes of the mainland, where resident identity cards are issued.
MAINLAND_PROVINCES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
    ]
)
HMT_AREAS = {"810000": "Hong Kong", "820000": "Macao", "830000": "Taiwan"}
EARLIEST_BIRTH = dt.date(1900, 1, 1)
_DIGITS17 = re.compile(r"^[0-9]{17}[0-9X]$")
_FOREIGN_2004 = re.compile(r"^[A-Z]{3}[0-9]{12}$")
_PASSPORT_NUMBER = re.compile(r"^[A-Z0-9]{5,20}$")
# Characters kept visible at the start and end of a masked number, per kind (the rest become '*').
_MASK: dict[str, tuple[int, int]] = {
    HolderKind.PERSON: (6, 4),  # area code and the last four: the customary display
    HolderKind.ORGANIZATION: (6, 4),
    HolderKind.FOREIGN_PERMANENT_RESIDENT: (6, 2),  # 9, province and nationality; the birth date hidden
    HolderKind.HMT_RESIDENCE_PERMIT: (2, 4),  # 81/82/83 says the region; the rest of the area code is 0000
}
_MASK_2004 = (3, 2)  # the 15-character card: nationality, then nothing but the last two
_PASSPORT_TAIL = 3


@dataclass(frozen=True, slots=True)
class HolderDocument:
    """A holder's identifying document, checked: its kind and its number as signed and hashed."""

    kind: HolderKind
    number: str
    birth_date: dt.date | None = None

    @property
    def masked(self) -> str:
        return mask(self.kind, self.number)

    @property
    def country(self) -> str | None:
        """The issuing country of a passport (ISO 3166 alpha-3); None for other documents."""
        return self.number.split(":", 1)[0] if self.kind == HolderKind.PASSPORT else None


def holder_document(
    kind: str, number: str, country: str | None = None, *, today: dt.date | None = None
) -> HolderDocument:
    """Check a holder's document number for its kind; return the document or raise InvalidCode saying why.

    A passport's country may be given apart (`country`) or in the number (`USA:123456789`).
    """
    try:
        holder_kind = HolderKind(kind)
    except ValueError:
        raise InvalidCode("holder kind", str(kind), f"must be one of {', '.join(HolderKind)}") from None
    if not isinstance(number, str) or not number:
        raise InvalidCode(DOCUMENT_NAMES[holder_kind], str(number), "a number is required")
    today = today or dt.date.today()
    if country is not None and holder_kind != HolderKind.PASSPORT:
        raise InvalidCode(DOCUMENT_NAMES[holder_kind], number, "only a passport names its issuing country")
    if holder_kind == HolderKind.PASSPORT:
        return _passport(number, country)
    if holder_kind == HolderKind.ORGANIZATION:
        return HolderDocument(holder_kind, validate_credit_code(number))
    if holder_kind == HolderKind.FOREIGN_PERMANENT_RESIDENT and len(number) == 15:
        return _foreign_2004(number, today)
    return _eighteen_digit(holder_kind, number, today)


def _eighteen_digit(kind: HolderKind, number: str, today: dt.date) -> HolderDocument:
    """The three documents numbered as GB 11643 numbers are, told apart by their first digits."""
    name = DOCUMENT_NAMES[kind]
    if len(number) != 18:
        lengths = "15 or 18" if kind == HolderKind.FOREIGN_PERMANENT_RESIDENT else "18"
        raise InvalidCode(name, number, f"must be {lengths} characters")
    if not _DIGITS17.match(number):
        raise InvalidCode(name, number, "must be 17 digits and a digit or X")
    found = _kind_of_eighteen(number)
    if found is None:
        raise InvalidCode(name, number, f"characters 1 to 6 ({number[:6]}) are no area code such a document carries")
    if found != kind:
        raise InvalidCode(name, number, f"this is the number of a {DOCUMENT_NAMES[found]} (kind {found.value})")
    if kind == HolderKind.FOREIGN_PERMANENT_RESIDENT and pycountry.countries.get(numeric=number[3:6]) is None:
        raise InvalidCode(name, number, f"characters 4 to 6 ({number[3:6]}) are no ISO 3166 country number")
    birth = _birth_date(name, number, number[6:14], today)
    if citizen_id_check(number[:17]) != number[17]:
        raise InvalidCode(name, number, "check character does not match")
    return HolderDocument(kind, number, birth)


def _kind_of_eighteen(number: str) -> HolderKind | None:
    if number[0] == "9" and number[1:3] in MAINLAND_PROVINCES:
        return HolderKind.FOREIGN_PERMANENT_RESIDENT
    if number[:6] in HMT_AREAS:
        return HolderKind.HMT_RESIDENCE_PERMIT
    if number[:2] in MAINLAND_PROVINCES:
        return HolderKind.PERSON
    return None


def _foreign_2004(number: str, today: dt.date) -> HolderDocument:
    name = DOCUMENT_NAMES[HolderKind.FOREIGN_PERMANENT_RESIDENT]
    if not _FOREIGN_2004.match(number):
        raise InvalidCode(name, number, "the 15-character form is 3 letters and 12 digits")
    if pycountry.countries.get(alpha_3=number[:3]) is None:
        raise InvalidCode(name, number, f"{number[:3]} is no ISO 3166 country code")
    if number[3:5] not in MAINLAND_PROVINCES:
        raise InvalidCode(name, number, f"characters 4 and 5 ({number[3:5]}) are no province code")
    # YYMMDD: the latest century in which the date is not in the future.
    century = "20" if f"20{number[7:13]}" <= today.strftime("%Y%m%d") else "19"
    birth = _birth_date(name, number, century + number[7:13], today)
    if icao_check(number[:14]) != number[14]:
        raise InvalidCode(name, number, "check character does not match")
    return HolderDocument(HolderKind.FOREIGN_PERMANENT_RESIDENT, number, birth)


def _passport(number: str, country: str | None) -> HolderDocument:
    name = DOCUMENT_NAMES[HolderKind.PASSPORT]
    if country is None:
        if ":" not in number:
            raise InvalidCode(name, number, "the issuing country (ISO 3166 alpha-3) is required")
        country, number = number.split(":", 1)
    if not re.fullmatch(r"[A-Z]{3}", country) or pycountry.countries.get(alpha_3=country) is None:
        raise InvalidCode(name, country, f"{country!r} is no ISO 3166 alpha-3 country code")
    if not _PASSPORT_NUMBER.match(number):
        raise InvalidCode(name, number, "the number must be 5 to 20 digits or upper-case letters")
    return HolderDocument(HolderKind.PASSPORT, f"{country}:{number}")


def _birth_date(name: str, number: str, yyyymmdd: str, today: dt.date) -> dt.date:
    try:
        birth = dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        raise InvalidCode(name, number, f"the birth date {yyyymmdd} is not a date") from None
    if birth > today:
        raise InvalidCode(name, number, f"the birth date {birth.isoformat()} is in the future")
    if birth < EARLIEST_BIRTH:
        raise InvalidCode(name, number, f"the birth date {birth.isoformat()} is before 1900")
    return birth


def mask(kind: str, number: str) -> str:
    """A document number for display, by the rule of its kind (an unknown kind shows its last 2 only)."""
    if kind == HolderKind.PASSPORT and ":" in number:
        country, rest = number.split(":", 1)
        return f"{country}:" + "*" * max(len(rest) - _PASSPORT_TAIL, 0) + rest[-_PASSPORT_TAIL:]
    if kind == HolderKind.FOREIGN_PERMANENT_RESIDENT and len(number) == 15:
        head, tail = _MASK_2004
    else:
        head, tail = _MASK.get(kind, (0, 2))
    if len(number) <= head + tail:
        return "*" * len(number)
    return number[:head] + "*" * (len(number) - head - tail) + number[-tail:]
