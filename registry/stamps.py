"""Electronic seals on documents: stamped PDFs (PAdES), detached stamps for any file, their verification
and revocation. The registry keeps each stamp's record (document hash, department, seal, time, service
item, status), never the document itself.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuers.pdfseal import EmbeddedStamp, LongTerm, PdfRejected, Placement, read_stamps, renew_pdf, stamp_pdf
from issuers.signing import Signer, SoftwareSigner, public_jwk, sign
from issuers.tsa import TimestampError, timestamp_with
from registry.accesslog import AccessLog, Event
from registry.errors import Conflict, NotFound, RegistryError, Unavailable, ValidationFailed
from registry.keys import KeyService, published_jwk
from registry.models import Department, Seal, ServiceItem, Stamp, utcnow
from registry.principals import ANONYMOUS, Principal
from registry.statuslists import StatusLists
from registry.verification import VerificationService
from registry.vocabulary import Action, KeyPurpose, StampStatus
from verifiers import Check, MalformedToken, VerificationFailed, formats
from verifiers.formats import status_list_url
from verifiers.jose import key_status

log = logging.getLogger(__name__)
PDF = "pdf"
DETACHED = "detached"
SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # not in a document's name: it is shown on pages and sent in headers


class StampRejected(ValidationFailed):
    """A document that cannot be stamped or checked as sent (not a PDF, damaged, encrypted, off the page)."""


@dataclass(frozen=True, slots=True)
class StampRequest:
    kind: str  # PDF or DETACHED
    document_name: str
    data: bytes | None = None
    sha256: str | None = None  # a detached stamp of a file the registry never sees
    placement: Placement = field(default_factory=Placement)
    service_item: str | None = None


@dataclass(frozen=True, slots=True)
class StampResult:
    stamp: Stamp
    pdf: bytes | None  # the stamped PDF, for a PDF stamp


@dataclass
class StampCheck:
    """The verdict on one stamp: every check in order, and the registry's record of it where found."""

    valid: bool
    checks: list[Check]
    record: Stamp | None = None
    claims: dict[str, Any] = field(default_factory=dict)


def stamp_url(issuer: str, reference: str) -> str:
    """The public page of a stamp, which the stamp's QR code holds."""
    return f"{issuer}/s/{reference}"


