"""The console's blueprint and what its views share: who is signed in, their department, the words for the
registry's vocabularies in the reader's language."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g
from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l

from issuers.holders import HolderKind
from registry.models import Department
from registry.principals import Principal
from registry.vocabulary import Action, Role
from registry.web.labels import REASON_LABELS, STATUS_LABELS
from registry.web.staff import staff_required
from registry.wiring import services

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")
# Only a department's issuing staff use the console; an archivist (or anyone else) gets a 403 page.
issuer_staff = staff_required(Role.ISSUER)

HOLDER_KIND_LABELS: dict[str, Any] = {
    HolderKind.PERSON: _l("Person (resident identity card)"),
    HolderKind.ORGANIZATION: _l("Organization (unified social credit code)"),
    HolderKind.FOREIGN_PERMANENT_RESIDENT: _l("Foreigner's permanent residence identity card"),
    HolderKind.HMT_RESIDENCE_PERMIT: _l("Hong Kong, Macao and Taiwan residents' residence permit"),
    HolderKind.PASSPORT: _l("Passport (country code and number, as USA:123456789)"),
}
# The changes a certificate's history shows, in the words of its page.
CHANGE_LABELS: dict[Action, Any] = {
    Action.CERTIFICATE_ISSUE: _l("Issued"),
    Action.CERTIFICATE_SUSPEND: _l("Suspended"),
    Action.CERTIFICATE_REINSTATE: _l("Reinstated"),
    Action.CERTIFICATE_REVOKE: _l("Revoked"),
    Action.CERTIFICATE_AMEND: _l("Amended: this version issued"),
    Action.CERTIFICATE_SUPERSEDE: _l("Superseded by the next version"),
    Action.CERTIFICATE_REIDENTIFY: _l("Re-issued under a conforming identifier"),
}

# What the next page says was done, by key: flashed as the key, so that it is shown in the language of the
# page that shows it.
NOTICES: dict[str, Any] = {
    "issued": _l("The certificate is issued."),
    "suspended": _l("The certificate is suspended."),
    "reinstated": _l("The certificate is reinstated."),
    "revoked": _l("The certificate is revoked."),
    "amended": _l("The amendment is issued as this new version."),
    "stamped": _l("The PDF is stamped."),
}


def notify(key: str) -> None:
    """Say on the next page that this was done (a key of NOTICES)."""
    flash(key)


def principal() -> Principal:
    """The signed-in staff member, as `issuer_staff` set them."""
    staff: Principal = g.principal
    return staff


def department() -> Department:
    """The signed-in staff member's department."""
    return services().catalog.get_department_of(principal())


@bp.context_processor
def vocabulary() -> dict[str, Any]:
    return {
        "status_labels": STATUS_LABELS,
        "reason_labels": REASON_LABELS,
        "holder_kind_labels": HOLDER_KIND_LABELS,
        "change_labels": CHANGE_LABELS,
        "notices": NOTICES,
        "timezone": str(get_timezone()),  # the zone the pages' times are shown in
    }
