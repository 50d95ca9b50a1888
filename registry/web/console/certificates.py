"""The console's certificate pages: search, the issue form, one certificate with its versions and history,
and the changes its department makes (suspend, reinstate, revoke, amend), each confirmed on a page of its
own with a reason before it is made."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from registry.accesslog import EntryFilter
from registry.certificates import CertificateFilter, IssueRequest, request_fingerprint
from registry.errors import ValidationFailed
from registry.lifecycle import ALLOWED
from registry.models import Certificate, CertificateType, Department, LogEntry, utcnow
from registry.principals import Principal
from registry.vocabulary import Action, CertificateStatus, Outcome, RevocationReason
from registry.web.console.blueprint import (
    CHANGE_LABELS,
    HOLDER_KIND_LABELS,
    bp,
    department,
    issuer_staff,
    notify,
    principal,
)
from registry.web.console.forms import (
    FORM_ERROR,
    check_fields,
    day_from,
    end_of,
    field_values,
    form_fields,
    form_text,
    holder_from,
    label,
    service_errors,
    start_of,
    summary,
)
from registry.web.labels import REASON_LABELS, STATUS_LABELS
from registry.wiring import services

PAGE = 20
MAX_VERSIONS = 999  # verifiers.identifiers: a certificate has at most 999 versions
HISTORY_PER_CHANGE = 100
MAX_REASON = 500  # the access log's reason column
MAX_KEY = 64
MAX_CURSOR = 18  # digits: a cursor is a row id, which a 64-bit column holds
# Each change a page confirms: its action, and the key of what the next page says. The lifecycle service's
# method that makes it has the change's name.
CHANGES = {
    "suspend": (Action.CERTIFICATE_SUSPEND, "suspended"),
    "reinstate": (Action.CERTIFICATE_REINSTATE, "reinstated"),
    "revoke": (Action.CERTIFICATE_REVOKE, "revoked"),
}
# A clerk supersedes a certificate by amending it, which issues the successor; revoking one as superseded
# would leave it without one.
OFFERED_REASONS = [r for r in RevocationReason if r != RevocationReason.SUPERSEDED]


def issuable_types(dept: Department) -> list[CertificateType]:
    return [t for t in services().catalog.list_types() if dept in t.issuers]


# Search ---------------------------------------------------------------------------------------------


@bp.route("/certificates", methods=["GET", "POST"])
@issuer_staff
def certificates() -> tuple[str, int]:
    """The department's certificates, newest first; searched by a form that is posted, so that a holder's
    document number never appears in a URL (or in a web server's log of one)."""
    types = issuable_types(department())
    form: Mapping[str, str] = request.form if request.method == "POST" else {}
    errors: dict[str, str] = {}
    filters = _filters(form, {t.code for t in types}, errors)
    after = form.get("after", "")
    items: list[Certificate] = []
    if not errors:
        items = services().certificates.list(
            principal(), filters, limit=PAGE, after=int(after) if after.isdigit() and len(after) <= MAX_CURSOR else None
        )
    order = ["type", "status", "holder_kind", "holder_id", "issued_from", "issued_to"]
    return render_template(
        "console/certificates.html",
        types=[(t.code, t.name) for t in types],
        statuses=list(STATUS_LABELS.items()),
        form=form,
        errors=errors,
        summary=summary(errors, order),
        items=items,
        next_after=items[-1].id if len(items) == PAGE else None,
        now=utcnow(),
    ), 422 if errors else 200


def _filters(form: Mapping[str, str], type_codes: set[str], errors: dict[str, str]) -> CertificateFilter:
    type_code = form.get("type", "")
    if type_code and type_code not in type_codes:
        errors["type"] = _("Choose one of your department's certificate types.")
    status = form.get("status", "")
    if status and status not in CertificateStatus.__members__.values():
        errors["status"] = _("Choose a status from the list.")
    holder = None
    if form.get("holder_id", "").strip():
        holder, holder_errors = holder_from(form, name_required=False)
        errors.update(holder_errors)
    issued_from = day_from(form, "issued_from", errors)
    issued_to = day_from(form, "issued_to", errors)
    if issued_from and issued_to and issued_to < issued_from:
        errors["issued_to"] = _("The end of the period must not be before its start.")
    return CertificateFilter(
        type_code=type_code or None,
        status=status or None,
        holder_kind=holder.kind if holder else None,
        holder_id=holder.id if holder else None,
        issued_from=start_of(issued_from) if issued_from else None,
        issued_before=start_of(issued_to + dt.timedelta(days=1)) if issued_to else None,
    )


# Issuing --------------------------------------------------------------------------------------------


@bp.route("/issue", methods=["GET", "POST"])
@issuer_staff
def issue() -> Response | tuple[str, int]:
    """The form of the chosen type's fields; a refused value is shown at its input, the values kept. A form
    carries an idempotency key, so that posting it twice issues one certificate."""
    dept = department()
    types = issuable_types(dept)
    code = request.values.get("type") or (types[0].code if len(types) == 1 else "")
    ctype = next((t for t in types if t.code == code), None)
    if ctype is None:
        return render_template("console/choose_type.html", types=[(t.code, t.name) for t in types]), 200
    if request.method == "GET":
        return _issue_page(ctype, {}, {}, secrets.token_urlsafe(18)), 200
    form = request.form
    key = form.get("idempotency_key", "")
    key = key if 0 < len(key) <= MAX_KEY else secrets.token_urlsafe(18)
    values = field_values(ctype, form)
    holder, errors = holder_from(form)
    until = day_from(form, "valid_until", errors)
    if holder is None or errors:
        errors |= check_fields(ctype, values)
        return _issue_page(ctype, form, errors, key), 422
    issue_request = IssueRequest(
        ctype.code, holder.kind, holder.id, holder.name, values, valid_until=end_of(until) if until else None
    )
    try:
        [certificate] = services().certificates.issue(
            dept,
            [issue_request],
            actor=principal(),
            idempotency_key=key,
            fingerprint=request_fingerprint(["console", issue_request]),
        )
    except ValidationFailed as e:
        errors = service_errors(e)
        if not errors:  # the key was used for other values: this form was posted before and then changed
            errors = {
                FORM_ERROR: _("This form was already used to issue a certificate. Check the values and issue again.")
            }
            key = secrets.token_urlsafe(18)
        return _issue_page(ctype, form, errors, key), 422
    notify("issued")
    return redirect(url_for(".certificate", identifier=certificate.identifier), 303)


def _issue_page(ctype: CertificateType, form: Mapping[str, str], errors: dict[str, str], key: str) -> str:
    fields = form_fields(ctype)
    order = ["holder_kind", "holder_id", "holder_name", *(f.input_id for f in fields), "valid_until"]
    return render_template(
        "console/issue.html",
        ctype=ctype,
        fields=fields,
        form=form,
        errors=errors,
        summary=summary(errors, order),
        key=key,
        holder_kinds=list(HOLDER_KIND_LABELS.items()),
    )


# One certificate ------------------------------------------------------------------------------------


@bp.get("/certificates/<identifier:identifier>")
@issuer_staff
def certificate(identifier: str) -> str:
    """A certificate of the department: its fields, status, versions and the history of its changes.
    Another department's is not found (404), as in the API."""
    svc = services()
    certificate = svc.certificates.get(identifier, principal())
    versions = svc.certificates.list(
        principal(),
        CertificateFilter(type_code=certificate.type.code, serial=certificate.serial),
        limit=MAX_VERSIONS,
        after=None,
    )
    status = certificate.status_at(utcnow())
    return render_template(
        "console/certificate.html",
        certificate=certificate,
        status=status,
        fields=_shown_fields(certificate),
        versions=sorted(versions, key=lambda c: c.version, reverse=True),
        now=utcnow(),
        history=_history(versions),
        changes=[name for name, (action, _notice) in CHANGES.items() if status in ALLOWED[action]],
        amendable=status in ALLOWED[Action.CERTIFICATE_AMEND],
    )


def _shown_fields(certificate: Certificate) -> list[tuple[str, str]]:
    """(label, value) of each field the certificate has, in the type's order, as the reader reads them."""
    values = certificate.live_fields()
    shown = []
    for spec in certificate.type.fields:
        if spec["name"] not in values:
            continue
        value = values[spec["name"]]
        if isinstance(value, bool):
            text = _("Yes") if value else _("No")
        elif spec["type"] == "date":
            text = format_date(dt.date.fromisoformat(value))
        else:
            text = str(value)
        shown.append((label(spec), text))
    return shown


def _history(versions: list[Certificate]) -> list[tuple[Certificate, LogEntry]]:
    """The changes made to every version, newest first, from the access log: who made each, when, and why.
    One query per kind of change, so that reads (which the log holds many more of) never crowd one out."""
    log = services().access_log
    found = []
    for version in versions:
        for action in CHANGE_LABELS:
            filters = log.visible_filter(principal(), EntryFilter(certificate=version.identifier, action=action))
            entries = log.entries(filters, limit=HISTORY_PER_CHANGE, before=None)
            found += [(version, e) for e in entries if e.outcome == Outcome.OK]
    return sorted(found, key=lambda pair: pair[1].idx, reverse=True)


# Changes --------------------------------------------------------------------------------------------


@bp.route("/certificates/<identifier:identifier>/<any(suspend, reinstate, revoke):change>", methods=["GET", "POST"])
@issuer_staff
def change(identifier: str, change: str) -> Response | tuple[str, int]:
    """A page that says what the change will do and asks why; posting it makes the change."""
    svc = services()
    certificate = svc.certificates.get(identifier, principal())
    action, notice = CHANGES[change]
    allowed = certificate.status_at(utcnow()) in ALLOWED[action]
    reason = request.form.get("reason", "").strip()
    errors: dict[str, str] = {}
    if request.method == "POST" and allowed:
        if change == "revoke" and reason not in OFFERED_REASONS:
            errors["reason"] = _("Choose the reason for revoking the certificate.")
        elif change != "revoke" and not reason:
            errors["reason"] = _("Enter the reason: it is kept in the certificate's history.")
        elif len(reason) > MAX_REASON:
            errors["reason"] = _("A reason has at most %(count)s characters.", count=MAX_REASON)
        else:
            make: Callable[[str, Principal, str], Certificate] = getattr(svc.lifecycle, change)
            make(identifier, principal(), reason)
            notify(notice)
            return redirect(url_for(".certificate", identifier=identifier), 303)
    page = render_template(
        "console/change.html",
        certificate=certificate,
        change=change,
        allowed=allowed,
        reason=reason,
        reasons=[(r.value, REASON_LABELS[r]) for r in OFFERED_REASONS],
        errors=errors,
        summary=summary(errors, ["reason"]),
        status_label=STATUS_LABELS[certificate.status_at(utcnow())],
    )
    return page, 422 if errors else (200 if allowed else 409)


@bp.route("/certificates/<identifier:identifier>/amend", methods=["GET", "POST"])
@issuer_staff
def amend(identifier: str) -> Response | tuple[str, int]:
    """The certificate's fields to change, and a box to tick: an amendment issues the next version, which
    supersedes this one."""
    svc = services()
    certificate = svc.certificates.get(identifier, principal())
    ctype = certificate.type
    allowed = certificate.status_at(utcnow()) in ALLOWED[Action.CERTIFICATE_AMEND]
    form: Mapping[str, Any] = form_text(ctype, certificate.live_fields())
    errors: dict[str, str] = {}
    if request.method == "POST" and allowed:
        form = request.form
        values = field_values(ctype, form)
        if form.get("confirm") != "yes":
            errors = check_fields(ctype, values)
            errors["confirm"] = _("Tick the box to confirm that the new version replaces this one.")
        else:
            try:
                new = svc.lifecycle.amend(identifier, principal(), values)
            except ValidationFailed as e:
                errors = service_errors(e) or {FORM_ERROR: _("The amendment could not be made.")}
            else:
                notify("amended")
                return redirect(url_for(".certificate", identifier=new.identifier), 303)
    fields = form_fields(ctype)
    page = render_template(
        "console/amend.html",
        certificate=certificate,
        allowed=allowed,
        fields=fields,
        form=form,
        errors=errors,
        summary=summary(errors, [*(f.input_id for f in fields), "confirm"]),
        status_label=STATUS_LABELS[certificate.status_at(utcnow())],
    )
    return page, 422 if errors else (200 if allowed else 409)
