"""Stamping PDFs with a seal (PAdES through pyHanko) and reading the stamps back, with nothing of Flask.

The signature is an incremental update: the original bytes stay as they were, and any PDF reader can
check the embedded CMS signature against the seal's X.509 certificate and the registry's root. The
private key never leaves its `Signer`: pyHanko hands over the bytes to sign and gets a signature back.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import qrcode
import qrcode.constants
from asn1crypto import crl as asn1_crl
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import utils as ec_utils
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.qr import PdfStreamQRImage
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import init_xobject_dictionary
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import (
    CatalogModificationRule,
    DiffResult,
    DocInfoRule,
    DSSCompareRule,
    FormUpdatingRule,
    MetadataUpdateRule,
    ModificationLevel,
    ObjectStreamRule,
    SigFieldCreationRule,
    SigFieldModificationRule,
    StandardDiffPolicy,
    XrefStreamRule,
)
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.validation import DocumentSecurityStore, validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko.stamp import QRStampStyle
from pyhanko.stamp.qr import QRStamp
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from issuers.signing import Signer

PDF_ALGORITHMS = ("ES256",)  # ECDSA P-256 with SHA-256: what poppler, Acrobat and pyHanko all check
REASON_PREFIX = "stamp "
QR_MASK_PATTERN = 2  # as registry.qr: one fixed pattern reads as well as the best of eight
SIGNATURE_BYTES = 16384  # the CMS signature with two certificates and a time-stamp token is about 4 KB
STAMP_TEXT = "Sealed by %(dept)s\n%(ts)s\nStamp %(ref)s"
# What may follow a stamp in later revisions: new signatures (their fields and widgets), document
# timestamps and validation data, nothing else. pyHanko's default policy also lets anyone fill in form
# fields and add signature fields with any appearance, which can paint over the stamped page; here a
# filled-in field is a change of content, and every new or changed signature field is checked below.
# New visible signature fields are allowed after a certifying stamp so that departments can co-stamp.
STAMP_DIFF_POLICY = StandardDiffPolicy(
    global_rules=[
        CatalogModificationRule(),
        DocInfoRule().as_qualified(ModificationLevel.LTA_UPDATES),
        XrefStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
        ObjectStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
        DSSCompareRule().as_qualified(ModificationLevel.LTA_UPDATES),
        MetadataUpdateRule().as_qualified(ModificationLevel.LTA_UPDATES),
    ],
    form_rule=FormUpdatingRule(
        field_rules=[SigFieldCreationRule(allow_new_visible_after_certify=True), SigFieldModificationRule()]
    ),
)
# Parsing untrusted PDFs: what pyHanko raises on damaged input, beyond its own PdfError.
# (ArithmeticError: a number pyHanko cannot parse raises decimal.InvalidOperation, found by the fuzz test.)
_DAMAGED = (
    PdfError,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    AssertionError,
    EOFError,
    ArithmeticError,
    NotImplementedError,
    RecursionError,
)


class PdfRejected(ValueError):
    """A PDF that cannot be stamped, with a stable code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class _NoFetchNotice(logging.Filter):
    """pyHanko warns on every B-LTA stamp that it may not fetch revocation data: here it is handed the
    CA's current list on purpose, so the warning says nothing and would flood the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "fetching is not allowed" not in record.getMessage()


logging.getLogger("pyhanko.sign.signers.pdf_signer").addFilter(_NoFetchNotice())


class _TimeStamper(TimeStamper):
    """pyHanko's view of an RFC 3161 authority reached through `reply(request DER) -> response DER`."""

    def __init__(self, reply: Callable[[bytes], bytes]) -> None:
        super().__init__()
        self._reply = reply

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return tsp.TimeStampResp.load(self._reply(req.dump()))


@dataclass(frozen=True, slots=True)
class LongTerm:
    """What a PAdES B-LTA stamp embeds and needs: a time-stamping authority (`reply` answers a DER
    TimeStampReq), the root and the CA's current revocation list, so that the stamp validates after its
    seal's certificate expires or is revoked, as of its time-stamp."""

    reply: Callable[[bytes], bytes]
    root: x509.Certificate
    crls: list[x509.CertificateRevocationList]

    def context(self) -> ValidationContext:
        return ValidationContext(
            trust_roots=[_der(self.root)],
            crls=_asn1_crls(self.crls),
            allow_fetching=False,
        )


