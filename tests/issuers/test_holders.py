"""Holders' documents: each kind's number, check, birth date, masking, and telling the kinds apart."""

import datetime as dt

import pytest

from issuers.holders import HolderKind, holder_document, mask
from registry.principals import holder_ref
from verifiers.errors import InvalidCode

TODAY = dt.date(2026, 11, 30)

# Numbers of the published forms. The two foreigners' cards are the examples another, independent
# implementation tests with (credentialkit, Java); the resident card is GB 11643's own example.
VALID = [
    ("person", "11010519491231002X", None, "110105********002X", dt.date(1949, 12, 31)),
    ("organization", "9144030071526726XG", None, "914403********26XG", None),
    ("foreign_permanent_resident", "911398199012310021", None, "911398**********21", dt.date(1990, 12, 31)),
    ("foreign_permanent_resident", "KAZ110090123105", None, "KAZ**********05", dt.date(1990, 12, 31)),
    ("hmt_residence_permit", "810000199408230021", None, "81************0021", dt.date(1994, 8, 23)),
    ("hmt_residence_permit", "830000199001011234", None, "83************1234", dt.date(1990, 1, 1)),
    ("passport", "E12345678", "CHN", "CHN:******678", None),
    ("passport", "USA:561234987", None, "USA:******987", None),
]


@pytest.mark.parametrize(("kind", "number", "country", "masked", "birth"), VALID)
def test_each_document_kind_is_checked_and_masked_by_its_rule(
    kind: str, number: str, country: str | None, masked: str, birth: dt.date | None
) -> None:
    document = holder_document(kind, number, country, today=TODAY)
    assert document.kind == kind
    assert document.masked == masked
    assert document.birth_date == birth


def test_a_passport_is_written_with_its_country() -> None:
    assert holder_document("passport", "E12345678", "CHN").number == "CHN:E12345678"
    assert holder_document("passport", "CHN:E12345678").country == "CHN"


@pytest.mark.parametrize(
    ("kind", "number", "country", "reason"),
    [
        # The 2023 foreigners' card and the residence permits are GB 11643 numbers too: told apart, not mixed up.
        ("person", "911398199012310021", None, "foreigners' permanent residence identity card"),
        ("person", "810000199408230021", None, "Hong Kong, Macao and Taiwan"),
        ("hmt_residence_permit", "11010519491231002X", None, "resident identity card"),
        ("foreign_permanent_resident", "11010519491231002X", None, "resident identity card"),
        ("foreign_permanent_resident", "911999199012310021", None, "no ISO 3166 country number"),
        ("foreign_permanent_resident", "911398199002310021", None, "not a date"),
        ("foreign_permanent_resident", "911398199012310022", None, "check character"),
        ("foreign_permanent_resident", "KAA110090123105", None, "no ISO 3166 country code"),
        ("foreign_permanent_resident", "KAZ990090123105", None, "province"),
        ("foreign_permanent_resident", "KAZ110090023105", None, "not a date"),
        ("foreign_permanent_resident", "KAZ110090123107", None, "check character"),
        ("foreign_permanent_resident", "KAZ11009012310", None, "15 or 18"),
        ("person", "110105194912310021", None, "check character"),
        ("person", "11010519491331002X", None, "not a date"),
        ("person", "1101051949123100X2", None, "17 digits"),
        ("person", "11010519491231002", None, "18 characters"),
        ("person", "990105194912310021", None, "area code"),
        ("passport", "E12345678", None, "issuing country"),
        ("passport", "E12345678", "XYZ", "no ISO 3166"),
        ("passport", "E12345678", "chn", "no ISO 3166"),
        ("passport", "E1", "CHN", "5 to 20"),
        ("passport", "E1234-678", "CHN", "5 to 20"),
        ("person", "11010519491231002X", "CHN", "only a passport"),
        ("citizen", "11010519491231002X", None, "holder kind"),
    ],
)
def test_bad_numbers_are_refused_with_the_reason(kind: str, number: str, country: str | None, reason: str) -> None:
    with pytest.raises(InvalidCode, match=reason):
        holder_document(kind, number, country, today=TODAY)


@pytest.mark.parametrize(
    ("kind", "body"),
    [("person", "11010520270101002"), ("hmt_residence_permit", "82000020270101002"), ("person", "11010518991231002")],
)
def test_birth_dates_in_the_future_or_before_1900_are_refused(kind: str, body: str) -> None:
    from verifiers.codes import citizen_id_check

    with pytest.raises(InvalidCode, match=r"in the future|before 1900"):
        holder_document(kind, body + citizen_id_check(body), today=TODAY)


def test_a_two_digit_birth_year_is_read_in_the_latest_century_not_in_the_future() -> None:
    from verifiers.codes import icao_check

    body = "USA3100" + "000101" + "1"  # born 1 January 2000
    assert holder_document("foreign_permanent_resident", body + icao_check(body), today=TODAY).birth_date == dt.date(
        2000, 1, 1
    )
    body = "USA3100" + "991231" + "1"  # 2099 would be in the future: 1999
    assert holder_document("foreign_permanent_resident", body + icao_check(body), today=TODAY).birth_date == dt.date(
        1999, 12, 31
    )


def test_the_same_number_under_two_kinds_names_two_holders() -> None:
    assert holder_ref("k", HolderKind.PERSON, "X") != holder_ref("k", HolderKind.HMT_RESIDENCE_PERMIT, "X")


def test_mask_of_an_unknown_kind_shows_little() -> None:
    assert mask("other", "ABCDEFGH") == "******GH"
