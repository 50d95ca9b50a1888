"""What the archivist's desk reads beyond the archive's services: filed records and tombstones a page at a time
(newest first, keyset-paged by id), and how many of each there are."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.models import Filing, Tombstone


class DeskQueries:
    def __init__(self, session: Session) -> None:
        self.session = session

    def count_filed(self) -> int:
        return self.session.scalar(select(func.count(Filing.id))) or 0

    def count_disposed(self) -> int:
        return self.session.scalar(select(func.count(Tombstone.id))) or 0

    def filings(self, *, before: int | None, limit: int) -> list[Filing]:
        """Up to `limit` filed records with ids below `before` (all when None), newest first."""
        query = select(Filing).order_by(Filing.id.desc()).limit(limit)
        if before is not None:
            query = query.where(Filing.id < before)
        return list(self.session.scalars(query))

    def tombstones(self, *, limit: int) -> list[Tombstone]:
        """The `limit` latest disposals, newest first."""
        return list(self.session.scalars(select(Tombstone).order_by(Tombstone.id.desc()).limit(limit)))

    def disposed_among(self, identifiers: list[str]) -> set[str]:
        """Which of these records were disposed of."""
        if not identifiers:
            return set()
        query = select(Tombstone.identifier).where(Tombstone.identifier.in_(identifiers))
        return set(self.session.scalars(query))