class StampService:
    def __init__(
        self,
        session: Session,
        keys: KeyService,
        verification: VerificationService,
        issuer: str,
        *,
        tsa_reply: Callable[[bytes], bytes] | None = None,
    ) -> None:
        """`tsa_reply` answers RFC 3161 requests (DER in, DER out): with it, PDF stamps are PAdES B-LTA."""
        self.session = session
        self.tsa_reply = tsa_reply
        self.keys = keys
        self.verification = verification
        self.issuer = issuer
        self.certs = keys.certs
        self.log = AccessLog(session)

    # Stamping ------------------------------------------------------------------------------------

    def stamp(self, department: Department, request: StampRequest, *, actor: Principal) -> StampResult:
        """Stamp a PDF, or make a detached stamp; record and log it in the caller's transaction."""
        if CONTROL.search(request.document_name):
            raise StampRejected(
                "a document name holds no control characters (line breaks, tabs)",
                code="BAD_DOCUMENT_NAME",
                errors={"name": ["no control characters"]},
            )
        if (
            request.service_item is not None
            and self.session.scalar(select(ServiceItem.id).where(ServiceItem.code == request.service_item)) is None
        ):
            raise NotFound(f"no service item {request.service_item}", code="SERVICE_ITEM_NOT_FOUND")
        signer = self.keys.signing_key(department)
        seal = self.keys.get(signer.kid)
        reference = str(uuid.uuid4())
        now = utcnow()
        [(number, index)] = StatusLists(self.session).allocate(1)
        stamp = Stamp(
            reference=reference,
            kind=request.kind,
            document_name=request.document_name,
            department_id=department.id,
            seal_kid=seal.kid,
            service_item=request.service_item,
            stamped_at=now,
            status=StampStatus.VALID,
            status_list=number,
            status_idx=index,
        )
        pdf = None
        if request.kind == PDF:
            if request.data is None:
                raise StampRejected("a PDF stamp needs the file", code="FILE_REQUIRED")
            pdf = self._stamp_pdf(request, department, seal, signer, reference)
            stamp.document_sha256 = hashlib.sha256(request.data).hexdigest()
            stamp.stamped_sha256 = hashlib.sha256(pdf).hexdigest()
        else:
            stamp.document_sha256 = _document_hash(request)
            stamp.signed = self._detached(stamp, department, seal, signer, now)
            stamp.timestamp_token = self._timestamp(stamp.signed)
        self.session.add(stamp)
        self.session.flush()
        self.log.record(actor, [_event(Action.STAMP_CREATE, stamp)])
        return StampResult(stamp, pdf)

    def _stamp_pdf(
        self, request: StampRequest, department: Department, seal: Seal, signer: Signer, reference: str
    ) -> bytes:
        if not isinstance(signer, SoftwareSigner):
            raise Conflict("this seal's key cannot sign PDFs here", code="SEAL_ALGORITHM_UNSUPPORTED")
        chain = self.certs.chain(seal)
        assert request.data is not None and seal.picture is not None
        try:
            return stamp_pdf(
                request.data,
                signer,
                chain[0],
                chain,
                picture=seal.picture,
                url=stamp_url(self.issuer, reference),
                reference=reference,
                department=department.credit_code,
                placement=request.placement,
                seal_name=seal.name or department.name,
                long_term=self._long_term(chain[-1]),
            )
        except PdfRejected as e:
            raise StampRejected(e.detail, code=e.code) from None

    def renew(self, data: bytes, *, actor: Principal) -> bytes:
        """A stamped PDF with its time-stamp chain one link longer (today's revocation lists, a new document
        time-stamp): what keeps its stamps verifiable as of their time after certificates expire."""
        long_term = self._long_term(self.certs.root())
        if long_term is None:
            raise Unavailable("no time-stamping authority is configured", code="NO_TSA")
        try:
            renewed = renew_pdf(data, long_term)
        except PdfRejected as e:
            raise StampRejected(e.detail, code=e.code) from None
        digest = hashlib.sha256(data).hexdigest()
        self.log.record(actor, [Event(Action.STAMP_RENEW, reason=f"document {digest}: a new document time-stamp")])
        return renewed

    def _timestamp(self, signed: str) -> str | None:
        """A TSA's token over a detached stamp's bytes; without a TSA, or when it fails, none (logged)."""
        if self.tsa_reply is None:
            return None
        try:
            return base64.b64encode(timestamp_with(self.tsa_reply, signed.encode("ascii"))).decode()
        except (TimestampError, RegistryError) as e:
            log.error("the stamp has no time-stamp token: %s", e)
            return None

    def _long_term(self, root: x509.Certificate) -> LongTerm | None:
        if self.tsa_reply is None:
            return None
        return LongTerm(self.tsa_reply, root, [self.certs.crl()])

    def _detached(self, stamp: Stamp, department: Department, seal: Seal, signer: Signer, now: dt.datetime) -> str:
        claims = formats.stamp_claims(
            issuer=self.issuer,
            reference=stamp.reference,
            dept=department.credit_code,
            dept_name=department.name,
            seal_name=seal.name,
            document_name=stamp.document_name,
            document_sha256=stamp.document_sha256,
            status_list=status_list_url(self.issuer, stamp.status_list),
            status_idx=stamp.status_idx,
            url=stamp_url(self.issuer, stamp.reference),
            issued_at=int(now.timestamp()),
            service_item=stamp.service_item,
        )
        return sign(claims, signer, formats.STAMP)

    # Reading and revoking -----------------------------------------------------------------------

    def find(self, reference: str) -> Stamp | None:
        return self.session.scalar(select(Stamp).where(Stamp.reference == reference))

    def get(self, reference: str) -> Stamp:
        stamp = self.find(reference)
        if stamp is None:
            raise NotFound(f"no stamp {reference}", code="STAMP_NOT_FOUND")
        return stamp

    def revoke(self, reference: str, reason: str, *, actor: Principal) -> Stamp:
        """Revoke one of the actor's department's stamps (a decision withdrawn); every later check says so."""
        stamp = self.session.scalar(
            select(Stamp)
            .where(Stamp.reference == reference, Stamp.department_id == actor.department_id)
            .with_for_update(of=Stamp)
        )
        if stamp is None:
            error = NotFound(f"no stamp {reference} of your department", code="STAMP_NOT_FOUND")
            other = self.find(reference)
            if other is not None:  # another department's: the refusal goes on its record
                error.subject = _event(Action.STAMP_REVOKE, other, reason)
            raise error
        if stamp.status == StampStatus.REVOKED:
            raise Conflict("the stamp is already revoked", code="INVALID_TRANSITION")
        stamp.status, stamp.revoked_at, stamp.revocation_reason = StampStatus.REVOKED, utcnow(), reason
        StatusLists(self.session).changed(stamp.status_list)
        self.session.flush()
        self.log.record(actor, [_event(Action.STAMP_REVOKE, stamp, reason)])
        return stamp

    # Verifying ----------------------------------------------------------------------------------

    def verify_pdf(self, data: bytes) -> list[StampCheck]:
        """Check every seal embedded in a PDF, check by check; log the verification."""
        try:
            embedded = read_stamps(data, self.certs.root())
        except PdfRejected as e:
            result = [StampCheck(False, [Check("format", False, e.code, e.detail)])]
        else:
            if not embedded:
                result = [StampCheck(False, [Check("format", False, "NO_STAMP", "the PDF carries no signature")])]
            else:
                result = [self._pdf_checks(found) for found in embedded]
        for check in result:
            self._log_verification(check)
        return result

    def _pdf_checks(self, found: EmbeddedStamp) -> StampCheck:
        checks = [Check("format", True, "OK", f"signature field {found.field_name}")]
        record = self.find(found.reference) if found.reference else None
        # 2. The document: the signed bytes unchanged, and nothing but signatures added after them.
        if not found.intact:
            checks.append(Check("document", False, "DOCUMENT_CHANGED", "the signed content was altered"))
        elif found.later_changes == "content":
            checks.append(Check("document", False, "DOCUMENT_MODIFIED", "content was changed after stamping"))
        else:
            detail = "" if found.later_changes == "none" else "later revisions add stamps of this registry only"
            checks.append(Check("document", True, "OK", detail))
        # 3. The signature itself.
        checks.append(Check("signature", found.valid, "OK" if found.valid else "BAD_SIGNATURE"))
        # 4. The seal: a seal certificate of the registry's CA, for a seal the registry knows.
        seal = self._seal_of(found.signer_certificate)
        if seal is None or not found.trusted:
            code = "UNKNOWN_SEAL" if seal is None else "UNTRUSTED_CERTIFICATE"
            checks.append(Check("seal", False, code, "not a seal certified by this registry"))
        else:
            checks.append(Check("seal", True, "OK", f"{seal.name} ({seal.kid})"))
        # 5. The seal's status when it stamped: the registry's record of the time where there is one.
        signed_at = record.stamped_at if record else found.signed_at
        if seal is None or signed_at is None:
            checks.append(Check("key_status", False, "KEY_STATUS_UNKNOWN", "no seal or signing time to check"))
        else:
            checks.append(key_status(published_jwk(seal), int(signed_at.timestamp())))
        # 6. The stamp's own status.
        checks.append(_record_status(record))
        return StampCheck(all(c.passed for c in checks), checks, record)

    def _seal_of(self, certificate: x509.Certificate | None) -> Seal | None:
        if certificate is None:
            return None
        key = certificate.public_key()
        if not (isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1)):
            return None  # not a kind of key the registry's seals are
        seal = self.keys.find(public_jwk(key, "ES256")["kid"])
        return seal if seal is not None and seal.purpose == KeyPurpose.SEAL else None

    def verify_detached(self, stamp: str, *, data: bytes | None = None, sha256: str | None = None) -> StampCheck:
        """Check a detached stamp against a file or its SHA-256, with what the registry publishes; log it."""
        if sha256 is not None and not SHA256_HEX.match(sha256):
            raise StampRejected("sha256 is 64 hexadecimal characters", code="BAD_SHA256")
        verifier = self.verification.verifier_for(stamp.strip())
        try:
            verified = verifier.verify_stamp(stamp, data, sha256)
            result = StampCheck(True, verified.checks, claims=verified.claims)
        except VerificationFailed as e:
            result = StampCheck(False, e.checks, claims=e.claims)
        except MalformedToken as e:
            result = StampCheck(False, [Check("format", False, "MALFORMED", str(e))])
        reference = result.claims.get("jti")
        result.record = self.find(reference) if isinstance(reference, str) else None
        self._log_verification(result)
        return result

    def _log_verification(self, result: StampCheck) -> None:
        failed = next((c.code for c in result.checks if not c.passed), None)
        if result.record is not None:
            event = _event(Action.STAMP_VERIFY, result.record, error_code=failed)
        else:
            event = Event(Action.STAMP_VERIFY, error_code=failed)
        self.log.record(ANONYMOUS, [event])


def _document_hash(request: StampRequest) -> str:
    if request.data is not None:
        return hashlib.sha256(request.data).hexdigest()
    if request.sha256 is None or not SHA256_HEX.match(request.sha256):
        raise StampRejected("send the file, or its SHA-256 as 64 hexadecimal characters", code="BAD_SHA256")
    return request.sha256.lower()


def _record_status(record: Stamp | None) -> Check:
    if record is None:
        return Check("status", False, "STAMP_UNKNOWN", "the registry has no record of this stamp")
    if record.status == StampStatus.REVOKED:
        return Check("status", False, "REVOKED", record.revocation_reason or "")
    return Check("status", True, "OK")


def _event(action: Action, stamp: Stamp, reason: str | None = None, error_code: str | None = None) -> Event:
    text = f"stamp {stamp.reference} ({stamp.kind})" + (f": {reason}" if reason else "")
    return Event(
        action,
        subject_department_id=stamp.department_id,
        service_item=stamp.service_item,
        reason=text[:500],
        error_code=error_code,
    )
