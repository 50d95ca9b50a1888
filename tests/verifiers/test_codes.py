import pytest

from verifiers.codes import citizen_id_check, credit_code_check, icao_check, mod37_36_check, validate_credit_code
from verifiers.errors import InvalidCode


@pytest.mark.parametrize("code", ["9144030071526726XG", "91110000802100433B", "11310000002418230T"])
def test_real_credit_codes_pass(code: str) -> None:
    assert validate_credit_code(code) == code


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("9144030071526726XA", "check character"),
        ("9144030071526726X", "18 characters"),
        ("9144030071526726IG", "not allowed: I"),
        ("91440300715267260Z", "not allowed: Z"),
        ("91A4030071526726XG", "administrative division"),
    ],
)
def test_bad_credit_codes_are_refused_with_the_reason(code: str, reason: str) -> None:
    with pytest.raises(InvalidCode, match=reason):
        validate_credit_code(code)


def test_credit_code_check_is_31_minus_the_weighted_sum_mod_31() -> None:
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "9144030071526726X"
    total = sum(alphabet.index(c) * w for c, w in zip(body, weights, strict=True))
    assert credit_code_check(body) == alphabet[(31 - total % 31) % 31] == "G"


def test_gb11643_example_id_has_check_x() -> None:
    assert citizen_id_check("11010519491231002") == "X"


def test_icao_9303_check_digit_of_the_specimen_passport_number() -> None:
    # ICAO Doc 9303 part 3's specimen: document number L898902C3, check digit 6.
    assert icao_check("L898902C3") == "6"


def test_iso7064_mod37_36_reference_example() -> None:
    # ISO/IEC 7064 gives A12425GABC1234002M for MOD 37,36.
    assert mod37_36_check("A12425GABC1234002") == "M"


def test_mod37_36_catches_every_single_character_change() -> None:
    text = "A12425GABC1234002"
    for i in range(len(text)):
        for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            if c != text[i]:
                changed = text[:i] + c + text[i + 1 :]
                assert mod37_36_check(changed) != "M", changed
