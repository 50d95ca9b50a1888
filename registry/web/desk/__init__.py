"""The archivist's desk (/archive/): what is due for filing, what is filed, held and disposed of, and the
four-property report of the last check, failures first. For staff with the archivist role only.

Legal holds are placed and lifted here. Disposal is not: removing a record's content for good stays a
deliberate act at the command line or through the API, under a disposal decision's reference
(`flask archive dispose`, `POST /api/v1/archive/disposals`); the desk shows what is disposable and how.
"""

from __future__ import annotations

import datetime as dt
from itertools import islice

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from registry.archive.checks import ArchiveChecks
from registry.errors import NotFound, RegistryError
from registry.models import INT64_MAX, ArchiveCheck, utcnow
from registry.vocabulary import Role
from registry.web.desk.queries import DeskQueries
from registry.web.desk.reports import shown
from registry.web.staff import staff_required
from registry.wiring import services

bp = Blueprint("desk", __name__, url_prefix="/archive", template_folder="templates")
archivist = staff_required(Role.ARCHIVIST)
PAGE = 100  # rows a list shows at a time
HOLD_TARGETS = ("record", "series")
# What the retention service's refusals mean to the archivist at the form.
HOLD_ERRORS = {
    "RECORD_NOT_FILED": _l("No filed record has this identifier or reference. Only filed records can be held."),
    "SERIES_NOT_FOUND": _l("No series of that name has filed records."),
    "HOLD_NOT_FOUND": _l("There is no such legal hold."),
    "HOLD_LIFTED": _l("This legal hold was lifted already."),
}


@bp.get("/")
@archivist
def overview() -> str:
    svc = services()
    queries = DeskQueries(svc.session)
    now = utcnow()
    year = dt.datetime(now.year, 1, 1, tzinfo=dt.UTC)
    last = ArchiveChecks(svc.session).latest()
    return render_template(
        "desk/overview.html",
        due=svc.filing_scope.count_unfiled(),
        filed=queries.count_filed(),
        held=len(svc.retention.holds()),
        disposed=queries.count_disposed(),
        last=shown(last) if last is not None else None,
        ratios=svc.filing_statistics.ratios(year, year.replace(year=now.year + 1)),
        year=now.year,
    )


@bp.get("/due")
@archivist
def due() -> str:
    scope = services().filing_scope
    records = list(islice(scope.unfiled(), PAGE))
    return render_template("desk/due.html", records=records, total=scope.count_unfiled(), now=utcnow(), page=PAGE)


@bp.get("/filed")
@archivist
def filed() -> str:
    svc = services()
    queries = DeskQueries(svc.session)
    before = request.args.get("before", type=int)
    if before is not None and not 0 < before <= INT64_MAX:
        before = None
    rows = queries.filings(before=before, limit=PAGE + 1)
    filings, more = rows[:PAGE], len(rows) > PAGE
    holds = svc.retention.holds()
    return render_template(
        "desk/filed.html",
        filings=filings,
        total=queries.count_filed(),
        next_before=filings[-1].id if more else None,
        first_page=before is None,
        held_records={h.record_identifier for h in holds if h.record_identifier},
        held_series={h.series for h in holds if h.series},
        disposed=queries.disposed_among([f.identifier for f in filings]),
    )


@bp.get("/holds")
@archivist
def holds() -> tuple[str, int]:
    series = request.args.get("series", "")
    form = {"kind": "series" if series else "record", "target": series or request.args.get("record", ""), "reason": ""}
    return _holds_page(form)


@bp.post("/holds")
@archivist
def place_hold() -> Response | tuple[str, int]:
    form = {key: request.form.get(key, "").strip() for key in ("kind", "target", "reason")}
    errors = {}
    if form["kind"] not in HOLD_TARGETS:
        errors["kind"] = _("Choose whether to hold one record or a whole series.")
    if not form["target"]:
        errors["target"] = _("Name the record or the series to hold.")
    if not form["reason"]:
        errors["reason"] = _("Give the reason for the hold, such as the case or the order that requires it.")
    if errors:
        return _holds_page(form, errors, 422)
    record = form["kind"] == "record"
    try:
        hold = services().retention.place_hold(
            reason=form["reason"],
            actor=g.principal,
            identifier=form["target"] if record else None,
            series=None if record else form["target"],
        )
    except RegistryError as e:
        return _holds_page(form, {"target": _refusal(e)}, e.status)
    flash(_("Legal hold %(id)s placed on %(target)s.", id=hold.id, target=form["target"]))
    return redirect(url_for("desk.holds"), 303)


@bp.post("/holds/<int:hold_id>/lift")
@archivist
def lift_hold(hold_id: int) -> Response | tuple[str, int]:
    try:
        services().retention.lift_hold(hold_id, actor=g.principal)
    except RegistryError as e:
        return _holds_page({"kind": "record", "target": "", "reason": ""}, {"lift": _refusal(e)}, e.status)
    flash(_("Legal hold %(id)s lifted.", id=hold_id))
    return redirect(url_for("desk.holds"), 303)


@bp.get("/disposal")
@archivist
def disposal() -> str:
    svc = services()
    queries = DeskQueries(svc.session)
    return render_template(
        "desk/disposal.html",
        disposable=list(islice(svc.retention.due(), PAGE)),
        tombstones=queries.tombstones(limit=PAGE),
        disposed=queries.count_disposed(),
        page=PAGE,
    )


@bp.get("/checks")
@archivist
def last_check() -> str:
    return _check_page(ArchiveChecks(services().session).latest())


@bp.get("/checks/<int:check_id>")
@archivist
def check(check_id: int) -> str:
    found = ArchiveChecks(services().session).find(check_id)
    if found is None:
        raise NotFound(f"no archive check {check_id}", code="CHECK_NOT_FOUND")
    return _check_page(found)


def _check_page(check: ArchiveCheck | None) -> str:
    recent = ArchiveChecks(services().session).recent()
    return render_template("desk/check.html", report=shown(check) if check else None, recent=recent)


def _holds_page(form: dict[str, str], errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    everything = services().retention.holds(include_lifted=True)
    lifted = sorted((h for h in everything if h.lifted_at is not None), key=lambda h: h.id, reverse=True)
    page = render_template(
        "desk/holds.html",
        active=[h for h in everything if h.lifted_at is None],
        lifted=lifted[:PAGE],
        form=form,
        errors=errors or {},
    )
    return page, status


def _refusal(error: RegistryError) -> str:
    message = HOLD_ERRORS.get(error.code)
    return str(message) if message else _("The request was refused (%(code)s).", code=error.code)