@dataclass(frozen=True, slots=True)
class Placement:
    """Where the stamp goes: a 1-based page number and a box in PDF points from the page's lower left."""

    page: int = 1
    x: float = 360.0
    y: float = 40.0
    width: float = 200.0
    height: float = 90.0


class _FixedMaskQRStamp(QRStamp):
    """pyHanko's QR stamp with one fixed mask pattern: trying all eight took half of a stamp's time."""

    def _qr_xobject(self) -> tuple[Any, int]:
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, mask_pattern=QR_MASK_PATTERN)
        code.add_data(self.url)
        code.make()
        image = code.make_image(image_factory=PdfStreamQRImage)
        size = (code.modules_count + 2 * code.border) * code.box_size
        xobject = init_xobject_dictionary(image.render_command_stream(), size, size)
        xobject.compress()
        assert self.writer is not None
        return self.writer.add_object(xobject), size


class _SealStampStyle(QRStampStyle):
    def create_stamp(self, writer: Any, box: Any, text_params: dict[str, Any]) -> QRStamp:
        url = text_params.pop("url")
        return _FixedMaskQRStamp(writer, style=self, url=url, text_params=text_params, box=box)


def _asn1_crls(crls: list[x509.CertificateRevocationList]) -> list[asn1_crl.CertificateList]:
    return [asn1_crl.CertificateList.load(c.public_bytes(serialization.Encoding.DER)) for c in crls]


def _der(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


class _SealCmsSigner(signers.Signer):
    """pyHanko's view of a registry Signer: CMS signatures by a key that stays behind the Signer."""

    def __init__(self, signer: Signer, certificate: x509.Certificate, chain: list[x509.Certificate]) -> None:
        super().__init__(
            signing_cert=_der(certificate), cert_registry=SimpleCertificateStore.from_certs([_der(c) for c in chain])
        )
        self._signer = signer

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if digest_algorithm != "sha256":
            raise ValueError(f"a seal signs with SHA-256, not {digest_algorithm}")
        raw = self._signer.sign(data)  # ES256: SHA-256 and ECDSA over `data`, as JWS r || s
        half = len(raw) // 2
        return bytes(ec_utils.encode_dss_signature(int.from_bytes(raw[:half]), int.from_bytes(raw[half:])))


def open_pdf(data: bytes) -> PdfFileReader:
    """Read a PDF to stamp or check; raise PdfRejected for one that is not a PDF, damaged or encrypted."""
    if b"%PDF-" not in data[:1024]:
        raise PdfRejected("NOT_A_PDF", "the file is not a PDF (no %PDF- header)")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        encrypted = reader.encrypted
        pages = int(reader.root["/Pages"]["/Count"])
    except _DAMAGED as e:
        raise PdfRejected("PDF_DAMAGED", f"the PDF cannot be read: {e}") from None
    if encrypted:
        raise PdfRejected("PDF_ENCRYPTED", "the PDF is encrypted; send it unencrypted")
    if pages < 1:
        raise PdfRejected("PDF_DAMAGED", "the PDF has no pages")
    return reader


def page_count(reader: PdfFileReader) -> int:
    return int(reader.root["/Pages"]["/Count"])


def _media_box(reader: PdfFileReader, page_index: int) -> tuple[float, float, float, float]:
    page_ref, _ = reader.find_page_for_modification(page_index)
    node: Any = page_ref.get_object()
    while node is not None:
        if "/MediaBox" in node:
            x0, y0, x1, y1 = (float(v) for v in node["/MediaBox"])
            return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)
        node = node.get("/Parent")
        node = node.get_object() if isinstance(node, generic.IndirectObject) else node
    raise PdfRejected("PDF_DAMAGED", f"page {page_index + 1} has no media box")


def check_placement(reader: PdfFileReader, placement: Placement) -> None:
    """Raise PdfRejected unless the stamp's box lies on the page (PAGE_NOT_FOUND, POSITION_OFF_PAGE)."""
    pages = page_count(reader)
    if not 1 <= placement.page <= pages:
        raise PdfRejected("PAGE_NOT_FOUND", f"page {placement.page} does not exist; the PDF has {pages}")
    try:
        x0, y0, x1, y1 = _media_box(reader, placement.page - 1)
    except _DAMAGED as e:
        raise PdfRejected("PDF_DAMAGED", f"page {placement.page} cannot be read: {e}") from None
    box = (placement.x, placement.y, placement.x + placement.width, placement.y + placement.height)
    if placement.width <= 0 or placement.height <= 0 or box[0] < x0 or box[1] < y0 or box[2] > x1 or box[3] > y1:
        raise PdfRejected(
            "POSITION_OFF_PAGE",
            f"the stamp ({box[0]:g}, {box[1]:g})-({box[2]:g}, {box[3]:g}) is not within page {placement.page}'s "
            f"box ({x0:g}, {y0:g})-({x1:g}, {y1:g})",
        )


