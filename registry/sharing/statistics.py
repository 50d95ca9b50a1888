"""Sharing statistics: paper submissions avoided, that is granted sharing requests, by every dimension."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from registry.models import CertificateType, Department, ServiceItem, SharedCopy, SharingGrant


class SharingStatistics:
    """What sharing saved, for the admin."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def stats(self) -> dict[str, Any]:
        """Paper submissions avoided (granted sharing requests), in total and per agency, issuing
        department, type and service item. A request whose copies came from two departments counts
        once in total and once for each of them."""
        agency = Department.__table__.alias("agency")
        issuer = Department.__table__.alias("issuer")
        dimensions = {
            "agency": agency.c.credit_code,
            "department": issuer.c.credit_code,
            "type": CertificateType.code,
            "service_item": ServiceItem.code,
        }

        def grouped(*columns: Any) -> Select[Any]:
            return (
                select(*columns, func.count(func.distinct(SharingGrant.id)))
                .select_from(SharingGrant)
                .join(SharedCopy, SharedCopy.grant_id == SharingGrant.id)
                .join(agency, agency.c.id == SharingGrant.agency_id)
                .join(issuer, issuer.c.id == SharedCopy.department_id)
                .join(CertificateType, CertificateType.id == SharingGrant.type_id)
                .join(ServiceItem, ServiceItem.id == SharingGrant.service_item_id)
                .group_by(*columns)
                .order_by(*columns)
            )

        total = self.session.scalar(select(func.count()).select_from(SharingGrant)) or 0
        rows = self.session.execute(grouped(*dimensions.values())).all()
        return {
            "paper_submissions_avoided": total,
            "by": {
                name: {str(row[0]): int(row[1]) for row in self.session.execute(grouped(column))}
                for name, column in dimensions.items()
            },
            "rows": [
                {**dict(zip(dimensions, row[:4], strict=True)), "paper_submissions_avoided": int(row[4])}
                for row in rows
            ],
        }
