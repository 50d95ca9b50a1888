"""Checking archival packages offline for the four properties of DA/T 70: authenticity, integrity,
usability and security.

A package is a BagIt bag (RFC 8493) in the layout `registry-archive-package/1`: one record (a certificate
or a document), its signed forms and the evidence to check them with, which is the registry's signed
bundle of keys, its CA's root and revocation list, the seal certificates and the record's access-log
entries with inclusion proofs. Packages are grouped in series (Bag-Group-Identifier), numbered by
Bag-Count. Nothing here needs the registry, a database or the network.

Every problem is reported with the file, a stable code and a message, under the property it breaks; a
check that cannot run is a problem, never a pass, and nothing in a package can make the check crash.

The codes, by property, are `CODES`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import functools
import hashlib
import io
import json
import os
import re
import stat
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

import bagit
import jwt
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from jwt.algorithms import ECAlgorithm, OKPAlgorithm
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject, read_object

from verifiers import formats, jose
from verifiers.bundle import read_bundle
from verifiers.checkpoint import verify_checkpoint
from verifiers.errors import InvalidCode, InvalidSignedForm, VerificationError
from verifiers.formats import Bundle, Checkpoint
from verifiers.identifiers import ROOT, parse_any
from verifiers.jose import KeyRing, SignatureFailed
from verifiers.keychain import thumbprint
from verifiers.logentry import FIELDS as LOG_FIELDS
from verifiers.logentry import entry_bytes
from verifiers.merkle import InvalidProof, leaf_hash, verify_inclusion
from verifiers.verify import Verifier

FORMAT = "registry-archive-package/1"
PROPERTIES = ("authenticity", "integrity", "usability", "security")
AUTHENTICITY, INTEGRITY, USABILITY, SECURITY = PROPERTIES
KINDS = ("certificate", "document")
# Every code a report may carry, by the property it is reported under (a series' codes are integrity's).
CODES = {
    AUTHENTICITY: frozenset(
        {
            "BUNDLE_INVALID",  # the bundle of keys does not read, or breaks a key rule
            "BUNDLE_UNTRUSTED",  # the bundle is not signed by a pinned key (--trust-kid) nor one its chain leads to
            "UNVERIFIABLE",  # something authenticity needs is missing or unusable
            "SIGNATURE_INVALID",  # a JWS (certificate, compact form, stamp) fails its format, key or signature
            "KEY_COMPROMISED",  # signed at or after its key's compromise
            "KEY_RETIRED",  # signed after its key was retired
            "KEY_NOT_VALID_AT_SIGNING",  # signed outside its key's validity
            "ISSUER_MISMATCH",  # signed by a seal of another department than the record names
            "UNSUPPORTED_SD_ALG",
            "MALFORMED_DISCLOSURE",
            "DISCLOSURE_NOT_SIGNED",  # a disclosure whose digest the certificate does not carry
            "METADATA_MISMATCH",  # metadata.json or bag-info.txt says other than the signed record or each other
            "METADATA_INVALID",  # a metadata value not of its form (a time, a count) or outside its vocabulary
            "COMPACT_MISMATCH",  # the compact form names another certificate
            "DOCUMENT_HASH_MISMATCH",  # the document is not the one the metadata or the stamp names
            "PDF_NOT_SIGNED",  # a PDF that must carry a seal's signature carries none
            "PDF_SIGNATURE_INVALID",  # a PDF signature that does not hold over its bytes, or cannot be validated
            "PDF_SIGNER_UNTRUSTED",  # does not chain to ca.pem, or its certificate was revoked when it signed
            "PDF_TIMESTAMP_INVALID",  # a signature's or the document's time-stamp does not hold
            "PDF_CHANGED_AFTER_SIGNING",  # revisions after a signature change more than signatures and their data
            "PDF_SIGNER_NOT_A_SEAL",  # signed by a key the bundle does not list as the department's seal
            "SEAL_CERTIFICATE_NOT_LISTED",  # seal-chain.pem has no certificate of the key that signed a PDF
            "CA_INVALID",  # ca.pem holds a certificate that is not a root whose own signature verifies
            "CRL_INVALID",  # ca.crl is not signed by the CA of ca.pem
            "SEAL_CERTIFICATE_INVALID",  # seal-chain.pem holds a certificate the CA of ca.pem did not issue
            "CHECKPOINT_INVALID",  # the log checkpoint is not signed by a registry key of the bundle
            "LOG_MALFORMED",  # log.json or one of its entries is not in its form
            "LOG_ORIGIN_MISMATCH",
            "LOG_PROOF_INVALID",  # an entry is not in the log the checkpoint signs
            "LOG_ENTRY_FOREIGN",  # an entry about another certificate
            "CHECK_FAILED",  # a check that could not run
        }
    ),
    INTEGRITY: frozenset(
        {
            "BAG_UNREADABLE",  # bagit cannot open the bag
            "BAG_INVALID",  # bagit's validation fails without naming a file (structure, bagit.txt)
            "PAYLOAD_OXUM_MISMATCH",
            "BAG_CHECKSUM_MISMATCH",  # bagit: a file is not the one its manifest lists
            "BAG_FILE_MISSING",  # bagit: a listed file is not there
            "BAG_UNEXPECTED_FILE",  # bagit: a payload file no manifest lists
            "BAG_NOT_VALIDATED",  # bagit was not run: the bag holds links or special files
            "NOT_IN_MANIFEST",  # a file one of the manifests leaves out
            "UNEXPECTED_FILE",  # a file or folder that is not part of the layout
            "REQUIRED_FILE_MISSING",
            "FILE_UNREADABLE",
            "RECORD_KIND_UNKNOWN",
            "BAG_INFO_INCOMPLETE",
            "BAG_INFO_INVALID",
            "METADATA_INCOMPLETE",
            "CHECK_FAILED",
            "SERIES_GAP",  # a series: an ordinal missing from 1 to the last, or to the declared total
            "SERIES_DUPLICATE_ORDINAL",
            "SERIES_TOTAL_MISMATCH",  # packages of one series declare different totals
            "SERIES_BEYOND_TOTAL",
        }
    ),
    USABILITY: frozenset(
        {
            "NOT_UTF8",
            "NOT_JSON",
            "UNKNOWN_FORMAT",  # metadata.json is not registry-archive-package/1
            "NOT_A_JWS",
            "NOT_AN_SD_JWT",
            "NOT_X509_PEM",
            "NOT_DER_CRL",
            "PDF_UNREADABLE",
            "PDF_ENCRYPTED",
            "PDF_NO_PAGES",
            "PDF_PAGE_WITHOUT_TEXT",
            "PDF_FILTER_NOT_ALLOWED",  # a stream compressed otherwise than by an open, archival filter
            "CHECK_FAILED",
        }
    ),
    SECURITY: frozenset(
        {
            "SYMLINK",
            "NOT_A_REGULAR_FILE",  # a device, pipe or socket
            "EXECUTABLE_PERMISSION",
            "PATH_ESCAPES",  # a manifest lists a path outside the bag
            "FILE_TYPE_NOT_ALLOWED",  # an extension that is not an archival type
            "CONTENT_NOT_OF_TYPE",  # content that is not what its extension says
            "EXECUTABLE_CONTENT",  # an executable or archive, whatever its name
            "PDF_ACTIVE_CONTENT",  # JavaScript, launch or submit actions, embedded files, XFA in a PDF
            "CHECK_FAILED",
        }
    ),
}

# The layout. Tag files at the top; the payload under data/.
CHECKSUMS = ("sha256", "sha512")
REQUIRED_TAG_FILES = (
    "bagit.txt",
    "bag-info.txt",
    *(f"{prefix}-{alg}.txt" for prefix in ("manifest", "tagmanifest") for alg in CHECKSUMS),
)
MANIFEST_NAME = re.compile(r"^(tag)?manifest-[a-z0-9]+\.txt$")
METADATA = "data/metadata.json"
SD_JWT = "data/record/certificate.sd-jwt"
COMPACT = "data/record/certificate-compact.jwt"
RENDITION = "data/record/rendition.pdf"
DOCUMENT = "data/record/document.pdf"
STAMP = "data/record/stamp.jwt"
LOG = "data/evidence/log.json"
BUNDLE = "data/evidence/bundle.jwt"
CA = "data/evidence/ca.pem"
SEAL_CHAIN = "data/evidence/seal-chain.pem"
CRL = "data/evidence/ca.crl"
EVIDENCE = (METADATA, LOG, BUNDLE, CA, SEAL_CHAIN, CRL)
LOG_ENTRY_NAMES = frozenset({*LOG_FIELDS, "leaf_format", "proof"})  # an entry's stored fields and its proof
REQUIRED = {"certificate": (*EVIDENCE, SD_JWT, RENDITION), "document": (*EVIDENCE, DOCUMENT)}
OPTIONAL = {"certificate": (COMPACT,), "document": (STAMP,)}
FOLDERS = frozenset({"data", "data/record", "data/evidence"})
BAG_INFO_FIELDS = (
    "Source-Organization",
    "External-Identifier",
    "Bag-Group-Identifier",
    "Bag-Count",
    "Bagging-Date",
    "Record-Kind",
    "Archive-Category",
    "Retention-Period",
    "Payload-Oxum",
)
BAGIT_TXT = re.compile(rb"BagIt-Version: [0-9]+\.[0-9]+\r?\nTag-File-Character-Encoding: [A-Za-z0-9_-]+\r?\n?")
MAY_BE_EMPTY = ("Archive-Category",)  # a service item may have no category yet: the label, empty
BAG_COUNT = re.compile(r"^([1-9][0-9]*) of ([1-9][0-9]*|\?)$")
RETENTION = re.compile(r"^([1-9][0-9]*) years$|^permanent$")
METADATA_FIELDS = {
    "certificate": [
        "identifier",
        "type.code",
        "type.name",
        "licence_number",
        "version",
        "issuing_authority.credit_code",
        "issuing_authority.name",
        "defining_authority",
        "holder.kind",
        "holder.name",
        "holder.id_masked",
        "issued_at",
        "valid_from",
        "valid_until",
        "area_code",
        "service_item.code",
        "service_item.name",
        "status",
        "status_history",
        "fields",
    ],
    "document": [
        "reference",
        "name",
        "title",
        "media_type",
        "sha256",
        "department.credit_code",
        "department.name",
        "service_item.code",
        "service_item.name",
        "deposited_at",
        "decided_at",
        "stamp",
        "status_history",
    ],
    "stamp": ["reference", "kind", "seal_kid", "stamped_at", "status"],
    "archival": [
        "category",
        "retention.years",
        "retention.event",
        "retention.until",
        "filing_date",
        "series",
        "ordinal",
        "department",
        "service_item",
        "filing_deadline",
    ],
}


def _time(value: Any) -> bool:
    return _epoch(value) is not None


def _time_or_null(value: Any) -> bool:
    return value is None or _time(value)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _history(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(e, dict) and _time(e.get("at")) for e in value)


CERTIFICATE_STATUSES = ("valid", "suspended", "revoked", "superseded", "expired")
# The metadata's values of a fixed form, by path (in the record, its stamp, or the archival section).
METADATA_FORMS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "issued_at": (_time, "an ISO 8601 time"),
    "valid_from": (_time, "an ISO 8601 time"),
    "valid_until": (_time_or_null, "an ISO 8601 time or null"),
    "deposited_at": (_time, "an ISO 8601 time"),
    "decided_at": (_time_or_null, "an ISO 8601 time or null"),
    "stamp.stamped_at": (_time, "an ISO 8601 time"),
    "filing_date": (_time, "an ISO 8601 time"),
    "filing_deadline": (_time, "an ISO 8601 time"),
    "retention.until": (_time_or_null, "an ISO 8601 time or null"),
    "retention.years": (lambda v: v is None or _count(v), "a number of years, or null for permanent retention"),
    "ordinal": (_count, "a positive integer"),
    "version": (_count, "a positive integer"),
    "status": (lambda v: v in CERTIFICATE_STATUSES, " or ".join(CERTIFICATE_STATUSES)),
    "stamp.kind": (lambda v: v in ("pdf", "detached"), "pdf or detached"),
    "sha256": (lambda v: isinstance(v, str) and re.fullmatch("[0-9a-f]{64}", v) is not None, "a SHA-256 in hex"),
    "status_history": (_history, "a list of events with their time (at)"),
    "fields": (lambda v: isinstance(v, dict), "an object"),
}

# Security: the file types a package may hold, and what each must look like from its first bytes.
_PEM_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]*-----END CERTIFICATE-----")
_JWS_TEXT = re.compile(rb"^[A-Za-z0-9_\-.~]+\s*$")
_TEXT = re.compile(rb"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")
MAGIC: dict[str, Callable[[bytes], bool]] = {
    ".json": lambda d: d.lstrip()[:1] in (b"{", b"["),
    ".pdf": lambda d: d.startswith(b"%PDF-"),
    ".sd-jwt": lambda d: bool(_JWS_TEXT.match(d)),
    ".jwt": lambda d: bool(_JWS_TEXT.match(d)),
    ".pem": lambda d: d.lstrip().startswith(b"-----BEGIN "),
    ".crl": lambda d: d[:1] == b"\x30",
    ".txt": lambda d: bool(_TEXT.match(d)),
}
# Executables and archives, by their first bytes: Windows PE, ELF, Mach-O, scripts, ZIP (jar, docm).
EXECUTABLE_MAGIC = (
    *(b"MZ", b"\x7fELF", b"\xfe\xed\xfa", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"),
    *(b"#!", b"PK\x03\x04"),
)

# PDF: open, standard stream filters only (with the abbreviations of inline images), and no active content.
PDF_FILTERS = frozenset(
    [
        "FlateDecode",
        "DCTDecode",
        "ASCIIHexDecode",
        "ASCII85Decode",
        "RunLengthDecode",
        "CCITTFaxDecode",
        "JBIG2Decode",
        "JPXDecode",
        "Fl",
        "DCT",
        "AHx",
        "A85",
        "RL",
        "CCF",
    ]
)
PDF_ACTIVE = frozenset(
    [
        "JavaScript",
        "JS",
        "Launch",
        "EmbeddedFile",
        "EmbeddedFiles",
        "RichMedia",
        "GoToE",
        "ImportData",
        "SubmitForm",
        "XFA",
    ]
)
T = TypeVar("T")
_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*([0-9]{1,12})\s+([0-9]{1,12})\s+([0-9]{1,12})\s+([0-9]{1,12})\s*\]")
_HEX_STRING = re.compile(rb"<[0-9A-Fa-f\x00\t\n\f\r ]*>")
_PDF_OBJECT = re.compile(rb"(?<![0-9])[0-9]{1,10}[\x00\t\n\f\r ]+[0-9]{1,5}[\x00\t\n\f\r ]+obj(?![A-Za-z0-9])")


class NoPackages(VerificationError):
    """A path to check that does not exist, or under which nothing looks like a package."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a package or series: the file (relative to the bag, empty for the whole), a stable
    code and a message."""

    file: str
    code: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"file": self.file, "code": self.code, "message": self.message}


@dataclass
class PackageReport:
    """The four properties of one package, each with its problems (none: the property holds)."""

    path: Path
    series: str | None = None
    ordinal: int | None = None
    total: int | None = None  # T of "N of T"; None while the series is open ("N of ?")
    bundle_kid: str | None = None
    problems: dict[str, list[Problem]] = field(default_factory=lambda: {p: [] for p in PROPERTIES})

    @property
    def passed(self) -> bool:
        return not any(self.problems.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "series": self.series,
            "ordinal": self.ordinal,
            "bundle_kid": self.bundle_kid,
            "passed": self.passed,
            "properties": {
                name: {"passed": not problems, "problems": [p.to_json() for p in problems]}
                for name, problems in self.problems.items()
            },
        }


@dataclass
class SeriesReport:
    """A series' completeness over the packages checked: ordinals 1 to the last, or to the declared total."""

    series: str
    packages: list[Path]
    problems: list[Problem] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "series": self.series,
            "packages": [str(p) for p in self.packages],
            "passed": self.passed,
            "problems": [p.to_json() for p in self.problems],
        }


