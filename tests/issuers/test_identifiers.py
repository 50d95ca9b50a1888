import pytest

from issuers.codes import mod37_36_check
from issuers.errors import InvalidCode
from issuers.identifiers import CertificateId, new_serial

TYPE = "11310000002418230T001"
ISSUER = "11310000002418230T"


def test_identifier_has_the_national_form_and_parses_back() -> None:
    ident = CertificateId(TYPE, ISSUER, "00000000000000000042", 1)
    text = str(ident)
    assert text.startswith(f"1.2.156.3005.2.{TYPE}.{ISSUER}.00000000000000000042.001.")
    body = text.rsplit(".", 1)[0].replace(".", "")
    assert text[-1] == mod37_36_check(body)
    assert CertificateId.parse(text) == ident


def test_next_version_keeps_the_serial() -> None:
    ident = CertificateId(TYPE, ISSUER, new_serial(), 1).next_version()
    assert ident.version == 2
    assert ".002." in str(ident)


def test_a_wrong_check_character_is_refused() -> None:
    text = str(CertificateId(TYPE, ISSUER, new_serial(), 7))
    wrong = text[:-1] + ("0" if text[-1] != "0" else "1")
    with pytest.raises(InvalidCode, match="check character"):
        CertificateId.parse(wrong)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ((TYPE, ISSUER, "123", 1), "serial"),
        ((TYPE, ISSUER, "0" * 20, 0), "version"),
        ((TYPE, ISSUER, "0" * 20, 1000), "version"),
        (("11310000002418230TABC", ISSUER, "0" * 20, 1), "3 digits"),
        ((TYPE, "11310000002418230A", "0" * 20, 1), "check character"),
    ],
)
def test_bad_parts_are_refused(args: tuple[str, str, str, int], reason: str) -> None:
    with pytest.raises(InvalidCode, match=reason):
        CertificateId(*args)


def test_serials_are_20_random_digits() -> None:
    serials = {new_serial() for _ in range(1000)}
    assert len(serials) == 1000
    assert all(len(s) == 20 and s.isdigit() for s in serials)
