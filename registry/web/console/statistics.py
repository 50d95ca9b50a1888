"""The department's own figures for a period, the console's first page: certificates issued, checks of
them, certificates shared with agencies, paper submissions that sharing avoided, and the filing fulfilment
ratio by which the province appraises the department."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import render_template, request
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.models import LogEntry, SharedCopy, SharingGrant
from registry.vocabulary import Action, Outcome
from registry.web.console.blueprint import bp, department, issuer_staff
from registry.web.console.forms import day_from, start_of
from registry.wiring import services


@dataclass(frozen=True, slots=True)
class DepartmentFigures:
    issued: int  # certificates issued (new ones; amendments are counted apart)
    amended: int
    verified: int  # checks of the department's certificates and of copies of them
    shared: int  # certificates handed to agencies in granted sharing requests
    paper_avoided: int  # granted sharing requests with a certificate of the department


class DepartmentStatistics:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _logged(self, department_id: int, actions: tuple[Action, ...], start: dt.datetime, end: dt.datetime) -> int:
        query = select(func.count()).where(
            LogEntry.subject_department_id == department_id,
            LogEntry.action.in_(actions),
            LogEntry.outcome == Outcome.OK,
            LogEntry.at >= start,
            LogEntry.at < end,
        )
        return self.session.scalar(query) or 0

    def figures(self, department_id: int, start: dt.datetime, end: dt.datetime) -> DepartmentFigures:
        """The department's figures for [start, end)."""
        shared = (
            select(func.count(SharedCopy.id), func.count(func.distinct(SharingGrant.id)))
            .join(SharingGrant, SharingGrant.id == SharedCopy.grant_id)
            .where(SharedCopy.department_id == department_id)
            .where(SharingGrant.granted_at >= start, SharingGrant.granted_at < end)
        )
        copies, grants = self.session.execute(shared).one()
        return DepartmentFigures(
            issued=self._logged(department_id, (Action.CERTIFICATE_ISSUE,), start, end),
            amended=self._logged(department_id, (Action.CERTIFICATE_AMEND,), start, end),
            verified=self._logged(department_id, (Action.CERTIFICATE_VERIFY, Action.COPY_VERIFY), start, end),
            shared=int(copies),
            paper_avoided=int(grants),
        )


@bp.get("/")
@issuer_staff
def home() -> tuple[str, int]:
    """The department's figures for a period chosen by a form (this year unless asked)."""
    errors: dict[str, str] = {}
    today = dt.datetime.now(dt.UTC).date()
    first = day_from(request.args, "from", errors) or dt.date(today.year, 1, 1)
    last = day_from(request.args, "to", errors) or today
    if last < first:
        errors["to"] = _("The end of the period must not be before its start.")
        first, last = dt.date(today.year, 1, 1), today
    dept = department()
    start, end = start_of(first), start_of(last + dt.timedelta(days=1))
    svc = services()
    figures = DepartmentStatistics(svc.session).figures(dept.id, start, end)
    [filing] = svc.filing_statistics.ratios(start, end, department_id=dept.id)
    return render_template(
        "console/home.html",
        department=dept,
        figures=figures,
        filing=filing,
        first=first,
        last=last,
        form=request.args,
        errors=errors,
        summary=[(key, errors[key]) for key in ("from", "to") if key in errors],
    ), 422 if errors else 200