@dataclass
class ArchiveReport:
    packages: list[PackageReport]
    series: list[SeriesReport]

    @property
    def passed(self) -> bool:
        return all(p.passed for p in self.packages) and all(s.passed for s in self.series)

    def to_json(self) -> dict[str, Any]:
        return {
            "packages": [p.to_json() for p in self.packages],
            "series": [s.to_json() for s in self.series],
            "passed": self.passed,
        }


def find_packages(paths: Iterable[Path]) -> list[tuple[Path, bool]]:
    """Every package under `paths`, with whether it was given itself (True) or found in a folder given.

    A package is a folder holding bagit.txt (or, when that is lost, bag-info.txt); folders inside one are not
    searched, nor are hidden folders or symbolic links. Raise NoPackages for a path that does not exist or
    when none is found.
    """
    found: dict[Path, bool] = {}
    for path in paths:
        if not path.is_dir():
            raise NoPackages(f"{path}: {'not a folder' if path.exists() else 'no such folder'}")
        if _looks_like_bag(path):
            found[path] = True
            continue
        for folder, subfolders, _files in os.walk(path):
            # A hidden folder is not a package yet (the exporter writes one aside as `.partial-<name>`).
            subfolders[:] = sorted(s for s in subfolders if not s.startswith("."))
            if _looks_like_bag(Path(folder)):
                found.setdefault(Path(folder), False)
                subfolders.clear()
    if not found:
        raise NoPackages("nothing under the paths given looks like an archival package (a folder with bagit.txt)")
    return sorted(found.items())


def check_paths(paths: Iterable[Path], trusted_kids: Sequence[str] = ()) -> ArchiveReport:
    """Check every package under `paths` (packages, series folders, export folders) and their series, with a
    checker of its own; raise NoPackages when there is nothing to check."""
    return ArchiveChecker(trusted_kids).check(paths)


def _looks_like_bag(folder: Path) -> bool:
    return os.path.lexists(folder / "bagit.txt") or os.path.lexists(folder / "bag-info.txt")


