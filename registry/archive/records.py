"""Which records the archive files, when each becomes due, by when it must be filed, and until when it is kept.

A record is a certificate of a type some service item files, or a document kept for an item that files
documents. It becomes due when it comes into being (a certificate's issue, a document's deposit) and must be
filed within its item's deadline; it is kept for its item's retention period, counted from the item's event.
Series group packages by the record's department, its item and the year it became due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from registry.models import Certificate, CertificateType, Department, Document, Filing, LogEntry, ServiceItem
from registry.vocabulary import Action, RecordKind, RetentionEvent, StampStatus

BATCH = 500


@dataclass(frozen=True, slots=True)
class Record:
    """One record the archive files, with the item that files it."""

    kind: RecordKind
    id: int
    identifier: str  # a certificate's identifier, a document's reference
    department: Department
    item: ServiceItem
    due_at: dt.datetime

    @property
    def series(self) -> str:
        return series_of(self.department.credit_code, self.item.code, self.due_at.year)

    @property
    def deadline(self) -> dt.datetime:
        return self.due_at + dt.timedelta(days=self.item.filing_deadline_days)


def series_of(credit_code: str, item_code: str, year: int) -> str:
    return f"{credit_code}-{item_code}-{year}"


class FilingScope:
    """The records the active service items file, read in batches."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def items_by_type(self) -> dict[str, ServiceItem]:
        """Each filed certificate type's code, with the one active item that files it."""
        items = self.session.scalars(
            select(ServiceItem).where(ServiceItem.retired_at.is_(None), ServiceItem.department_id.is_not(None))
        )
        return {code: item for item in items for code in item.filing_types}

    def unfiled(self, *, department_id: int | None = None) -> Iterator[Record]:
        """Every record that is due and not filed, certificates then documents, each in the order they became due."""
        yield from self._unfiled_certificates(department_id)
        yield from self._unfiled_documents(department_id)

    def count_unfiled(self, *, department_id: int | None = None) -> int:
        """How many records are due and not filed, counted by the database."""
        total = 0
        by_type = self.items_by_type()
        if by_type:
            query = self._certificates(by_type, department_id).with_only_columns(Certificate.id)
            total += self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        query = self._documents(department_id).with_only_columns(Document.id)
        total += self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        return total

    def _certificates(
        self, by_type: dict[str, ServiceItem], department_id: int | None
    ) -> Select[int, str, str, dt.datetime, Department]:
        # Only the columns a record needs: the sealed ones would be decrypted for nothing.
        query = (
            select(Certificate.id, Certificate.identifier, CertificateType.code, Certificate.issued_at, Department)
            .join(CertificateType, CertificateType.id == Certificate.type_id)
            .join(Department, Department.id == Certificate.department_id)
            .outerjoin(Filing, and_(Filing.record_kind == RecordKind.CERTIFICATE, Filing.record_id == Certificate.id))
            .where(CertificateType.code.in_(by_type), Filing.id.is_(None), Certificate.disposed_at.is_(None))
        )
        return query if department_id is None else query.where(Certificate.department_id == department_id)

    def _documents(self, department_id: int | None) -> Select[Document]:
        query = (
            select(Document)
            .join(ServiceItem, ServiceItem.id == Document.service_item_id)
            .outerjoin(Filing, and_(Filing.record_kind == RecordKind.DOCUMENT, Filing.record_id == Document.id))
            .where(ServiceItem.filing_documents.is_(True), ServiceItem.retired_at.is_(None))
            .where(Filing.id.is_(None), Document.disposed_at.is_(None))
        )
        return query if department_id is None else query.where(Document.department_id == department_id)

    def _unfiled_certificates(self, department_id: int | None) -> Iterator[Record]:
        by_type = self.items_by_type()
        if not by_type:
            return
        query = self._certificates(by_type, department_id)
        after = 0
        while True:
            rows = self.session.execute(query.where(Certificate.id > after).order_by(Certificate.id).limit(BATCH)).all()
            for cid, identifier, type_code, issued_at, department in rows:
                yield Record(RecordKind.CERTIFICATE, cid, identifier, department, by_type[type_code], issued_at)
            if len(rows) < BATCH:
                return
            after = rows[-1][0]

    def _unfiled_documents(self, department_id: int | None) -> Iterator[Record]:
        query = self._documents(department_id)
        after = 0
        while True:
            rows = list(self.session.scalars(query.where(Document.id > after).order_by(Document.id).limit(BATCH)))
            for document in rows:
                yield Record(
                    RecordKind.DOCUMENT,
                    document.id,
                    document.reference,
                    document.department,
                    document.service_item,
                    document.deposited_at,
                )
            if len(rows) < BATCH:
                return
            after = rows[-1].id


def retention_until(item: ServiceItem, start: dt.datetime | None) -> dt.datetime | None:
    """When a record's retention ends: `start` (the item's event) plus its years; None while it is kept
    (permanent retention, an event that has not happened, or an end beyond the calendar's last year)."""
    if item.retention_years is None or start is None:
        return None
    year = start.year + item.retention_years
    if year > dt.MAXYEAR:
        return None
    try:
        return start.replace(year=year)
    except ValueError:  # 29 February into a year without one: the period ends with February
        return start.replace(year=year, month=3, day=1)


def certificate_retention_start(session: Session, item: ServiceItem, certificate: Certificate) -> dt.datetime | None:
    """The moment a certificate's retention counts from, by its item's event."""
    event = RetentionEvent(item.retention_event)
    if event in (RetentionEvent.ISSUE, RetentionEvent.DECISION):
        return certificate.issued_at
    if event == RetentionEvent.EXPIRY:
        return certificate.valid_until
    revoked = session.scalar(
        select(LogEntry.at)
        .where(LogEntry.certificate == certificate.identifier, LogEntry.action == Action.CERTIFICATE_REVOKE)
        .where(LogEntry.outcome == "ok")
        .order_by(LogEntry.idx)
        .limit(1)
    )
    return revoked


def document_retention_start(item: ServiceItem, document: Document) -> dt.datetime | None:
    """The moment a document's retention counts from: its deposit, its decision, or its stamp's revocation;
    a document has no expiry, so one kept from expiry is kept."""
    event = RetentionEvent(item.retention_event)
    if event == RetentionEvent.ISSUE:
        return document.deposited_at
    if event == RetentionEvent.DECISION:
        return document.decided_at or document.deposited_at
    if event == RetentionEvent.REVOCATION:
        stamp = document.stamp
        return stamp.revoked_at if stamp is not None and stamp.status == StampStatus.REVOKED else None
    return None