def stamp_pdf(
    data: bytes,
    signer: Signer,
    certificate: x509.Certificate,
    chain: list[x509.Certificate],
    *,
    picture: bytes,
    url: str,
    reference: str,
    department: str,
    placement: Placement,
    seal_name: str,
    long_term: LongTerm | None = None,
) -> bytes:
    """Return the PDF with a visible stamp (the seal's picture behind a QR code of `url` and a line of text)
    on the given page and an embedded PAdES signature by the seal, as an incremental update."""
    if signer.alg not in PDF_ALGORITHMS:
        raise PdfRejected("SEAL_ALGORITHM_UNSUPPORTED", f"PDF stamps need an {' or '.join(PDF_ALGORITHMS)} seal")
    reader = open_pdf(data)
    check_placement(reader, placement)
    field_name = f"Seal-{reference[:8]}"
    style = _SealStampStyle(
        stamp_text=STAMP_TEXT,
        background=PdfImage(Image.open(io.BytesIO(picture))),
        background_opacity=0.55,
        border_width=0,
    )
    # The first stamp on a document certifies it (DocMDP): readers then refuse content and annotations
    # added later; pyHanko also refuses new visible signature fields (a co-stamp among them, which this
    # registry's own check allows). A document signed before cannot be certified: it gets an approval.
    first = not any(True for _ in _signatures(reader))
    metadata = PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=REASON_PREFIX + reference,
        name=seal_name,
        certify=first,
        docmdp_permissions=MDPPerm.FILL_FORMS,
        # PAdES B-LTA: a signature time-stamp, the certificates and revocation lists in the document
        # security store, then a document time-stamp over all of it.
        embed_validation_info=long_term is not None,
        use_pades_lta=long_term is not None,
        validation_context=long_term.context() if long_term else None,
    )
    box = (
        int(placement.x),
        int(placement.y),
        int(placement.x + placement.width),
        int(placement.y + placement.height),
    )
    pdf_signer = PdfSigner(
        metadata,
        signer=_SealCmsSigner(signer, certificate, chain),
        timestamper=_TimeStamper(long_term.reply) if long_term else None,
        stamp_style=style,
        new_field_spec=fields.SigFieldSpec(field_name, on_page=placement.page - 1, box=box),
    )
    out = io.BytesIO()
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        pdf_signer.sign_pdf(
            writer,
            output=out,
            appearance_text_params={"url": url, "dept": department, "ref": reference[:8]},
            # A fixed reservation instead of pyHanko's dry-run signature to size the CMS container.
            bytes_reserved=SIGNATURE_BYTES,
        )
    except _DAMAGED as e:
        raise PdfRejected("PDF_DAMAGED", f"the PDF cannot be stamped: {e}") from None
    return out.getvalue()


def _signatures(reader: PdfFileReader) -> list[Any]:
    """The PDF's embedded signatures; PdfRejected (SIGNATURE_MALFORMED) when one cannot even be read."""
    try:
        found = list(reader.embedded_signatures)
        for embedded in found:  # what validation reads first: fail here, with a code, not halfway through
            embedded.sig_object.get("/Reason")
            embedded.signed_data  # noqa: B018 (parses /Contents as CMS)
    except _DAMAGED as e:
        raise PdfRejected("SIGNATURE_MALFORMED", f"a signature in the PDF cannot be read: {e}") from None
    return found