class ArchiveChecker:
    """Checks packages and series; one checker keeps what many packages share (the same bundle, CA and
    checkpoint) parsed and verified once, by the SHA-256 of its bytes.

    `trusted_kids` pins the registry keys a bundle must be signed by (or lead to by its key chain), as
    `certverify check --trust-kid` does; without it a bundle is trusted on its own say and each report names
    the key that signed it.
    """

    def __init__(self, trusted_kids: Sequence[str] = ()) -> None:
        self.trusted_kids = tuple(trusted_kids)
        self._bundles: dict[bytes, Bundle | InvalidSignedForm] = {}
        self._keyrings: dict[bytes, KeyRing] = {}
        self._checkpoints: dict[tuple[bytes, str], Checkpoint | InvalidSignedForm] = {}
        self._trust: dict[tuple[bytes, ...], _Trust] = {}

    def check(self, paths: Iterable[Path]) -> ArchiveReport:
        """Check every package under `paths` and the completeness of their series. Raise NoPackages."""
        found = find_packages(paths)
        reports = [self.check_package(path) for path, _ in found]
        # A series is judged for gaps only where its packages were found in a folder given: a package named
        # on its own is checked alone, and its series' other members were not asked for.
        judged = {r.series for r, (_, alone) in zip(reports, found, strict=True) if not alone and r.series}
        return ArchiveReport(reports, check_series(reports, judged))

    def check_package(self, path: Path) -> PackageReport:
        """The four properties of one package, checked in the order below."""
        package = _Package(path, PackageReport(path))
        # 1. Security of the tree: no links, no special or executable files; read every regular file once.
        package.scan()
        # 2. What the package says it is (bag-info.txt, metadata.json): kind, series, ordinal.
        package.describe()
        # 3. Security of each file: an allowed type by name, and content of that type (no executable).
        _check_types(package)
        # 4. Integrity: bagit's validation, every file in every manifest, the layout of the record's kind.
        _check_bag(package)
        _check_manifests(package)
        _check_layout(package)
        # 5. Usability: every file is the format its name says and opens; PDFs are open and archival.
        _check_formats(package)
        # 6. Integrity and authenticity of the description: complete, and bag-info.txt agrees with metadata.
        _check_description(package)
        # 7. Authenticity: the signed record, its rendition, the evidence, by the bundle's keys and the CA.
        self._check_authenticity(package)
        return package.report

    # Authenticity ------------------------------------------------------------------------------------

    def _check_authenticity(self, package: _Package) -> None:
        keys: KeyRing | None = None
        with package.guard(AUTHENTICITY, BUNDLE, "the check of the bundle"):
            keys = self._bundle(package)
        package.needed(METADATA, "the metadata to compare with what was signed")
        with package.guard(AUTHENTICITY, CA, "the check of the CA's evidence"):
            trust = self._trust_of(package)
            for problem in trust.problems if trust else ():
                package.add(AUTHENTICITY, problem.file, problem.code, problem.message)
        with package.guard(AUTHENTICITY, "", "the check of the record"):
            if package.kind == "certificate":
                dept = self._certificate(package, keys)
                self._pdf(package, RENDITION, dept, keys, required=True)
            elif package.kind == "document":
                self._document(package, keys)
            else:
                package.add(AUTHENTICITY, "", "UNVERIFIABLE", "the record's kind is unknown: nothing to verify it by")
        with package.guard(AUTHENTICITY, LOG, "the check of the access log"):
            self._log(package, keys)

    def _bundle(self, package: _Package) -> KeyRing | None:
        data = package.needed(BUNDLE, "the bundle of keys")
        if data is None:
            return None
        digest = hashlib.sha256(data).digest()
        package.bundle_digest = digest
        if digest not in self._bundles:
            try:
                self._bundles[digest] = read_bundle(data.decode("ascii").strip(), self.trusted_kids)
            except InvalidSignedForm as e:
                self._bundles[digest] = e
            except (UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError) as e:
                self._bundles[digest] = InvalidSignedForm(f"not a bundle: {_describe(e)}")
        bundle = self._bundles[digest]
        if isinstance(bundle, InvalidSignedForm):
            untrusted = bundle.code == "UNTRUSTED_KEY"
            package.add(
                AUTHENTICITY,
                BUNDLE,
                "BUNDLE_UNTRUSTED" if untrusted else "BUNDLE_INVALID",
                f"the bundle may not be relied on ({bundle.code}): {bundle}",
            )
            return None
        package.report.bundle_kid = bundle.kid
        if digest not in self._keyrings:
            self._keyrings[digest] = KeyRing(bundle.jwks)
        return self._keyrings[digest]

    def _certificate(self, package: _Package, keys: KeyRing | None) -> str | None:
        """The SD-JWT and its compact form; return the issuing department's credit code, signed if it verified."""
        record = package.record
        dept = _get_or_none(record, "issuing_authority.credit_code")
        data = package.needed(SD_JWT, "the signed certificate")
        if data is None or keys is None:
            return dept if isinstance(dept, str) else None
        jws, disclosures = _split_sd_jwt(data.decode("ascii").strip())  # it parsed as one (usability)
        try:
            signed = jose.read_signed(jws, formats.CERTIFICATE, keys)
        except SignatureFailed as e:
            package.add(AUTHENTICITY, SD_JWT, "SIGNATURE_INVALID", f"{e} ({e.code})")
            return dept if isinstance(dept, str) else None
        claims = signed.claims
        # Neither current validity nor current status is asked: an expired or revoked certificate that was
        # signed as it should be is an authentic record of what was issued.
        for check in (Verifier._issuer_check(signed.key, claims), signed.key_check):
            if not check.passed:
                package.add(AUTHENTICITY, SD_JWT, check.code, check.detail or f"{check.name} failed")
        disclosed, check = Verifier._disclosures(claims, disclosures)
        if not check.passed:
            package.add(AUTHENTICITY, SD_JWT, check.code, check.detail or "a disclosure is not signed")
        else:
            _compare_certificate(package, claims, disclosed)
        self._compact(package, keys, claims)
        return str(claims.get("dept"))

    def _compact(self, package: _Package, keys: KeyRing, claims: dict[str, Any]) -> None:
        data = package.needed(COMPACT, "the compact form") if COMPACT in package.files else None
        if data is None:
            return
        try:
            signed = jose.read_signed(
                data.decode("ascii").strip(), formats.COMPACT, keys, keys.of_department(str(claims.get("dept")))
            )
        except SignatureFailed as e:
            package.add(
                AUTHENTICITY, COMPACT, "SIGNATURE_INVALID", f"{e} ({e.code}), by a seal of {claims.get('dept')}"
            )
            return
        if not signed.key_check.passed:
            package.add(AUTHENTICITY, COMPACT, signed.key_check.code, signed.key_check.detail)
        short = str(claims.get("jti", "")).removeprefix(ROOT + ".")
        if signed.claims.get("jti") != short:
            package.add(
                AUTHENTICITY,
                COMPACT,
                "COMPACT_MISMATCH",
                f"names {signed.claims.get('jti')!r}, not the certificate {claims.get('jti')!r}",
            )

    def _document(self, package: _Package, keys: KeyRing | None) -> None:
        record = package.record
        dept = _get_or_none(record, "department.credit_code")
        data = package.needed(DOCUMENT, "the document")
        stamp = record.get("stamp") if isinstance(record.get("stamp"), dict) else None
        if data is not None:
            digest = hashlib.sha256(data).hexdigest()
            if "sha256" in record and record["sha256"] != digest:
                package.add(
                    AUTHENTICITY,
                    DOCUMENT,
                    "DOCUMENT_HASH_MISMATCH",
                    f"SHA-256 {digest}; the metadata says {record['sha256']}",
                )
            kind = stamp.get("kind") if stamp else None
            kids = self._pdf(package, DOCUMENT, dept if isinstance(dept, str) else None, keys, required=kind == "pdf")
            if kind == "pdf" and kids and stamp and stamp.get("seal_kid") not in kids:
                package.add(
                    AUTHENTICITY,
                    METADATA,
                    "METADATA_MISMATCH",
                    f"record.stamp.seal_kid is {stamp.get('seal_kid')!r}; the PDF is signed by {sorted(kids)}",
                )
        self._stamp(package, keys, stamp, dept)

    def _stamp(self, package: _Package, keys: KeyRing | None, stamp: dict[str, Any] | None, dept: Any) -> None:
        if STAMP not in package.files:
            return
        if stamp is None or stamp.get("kind") != "detached":
            package.add(
                AUTHENTICITY, METADATA, "METADATA_MISMATCH", "a detached stamp is present; record.stamp is not one"
            )
        data = package.needed(STAMP, "the detached stamp")
        if data is None or keys is None:
            return
        try:
            signed = jose.read_signed(data.decode("ascii").strip(), formats.STAMP, keys)
        except SignatureFailed as e:
            package.add(AUTHENTICITY, STAMP, "SIGNATURE_INVALID", f"{e} ({e.code})")
            return
        claims = signed.claims
        for check in (Verifier._issuer_check(signed.key, claims), signed.key_check):
            if not check.passed:
                package.add(AUTHENTICITY, STAMP, check.code, check.detail or f"{check.name} failed")
        if claims.get("dept") != dept:
            package.add(AUTHENTICITY, STAMP, "ISSUER_MISMATCH", f"stamped by {claims.get('dept')}, not by {dept}")
        document = package.files.get(DOCUMENT)
        if document is not None and formats.stamped_sha256(claims) != hashlib.sha256(document).hexdigest():
            package.add(AUTHENTICITY, STAMP, "DOCUMENT_HASH_MISMATCH", "the stamp is for another document")
        if stamp is not None:
            signed_values = {"reference": claims.get("jti"), "seal_kid": signed.key.kid}
            if _epoch(stamp.get("stamped_at")) != claims.get("iat"):
                signed_values["stamped_at"] = _iso(claims["iat"])
            for name, signed_value in signed_values.items():
                if stamp.get(name) != signed_value:
                    package.add(
                        AUTHENTICITY,
                        METADATA,
                        "METADATA_MISMATCH",
                        f"record.stamp.{name} is {stamp.get(name)!r}; the signed stamp says {signed_value!r}",
                    )

    def _pdf(self, package: _Package, name: str, dept: str | None, keys: KeyRing | None, *, required: bool) -> set[str]:
        """Every embedded signature of a PDF: intact, valid, chaining to the CA, not revoked when made,
        unchanged since but for signatures and validation data, and made by a seal of `dept` the bundle lists.
        Return the kids of the seals that signed it."""
        data = package.needed(name, "the PDF")
        trust = self._trust_of(package)
        if data is None or trust is None:
            return set()
        try:
            signatures = list(PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures)
        except Exception as e:  # pyHanko raises whatever the damage makes it meet
            package.add(AUTHENTICITY, name, "UNVERIFIABLE", f"its signatures cannot be read: {_describe(e)}")
            return set()
        if required and not any(s.sig_object_type == "/Sig" for s in signatures):
            package.add(AUTHENTICITY, name, "PDF_NOT_SIGNED", "the PDF carries no seal's signature")
        kids: set[str] = set()
        for embedded in signatures:
            label = f"signature {embedded.field_name!r}"
            try:
                if embedded.sig_object_type == "/DocTimeStamp":
                    _check_document_timestamp(package, name, label, embedded, trust)
                else:
                    kid = _check_pdf_signature(package, name, label, embedded, trust, dept, keys)
                    if kid:
                        kids.add(kid)
            except Exception as e:  # a damaged signature: pyHanko raises from deep inside
                package.add(AUTHENTICITY, name, "PDF_SIGNATURE_INVALID", f"{label} cannot be validated: {_describe(e)}")
        return kids

    def _trust_of(self, package: _Package) -> _Trust | None:
        """The CA root, its revocation list and the seal certificates, checked and parsed once per distinct set
        of files. The root is trusted as the package holds it; what binds a PDF's signer to the registry is
        that its key is a seal the bundle lists."""
        names = [CA, CRL] + ([SEAL_CHAIN] if SEAL_CHAIN in package.files or SEAL_CHAIN in package.layout()[0] else [])
        files = [package.needed(n, "the CA's evidence for PDF signatures") for n in names]
        if any(f is None for f in files):
            return None
        key = tuple(hashlib.sha256(f or b"").digest() for f in files)
        if key not in self._trust:
            roots, crl, seals = package.parsed[CA], package.parsed[CRL], package.parsed.get(SEAL_CHAIN, [])
            problems = [
                Problem(CA, "CA_INVALID", f"{_subject(c)} is not a root: its own signature does not verify")
                for c in roots
                if not _issued_by(c, [c])
            ]
            if not any(crl.issuer == r.subject and _crl_signed_by(crl, r) for r in roots):
                problems.append(Problem(CRL, "CRL_INVALID", "the revocation list is not signed by the CA of ca.pem"))
            problems += [
                Problem(SEAL_CHAIN, "SEAL_CERTIFICATE_INVALID", f"{_subject(c)} was not issued by the CA of ca.pem")
                for c in seals
                if not _issued_by(c, roots)
            ]
            self._trust[key] = _Trust(
                problems=problems,
                roots=[asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in roots],
                crl=asn1_crl.CertificateList.load(files[1]),
                seals=[asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in seals],
            )
        return self._trust[key]

    def _log(self, package: _Package, keys: KeyRing | None) -> None:
        data = package.needed(LOG, "the access log")
        if data is None or keys is None:
            return
        log = package.parsed.get(LOG)
        if (
            not isinstance(log, dict)
            or not isinstance(log.get("checkpoint"), str)
            or not isinstance(log.get("entries"), list)
        ):
            package.add(AUTHENTICITY, LOG, "LOG_MALFORMED", "not {origin, checkpoint, entries}: nothing to verify")
            return
        checkpoint = self._checkpoint(package, log["checkpoint"], keys)
        if checkpoint is None:
            return
        if checkpoint.origin != log.get("origin"):
            package.add(
                AUTHENTICITY,
                LOG,
                "LOG_ORIGIN_MISMATCH",
                f"the checkpoint is of {checkpoint.origin!r}, not {log.get('origin')!r}",
            )
        identifier = self._identifier(package)
        for number, entry in enumerate(log["entries"]):
            where = f"entry {number}"
            try:
                proof = [bytes.fromhex(h) for h in entry["proof"]]
                index = entry["idx"]
                leaf = leaf_hash(entry_bytes(entry))
                if not isinstance(index, int) or isinstance(index, bool):
                    raise TypeError("idx is not an integer")
                if entry.keys() - LOG_ENTRY_NAMES:
                    raise ValueError(f"{sorted(entry.keys() - LOG_ENTRY_NAMES)} are not covered by its leaf")
            except (KeyError, TypeError, ValueError, AttributeError) as e:
                package.add(
                    AUTHENTICITY, LOG, "LOG_MALFORMED", f"{where} is not an entry with its proof: {_describe(e)}"
                )
                continue
            try:
                verify_inclusion(index, checkpoint.size, leaf, proof, checkpoint.root_hash)
            except InvalidProof as e:
                package.add(AUTHENTICITY, LOG, "LOG_PROOF_INVALID", f"{where} (idx {index}): {e}")
            if package.kind == "certificate" and entry.get("certificate") != identifier:
                package.add(
                    AUTHENTICITY,
                    LOG,
                    "LOG_ENTRY_FOREIGN",
                    f"{where} is about {entry.get('certificate')!r}, not this certificate",
                )

    def _checkpoint(self, package: _Package, signed: str, keys: KeyRing) -> Checkpoint | None:
        key = (package.bundle_digest, signed)
        if key not in self._checkpoints:
            try:
                self._checkpoints[key] = verify_checkpoint(signed, keys.jwks)
            except InvalidSignedForm as e:
                self._checkpoints[key] = e
        checkpoint = self._checkpoints[key]
        if isinstance(checkpoint, InvalidSignedForm):
            package.add(AUTHENTICITY, LOG, "CHECKPOINT_INVALID", f"{checkpoint} ({checkpoint.code})")
            return None
        return checkpoint

    @staticmethod
    def _identifier(package: _Package) -> Any:
        """The certificate's identifier as signed, or as the metadata says when the signed form is unreadable."""
        data = package.files.get(SD_JWT)
        if data is not None and SD_JWT not in package.unusable:
            with contextlib.suppress(jwt.DecodeError, UnicodeDecodeError):
                return jose.unverified_payload(data.decode("ascii").split("~")[0].strip()).get("jti")
        return package.record.get("identifier")


