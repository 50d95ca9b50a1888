"""The wallet's pages: sign-in and out, the holder's certificates, a certificate's QR code for the counter and
its printable PDF, who looked at the holder's data, and the holder's consents. Each page acts as the holder
through the same services as the API's holder endpoints; none decides anything itself."""

from __future__ import annotations

import base64

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from registry.accesslog import EntryFilter
from registry.certificates import CertificateFilter
from registry.vocabulary import Action
from registry.web.wallet import display
from registry.web.wallet.signin import SESSION_HOLDER, current_holder, finish, holder, holder_required, start
from registry.wiring import services

bp = Blueprint("wallet", __name__, url_prefix="/wallet", template_folder="templates")
PAGE_SIZE = 50
# Above this version a code is dense: photographed prints of 3 cm scan every time up to version 21, only
# sometimes at 24, never from 28 (zbar and zxing-cpp); on a screen it may still scan, held close and bright.
HARD_TO_SCAN = 25


@bp.get("/sign-in")
def sign_in() -> str | Response:
    if current_holder() is not None:
        return redirect(url_for("wallet.certificates"))
    return render_template("wallet/sign_in.html", next=request.args.get("next", ""))


@bp.get("/sign-in/start")
def start_sign_in() -> Response:
    """Send the browser to the identity provider (a link, not a form: a form's redirect to another site
    would break the pages' `form-action 'self'`)."""
    return redirect(start(request.args.get("next", "")))


@bp.get("/callback")
def callback() -> Response:
    """Where the identity provider sends the browser back with a code."""
    return redirect(finish(request.args))


@bp.post("/sign-out")
def sign_out() -> Response:
    session.clear()
    flash(_("You have signed out."))
    return redirect(url_for("wallet.sign_in"))


@bp.get("/")
@holder_required(Action.CERTIFICATE_LIST)
def certificates() -> str:
    after = request.args.get("after", type=int)
    page = services().certificates.list(holder(), CertificateFilter(), limit=PAGE_SIZE, after=after)
    rows = [(c, *display.certificate_status(c)) for c in page]
    more = page[-1].id if len(page) == PAGE_SIZE else None
    return render_template("wallet/certificates.html", rows=rows, more=more, kind=session[SESSION_HOLDER]["kind"])


@bp.get("/certificates/<identifier:identifier>")
@holder_required(Action.CERTIFICATE_READ)
def certificate(identifier: str) -> str:
    found = services().certificates.get(identifier, holder())
    status, status_label = display.certificate_status(found)
    return render_template(
        "wallet/certificate.html",
        certificate=found,
        status=status,
        status_label=status_label,
        rows=display.field_rows(found),
    )


@bp.get("/certificates/<identifier:identifier>/qr")
@holder_required(Action.CERTIFICATE_QR)
def qr(identifier: str) -> str:
    """The code to show at the counter, as large as the screen allows, with the disclosure chooser under it.

    The image is in the page (a data URL) rather than a request of its own, so that the code shown is the one
    whose size the page states, made once (a second request would render and log it again).
    """
    svc = services()
    found = svc.certificates.get(identifier, holder())
    disclose = sorted(set(request.args.getlist("disclose")))
    rendered = svc.certificates.qr(identifier, holder(), "png", set(disclose))
    image = "data:image/png;base64," + base64.b64encode(rendered.content).decode("ascii")
    return render_template(
        "wallet/qr.html",
        certificate=found,
        image=image,
        version=rendered.version,
        modules=17 + 4 * rendered.version,  # ISO/IEC 18004: a version-v symbol is 17 + 4v modules a side
        hard_to_scan=rendered.version > HARD_TO_SCAN,
        limit=HARD_TO_SCAN,
        disclose=disclose,
        choices=display.disclosure_choices(found),
        holder_id=display.HOLDER_ID,
    )


@bp.get("/certificates/<identifier:identifier>/document.pdf")
@holder_required(Action.CERTIFICATE_PRINT)
def printable(identifier: str) -> Response:
    svc = services()
    found = svc.certificates.get(identifier, holder(), action=Action.CERTIFICATE_PRINT)
    response = Response(svc.renditions.sealed(found, actor=holder()), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{found.serial}-v{found.version}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/access-log")
@holder_required(Action.LOG_READ_OWN)
def access_log() -> str:
    """Every access to the holder's certificates, newest first, each with a link to its inclusion proof in
    the tree of the checkpoint signed now."""
    svc = services()
    ref = holder().holder_ref
    assert ref is not None
    before = request.args.get("before", type=int)
    entries = svc.access_log.entries(EntryFilter(holder_ref=ref), limit=PAGE_SIZE, before=before)
    checkpoint = svc.checkpoint() if entries else None
    return render_template(
        "wallet/access_log.html",
        entries=display.shown_entries(entries, ref),
        checkpoint_size=checkpoint["size"] if checkpoint else None,
        more=entries[-1].idx if len(entries) == PAGE_SIZE else None,
        timezone=str(get_timezone()),
    )


@bp.get("/consents")
@holder_required(Action.CONSENT_LIST)
def consents() -> str:
    svc = services()
    given = svc.consents.of_holder(holder())
    active = {(c.agency_id, c.service_item_id) for c in given if c.withdrawn_at is None}
    askable = [
        p for p in svc.policies.list_policies() if p.consent_required and (p.agency_id, p.service_item_id) not in active
    ]
    return render_template("wallet/consents.html", consents=given, policies=askable)


@bp.post("/consents")
@holder_required(Action.CONSENT_GRANT)
def grant_consent() -> Response:
    svc = services()
    policy = svc.policies.get_policy(request.form.get("policy", type=int) or 0)
    svc.consents.grant(holder(), policy.agency.credit_code, policy.service_item.code)
    flash(
        _(
            "%(agency)s may now have your certificates for %(item)s.",
            agency=policy.agency.name,
            item=policy.service_item.name,
        )
    )
    return redirect(url_for("wallet.consents"))


@bp.post("/consents/<int:consent_id>/withdraw")
@holder_required(Action.CONSENT_WITHDRAW)
def withdraw_consent(consent_id: int) -> Response:
    consent = services().consents.withdraw(holder(), consent_id)
    flash(
        _(
            "Consent withdrawn: %(agency)s may no longer have your certificates for %(item)s.",
            agency=consent.agency.name,
            item=consent.service_item.name,
        )
    )
    return redirect(url_for("wallet.consents"))
