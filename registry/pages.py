"""The public pages a QR code opens: a certificate's verification (/v/) and a stamp's record (/s/).

Server-rendered, without JavaScript, in the reader's language (`registry.web.i18n`). The verdict comes first;
then what was checked, in words a lay reader understands; the technical list (check names, stable codes) is
folded below it. A revoked, superseded or suspended certificate says when, and a revoked one why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuers.holders import mask
from registry.keys import published_jwk
from registry.models import Certificate, LogEntry, utcnow
from registry.vocabulary import Action, Outcome, RevocationReason, StampStatus
from registry.wiring import services
from verifiers.errors import Check
from verifiers.jose import key_status

bp = Blueprint("pages", __name__)

# The checks by name, for the technical list.
CHECK_NAMES = {
    "format": _l("Format"),
    "signature": _l("Signature"),
    "issuer": _l("Issuer"),
    "key_status": _l("Seal status"),
    "validity": _l("Validity"),
    "status": _l("Status"),
    "disclosures": _l("Disclosed fields"),
}
# What each check that passed means to a reader.
PASSED = {
    "format": _l("This is an electronic certificate in the registry's format."),
    "signature": _l("It carries an electronic seal, and nothing in it has changed since it was sealed."),
    "issuer": _l("The seal belongs to the department named as the issuer."),
    "key_status": _l("The seal was in force when the certificate was sealed."),
    "validity": _l("Today is within its period of validity."),
    "status": _l("The issuing department has not revoked or suspended it."),
    "disclosures": _l("The details the holder chose to show are exactly the ones the department sealed."),
}
PASSED_WITH_A_NOTE = {
    "KEY_COMPROMISED_LATER": _l(
        "The seal was in force when the certificate was sealed; it was reported compromised only later, "
        "which does not affect this certificate."
    ),
}
# What each failure code means to a reader (certificates and stamps share the seal's codes).
FAILED = {
    "MALFORMED": _l("This is not an electronic certificate the registry can read."),
    "WRONG_TYPE": _l("This is not an electronic certificate the registry can read."),
    "MISSING_CLAIM": _l("Something every certificate must carry is missing from it."),
    "BAD_CLAIM": _l("Something in it is not in the form every certificate has."),
    "UNKNOWN_KEY": _l("It is sealed with a seal the registry does not know."),
    "BAD_SIGNATURE": _l("Its seal does not match its content: it may have been altered or forged."),
    "ISSUER_MISMATCH": _l("The seal does not belong to the department named as the issuer."),
    "KEY_COMPROMISED": _l("It was sealed after the seal was reported compromised."),
    "KEY_RETIRED": _l("It was sealed after the seal was taken out of use."),
    "KEY_NOT_VALID_AT_SIGNING": _l("The seal was not in force when this was sealed."),
    "NOT_YET_VALID": _l("Its period of validity has not begun yet."),
    "EXPIRED": _l("Its period of validity has ended."),
    "REVOKED": _l("The issuing department has revoked it."),
    "SUSPENDED": _l("The issuing department has suspended it."),
    "SUPERSEDED": _l("It has been replaced by a newer version."),
    "STATUS_UNAVAILABLE": _l("Whether it has been revoked could not be checked, so it cannot be relied on now."),
    "DISCLOSURE_NOT_SIGNED": _l("A detail the holder showed is not one the department sealed."),
    "MALFORMED_DISCLOSURE": _l("A detail the holder showed cannot be read."),
    "UNSUPPORTED_SD_ALG": _l("Its details are protected in a way the registry does not accept."),
}
REASONS = {
    RevocationReason.ISSUED_IN_ERROR: _l("It was issued in error."),
    RevocationReason.SUPERSEDED: _l("It was replaced by a newer version."),
    RevocationReason.CANCELLED_BY_HOLDER: _l("The holder asked for it to be cancelled."),
    RevocationReason.LICENSE_WITHDRAWN: _l("The licence it records was withdrawn."),
}
# The access-log entry that dates each status a certificate can fail with.
STATUS_CHANGES = {
    "REVOKED": Action.CERTIFICATE_REVOKE,
    "SUPERSEDED": Action.CERTIFICATE_SUPERSEDE,
    "SUSPENDED": Action.CERTIFICATE_SUSPEND,
}


@dataclass(frozen=True, slots=True)
class StatusChange:
    """When and why the issuing department revoked, replaced or suspended a certificate, as far as is known."""

    code: str  # REVOKED, SUPERSEDED or SUSPENDED
    at: dt.datetime | None
    reason: str | None  # in words
    newer: str | None  # the identifier of the version that replaced it


def in_words(check: Check) -> str:
    """What a check's outcome means, in a sentence a lay reader understands."""
    if check.passed:
        return str(PASSED_WITH_A_NOTE.get(check.code) or PASSED.get(check.name) or _("This check passed."))
    known = FAILED.get(check.code)
    return str(known) if known else _("A check failed (%(code)s).", code=check.code)