def _issued_by(certificate: x509.Certificate, issuers: Sequence[x509.Certificate]) -> bool:
    """Whether one of `issuers` issued the certificate: its name, and a signature its key verifies. A root is
    its own issuer; a trust anchor is trusted as it is, so without this a changed byte in its signature would
    go unnoticed."""
    for issuer in issuers:
        try:
            certificate.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return True
    return False


def _crl_signed_by(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    try:
        return crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]  # a CA's key, whatever its kind
    except (ValueError, TypeError):
        return False


def _subject(certificate: x509.Certificate) -> str:
    try:
        return certificate.subject.rfc4514_string()
    except ValueError:
        return "a certificate"


@dataclass(frozen=True, slots=True)
class _Trust:
    problems: list[Problem]
    roots: list[Any]
    crl: Any
    seals: list[Any]

    def context(self, moment: dt.datetime | None) -> ValidationContext:
        """Validation as of `moment` (when the signature says it was made), offline with the CA's list alone.

        Hard-fail: a certificate the list does not cover is not trusted. The list is newer than the signature
        (it was exported later), which certvalidator refuses unless told that revocation information is
        retroactive; a seal revoked after the moment is then trusted for what it signed before.
        """
        return ValidationContext(
            trust_roots=self.roots,
            other_certs=self.seals,
            crls=[self.crl],
            allow_fetching=False,
            revocation_mode="hard-fail",
            retroactive_revinfo=True,
            moment=moment,
        )


