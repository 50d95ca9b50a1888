"""`certverify archive check`: the four properties of archival packages (DA/T 70), checked on real packages
made as the exporter makes them (tests/verifiers/archive_packages.py) and then damaged, one thing at a time."""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import io
import json
import os
import random
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import bagit
import pytest
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pypdf import PdfReader, PdfWriter
from pypdf._codecs._codecs import LzwCodec  # pypdf's own encoder: only a test would make such a PDF

from issuers.compact import issue_compact
from issuers.signing import SoftwareSigner, generate_private_key
from issuers.x509ca import make_crl, to_pem
from tests.factories import pdf_document
from tests.verifiers.archive_packages import (
    DEPT,
    HOLDER_NAME,
    TYPE,
    Materials,
    certificate_package,
    document_package,
    flip,
    make_materials,
    rebag,
    replace,
    seal_of,
    series_name,
)
from verifiers import archive
from verifiers.archive import CODES, PROPERTIES, ArchiveChecker, ArchiveReport, PackageReport
from verifiers.cli import main
from verifiers.identifiers import CertificateId, new_serial

SD_JWT, RENDITION, DOCUMENT = "data/record/certificate.sd-jwt", "data/record/rendition.pdf", "data/record/document.pdf"
COMPACT = "data/record/certificate-compact.jwt"
METADATA, LOG, BUNDLE = "data/metadata.json", "data/evidence/log.json", "data/evidence/bundle.jwt"
CA, CRL = "data/evidence/ca.pem", "data/evidence/ca.crl"


@pytest.fixture(scope="module")
def materials() -> Materials:
    return make_materials()