def _telling_failure(checks: list[Check]) -> Check | None:
    """The failure to say first: a genuine certificate's revocation or suspension says more than its expiry."""
    failed = [c for c in checks if not c.passed]
    if not failed:
        return None
    genuine = any(c.name == "signature" and c.passed for c in checks)
    status = next((c for c in failed if c.name == "status"), None)
    return status if genuine and status is not None else failed[0]


def _status_change(session: Session, identifier: Any, code: str) -> StatusChange | None:
    action = STATUS_CHANGES.get(code)
    if action is None or not isinstance(identifier, str):
        return None
    row = session.execute(
        select(Certificate.id, Certificate.status_reason).where(Certificate.identifier == identifier)
    ).first()
    if row is None:
        return None
    at = session.scalar(
        select(LogEntry.at)
        .where(LogEntry.certificate == identifier, LogEntry.action == action, LogEntry.outcome == Outcome.OK)
        .order_by(LogEntry.idx.desc())
        .limit(1)
    )
    reason = REASONS.get(row.status_reason) if code != "SUSPENDED" and row.status_reason in REASONS else None
    newer = None
    if code == "SUPERSEDED":
        newer = session.scalar(select(Certificate.identifier).where(Certificate.supersedes_id == row.id))
    return StatusChange(code, at, str(reason) if reason else None, newer)


def _moment(epoch: Any) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(epoch, dt.UTC) if isinstance(epoch, int) else None


def _certificate(claims: dict[str, Any]) -> dict[str, Any] | None:
    """The core claims as a reader wants them: names of the type and the issuer, holder, validity."""
    if not claims:
        return None
    catalog = services().catalog
    department = None if claims.get("dept_name") else catalog.find_department(claims.get("dept", ""))
    ctype = None if claims.get("type_name") else catalog.find_type(claims.get("vct", ""))
    return {
        "type": claims.get("type_name") or (ctype.name if ctype else None) or claims.get("vct"),
        "issuer": claims.get("dept_name") or (department.name if department else None),
        "issuer_code": claims.get("dept"),
        "holder": claims.get("holder_name"),
        "valid_from": _moment(claims.get("nbf")),
        "valid_until": _moment(claims.get("exp")),
        "identifier": claims.get("jti"),
    }


@bp.get("/v/<path:presented>")
def verify_page(presented: str) -> str:
    """Public: verify what the QR holds and show the verdict first, then why."""
    svc = services()
    result = svc.verification.verify(presented)
    failed = _telling_failure(result.checks)
    change = None
    if failed is not None and failed.name == "status":
        change = _status_change(svc.session, result.claims.get("jti"), failed.code)
    return render_template(
        "verify.html",
        result=result,
        failed=failed,
        headline=in_words(failed) if failed is not None else None,
        change=change,
        certificate=_certificate(result.claims),
        # Even when the holder discloses the ID number, the public page shows it masked.
        disclosed={
            k: mask(str(result.claims.get("holder_kind")), v) if k == "holder_id" else v
            for k, v in result.disclosed.items()
        },
        checks=[(check, in_words(check)) for check in result.checks],
        names=CHECK_NAMES,
        checked_at=utcnow(),
        issuer=svc.config["REGISTRY_ISSUER"],
    )


@bp.get("/s/<reference>")
def stamp_page(reference: str) -> str:
    """Public: the registry's record of a stamp, which the stamp's QR code opens."""
    svc = services()
    stamp = svc.stamps.get(reference)
    seal = svc.keys.find(stamp.seal_kid)
    seal_check = key_status(published_jwk(seal), int(stamp.stamped_at.timestamp())) if seal else None
    revoked = stamp.status == StampStatus.REVOKED
    if revoked:
        why = _("The department revoked this stamp.")
    elif seal_check is None or not seal_check.passed:
        why = in_words(seal_check or Check("signature", False, "UNKNOWN_KEY"))
    else:
        why = ""
    return render_template(
        "stamp.html",
        stamp=stamp,
        valid=not why,
        why=why,
        revoked=revoked,
        seal_name=(seal.name if seal else None) or stamp.seal_kid,
        checked_at=utcnow(),
        issuer=svc.config["REGISTRY_ISSUER"],
    )