def _check_pdf_signature(
    package: _Package, name: str, label: str, embedded: Any, trust: _Trust, dept: str | None, keys: KeyRing | None
) -> str | None:
    moment = embedded.self_reported_timestamp
    status = validate_pdf_signature(embedded, trust.context(moment))
    if not (status.intact and status.valid):
        package.add(AUTHENTICITY, name, "PDF_SIGNATURE_INVALID", f"{label} does not hold over the signed bytes")
        return None
    if not status.trusted:
        why = "the seal's certificate was revoked" if status.revoked else "it does not chain to ca.pem"
        package.add(AUTHENTICITY, name, "PDF_SIGNER_UNTRUSTED", f"{label}: {why} (as of {moment})")
    stamp = status.timestamp_validity
    if stamp is not None and not (stamp.intact and stamp.valid and stamp.trusted):
        package.add(
            AUTHENTICITY, name, "PDF_TIMESTAMP_INVALID", f"{label}: its time-stamp does not hold or is not trusted"
        )
    level = status.modification_level
    if level is None or level > ModificationLevel.FORM_FILLING or status.docmdp_ok is False:
        package.add(
            AUTHENTICITY, name, "PDF_CHANGED_AFTER_SIGNING", f"{label}: the file was changed after it ({level})"
        )
    certificate = x509.load_der_x509_certificate(status.signing_cert.dump())
    # By key: a seal's certificate may have been renewed since (a new validity) for the same key.
    if not any(seal.public_key.dump() == status.signing_cert.public_key.dump() for seal in trust.seals):
        package.add(
            AUTHENTICITY, name, "SEAL_CERTIFICATE_NOT_LISTED", f"{label}: seal-chain.pem has no certificate of its key"
        )
    if keys is None:
        return None
    signer = _thumbprint(certificate.public_key())
    seal = next((k for k in keys.of_department(str(dept)) if _jwk_thumbprint(k.jwk) == signer), None)
    if seal is None or seal.jwk.get("purpose") != formats.SEAL:
        package.add(AUTHENTICITY, name, "PDF_SIGNER_NOT_A_SEAL", f"{label}: not a seal of {dept} that the bundle lists")
        return None
    # The key's status when it signed: at the time-stamp when one holds (a time no signer can choose), else
    # at the time the signature claims.
    signed_at = stamp.timestamp if stamp is not None and stamp.trusted else moment
    if signed_at is not None:
        check = jose.key_status(seal.jwk, int(signed_at.timestamp()))
        if not check.passed:
            package.add(AUTHENTICITY, name, check.code, f"{label}: {check.detail}")
    return seal.kid


def _check_document_timestamp(package: _Package, name: str, label: str, embedded: Any, trust: _Trust) -> None:
    """A document time-stamp (PAdES B-LTA) is evidence about the signatures before it: it must hold too."""
    moment = embedded.signed_data["encap_content_info"]["content"].parsed["gen_time"].native
    status = validate_pdf_timestamp(embedded, trust.context(moment))
    if not (status.intact and status.valid and status.trusted):
        package.add(AUTHENTICITY, name, "PDF_TIMESTAMP_INVALID", f"{label} (a document time-stamp) does not hold")
    level = status.modification_level
    if level is None or level > ModificationLevel.FORM_FILLING:
        package.add(
            AUTHENTICITY, name, "PDF_CHANGED_AFTER_SIGNING", f"{label}: the file was changed after it ({level})"
        )


def _thumbprint(public_key: Any) -> str | None:
    """The RFC 7638 thumbprint of an EC or Ed25519 public key, as a published JWK of it would have."""
    for algorithm in (ECAlgorithm(ECAlgorithm.SHA256), OKPAlgorithm()):
        try:
            return _jwk_thumbprint(algorithm.to_jwk(public_key, as_dict=True))
        except (jwt.InvalidKeyError, TypeError, ValueError):
            continue
    return None


def _jwk_thumbprint(jwk: dict[str, Any]) -> str | None:
    try:
        return thumbprint(jwk)
    except InvalidSignedForm:
        return None


# The package being checked ----------------------------------------------------------------------------


class _Package:
    """A package's files (read once), what it says of itself, and its report as the checks fill it."""

    def __init__(self, path: Path, report: PackageReport) -> None:
        self.path = path
        self.report = report
        self.files: dict[str, bytes] = {}  # every regular file, by its path in the bag
        self.folders: set[str] = set()
        self.unsafe = False  # a link or special file: bagit, which follows them, must not run
        self.parsed: dict[str, Any] = {}  # what a file parsed into, when it did
        self.unusable: set[str] = set()  # files that did not parse as their type
        self.bag_info: dict[str, str] = {}  # the first value of each label
        self.bag_info_repeated: dict[str, list[str]] = {}
        self.metadata: dict[str, Any] = {}
        self.kind: str | None = None
        self.bundle_digest = b""

    def layout(self) -> tuple[set[str], set[str]]:
        """The files a package of this record must hold, and those it may. A document that no seal stamped
        carries no seal certificate; one stamped by a detached stamp carries the stamp."""
        required = {*REQUIRED_TAG_FILES, *REQUIRED.get(self.kind or "", EVIDENCE)}
        optional = set(OPTIONAL.get(self.kind or "", ()))
        stamp = self.record.get("stamp")
        if self.kind == "document" and not isinstance(stamp, dict):
            required.discard(SEAL_CHAIN)
            optional.add(SEAL_CHAIN)
        elif self.kind == "document" and isinstance(stamp, dict) and stamp.get("kind") == "detached":
            required.add(STAMP)
        return required, optional

    @property
    def record(self) -> dict[str, Any]:
        record = self.metadata.get("record")
        return record if isinstance(record, dict) else {}

    @property
    def archival(self) -> dict[str, Any]:
        archival = self.metadata.get("archival")
        return archival if isinstance(archival, dict) else {}

    def add(self, prop: str, file: str, code: str, message: str) -> None:
        problem = Problem(file, code, message)
        if problem not in self.report.problems[prop]:
            self.report.problems[prop].append(problem)

    def has(self, prop: str, file: str, code: str) -> bool:
        return any(p.file == file and p.code == code for p in self.report.problems[prop])

    @contextlib.contextmanager
    def guard(self, prop: str, file: str, what: str) -> Iterator[None]:
        """Run a check whose inputs are the package's: whatever a library raises on them is a problem, not a
        crash, so that one damaged package never stops the check of a library of millions."""
        try:
            yield
        except Exception as e:
            self.add(prop, file, "CHECK_FAILED", f"{what} could not run: {_describe(e)}")

    def needed(self, name: str, what: str) -> bytes | None:
        """A file authenticity needs: its bytes, or None after reporting that authenticity cannot be
        established without it (its absence or damage itself is reported under integrity or usability)."""
        data = self.files.get(name)
        if data is None:
            self.add(AUTHENTICITY, name, "UNVERIFIABLE", f"{what} is missing, so authenticity cannot be established")
        elif name in self.unusable:
            self.add(AUTHENTICITY, name, "UNVERIFIABLE", f"{what} is unusable, so authenticity cannot be established")
            return None
        return data

    def scan(self) -> None:
        """Walk the bag without following links; read each regular file; report links, special files and
        executable permissions."""
        pending = [""]
        while pending:
            folder = pending.pop()
            try:
                entries = sorted(os.scandir(self.path / folder), key=lambda e: e.name)
            except OSError as e:
                self.add(INTEGRITY, folder, "FILE_UNREADABLE", f"the folder cannot be read: {_describe(e)}")
                continue
            for entry in entries:
                name = f"{folder}/{entry.name}" if folder else entry.name
                try:
                    mode = entry.stat(follow_symlinks=False).st_mode
                except OSError as e:
                    self.add(INTEGRITY, name, "FILE_UNREADABLE", _describe(e))
                    continue
                if stat.S_ISLNK(mode):
                    self.unsafe = True
                    self.add(
                        SECURITY, name, "SYMLINK", f"a symbolic link (to {_link_target(entry.path)}): not followed"
                    )
                elif stat.S_ISDIR(mode):
                    self.folders.add(name)
                    pending.append(name)
                elif not stat.S_ISREG(mode):
                    self.unsafe = True
                    self.add(SECURITY, name, "NOT_A_REGULAR_FILE", "a device, pipe or socket: not opened")
                else:
                    if mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH):
                        self.add(
                            SECURITY, name, "EXECUTABLE_PERMISSION", f"has an executable bit ({stat.filemode(mode)})"
                        )
                    try:
                        with open(entry.path, "rb") as f:
                            self.files[name] = f.read()
                    except OSError as e:
                        self.add(INTEGRITY, name, "FILE_UNREADABLE", _describe(e))

    def describe(self) -> None:
        """Read bag-info.txt and metadata.json (problems with them are reported later) for the record's kind,
        series and ordinal."""
        with contextlib.suppress(UnicodeDecodeError):
            self.bag_info_repeated = _tags(self.files.get("bag-info.txt", b"").decode("utf-8"))
            self.bag_info = {label: values[0] for label, values in self.bag_info_repeated.items()}
        with contextlib.suppress(UnicodeDecodeError, ValueError, RecursionError):
            metadata = json.loads(self.files.get(METADATA, b""))
            self.metadata = metadata if isinstance(metadata, dict) else {}
        for kind in (self.record.get("kind"), self.bag_info.get("Record-Kind")):
            if kind in KINDS:
                self.kind = str(kind)
                break
        else:
            if SD_JWT in self.files or DOCUMENT in self.files:
                self.kind = "certificate" if SD_JWT in self.files else "document"
        self.report.series = self.bag_info.get("Bag-Group-Identifier") or None
        count = BAG_COUNT.match(self.bag_info.get("Bag-Count", ""))
        if count:
            self.report.ordinal = int(count.group(1))
            self.report.total = None if count.group(2) == "?" else int(count.group(2))


