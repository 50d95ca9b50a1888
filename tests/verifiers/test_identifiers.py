"""Identifiers against the national rule, checked with real identifiers issued by provincial libraries."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import credit_code
from verifiers.codes import credit_code_check, mod37_36_check
from verifiers.errors import InvalidCode
from verifiers.identifiers import CertificateId, is_legacy, new_serial, parse_any

# Published by provincial e-license libraries (public sources); both pass the national rule.
REAL = [
    "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.002.S",
    "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F",
]
TYPE = "11310000002418230T001"
ISSUER = "11310000002418230T"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@pytest.mark.parametrize("text", REAL)
def test_real_identifiers_from_provincial_libraries_parse(text: str) -> None:
    ident = CertificateId.parse(text)
    assert str(ident) == text


def test_real_identifier_parts() -> None:
    ident = CertificateId.parse(REAL[1])
    assert (ident.type_code, ident.issuer_code, ident.serial, ident.version) == (
        "11100000000013338W032",
        "11220000013544541J",
        "2430599",
        1,
    )


def _changed_once(text: str) -> list[str]:
    """Every identifier that differs from `text` in one character of its parts or its check."""
    start = len("1.2.156.3005.2.")
    out = []
    for i in range(start, len(text)):
        if text[i] == ".":
            continue
        for c in ALPHABET:
            if c != text[i]:
                out.append(text[:i] + c + text[i + 1 :])
    return out


@pytest.mark.parametrize("text", REAL)
def test_any_single_character_change_of_a_real_identifier_is_refused(text: str) -> None:
    for changed in _changed_once(text):
        with pytest.raises(InvalidCode):
            CertificateId.parse(changed)


def test_the_check_is_over_the_parts_without_the_root_and_dots() -> None:
    # The rule written out, independent of CertificateId: MOD 37,36 over type + unit + serial + version.
    text = REAL[0]
    type_code, unit, serial, version, check = text.removeprefix("1.2.156.3005.2.").split(".")
    assert mod37_36_check(type_code + unit + serial + version) == check


def test_identifier_has_the_national_form_and_parses_back() -> None:
    ident = CertificateId(TYPE, ISSUER, "00000000000000000042", 1)
    text = str(ident)
    assert text.startswith(f"1.2.156.3005.2.{TYPE}.{ISSUER}.00000000000000000042.001.")
    assert text[-1] == mod37_36_check(f"{TYPE}{ISSUER}00000000000000000042001")
    assert CertificateId.parse(text) == ident


def test_next_version_keeps_the_serial() -> None:
    ident = CertificateId(TYPE, ISSUER, new_serial(), 1).next_version()
    assert ident.version == 2
    assert ".002." in str(ident)


def test_a_wrong_check_character_is_refused_with_the_expected_one() -> None:
    text = str(CertificateId(TYPE, ISSUER, new_serial(), 7))
    wrong = text[:-1] + ("0" if text[-1] != "0" else "1")
    with pytest.raises(InvalidCode, match=f"the parts give '{text[-1]}'"):
        CertificateId.parse(wrong)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1.2.156.3005.1." + REAL[0].removeprefix("1.2.156.3005.2."), "must start with"),
        (REAL[0] + ".X", "5 parts"),
        (REAL[0].replace(".002.", ".2."), "version"),
        (REAL[0].replace(".20230000403.", ".2023000040x."), "serial"),
        (REAL[0].replace(".20230000403.", "." + "1" * 33 + "."), "serial"),
        (REAL[0].replace(".20230000403.", ".."), "serial"),
        (REAL[0].replace("11430000006122244L", "11430000006122244A"), "issuing unit code: check character"),
        (REAL[0].replace("11100000000013338W011", "11100000000013338W0X1"), "type code"),
        (REAL[0][:-1] + "SS", "one character"),
    ],
)
def test_malformed_identifiers_are_refused_naming_the_part(text: str, reason: str) -> None:
    with pytest.raises(InvalidCode, match=reason):
        CertificateId.parse(text)


def test_serials_are_20_random_digits() -> None:
    serials = {new_serial() for _ in range(1000)}
    assert len(serials) == 1000
    assert all(len(s) == 20 and s.isdigit() for s in serials)


def test_an_identifier_of_the_earlier_rule_is_legacy_and_found_by_parse_any() -> None:
    ident = CertificateId(TYPE, ISSUER, new_serial(), 1)
    old = str(ident)[:-1] + ident.legacy_check
    if ident.legacy_check == ident.check:  # one in 36: both rules agree, the identifier is simply valid
        assert not is_legacy(old)
        return
    assert is_legacy(old)
    assert parse_any(old) == ident
    with pytest.raises(InvalidCode):
        CertificateId.parse(old)
    assert not is_legacy(str(ident))
    assert not is_legacy(REAL[0])


_credit_codes = st.builds(
    lambda body: body + credit_code_check(body),
    st.tuples(
        st.text("0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=2, max_size=2),
        st.text("0123456789", min_size=6, max_size=6),
        st.text("0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=9, max_size=9),
    ).map("".join),
)


@given(
    authority=_credit_codes,
    number=st.integers(0, 999),
    unit=_credit_codes,
    serial=st.text(ALPHABET, min_size=1, max_size=32),
    version=st.integers(0, 999),
)
def test_random_conforming_identifiers_round_trip(
    authority: str, number: int, unit: str, serial: str, version: int
) -> None:
    ident = CertificateId(f"{authority}{number:03d}", unit, serial, version)
    text = str(ident)
    assert CertificateId.parse(text) == ident
    assert str(CertificateId.parse(text)) == text
    assert text.split(".")[-1] == mod37_36_check(f"{authority}{number:03d}{unit}{serial}{version:03d}")


def test_factory_credit_codes_make_valid_type_codes() -> None:
    assert CertificateId(credit_code() + "001", credit_code(), "1", 1)