@pytest.fixture(scope="module")
def pristine(materials: Materials, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One package of each kind, made once; tests damage copies."""
    export = tmp_path_factory.mktemp("pristine")
    return {
        "certificate": certificate_package(materials, export),
        "document": document_package(materials, export, stamp="pdf", ordinal=2),
        "detached": document_package(materials, export, stamp="detached", year=2025),
        "handed over": document_package(materials, export, stamp=None, year=2024),
    }


@pytest.fixture
def copy(pristine: dict[str, Path], tmp_path: Path) -> Callable[[str], Path]:
    def make(kind: str) -> Path:
        return Path(shutil.copytree(pristine[kind], tmp_path / kind.replace(" ", "-") / pristine[kind].name))

    return make


def check(*paths: Path, trusted: tuple[str, ...] = ()) -> ArchiveReport:
    report = ArchiveChecker(trusted).check(list(paths))
    for package in report.packages:
        for prop, problems in package.problems.items():
            assert {p.code for p in problems} <= CODES[prop], problems  # only codes of the declared vocabulary
    return report


def only(report: ArchiveReport) -> PackageReport:
    [package] = report.packages
    return package


def codes(package: PackageReport, prop: str) -> set[str]:
    return {p.code for p in package.problems[prop]}


def failed(package: PackageReport) -> set[str]:
    return {prop for prop in PROPERTIES if package.problems[prop]}


# Good packages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["certificate", "document", "detached", "handed over"])
def test_a_good_package_holds_all_four_properties(kind: str, pristine: dict[str, Path]) -> None:
    bagit.Bag(str(pristine[kind])).validate()  # the bag is valid by the library that made it, too
    package = only(check(pristine[kind]))
    assert package.passed, package.problems
    assert package.series and package.ordinal and package.bundle_kid


def test_the_cli_exits_0_and_prints_each_property(
    pristine: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["archive", "check", str(pristine["certificate"]), str(pristine["document"])]) == 0
    out = capsys.readouterr().out
    for prop in PROPERTIES:
        assert out.count(f"{prop:13} PASS") == 2
    assert "not pinned" in out  # the bundle was trusted on its own say, and the output says by which key


def test_the_json_report_has_its_shape(pristine: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["archive", "check", "--json", str(pristine["certificate"].parent.parent)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert set(document) == {"packages", "series", "passed"} and document["passed"] is True
    assert len(document["packages"]) == 4 and len(document["series"]) == 3
    package = document["packages"][0]
    assert {"path", "series", "ordinal", "properties"} <= set(package)
    assert set(package["properties"]) == set(PROPERTIES)
    assert package["properties"]["integrity"] == {"passed": True, "problems": []}
    assert {"series", "packages", "passed", "problems"} <= set(document["series"][0])


def test_a_package_aside_is_not_checked_and_one_without_a_category_is(copy: Callable[[str], Path]) -> None:
    package = copy("certificate")
    (package.parent / ".partial-certificate-x" / "data").mkdir(parents=True)  # an export writing one aside
    (package.parent / ".partial-certificate-x" / "bagit.txt").write_text("BagIt-Version: 0.97\n")
    metadata = json.loads((package / METADATA).read_text())
    metadata["archival"]["category"] = None  # its service item has none yet
    (package / METADATA).write_text(json.dumps(metadata, ensure_ascii=False))
    replace(package / "bag-info.txt", "Archive-Category: WS·2026·永久".encode(), b"Archive-Category: ")
    rebag(package)
    report = archive.check_paths([package.parent])
    assert report.passed and [p.path for p in report.packages] == [package]


def test_an_expired_or_revoked_certificate_is_still_authentic(materials: Materials, tmp_path: Path) -> None:
    expired = certificate_package(
        materials, tmp_path, valid_until=materials.now - 86400, status="revoked", long_term=False
    )
    assert only(check(expired)).passed


def test_the_bundle_pinned_by_its_key_passes_and_by_another_fails(
    materials: Materials, pristine: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert only(check(pristine["certificate"], trusted=(materials.registry.kid,))).passed
    package = only(check(pristine["certificate"], trusted=("someone-else",)))
    assert failed(package) == {"authenticity"} and "BUNDLE_UNTRUSTED" in codes(package, "authenticity")
    assert main(["archive", "check", str(pristine["certificate"]), "--trust-kid", "someone-else"]) == 1


# One byte changed ------------------------------------------------------------------------------------

CHANGED = [
    ("certificate", METADATA),
    ("certificate", SD_JWT),
    ("certificate", RENDITION),
    ("certificate", LOG),
    ("certificate", BUNDLE),
    ("certificate", CA),
    ("certificate", CRL),
    ("certificate", "bag-info.txt"),
    ("certificate", "manifest-sha256.txt"),
    ("document", DOCUMENT),
    ("detached", "data/record/stamp.jwt"),
]


@pytest.mark.parametrize(("kind", "name"), CHANGED)
def test_one_changed_byte_breaks_integrity(kind: str, name: str, copy: Callable[[str], Path]) -> None:
    package = copy(kind)
    flip(package / name)
    report = only(check(package))
    assert "integrity" in failed(report)
    assert codes(report, "integrity") & {"BAG_CHECKSUM_MISMATCH", "PAYLOAD_OXUM_MISMATCH"}


# The same changes, re-bagged by whoever made them: the manifests hold, the signatures do not.
TEXT, CHANGED_TEXT = b"Administrative decision", b"Administrative decisioN"  # in the signed bytes of the PDF
REBAGGED = [
    ("certificate", METADATA, HOLDER_NAME.encode(), "另一家公司".encode(), "authenticity", "METADATA_MISMATCH"),
    ("certificate", METADATA, b'"version": 1', b'"version": 2', "authenticity", "METADATA_MISMATCH"),
    ("certificate", METADATA, b'"format":', b'"format";', "usability", "NOT_JSON"),
    ("certificate", METADATA, b'"format"', b'"Format"', "usability", "UNKNOWN_FORMAT"),
    ("certificate", SD_JWT, b".eyJ", b".eyK", "usability", "NOT_AN_SD_JWT"),
    ("certificate", SD_JWT, b"~", b"!", "usability", "NOT_AN_SD_JWT"),
    ("certificate", RENDITION, b"Business licence", b"Business licencf", "authenticity", "PDF_SIGNATURE_INVALID"),
    ("certificate", LOG, b'"certificate:read"', b'"certificate:reaD"', "authenticity", "LOG_PROOF_INVALID"),
    ("certificate", BUNDLE, b".", b"!", "usability", "NOT_A_JWS"),
    ("certificate", "bag-info.txt", "市场".encode(), "卫生".encode(), "authenticity", "METADATA_MISMATCH"),
    ("certificate", "bag-info.txt", b"1 of ?", b"2 of ?", "authenticity", "METADATA_MISMATCH"),
    ("document", DOCUMENT, TEXT, CHANGED_TEXT, "authenticity", "PDF_SIGNATURE_INVALID"),
    ("handed over", DOCUMENT, TEXT, CHANGED_TEXT, "authenticity", "DOCUMENT_HASH_MISMATCH"),
    ("detached", DOCUMENT, TEXT, CHANGED_TEXT, "authenticity", "DOCUMENT_HASH_MISMATCH"),
]


@pytest.mark.parametrize(("kind", "name", "old", "new", "prop", "code"), REBAGGED)
def test_a_change_rebagged_is_caught_by_what_was_signed(
    kind: str, name: str, old: bytes, new: bytes, prop: str, code: str, copy: Callable[[str], Path]
) -> None:
    package = copy(kind)
    replace(package / name, old, new)
    rebag(package)
    report = only(check(package))
    assert "integrity" not in failed(report), report.problems["integrity"]
    assert code in codes(report, prop), report.problems
    assert "authenticity" in failed(report)  # a file that no longer parses cannot establish authenticity either


def in_jws_signature(data: bytes) -> int:
    """Where a character of a JWS's signature is (of the first part, in an SD-JWT)."""
    return data.split(b"~")[0].rindex(b".") + 10


def in_pem_signature(data: bytes) -> int:
    """Where a character of a PEM certificate's signature is: its last line of base64 but one."""
    return data.rindex(b"\n", 0, data.rindex(b"\n-----END")) - 10


@pytest.mark.parametrize(
    ("name", "find", "code"),
    [
        (SD_JWT, in_jws_signature, "SIGNATURE_INVALID"),
        (BUNDLE, in_jws_signature, "BUNDLE_INVALID"),
        (CA, in_pem_signature, "CA_INVALID"),  # the root's own signature
        (CRL, lambda data: len(data) - 3, "PDF_SIGNER_UNTRUSTED"),  # the list's signature (DER)
    ],
)
def test_a_changed_signature_byte_rebagged_fails_authenticity(
    name: str, find: Callable[[bytes], int], code: str, copy: Callable[[str], Path]
) -> None:
    package = copy("certificate")
    at = find((package / name).read_bytes())
    if name == CRL:
        flip(package / name, at)
    else:  # base64: another character of the alphabet, so that the file still parses
        data = (package / name).read_bytes()
        (package / name).write_bytes(data[:at] + (b"B" if data[at : at + 1] == b"A" else b"A") + data[at + 1 :])
    rebag(package)
    report = only(check(package))
    assert failed(report) == {"authenticity"} and code in codes(report, "authenticity"), report.problems


def test_a_log_entry_of_another_certificate_is_caught(copy: Callable[[str], Path]) -> None:
    package = copy("certificate")
    log = json.loads((package / LOG).read_text())
    log["entries"][0]["certificate"] = "1.2.156.3005.2.another"
    (package / LOG).write_text(json.dumps(log))
    rebag(package)
    assert {"LOG_PROOF_INVALID", "LOG_ENTRY_FOREIGN"} <= codes(only(check(package)), "authenticity")


def test_a_bundle_signed_by_a_stranger_is_refused(materials: Materials, copy: Callable[[str], Path]) -> None:
    package = copy("certificate")
    (package / BUNDLE).write_text(materials.bundle(SoftwareSigner(generate_private_key())))
    rebag(package)
    assert only(check(package)).passed  # trusted on its own say, as the output says
    assert "BUNDLE_UNTRUSTED" in codes(only(check(package, trusted=(materials.registry.kid,))), "authenticity")


def test_a_seal_compromised_after_signing_is_fine_and_before_is_not(
    materials: Materials, copy: Callable[[str], Path]
) -> None:
    package = copy("certificate")
    (package / BUNDLE).write_text(materials.bundle(compromised_at=materials.now + 3600))
    rebag(package)
    assert only(check(package)).passed
    (package / BUNDLE).write_text(materials.bundle(compromised_at=materials.now - 5 * 86400))
    rebag(package)
    report = only(check(package))
    assert failed(report) == {"authenticity"} and "KEY_COMPROMISED" in codes(report, "authenticity")


def revocation_list(materials: Materials, revoked_at: int) -> bytes:
    """The CA's list with the seal's certificate revoked (key compromise) at `revoked_at`."""
    at = dt.datetime.fromtimestamp(materials.now, dt.UTC)
    crl = make_crl(
        materials.ca_key,
        materials.root,
        [(materials.seal_certificate.serial_number, dt.datetime.fromtimestamp(revoked_at, dt.UTC))],
        now=at,
        next_update=at + dt.timedelta(days=7),
    )
    return crl.public_bytes(serialization.Encoding.DER)


def test_a_seal_certificate_revoked_before_the_pdf_was_signed_fails_and_after_does_not(
    materials: Materials, copy: Callable[[str], Path]
) -> None:
    package = copy("document")  # stamped an hour before `now`, give or take
    (package / CRL).write_bytes(revocation_list(materials, materials.now + 86400))
    rebag(package)
    assert only(check(package)).passed
    (package / CRL).write_bytes(revocation_list(materials, materials.now - 86400))
    rebag(package)
    report = only(check(package))
    assert failed(report) == {"authenticity"} and codes(report, "authenticity") == {"PDF_SIGNER_UNTRUSTED"}


def test_a_pdf_signed_by_another_departments_seal_is_not_the_records(materials: Materials, tmp_path: Path) -> None:
    other = seal_of(materials.ca_key, materials.root, "12310000MB2F3H4K5X", materials.now)
    package = document_package(materials, tmp_path, stamp=None)
    (package / DOCUMENT).write_bytes(materials.stamp((package / DOCUMENT).read_bytes(), "R0001", False, seal=other))
    (package / "data/evidence/seal-chain.pem").write_text(to_pem(other[1]))
    sha = hashlib.sha256((package / DOCUMENT).read_bytes()).hexdigest()
    metadata = json.loads((package / METADATA).read_text())
    metadata["record"]["sha256"] = sha
    (package / METADATA).write_text(json.dumps(metadata))
    rebag(package)
    assert codes(only(check(package)), "authenticity") == {"PDF_SIGNER_NOT_A_SEAL"}


def test_a_pdf_signed_under_another_ca_is_not_trusted(materials: Materials, copy: Callable[[str], Path]) -> None:
    package = copy("document")
    stranger = make_materials()
    (package / CA).write_text(to_pem(stranger.root))
    (package / CRL).write_bytes(stranger.crl.public_bytes(serialization.Encoding.DER))
    rebag(package)
    report = only(check(package))
    assert {"PDF_SIGNER_UNTRUSTED", "SEAL_CERTIFICATE_INVALID"} <= codes(report, "authenticity")


def test_evidence_not_from_the_ca_is_caught_even_where_no_pdf_signature_needs_it(
    materials: Materials, copy: Callable[[str], Path]
) -> None:
    package = copy("detached")  # its PDF carries no signature: the CA's files are not used to check one
    stranger = make_materials()
    (package / CRL).write_bytes(stranger.crl.public_bytes(serialization.Encoding.DER))
    (package / "data/evidence/seal-chain.pem").write_text(to_pem(stranger.seal_certificate))
    rebag(package)
    assert codes(only(check(package)), "authenticity") == {"CRL_INVALID", "SEAL_CERTIFICATE_INVALID"}


def test_a_compact_form_of_another_certificate_is_caught(materials: Materials, copy: Callable[[str], Path]) -> None:
    package = copy("certificate")
    other = str(CertificateId(TYPE, DEPT, new_serial(), 1))
    (package / COMPACT).write_text(
        issue_compact(other, HOLDER_NAME, materials.now, materials.now, None, (1, 1), materials.seal)
    )
    rebag(package)
    assert codes(only(check(package)), "authenticity") == {"COMPACT_MISMATCH"}


def test_a_detached_stamp_of_another_document_is_caught(
    materials: Materials, copy: Callable[[str], Path], tmp_path: Path
) -> None:
    package = copy("detached")
    other = document_package(materials, tmp_path / "other", stamp="detached", pdf=pdf_document(3))
    shutil.copy(other / "data/record/stamp.jwt", package / "data/record/stamp.jwt")
    rebag(package)
    assert {"DOCUMENT_HASH_MISMATCH", "METADATA_MISMATCH"} <= codes(only(check(package)), "authenticity")


@pytest.mark.parametrize(
    ("name", "old", "new", "prop", "code"),
    [
        (METADATA, b'"status": "valid"', b'"status": "vaLid"', "authenticity", "METADATA_INVALID"),
        (METADATA, b'"filing_date": "', b'"filing_date": "x', "authenticity", "METADATA_INVALID"),
        (METADATA, b'"version": 1,', b'"version": 1, "version": 1,', "usability", "NOT_JSON"),  # readers differ
        (METADATA, b'"area_code": "310115",', b"", "integrity", "METADATA_INCOMPLETE"),
        ("bagit.txt", b"UTF-8\n", b"UTF-8\nContact: nobody\n", "integrity", "BAG_INVALID"),
        ("bag-info.txt", b"Record-Kind: certificate\n", b"", "integrity", "BAG_INFO_INCOMPLETE"),
        (
            "bag-info.txt",
            b"Record-Kind: certificate\n",
            b"Record-Kind: certificate\nRecord-Kind: document\n",
            "integrity",
            "BAG_INFO_INVALID",
        ),
        (LOG, b'"outcome": "ok",', b'"outcome": "ok", "note": "added",', "authenticity", "LOG_MALFORMED"),
    ],
)
def test_a_description_out_of_its_form_is_caught(
    name: str, old: bytes, new: bytes, prop: str, code: str, copy: Callable[[str], Path]
) -> None:
    package = copy("certificate")
    replace(package / name, old, new)
    rebag(package)
    report = only(check(package))
    assert code in codes(report, prop), report.problems


# Files missing, added, replaced ----------------------------------------------------------------------


def test_a_removed_file_is_caught_under_integrity(copy: Callable[[str], Path]) -> None:
    package = copy("certificate")
    (package / RENDITION).unlink()
    report = only(check(package))
    assert {"BAG_FILE_MISSING", "REQUIRED_FILE_MISSING"} <= codes(report, "integrity")
    assert "UNVERIFIABLE" in codes(report, "authenticity")  # and what it would have shown is not shown
    rebag(package)
    report = only(check(package))
    assert codes(report, "integrity") == {"REQUIRED_FILE_MISSING"}


def test_a_lost_bagit_txt_still_finds_the_package(copy: Callable[[str], Path]) -> None:
    package = copy("document")
    (package / "bagit.txt").unlink()
    assert {"BAG_UNREADABLE", "REQUIRED_FILE_MISSING"} <= codes(only(check(package)), "integrity")


@pytest.mark.parametrize("name", ["data/record/notes.txt", "extra.txt"])
def test_an_added_file_is_caught_under_integrity(name: str, copy: Callable[[str], Path]) -> None:
    package = copy("certificate")
    (package / name).write_text("added afterwards\n")
    report = only(check(package))
    assert failed(report) == {"integrity"}
    assert "UNEXPECTED_FILE" in codes(report, "integrity")
    assert codes(report, "integrity") & {"BAG_UNEXPECTED_FILE", "NOT_IN_MANIFEST"}


def test_a_file_added_and_rebagged_is_still_not_part_of_the_package(copy: Callable[[str], Path]) -> None:
    package = copy("certificate")
    (package / "data/record/notes.txt").write_text("added afterwards\n")
    rebag(package)
    assert codes(only(check(package)), "integrity") == {"UNEXPECTED_FILE"}


def test_a_folder_in_place_of_a_file_is_caught(copy: Callable[[str], Path]) -> None:
    package = copy("certificate")
    (package / CRL).unlink()
    (package / CRL).mkdir()
    report = only(check(package))
    assert {"REQUIRED_FILE_MISSING", "BAG_FILE_MISSING"} <= codes(report, "integrity")
    assert any("folder" in p.message for p in report.problems["integrity"])


def test_a_truncated_pdf_is_caught(copy: Callable[[str], Path]) -> None:
    package = copy("certificate")
    (package / RENDITION).write_bytes((package / RENDITION).read_bytes()[:400])
    report = only(check(package))
    assert {"PAYLOAD_OXUM_MISMATCH", "BAG_CHECKSUM_MISMATCH"} <= codes(report, "integrity")
    rebag(package)
    report = only(check(package))
    assert failed(report) >= {"usability", "authenticity"} and "integrity" not in failed(report)


# PDFs that are not archival ----------------------------------------------------------------------------


def with_javascript(pdf: bytes) -> bytes:
    """The PDF with an /OpenAction that runs JavaScript, added by an incremental update (as after signing)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    action = generic.DictionaryObject(
        {
            generic.NameObject("/S"): generic.NameObject("/JavaScript"),
            generic.NameObject("/JS"): generic.TextStringObject("app.alert('hello')"),
        }
    )
    writer.root[generic.NameObject("/OpenAction")] = writer.add_object(action)
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_with_javascript_fails_security(copy: Callable[[str], Path]) -> None:
    package = copy("certificate")
    (package / RENDITION).write_bytes(with_javascript((package / RENDITION).read_bytes()))
    rebag(package)
    report = only(check(package))
    assert "PDF_ACTIVE_CONTENT" in codes(report, "security")
    assert "PDF_CHANGED_AFTER_SIGNING" in codes(report, "authenticity")  # and it changed what was signed


def test_javascript_in_a_replaced_revision_is_found_too(copy: Callable[[str], Path]) -> None:
    # Added, then overwritten by a later update: no reader would run it now, but the file still carries it.
    package = copy("handed over")
    pdf = with_javascript((package / DOCUMENT).read_bytes())
    (package / DOCUMENT).write_bytes(pdf.replace(b"/OpenAction", b"/OpenActioX"))
    rebag(package)
    assert "PDF_ACTIVE_CONTENT" in codes(only(check(package)), "security")


def encrypted(pdf: bytes) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def lzw_compressed(pdf: bytes) -> bytes:
    """The one-page PDF with its page content LZW-compressed (a patent-encumbered filter PDF/A refuses)."""
    text = b"BT /F1 18 Tf 72 760 Td (Administrative decision, page 1 of 1) Tj ET"
    packed = LzwCodec().encode(text)
    old = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text)
    new = b"<< /Length %d /Filter /LZWDecode >>\nstream\n%s\nendstream" % (len(packed), packed)
    return pdf.replace(old, new)


@pytest.mark.parametrize(
    ("make", "code"),
    [(encrypted, "PDF_ENCRYPTED"), (lzw_compressed, "PDF_FILTER_NOT_ALLOWED")],
    ids=["encrypted", "lzw"],
)
def test_a_pdf_that_is_not_archival_fails_usability(
    make: Callable[[bytes], bytes], code: str, materials: Materials, tmp_path: Path
) -> None:
    package = document_package(materials, tmp_path, stamp=None, pdf=make(pdf_document(1)))
    report = only(check(package))
    assert code in codes(report, "usability")
    assert "integrity" not in failed(report) and "security" not in failed(report)


def test_a_pdf_page_without_text_fails_usability(materials: Materials, tmp_path: Path) -> None:
    blank = pdf_document(1).replace(b"(Administrative decision, page 1 of 1) Tj", b"() Tj" + b" " * 38)
    report = only(check(document_package(materials, tmp_path, stamp=None, pdf=blank)))
    assert codes(report, "usability") == {"PDF_PAGE_WITHOUT_TEXT"} and failed(report) == {"usability"}


# The file system ---------------------------------------------------------------------------------------


def test_a_symlink_fails_security(copy: Callable[[str], Path], tmp_path: Path) -> None:
    package = copy("certificate")
    outside = tmp_path / "outside.crl"
    shutil.move(package / CRL, outside)
    os.symlink(outside, package / CRL)
    report = only(check(package))
    assert "SYMLINK" in codes(report, "security")
    assert "BAG_NOT_VALIDATED" in codes(report, "integrity")  # bagit would follow it: not run


def test_an_executable_bit_fails_security(copy: Callable[[str], Path]) -> None:
    package = copy("certificate")
    (package / CA).chmod(0o755)
    report = only(check(package))
    assert failed(report) == {"security"} and codes(report, "security") == {"EXECUTABLE_PERMISSION"}


def test_an_executable_named_pdf_fails_security(copy: Callable[[str], Path]) -> None:
    package = copy("handed over")
    (package / DOCUMENT).write_bytes(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(200) + b"This program cannot be run")
    rebag(package)
    report = only(check(package))
    assert "EXECUTABLE_CONTENT" in codes(report, "security")
    assert "PDF_UNREADABLE" in codes(report, "usability")


def test_a_file_of_another_type_fails_security(copy: Callable[[str], Path]) -> None:
    package = copy("document")
    (package / "data/record/macro.docm").write_bytes(b"not really a document")
    rebag(package)
    assert "FILE_TYPE_NOT_ALLOWED" in codes(only(check(package)), "security")


def test_a_manifest_path_out_of_the_bag_fails_security(copy: Callable[[str], Path]) -> None:
    package = copy("document")
    with (package / "manifest-sha256.txt").open("a") as f:
        f.write("0" * 64 + "  data/../../escape.json\n")
    report = only(check(package))
    assert "PATH_ESCAPES" in codes(report, "security") and "integrity" in failed(report)


# Series ------------------------------------------------------------------------------------------------


@pytest.fixture
def series(materials: Materials, tmp_path: Path) -> Callable[..., list[Path]]:
    def make(total: int | None, ordinals: tuple[int, ...] = (1, 2, 3)) -> list[Path]:
        export = tmp_path / "export"
        return [
            certificate_package(materials, export, ordinal=n, total=total, year=2023, long_term=False) for n in ordinals
        ]

    return make


def series_codes(report: ArchiveReport) -> set[str]:
    return {p.code for s in report.series for p in s.problems}


def test_a_complete_series_passes(series: Callable[..., list[Path]]) -> None:
    packages = series(3)
    report = check(packages[0].parent)
    assert report.passed and [s.series for s in report.series] == [series_name(2023)]


def test_a_series_missing_its_middle_has_a_gap(
    series: Callable[..., list[Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    packages = series(None)
    shutil.rmtree(packages[1])
    report = check(packages[0].parent.parent)
    assert all(p.passed for p in report.packages) and series_codes(report) == {"SERIES_GAP"}
    assert "2 missing" in report.series[0].problems[0].message
    assert main(["archive", "check", str(packages[0].parent)]) == 1
    assert "SERIES_GAP" in capsys.readouterr().out


def test_a_series_missing_its_last_has_a_gap_when_the_total_is_declared(series: Callable[..., list[Path]]) -> None:
    packages = series(3)
    shutil.rmtree(packages[2])
    assert series_codes(check(packages[0].parent)) == {"SERIES_GAP"}


def test_a_series_missing_its_last_while_open_cannot_tell(series: Callable[..., list[Path]]) -> None:
    packages = series(None)
    shutil.rmtree(packages[2])
    assert check(packages[0].parent).passed


def test_a_duplicate_ordinal_is_caught(series: Callable[..., list[Path]]) -> None:
    packages = series(3, (1, 2, 2, 3))
    assert series_codes(check(packages[0].parent)) == {"SERIES_DUPLICATE_ORDINAL"}


def test_mixed_totals_are_caught(series: Callable[..., list[Path]]) -> None:
    packages = series(3)
    replace(packages[2] / "bag-info.txt", b"3 of 3", b"3 of 4")
    rebag(packages[2])
    assert "SERIES_TOTAL_MISMATCH" in series_codes(check(packages[0].parent))


def test_a_package_named_alone_is_not_judged_for_its_series_gaps(series: Callable[..., list[Path]]) -> None:
    packages = series(3)
    assert check(packages[1]).passed


# Damage of every kind never stops the check --------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_garbage_everywhere_gives_a_report_not_a_crash(
    seed: int, copy: Callable[[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    rng = random.Random(seed)
    package = copy(["certificate", "document", "detached", "handed over"][seed])
    for path in sorted(package.rglob("*")):
        if path.is_file():
            size = rng.choice([0, 1, 7, 300, path.stat().st_size])
            path.write_bytes(rng.randbytes(size))
    assert main(["archive", "check", str(package)]) == 1
    capsys.readouterr()
    assert main(["archive", "check", "--json", str(package)]) == 1
    assert json.loads(capsys.readouterr().out)["passed"] is False


@pytest.mark.parametrize("cut", [0, 10, 100, 1000, 5000])
def test_every_file_truncated_gives_a_report(cut: int, copy: Callable[[str], Path]) -> None:
    package = copy("certificate")
    for path in package.rglob("*"):
        if path.is_file():
            path.write_bytes(path.read_bytes()[:cut])
    report = only(check(package))
    assert "integrity" in failed(report) and "authenticity" in failed(report)


# Usage ---------------------------------------------------------------------------------------------------


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["archive", "check", str(tmp_path / "missing")]) == 2
    (tmp_path / "empty").mkdir()
    assert main(["archive", "check", str(tmp_path / "empty")]) == 2
    assert "looks like an archival package" in capsys.readouterr().err


def test_the_checker_imports_nothing_of_the_registry() -> None:
    declared = {"bagit", "pypdf", "pyhanko", "pyhanko_certvalidator", "asn1crypto", "cryptography", "jwt", "verifiers"}
    tree = ast.parse(Path(archive.__file__).read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
        if not isinstance(node, ast.ImportFrom) or node.module
    }
    assert imported - declared <= sys.stdlib_module_names
