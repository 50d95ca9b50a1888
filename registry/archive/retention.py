"""Retention: which filed records are past their retention, legal holds that keep them, and disposal.

Disposal removes a record's personal content (a certificate's signed form, compact form, fields, holder name
and printable rendition; a document's bytes) and keeps a tombstone: what it was, when, who disposed of it
under which authority, and the SHA-256 of each part removed, so that the access log, whose entries never
held that content, still verifies and can still be explained.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from registry.accesslog import AccessLog, Event
from registry.archive.records import (
    certificate_retention_start,
    document_retention_start,
    retention_until,
)
from registry.archive.store import DocumentStore
from registry.errors import Conflict, NotFound, ValidationFailed
from registry.models import Certificate, Document, Filing, LegalHold, ServiceItem, Stamp, Tombstone, utcnow
from registry.principals import Principal
from registry.vocabulary import Action, CertificateStatus, RecordKind

BATCH = 500


@dataclass(frozen=True, slots=True)
class DueRecord:
    """A filed record whose retention has ended, with the hold that keeps it, if any; `in_force` when it is
    a certificate still valid or suspended, which is not disposed of while a verifier could be shown it."""

    filing: Filing
    until: dt.datetime
    hold: LegalHold | None
    in_force: bool = False


@dataclass
class DisposalReport:
    disposed: list[Tombstone] = field(default_factory=list)
    refused: list[tuple[str, str, str]] = field(default_factory=list)  # identifier, code, reason


class RetentionService:
    def __init__(self, session: Session, store: DocumentStore) -> None:
        self.session = session
        self.store = store
        self.log = AccessLog(session)

    # Legal holds --------------------------------------------------------------------------------

    def place_hold(
        self, *, reason: str, actor: Principal, identifier: str | None = None, series: str | None = None
    ) -> LegalHold:
        """Hold one filed record (by identifier or reference) or a whole series, until lifted."""
        if (identifier is None) == (series is None):
            raise ValidationFailed("hold a record or a series, not both", code="HOLD_TARGET_REQUIRED")
        if not reason.strip():
            raise ValidationFailed("a hold needs its reason", errors={"reason": ["required"]})
        kind = None
        if identifier is not None:
            filing = self.session.scalar(select(Filing).where(Filing.identifier == identifier))
            if filing is None:
                raise NotFound(f"no filed record {identifier}", code="RECORD_NOT_FILED")
            kind = filing.record_kind
        elif self.session.scalar(select(Filing.id).where(Filing.series == series).limit(1)) is None:
            raise NotFound(f"no filed series {series}", code="SERIES_NOT_FOUND")
        hold = LegalHold(
            record_kind=kind,
            record_identifier=identifier,
            series=series,
            reason=reason.strip()[:500],
            placed_by=actor.client_id or actor.role,
            placed_at=utcnow(),
        )
        self.session.add(hold)
        self.session.flush()
        self.log.record(actor, [self._hold_event(Action.HOLD_PLACE, hold)])
        return hold

    def lift_hold(self, hold_id: int, *, actor: Principal) -> LegalHold:
        hold = self.session.get(LegalHold, hold_id)
        if hold is None:
            raise NotFound(f"no legal hold {hold_id}", code="HOLD_NOT_FOUND")
        if hold.lifted_at is not None:
            raise Conflict(f"legal hold {hold_id} was lifted already", code="HOLD_LIFTED")
        hold.lifted_at, hold.lifted_by = utcnow(), actor.client_id or actor.role
        self.session.flush()
        self.log.record(actor, [self._hold_event(Action.HOLD_LIFT, hold)])
        return hold

    def holds(self, *, include_lifted: bool = False) -> list[LegalHold]:
        query = select(LegalHold).order_by(LegalHold.id)
        if not include_lifted:
            query = query.where(LegalHold.lifted_at.is_(None))
        return list(self.session.scalars(query))

    def hold_on(self, filing: Filing) -> LegalHold | None:
        """The first active hold on a filed record or on its series."""
        return self.session.scalar(
            select(LegalHold)
            .where(LegalHold.lifted_at.is_(None))
            .where(or_(LegalHold.record_identifier == filing.identifier, LegalHold.series == filing.series))
            .order_by(LegalHold.id)
            .limit(1)
        )

    @staticmethod
    def _hold_event(action: Action, hold: LegalHold) -> Event:
        target = f"record {hold.record_identifier}" if hold.record_identifier else f"series {hold.series}"
        return Event(
            action,
            certificate=hold.record_identifier if hold.record_kind == RecordKind.CERTIFICATE else None,
            reason=f"hold {hold.id} on {target}: {hold.reason}"[:500],
        )

    # Due for disposal ---------------------------------------------------------------------------

    def due(self, *, now: dt.datetime | None = None) -> Iterator[DueRecord]:
        """Every filed, undisposed record whose retention ended by `now`, held ones included (with their hold)."""
        now = now or utcnow()
        after = 0
        while True:
            filings = list(
                self.session.scalars(
                    select(Filing)
                    .outerjoin(Tombstone, Tombstone.identifier == Filing.identifier)
                    .where(Tombstone.id.is_(None), Filing.id > after)
                    .order_by(Filing.id)
                    .limit(BATCH)
                )
            )
            for filing in filings:
                until = self._until(filing)
                if until is not None and until <= now:
                    yield DueRecord(filing, until, self.hold_on(filing), self._in_force(filing, now))
            if len(filings) < BATCH:
                return
            after = filings[-1].id

    def _in_force(self, filing: Filing, now: dt.datetime) -> bool:
        if filing.record_kind != RecordKind.CERTIFICATE:
            return False
        status = self.session.get_one(Certificate, filing.record_id).status_at(now)
        return status in (CertificateStatus.VALID, CertificateStatus.SUSPENDED)

    def _until(self, filing: Filing) -> dt.datetime | None:
        item = self.session.get_one(ServiceItem, filing.service_item_id)
        if filing.record_kind == RecordKind.CERTIFICATE:
            certificate = self.session.get_one(Certificate, filing.record_id)
            return retention_until(item, certificate_retention_start(self.session, item, certificate))
        document = self.session.get_one(Document, filing.record_id)
        return retention_until(item, document_retention_start(item, document))

    # Disposal -----------------------------------------------------------------------------------

    def dispose(
        self,
        *,
        authority: str,
        actor: Principal,
        identifiers: Sequence[str] | None = None,
        now: dt.datetime | None = None,
    ) -> DisposalReport:
        """Dispose of the records named (or, with none named, of every due record not under a hold).

        A named record that is not filed, not past its retention, or under a hold is refused with the reason,
        and then nothing is disposed of: the caller sees every refusal at once and decides again.
        """
        if not authority.strip():
            raise ValidationFailed("name the disposal's authority (a decision's reference)", code="AUTHORITY_REQUIRED")
        now = now or utcnow()
        report = DisposalReport()
        if identifiers is None:
            chosen = []
            for due in self.due(now=now):
                if due.hold is not None:
                    report.refused.append(_held(due.filing.identifier, due.hold))
                elif due.in_force:
                    report.refused.append(_in_force(due.filing.identifier))
                else:
                    chosen.append(due)
        else:
            chosen = self._named(identifiers, now, report)
            if report.refused:
                return report
        for due in chosen:
            report.disposed.append(self._dispose(due, authority.strip(), actor, now))
        self.session.flush()
        return report

    def _named(self, identifiers: Sequence[str], now: dt.datetime, report: DisposalReport) -> list[DueRecord]:
        chosen = []
        for identifier in dict.fromkeys(identifiers):
            filing = self.session.scalar(select(Filing).where(Filing.identifier == identifier))
            if filing is None:
                report.refused.append((identifier, "RECORD_NOT_FILED", "the record is not filed: file it first"))
                continue
            if self.session.scalar(select(Tombstone.id).where(Tombstone.identifier == identifier)) is not None:
                report.refused.append((identifier, "RECORD_DISPOSED", "the record was disposed of already"))
                continue
            until = self._until(filing)
            if until is None or until > now:
                when = "never (permanent or not yet counting)" if until is None else until.date().isoformat()
                report.refused.append((identifier, "RETENTION_NOT_ENDED", f"its retention ends {when}"))
                continue
            hold = self.hold_on(filing)
            if hold is not None:
                report.refused.append(_held(identifier, hold))
                continue
            if self._in_force(filing, now):
                report.refused.append(_in_force(identifier))
                continue
            chosen.append(DueRecord(filing, until, None))
        return chosen

    def _dispose(self, due: DueRecord, authority: str, actor: Principal, now: dt.datetime) -> Tombstone:
        filing = due.filing
        dates: dict[str, str | None] = {"filed": filing.filed_at.isoformat(), "retention_ended": due.until.isoformat()}
        # The package in the archive folder holds the record too: the tombstone names it for the archive
        # to destroy, by path and digest (a series keeps its numbering; the package's place is explained).
        removed: dict[str, str] = {"package": f"{filing.package} {filing.package_sha256}"}
        type_code = None
        holder_ref = None
        if filing.record_kind == RecordKind.CERTIFICATE:
            certificate = self.session.get_one(Certificate, filing.record_id)
            type_code, holder_ref = certificate.type.code, certificate.holder_ref
            dates |= {
                "issued": certificate.issued_at.isoformat(),
                "valid_from": certificate.valid_from.isoformat(),
                "valid_until": certificate.valid_until.isoformat() if certificate.valid_until else None,
            }
            removed |= _removed_parts(certificate)
            renditions = self._renditions_of(certificate)
            certificate.signed_form = certificate.fields = certificate.compact_form = None
            certificate.holder_name = certificate.holder_id_masked = ""
            certificate.rendition_sha256 = None
            certificate.disposed_at = now
            for sha256 in renditions:
                self._delete(sha256)
        else:
            document = self.session.get_one(Document, filing.record_id)
            dates |= {"deposited": document.deposited_at.isoformat()}
            if document.decided_at:
                dates["decided"] = document.decided_at.isoformat()
            removed["document"] = document.sha256
            document.disposed_at = now
            document.name, document.title = "", None
            if document.stamp is not None:  # the stamp's record named the document: the name goes too
                document.stamp.document_name, document.stamp.signed = "", None
            self._delete(document.sha256)
        tombstone = Tombstone(
            record_kind=filing.record_kind,
            identifier=filing.identifier,
            type_code=type_code,
            department_id=filing.department_id,
            service_item_id=filing.service_item_id,
            dates=dates,
            removed=removed,
            disposed_by=actor.client_id or actor.role,
            disposed_at=now,
            authority=authority[:200],
        )
        self.session.add(tombstone)
        item = self.session.get_one(ServiceItem, filing.service_item_id)
        self.log.record(
            actor,
            [
                Event(
                    Action.RECORD_DISPOSE,
                    certificate=filing.identifier if filing.record_kind == RecordKind.CERTIFICATE else None,
                    holder_ref=holder_ref,
                    subject_department_id=filing.department_id,
                    service_item=item.code,
                    reason=f"{filing.record_kind} {filing.identifier} disposed of under {authority}"[:500],
                )
            ],
        )
        return tombstone

    def _renditions_of(self, certificate: Certificate) -> set[str]:
        """Every printable rendition ever sealed for the certificate (each a stamp of `<identifier>.pdf`)."""
        made = self.session.scalars(
            select(Stamp.stamped_sha256).where(Stamp.document_name == f"{certificate.identifier}.pdf")
        )
        found = {sha256 for sha256 in made if sha256}
        if certificate.rendition_sha256:
            found.add(certificate.rendition_sha256)
        return found

    def _delete(self, sha256: str) -> None:
        """Remove a stored document unless another live document is the same bytes."""
        self.session.flush()
        still_used = self.session.scalar(
            select(func.count(Document.id)).where(Document.sha256 == sha256, Document.disposed_at.is_(None))
        )
        used_as_rendition = self.session.scalar(
            select(func.count(Certificate.id)).where(Certificate.rendition_sha256 == sha256)
        )
        if not still_used and not used_as_rendition:
            self.store.delete(sha256)


def _in_force(identifier: str) -> tuple[str, str, str]:
    return identifier, "CERTIFICATE_IN_FORCE", "the certificate is still valid or suspended: revoke it first"


def _held(identifier: str, hold: LegalHold) -> tuple[str, str, str]:
    return identifier, "RECORD_HELD", f"under legal hold {hold.id} since {hold.placed_at:%Y-%m-%d}: {hold.reason}"


def _removed_parts(certificate: Certificate) -> dict[str, str]:
    """The SHA-256 of each signed part of a certificate as it was before disposal: values that prove what
    was removed without revealing it (they hold signatures and salts). Low-entropy parts, such as the name
    or the field values, get none: their digest could be reversed by guessing."""
    parts: dict[str, str] = {}
    if certificate.signed_form is not None:
        parts["signed_form"] = _sha256(certificate.signed_form.encode("utf-8"))
    if certificate.compact_form is not None:
        parts["compact_form"] = _sha256(certificate.compact_form.encode("utf-8"))
    if certificate.rendition_sha256:
        parts["rendition"] = certificate.rendition_sha256
    return parts


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
