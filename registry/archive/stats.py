"""The filing fulfilment ratio: of the records that became due in a period, how many were filed in time.

Provinces appraise departments by it. A record counts in the period it became due (a certificate's issue,
a document's deposit); it is filed in time when its filing is no later than its deadline. Records still
unfiled count as not in time, so the ratio never flatters a department that has not exported.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from registry.archive.records import FilingScope
from registry.models import Certificate, CertificateType, Department, Document, Filing, ServiceItem
from registry.vocabulary import RecordKind


@dataclass(frozen=True, slots=True)
class FilingRatio:
    department: Department
    due: int  # records that became due in the period
    filed_in_time: int
    filed_late: int

    @property
    def unfiled(self) -> int:
        return self.due - self.filed_in_time - self.filed_late

    @property
    def ratio(self) -> float | None:
        return self.filed_in_time / self.due if self.due else None


class FilingStatistics:
    def __init__(self, session: Session) -> None:
        self.session = session

    def ratios(self, start: dt.datetime, end: dt.datetime, *, department_id: int | None = None) -> list[FilingRatio]:
        """Per department, the records due in [start, end) and how many were filed by their deadline."""
        in_time = self._filed(start, end, Filing.filed_at <= Filing.deadline_at)
        late = self._filed(start, end, Filing.filed_at > Filing.deadline_at)
        unfiled = self._unfiled(start, end)
        due = {
            dept: in_time.get(dept, 0) + late.get(dept, 0) + unfiled.get(dept, 0)
            for dept in set(in_time) | set(late) | set(unfiled)
        }
        if department_id is not None:
            due = {department_id: due.get(department_id, 0)}
        departments = {d.id: d for d in self.session.scalars(select(Department).where(Department.id.in_(due)))}
        return [
            FilingRatio(departments[dept], count, in_time.get(dept, 0), late.get(dept, 0))
            for dept, count in sorted(due.items(), key=lambda kv: departments[kv[0]].credit_code)
        ]

    def _unfiled(self, start: dt.datetime, end: dt.datetime) -> dict[int, int]:
        """Records in today's filing scope that became due in the period and are not filed, per department."""
        counts: dict[int, int] = {}
        type_codes = list(FilingScope(self.session).items_by_type())
        if type_codes:
            certificates = (
                select(Certificate.department_id, func.count(Certificate.id))
                .join(CertificateType, CertificateType.id == Certificate.type_id)
                .outerjoin(
                    Filing, and_(Filing.record_kind == RecordKind.CERTIFICATE, Filing.record_id == Certificate.id)
                )
                .where(CertificateType.code.in_(type_codes), Filing.id.is_(None))
                .where(Certificate.issued_at >= start, Certificate.issued_at < end)
                .group_by(Certificate.department_id)
            )
            counts.update(self.session.execute(certificates).all())
        documents = (
            select(Document.department_id, func.count(Document.id))
            .join(ServiceItem, ServiceItem.id == Document.service_item_id)
            .outerjoin(Filing, and_(Filing.record_kind == RecordKind.DOCUMENT, Filing.record_id == Document.id))
            .where(ServiceItem.filing_documents.is_(True), ServiceItem.retired_at.is_(None), Filing.id.is_(None))
            .where(Document.deposited_at >= start, Document.deposited_at < end)
            .group_by(Document.department_id)
        )
        for dept, count in self.session.execute(documents):
            counts[dept] = counts.get(dept, 0) + count
        return counts

    def _filed(self, start: dt.datetime, end: dt.datetime, condition: ColumnElement[bool]) -> dict[int, int]:
        query = (
            select(Filing.department_id, func.count(Filing.id))
            .where(Filing.due_at >= start, Filing.due_at < end, condition)
            .group_by(Filing.department_id)
        )
        return dict(self.session.execute(query).all())