def _link_target(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def _describe(e: BaseException) -> str:
    """An exception as one line for a report (bagit's validation error has no text of its own but a message)."""
    try:
        text = str(getattr(e, "message", None) or e).strip()
    except Exception:
        text = ""
    return f"{type(e).__name__}: {text[:300]}" if text else type(e).__name__


def _tags(text: str) -> dict[str, list[str]]:
    """A tag file (RFC 8493 2.2.2): `Label: value` lines, continued by lines that start with whitespace; the
    values of each label, in order."""
    tags: dict[str, list[str]] = defaultdict(list)
    values: list[str] | None = None  # the values of the label a continuation line adds to
    for line in text.splitlines():
        if line[:1] in (" ", "\t"):
            if values:
                values[-1] += " " + line.strip()
        elif ":" in line:
            label, value = (part.strip() for part in line.split(":", 1))
            values = tags[label]
            values.append(value)
        else:
            values = None
    return dict(tags)


def _get(value: Any, path: str) -> Any:
    """The value at a dotted path in nested dicts; raise KeyError where it is absent."""
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            raise KeyError(path)
        value = value[part]
    return value


def _has(value: Any, path: str) -> bool:
    try:
        _get(value, path)
    except KeyError:
        return False
    return True


# Security ---------------------------------------------------------------------------------------------


def _check_types(package: _Package) -> None:
    for name, data in package.files.items():
        suffix = PurePosixPath(name).suffix.lower()
        if data.startswith(EXECUTABLE_MAGIC):
            package.add(SECURITY, name, "EXECUTABLE_CONTENT", "the content is an executable or an archive")
        elif suffix not in MAGIC:
            package.add(SECURITY, name, "FILE_TYPE_NOT_ALLOWED", f"{suffix or 'no extension'} is not an archival type")
        elif not MAGIC[suffix](data):
            package.add(SECURITY, name, "CONTENT_NOT_OF_TYPE", f"the content is not {suffix} by its first bytes")


# Integrity --------------------------------------------------------------------------------------------


def _check_bag(package: _Package) -> None:
    """bagit's own validation: structure, Payload-Oxum, every listed file present, every checksum; and the
    bag declaration as RFC 8493 2.1.1 has it, which bagit reads leniently."""
    declaration = package.files.get("bagit.txt")
    if declaration is not None and not BAGIT_TXT.fullmatch(declaration):
        package.add(
            INTEGRITY, "bagit.txt", "BAG_INVALID", "not the two lines BagIt-Version and Tag-File-Character-Encoding"
        )
    if package.unsafe:
        package.add(
            INTEGRITY,
            "",
            "BAG_NOT_VALIDATED",
            "the bag holds links or special files, which bagit would follow: not run",
        )
        return
    try:
        bag = bagit.Bag(str(package.path))
    except Exception as e:  # bagit raises BagError, or whatever a damaged tag file makes it meet
        package.add(INTEGRITY, "", "BAG_UNREADABLE", f"bagit cannot open the bag: {_describe(e)}")
        return
    # Payload-Oxum first, on its own: bagit stops at it, and every file's own check is still wanted.
    if bag.has_oxum():
        try:
            bag.validate(fast=True)
        except Exception as e:
            oxum = "Payload-Oxum" in _describe(e)
            package.add(
                INTEGRITY,
                "bag-info.txt" if oxum else "",
                "PAYLOAD_OXUM_MISMATCH" if oxum else "BAG_INVALID",
                _describe(e),
            )
        bag.info.pop("Payload-Oxum")
    try:
        bag.validate()
    except bagit.BagValidationError as e:
        codes = {bagit.ChecksumMismatch: "BAG_CHECKSUM_MISMATCH", bagit.FileMissing: "BAG_FILE_MISSING"}
        for detail in e.details:
            package.add(INTEGRITY, str(detail.path), codes.get(type(detail), "BAG_UNEXPECTED_FILE"), str(detail))
        if not e.details:
            package.add(INTEGRITY, "", "BAG_INVALID", _describe(e))
    except Exception as e:
        package.add(INTEGRITY, "", "BAG_INVALID", _describe(e))


def _manifest_paths(data: bytes) -> list[str] | None:
    """The paths a manifest lists (RFC 8493 2.1.3: `checksum path`, with CR, LF and % percent-encoded); None
    for one that is not text (usability reports it)."""
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return None
    paths = []
    for line in lines:
        parts = line.strip().split(None, 1)
        if len(parts) == 2:
            paths.append(parts[1].replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%"))
    return paths


def _check_manifests(package: _Package) -> None:
    """Every payload file in every payload manifest, every tag file in every tag manifest; no listed path
    that leads out of the bag."""
    payload = {n for n in package.files if n.startswith("data/")}
    tags = {n for n in package.files if "/" not in n and not n.startswith("tagmanifest-")}
    left_out: dict[str, list[str]] = defaultdict(list)
    for name, data in sorted(package.files.items()):
        match = MANIFEST_NAME.match(name)
        paths = _manifest_paths(data) if match else None
        if match is None or paths is None:
            continue
        listed = set()
        for path in paths:
            pure = PurePosixPath(path)
            if pure.is_absolute() or ".." in pure.parts or path.startswith("~") or "\\" in path:
                package.add(SECURITY, name, "PATH_ESCAPES", f"lists {path!r}, which leads out of the bag")
            listed.add(os.path.normpath(path))
        for missing in (tags if match.group(1) else payload) - listed:
            left_out[missing].append(name)
    for missing, manifests in sorted(left_out.items()):
        if not package.has(INTEGRITY, missing, "BAG_UNEXPECTED_FILE"):
            package.add(INTEGRITY, missing, "NOT_IN_MANIFEST", f"not listed in {', '.join(manifests)}")


def _check_layout(package: _Package) -> None:
    """The files of the record's kind, and nothing else."""
    if package.kind is None:
        package.add(INTEGRITY, "", "RECORD_KIND_UNKNOWN", "neither metadata.json nor bag-info.txt names the kind")
    required, optional = package.layout()
    allowed = required | optional
    for name in sorted(required - package.files.keys()):
        folder = " (a folder stands in its place)" if name in package.folders else ""
        package.add(INTEGRITY, name, "REQUIRED_FILE_MISSING", f"the package has no {name}{folder}")
    for name in sorted(package.files.keys() | package.folders):
        if not (name in allowed or name in FOLDERS or ("/" not in name and MANIFEST_NAME.match(name))):
            package.add(INTEGRITY, name, "UNEXPECTED_FILE", f"not part of a {package.kind or 'record'} package")


# Usability --------------------------------------------------------------------------------------------


def _check_formats(package: _Package) -> None:
    for name, data in package.files.items():
        reader = _READERS.get(PurePosixPath(name).suffix.lower())
        if reader is None:
            continue
        try:
            package.parsed[name] = reader(package, name, data)
        except _Unusable as e:
            package.unusable.add(name)
            package.add(USABILITY, name, e.code, e.message)
        except Exception as e:  # a reader meeting damage its library did not foresee
            package.unusable.add(name)
            package.add(USABILITY, name, "CHECK_FAILED", f"reading it failed: {_describe(e)}")


class _Unusable(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _Unusable("NOT_UTF8", f"not UTF-8 text: {e}") from None


def _unique_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        repeated = sorted({n for n in names if names.count(n) > 1})
        # RFC 8259 4: readers differ on which of the values they take, so the file means different things.
        raise ValueError(f"the names {repeated} are given twice in one object")
    return dict(pairs)


def _read_json(package: _Package, name: str, data: bytes) -> Any:
    try:
        value = json.loads(_utf8(data), object_pairs_hook=_unique_names)
    except (ValueError, RecursionError) as e:
        raise _Unusable("NOT_JSON", f"not JSON: {_describe(e)}") from None
    if name == METADATA and (not isinstance(value, dict) or value.get("format") != FORMAT):
        format_ = value.get("format") if isinstance(value, dict) else None
        raise _Unusable("UNKNOWN_FORMAT", f"format {format_!r} is not {FORMAT!r}")
    return value


def _read_text(package: _Package, name: str, data: bytes) -> str:
    return _utf8(data)


def _ascii(data: bytes) -> str:
    try:
        return data.decode("ascii").strip()
    except UnicodeDecodeError:
        raise _Unusable("NOT_A_JWS", "not ASCII") from None


def _b64url(segment: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", segment):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _read_jws(package: _Package, name: str, data: bytes) -> str:
    text = _ascii(data)
    try:
        jose.header(text)
        jose.unverified_payload(text)
        _b64url(text.split(".")[2])
    except (jwt.DecodeError, ValueError, binascii.Error, IndexError) as e:
        raise _Unusable("NOT_A_JWS", f"not a compact JWS (three base64url parts): {e}") from None
    return text


def _split_sd_jwt(text: str) -> tuple[str, list[str]]:
    """An SD-JWT without key binding: `<JWS>~<disclosure>~...~`; raise ValueError if it is not one."""
    parts = text.split("~")
    if len(parts) < 2 or parts[-1] != "":
        raise ValueError("an SD-JWT without key binding ends with '~'")
    return parts[0], parts[1:-1]


def _read_sd_jwt(package: _Package, name: str, data: bytes) -> str:
    text = _ascii(data)
    try:
        jws, disclosures = _split_sd_jwt(text)
        _read_jws(package, name, jws.encode("ascii"))
        for disclosure in disclosures:
            decoded = json.loads(_b64url(disclosure))
            if not isinstance(decoded, list) or len(decoded) not in (2, 3):
                raise ValueError("a disclosure is not a JSON array of 2 or 3")
    except (_Unusable, ValueError, binascii.Error) as e:
        raise _Unusable("NOT_AN_SD_JWT", f"not an SD-JWT (a JWS and '~'-separated disclosures): {e}") from None
    return text


def _read_pem(package: _Package, name: str, data: bytes) -> list[x509.Certificate]:
    if _PEM_CERTIFICATE.sub(b"", data).strip():
        raise _Unusable("NOT_X509_PEM", "it holds text outside its PEM certificate blocks")
    try:
        certificates = x509.load_pem_x509_certificates(data)
        for certificate in certificates:  # cryptography parses some parts only when asked
            _ = (certificate.subject, certificate.issuer, certificate.public_key(), certificate.extensions)
        return certificates
    except (ValueError, UnsupportedAlgorithm) as e:
        raise _Unusable("NOT_X509_PEM", f"not X.509 certificates in PEM: {e}") from None


def _read_crl(package: _Package, name: str, data: bytes) -> x509.CertificateRevocationList:
    try:
        crl = x509.load_der_x509_crl(data)
        _ = (crl.issuer, crl.extensions, list(crl))  # parsed only when asked
        return crl
    except ValueError as e:
        raise _Unusable("NOT_DER_CRL", f"not a certificate revocation list in DER: {e}") from None


def _read_pdf(package: _Package, name: str, data: bytes) -> PdfReader:
    """A PDF that opens (pypdf), is not encrypted, has pages with text, standard filters and no active content.
    Security findings are reported here too: one walk over every object serves both. A PDF that opens but
    has no text is reported, and its signatures are still checked; one that does not open is unusable."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
    except Exception as e:  # pypdf raises whatever the damage makes it meet
        raise _Unusable("PDF_UNREADABLE", f"pypdf cannot open it: {_describe(e)}") from None
    with package.guard(SECURITY, name, "the search for active content"):
        _check_pdf_objects(package, name, reader, data)
    if encrypted:
        raise _Unusable("PDF_ENCRYPTED", "the PDF is encrypted: an archive must open without a password")
    try:
        pages = list(reader.pages)
        empty = [number for number, page in enumerate(pages, start=1) if not page.extract_text().strip()]
    except Exception as e:
        raise _Unusable("PDF_UNREADABLE", f"its pages cannot be read: {_describe(e)}") from None
    if not pages:
        package.add(USABILITY, name, "PDF_NO_PAGES", "the PDF has no pages")
    if empty:
        package.add(USABILITY, name, "PDF_PAGE_WITHOUT_TEXT", f"no text can be extracted from page(s) {_ranges(empty)}")
    return reader


_READERS = {
    ".json": _read_json,
    ".txt": _read_text,
    ".jwt": _read_jws,
    ".sd-jwt": _read_sd_jwt,
    ".pem": _read_pem,
    ".crl": _read_crl,
    ".pdf": _read_pdf,
}


def _pdf_objects(reader: PdfReader, data: bytes) -> Iterator[tuple[str, Any]]:
    """Every object in the file, of every revision: each `N G obj` in the bytes (an object replaced by an
    incremental update is still there, and a reader may be made to use it), and the objects packed in
    object streams; with a label naming it."""
    scanned = _without_signature_contents(data)
    stream = io.BytesIO(scanned)  # `reader` still resolves indirect stream lengths in the file as it is
    for match in _PDF_OBJECT.finditer(scanned):
        stream.seek(match.start())
        found = _parse(lambda: (reader.read_object_header(stream)[0], read_object(stream, reader)))
        if found is None:
            continue  # digits that happen to precede "obj" inside binary data: not an object
        number, obj = found
        yield f"object {number}", obj
        if isinstance(obj, StreamObject) and obj.get("/Type") == "/ObjStm":
            yield from _packed_objects(reader, number, obj)


def _without_signature_contents(data: bytes) -> bytes:
    """The file with each signature's /Contents (the gap its /ByteRange leaves) cut to `<>`, where the gap is
    a hex string: a hex string holds no name and no object, and parsing one of 32,000 digits, as every seal's
    signature has, cost more than all the rest of the file."""
    gaps = set()
    for match in _BYTE_RANGE.finditer(data):
        offset, length, start, _ = (int(n) for n in match.groups())
        if offset + length < start <= len(data) and _HEX_STRING.fullmatch(data, offset + length, start):
            gaps.add((offset + length, start))
    pieces, at = [], 0
    for start, end in sorted(gaps):
        if start >= at:
            pieces += [data[at:start], b"<>"]
            at = end
    return b"".join([*pieces, data[at:]])


def _packed_objects(reader: PdfReader, number: int, container: StreamObject) -> Iterator[tuple[str, Any]]:
    try:
        content = container.get_data()
        first = int(str(container["/First"]))
        header = content[:first].split()
        offsets = [(int(header[i]), int(header[i + 1])) for i in range(0, len(header) - 1, 2)]
    except Exception:
        return
    for packed, offset in offsets:
        obj = _parse(functools.partial(read_object, io.BytesIO(content[first + offset :]), reader))
        if obj is not None:
            yield f"object {packed} (in object stream {number})", obj


def _check_pdf_objects(package: _Package, name: str, reader: PdfReader, data: bytes) -> None:
    active: dict[str, list[str]] = defaultdict(list)
    filters: dict[str, list[str]] = defaultdict(list)
    for label, obj in _pdf_objects(reader, data):
        stack = [obj]
        while stack:
            value = stack.pop()
            if isinstance(value, DictionaryObject):
                for key, item in value.items():
                    if str(key)[1:] in PDF_ACTIVE:
                        active[str(key)].append(label)
                    stack.append(item)
                if isinstance(value, StreamObject):
                    for used in _filters(value.get("/Filter")):
                        if used not in PDF_FILTERS:
                            filters[used].append(label)
            elif isinstance(value, ArrayObject):
                stack.extend(value)
            elif isinstance(value, NameObject) and str(value)[1:] in PDF_ACTIVE:
                active[str(value)].append(label)
    for found, labels in sorted(active.items()):
        package.add(SECURITY, name, "PDF_ACTIVE_CONTENT", f"{found} in {_some(labels)}: executable or embedded content")
    for used, labels in sorted(filters.items()):
        package.add(
            USABILITY,
            name,
            "PDF_FILTER_NOT_ALLOWED",
            f"/{used} in {_some(labels)}: proprietary or non-archival compression",
        )


def _parse(read: Callable[[], T]) -> T | None:
    """What `read` parses, or None where pypdf raises: whatever it meets in damaged bytes."""
    try:
        return read()
    except Exception:
        return None


def _filters(value: Any) -> list[str]:
    if isinstance(value, IndirectObject):
        with contextlib.suppress(Exception):
            value = value.get_object()
    if isinstance(value, NameObject):
        return [str(value)[1:]]
    if isinstance(value, ArrayObject):
        return [f for item in value for f in _filters(item)]
    return [] if value is None else [repr(value)]


def _some(labels: list[str]) -> str:
    unique = list(dict.fromkeys(labels))
    return ", ".join(unique[:3]) + (f" and {len(unique) - 3} more" if len(unique) > 3 else "")


# The description: bag-info.txt and metadata.json -----------------------------------------------------


def _check_description(package: _Package) -> None:
    with package.guard(INTEGRITY, "bag-info.txt", "the check of bag-info.txt"):
        _check_bag_info(package)
    if METADATA in package.unusable or METADATA not in package.files:
        return
    with package.guard(INTEGRITY, METADATA, "the check of metadata.json"):
        _check_metadata(package)
    with package.guard(AUTHENTICITY, "bag-info.txt", "the comparison of bag-info.txt with metadata.json"):
        _compare_bag_info(package)


def _check_bag_info(package: _Package) -> None:
    if "bag-info.txt" not in package.files or "bag-info.txt" in package.unusable:
        return
    info = package.bag_info
    missing = [
        label for label in BAG_INFO_FIELDS if not info.get(label) and not (label in MAY_BE_EMPTY and label in info)
    ]
    if missing:
        package.add(INTEGRITY, "bag-info.txt", "BAG_INFO_INCOMPLETE", f"no {', '.join(missing)}")
    repeated = [label for label in BAG_INFO_FIELDS if len(package.bag_info_repeated.get(label, ())) > 1]
    if repeated:
        package.add(INTEGRITY, "bag-info.txt", "BAG_INFO_INVALID", f"{', '.join(repeated)} given more than once")
    checks = (
        ("Bag-Count", BAG_COUNT, '"N of T", or "N of ?" while the series is open'),
        ("Retention-Period", RETENTION, '"<n> years" or "permanent"'),
        ("Bagging-Date", re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"), "a date YYYY-MM-DD"),
        ("Record-Kind", re.compile(f"^({'|'.join(KINDS)})$"), " or ".join(KINDS)),
    )
    for label, pattern, expected in checks:
        if info.get(label) and not pattern.match(info[label]):
            package.add(INTEGRITY, "bag-info.txt", "BAG_INFO_INVALID", f"{label} is {info[label]!r}, not {expected}")
    if package.report.ordinal and package.report.total and package.report.ordinal > package.report.total:
        package.add(
            INTEGRITY, "bag-info.txt", "BAG_INFO_INVALID", f"Bag-Count {info['Bag-Count']!r} counts past its total"
        )


def _check_metadata(package: _Package) -> None:
    kind = package.record.get("kind")
    if kind not in KINDS:
        package.add(INTEGRITY, METADATA, "METADATA_INCOMPLETE", f"record.kind is {kind!r}, not {' or '.join(KINDS)}")
        return
    wanted = [("record", package.record, f) for f in METADATA_FIELDS[str(kind)]]
    wanted += [("archival", package.archival, f) for f in METADATA_FIELDS["archival"]]
    if isinstance(package.record.get("stamp"), dict):
        wanted += [("record.stamp", package.record["stamp"], f) for f in METADATA_FIELDS["stamp"]]
    for prefix, section, path in wanted:
        if not _has(section, path):
            package.add(INTEGRITY, METADATA, "METADATA_INCOMPLETE", f"no {prefix}.{path}")
            continue
        form = METADATA_FORMS.get(path if prefix != "record.stamp" else f"stamp.{path}")
        if form is not None and not form[0](_get(section, path)):
            value = _get(section, path)
            package.add(AUTHENTICITY, METADATA, "METADATA_INVALID", f"{prefix}.{path} is {value!r}, not {form[1]}")
    archival = package.archival
    series = archival.get("series")
    expected = f"{archival.get('department')}-{archival.get('service_item')}-"
    if (
        isinstance(series, str)
        and {"department", "service_item"} <= archival.keys()
        and not (series.startswith(expected) and re.fullmatch("[0-9]{4}", series[len(expected) :]))
    ):
        package.add(AUTHENTICITY, METADATA, "METADATA_MISMATCH", f"archival.series {series!r} is not {expected}<year>")
    record = package.record
    own = [("archival.service_item", archival.get("service_item"), _get_or_none(record, "service_item.code"))]
    dept = "issuing_authority.credit_code" if kind == "certificate" else "department.credit_code"
    own.append(("archival.department", archival.get("department"), _get_or_none(record, dept)))
    if kind == "document":
        own.append(("record.media_type", record.get("media_type"), "application/pdf"))
    for label, value, other in own:
        if value != other:
            package.add(AUTHENTICITY, METADATA, "METADATA_MISMATCH", f"{label} is {value!r}, not {other!r}")


def _get_or_none(value: Any, path: str) -> Any:
    try:
        return _get(value, path)
    except KeyError:
        return None


def _compare_bag_info(package: _Package) -> None:
    """What bag-info.txt says of the record is what metadata.json says (DA/T 70: the description agrees)."""
    info, record, archival = package.bag_info, package.record, package.archival
    certificate = record.get("kind") == "certificate"
    said: dict[str, tuple[dict[str, Any], str, Callable[[Any], str]]] = {
        "External-Identifier": (record, "identifier" if certificate else "reference", str),
        "Bag-Group-Identifier": (archival, "series", str),
        "Record-Kind": (record, "kind", str),
        "Source-Organization": (record, "issuing_authority.name" if certificate else "department.name", str),
        "Archive-Category": (archival, "category", lambda c: c or ""),
        "Retention-Period": (archival, "retention.years", lambda y: "permanent" if y is None else f"{y} years"),
    }
    for label, (section, path, written) in said.items():
        if label in info and _has(section, path) and info[label] != written(_get(section, path)):
            value = written(_get(section, path))
            package.add(
                AUTHENTICITY,
                "bag-info.txt",
                "METADATA_MISMATCH",
                f"{label} is {info[label]!r}; metadata.json says {value!r}",
            )
    if package.report.ordinal is not None and "ordinal" in archival and archival["ordinal"] != package.report.ordinal:
        package.add(
            AUTHENTICITY,
            "bag-info.txt",
            "METADATA_MISMATCH",
            f"Bag-Count {info.get('Bag-Count')!r}; metadata.json says ordinal {archival.get('ordinal')!r}",
        )


def _epoch(value: Any) -> int | None:
    """An ISO 8601 time as whole seconds since the epoch (a time without an offset is UTC); None if not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
        return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).timestamp() // 1)
    except (ValueError, OverflowError):
        return None


def _iso(epoch: int) -> str:
    try:
        return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat()
    except (ValueError, OverflowError, OSError):
        return str(epoch)


def _compare_certificate(package: _Package, claims: dict[str, Any], disclosed: dict[str, Any]) -> None:
    """The metadata's account of the certificate is what was signed, value by value."""
    record = package.record
    signed: dict[str, Any] = {
        "identifier": claims.get("jti"),
        "type.code": claims.get("vct"),
        "type.name": claims.get("type_name"),
        "issuing_authority.credit_code": claims.get("dept"),
        "issuing_authority.name": claims.get("dept_name"),
        "holder.kind": claims.get("holder_kind"),
        "holder.name": claims.get("holder_name"),
        "holder.id_masked": claims.get("holder_id_masked"),
        "version": claims.get("ver"),
        "fields": {k: v for k, v in disclosed.items() if k != "holder_id"},
        "defining_authority": str(claims.get("vct", ""))[:18],
    }
    with contextlib.suppress(InvalidCode):
        signed["licence_number"] = parse_any(str(claims.get("jti"))).serial
    for path, value in signed.items():
        if _has(record, path) and _get(record, path) != value:
            package.add(
                AUTHENTICITY,
                METADATA,
                "METADATA_MISMATCH",
                f"record.{path} is {_get(record, path)!r}; the signed certificate says {value!r}",
            )
    for path, claim in (("issued_at", "iat"), ("valid_from", "nbf"), ("valid_until", "exp")):
        if not _has(record, path):
            continue
        value, signed_at = record[path], claims.get(claim)
        if (value is None and signed_at is None) or (signed_at is not None and _epoch(value) == signed_at):
            continue
        when = "absent" if signed_at is None else _iso(signed_at)
        package.add(
            AUTHENTICITY,
            METADATA,
            "METADATA_MISMATCH",
            f"record.{path} is {value!r}; the signed certificate says {when}",
        )


# Series -----------------------------------------------------------------------------------------------


def check_series(reports: Sequence[PackageReport], judged: Iterable[str] | None = None) -> list[SeriesReport]:
    """Each series' numbering over the packages given: no ordinal twice, one declared total, and, for the
    series in `judged` (all when None), no ordinal missing from 1 to the last or to the declared total."""
    members: dict[str, list[PackageReport]] = defaultdict(list)
    for report in reports:
        if report.series is not None:
            members[report.series].append(report)
    judged = None if judged is None else set(judged)
    found = []
    for series, packages in sorted(members.items()):
        result = SeriesReport(series, [p.path for p in packages])
        ordinals = Counter(p.ordinal for p in packages if p.ordinal is not None)
        for ordinal, count in sorted(ordinals.items()):
            if count > 1:
                paths = [p.path.name for p in packages if p.ordinal == ordinal]
                result.problems.append(
                    Problem("", "SERIES_DUPLICATE_ORDINAL", f"ordinal {ordinal} is held by {count} packages: {paths}")
                )
        totals = sorted({p.total for p in packages if p.total is not None})
        if len(totals) > 1:
            result.problems.append(
                Problem("", "SERIES_TOTAL_MISMATCH", f"the packages declare different totals {totals}")
            )
        if totals:
            beyond = sorted(o for o in ordinals if o > totals[0])
            if beyond:
                result.problems.append(
                    Problem("", "SERIES_BEYOND_TOTAL", f"ordinal(s) {beyond} beyond the declared total {totals[0]}")
                )
        if ordinals and (judged is None or series in judged):
            last = max([*ordinals, *totals])
            missing = [o for o in range(1, last + 1) if o not in ordinals]
            if missing:
                upto = f"the declared total {last}" if totals and last == max(totals) else f"the last, {last}"
                result.problems.append(
                    Problem("", "SERIES_GAP", f"ordinal(s) {_ranges(missing)} missing from 1 to {upto}")
                )
        found.append(result)
    return found


def _ranges(numbers: list[int]) -> str:
    spans: list[list[int]] = []
    for n in numbers:
        if spans and spans[-1][1] == n - 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)
