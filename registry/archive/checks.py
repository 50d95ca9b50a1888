"""The four-property check (DA/T 70: authenticity, integrity, usability, security) of archival packages, run by
the registry itself with the offline checker (`verifiers.archive`) and kept as an `ArchiveCheck`, so that a
failure is seen on the archivist's desk rather than only in a terminal.

The checker knows nothing of the registry: it judges the packages by what they carry, exactly as an archive
that receives them would, so a pass here is the pass they will get there.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from registry.errors import NotFound
from registry.models import ArchiveCheck, utcnow
from verifiers.archive import ArchiveChecker, NoPackages


class ArchiveChecks:
    def __init__(self, session: Session) -> None:
        self.session = session

    def check(self, folder: Path, paths: Sequence[Path] | None = None) -> ArchiveCheck:
        """Check `paths` (packages, series or export folders; `folder` itself when None) and keep the report
        under `folder`. A series is judged for gaps only where a folder holding it was given: packages named
        one by one (an incremental export's) are checked alone. Raise NotFound when nothing is a package."""
        folder = folder.absolute()  # the report says where, whichever folder the command ran in
        try:
            report = ArchiveChecker().check([p.absolute() for p in paths] if paths is not None else [folder])
        except NoPackages as e:
            raise NotFound(str(e), code="NO_PACKAGES") from e
        check = ArchiveCheck(
            at=utcnow(),
            folder=str(folder)[:1000],
            packages=len(report.packages),
            passed=report.passed,
            report=report.to_json(),
        )
        self.session.add(check)
        self.session.flush()
        return check

    def latest(self) -> ArchiveCheck | None:
        """The last check kept, or None."""
        return self.session.scalar(select(ArchiveCheck).order_by(ArchiveCheck.id.desc()).limit(1))

    def find(self, check_id: int) -> ArchiveCheck | None:
        """The check with this id, or None."""
        return self.session.get(ArchiveCheck, check_id)

    def recent(self, limit: int = 20) -> list[ArchiveCheck]:
        """The last `limit` checks, newest first, without their reports (read one with `find`)."""
        query = select(ArchiveCheck).options(defer(ArchiveCheck.report)).order_by(ArchiveCheck.id.desc())
        return list(self.session.scalars(query.limit(limit)))