def renew_pdf(data: bytes, long_term: LongTerm) -> bytes:
    """The archive's time-stamp chain, one link longer: the current certificates and revocation lists for
    every signature and time-stamp in the document security store, then a new document time-stamp over
    all of it. Run it before the newest time-stamp's TSA certificate expires (or its algorithms weaken);
    each renewal keeps every earlier signature verifiable as of its own time. Incremental: earlier
    revisions keep their bytes."""
    reader = open_pdf(data)
    if not _signatures(reader):
        raise PdfRejected("NO_STAMP", "the PDF carries no signature to renew")
    context = long_term.context()
    crls = _asn1_crls(long_term.crls)
    out = io.BytesIO(data)
    try:
        # The current revocation lists go in as they are, without validating anything as of now: a seal
        # compromised since is exactly what they must record, for validation as of each time-stamp.
        writer = IncrementalPdfFileWriter(out, strict=False)
        DocumentSecurityStore.supply_dss_in_writer(writer, None, certs=[_der(long_term.root)], crls=crls)
        writer.write_in_place()
        signers.PdfTimeStamper(_TimeStamper(long_term.reply)).update_archival_timestamp_chain(
            PdfFileReader(out, strict=False), context, in_place=True
        )
    except _DAMAGED as e:
        raise PdfRejected("PDF_DAMAGED", f"the PDF cannot be renewed: {e}") from None
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class EmbeddedStamp:
    """What one embedded signature says about itself, as pyHanko's validator finds it."""

    field_name: str
    reference: str | None  # the registry's stamp reference, from the signed /Reason
    intact: bool  # the signed bytes hash to the signed digest
    valid: bool  # the CMS signature over them holds
    trusted: bool  # the signer's certificate chains to the given root
    covers_whole_file: bool
    later_changes: str  # "none", "stamps" (co-stamps, document timestamps, validation data) or "content"
    signer_certificate: x509.Certificate | None
    signed_at: dt.datetime | None


def read_stamps(
    data: bytes, root: x509.Certificate, crls: list[x509.CertificateRevocationList] | None = None
) -> list[EmbeddedStamp]:
    """Every embedded signature of a PDF, each validated with `root` as the only trust anchor.

    With `crls`, revocation is checked as a PDF reader would (hard-fail, as of now): a certificate on
    a list is not trusted, whenever the signature was made.
    """
    reader = open_pdf(data)
    if crls is None:
        context = ValidationContext(trust_roots=[_der(root)], allow_fetching=False)
    else:
        context = ValidationContext(
            trust_roots=[_der(root)],
            crls=_asn1_crls(crls),
            revocation_mode="hard-fail",
            allow_fetching=False,
        )
    checked: list[tuple[Any, str | None, PdfSignatureStatus | None]] = []
    everything = _signatures(reader)
    # Document time-stamps (PAdES B-LTA) are evidence about the stamps, not stamps; an invisible one
    # changes nothing a page shows.
    timestamps = {e.field_name for e in everything if e.sig_object_type == "/DocTimeStamp" and _invisible(e)}
    for embedded in everything:
        if embedded.sig_object_type == "/DocTimeStamp":
            continue
        reason = embedded.sig_object.get("/Reason")
        reference = str(reason)[len(REASON_PREFIX) :] if str(reason or "").startswith(REASON_PREFIX) else None
        try:
            status = validate_pdf_signature(embedded, context, diff_policy=STAMP_DIFF_POLICY)
        except (SignatureValidationError, *_DAMAGED):
            status = None
        checked.append((embedded, reference, status))
    # A later revision may add what a stamp of this registry adds: a signature field signed by a seal that
    # chains to the root. An unsigned or foreign signature field can paint anything over the page.
    stamps = {e.field_name for e, _, st in checked if st is not None and st.intact and st.valid and st.trusted}
    stamps |= timestamps
    found = []
    for embedded, reference, status in checked:
        if status is None:
            found.append(
                EmbeddedStamp(embedded.field_name, reference, False, False, False, False, "content", None, None)
            )
            continue
        certificate = x509.load_der_x509_certificate(status.signing_cert.dump()) if status.signing_cert else None
        found.append(
            EmbeddedStamp(
                embedded.field_name,
                reference,
                bool(status.intact),
                bool(status.valid),
                bool(status.trusted),
                status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
                _later_changes(status, stamps - {embedded.field_name}),
                certificate,
                status.signer_reported_dt,
            )
        )
    return found


def _invisible(embedded: Any) -> bool:
    """Whether a signature field's widget has no area on any page (a document time-stamp's has none)."""
    try:
        field = embedded.sig_field
        widgets = [field] if "/Rect" in field else [kid.get_object() for kid in field.get("/Kids", [])]
        for widget in widgets:
            x0, y0, x1, y1 = (float(v) for v in widget["/Rect"])
            if abs(x1 - x0) * abs(y1 - y0) > 0:
                return False
    except _DAMAGED:
        return False
    return True


def _later_changes(status: PdfSignatureStatus, other_stamps: set[str]) -> str:
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return "none"
    diff = status.diff_result
    if not isinstance(diff, DiffResult) or diff.modification_level > ModificationLevel.FORM_FILLING:
        return "content"  # content streams, annotations, pages, or anything the policy cannot explain
    return "stamps" if diff.changed_form_fields <= other_stamps else "content"
