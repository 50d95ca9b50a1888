"""Changes to an issued certificate by its department: suspend, reinstate, revoke, amend.

Each change is one transaction: the row is locked, the transition checked against the status as of
now (expiry included), the change made and logged together. A revoked or superseded certificate is
final; an amendment is a new version with the next version number, and supersedes the old one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuers.sdjwt import disclosed_values
from registry.accesslog import AccessLog
from registry.catalog import field_schema, to_claims
from registry.certificates import CertificateService, IssueRequest, checked_identifier, event
from registry.errors import Conflict, Gone, NotFound, ValidationFailed
from registry.models import Certificate, utcnow
from registry.principals import Principal
from registry.statuslists import StatusLists
from registry.vocabulary import Action, CertificateStatus, RevocationReason, values
from verifiers.identifiers import is_legacy, parse_any

S = CertificateStatus
# The statuses (as of now) from which each change may be made.
ALLOWED = {
    Action.CERTIFICATE_SUSPEND: {S.VALID},
    Action.CERTIFICATE_REINSTATE: {S.SUSPENDED},
    Action.CERTIFICATE_REVOKE: {S.VALID, S.SUSPENDED, S.EXPIRED},
    Action.CERTIFICATE_AMEND: {S.VALID},
}


class LifecycleService:
    def __init__(self, session: Session, certificates: CertificateService) -> None:
        self.session = session
        self.certificates = certificates
        self.log = AccessLog(session)
        self.lists = StatusLists(session)

    def _own(self, identifier: str, actor: Principal, change: Action) -> Certificate:
        """The actor's department's certificate, locked for the change; NotFound for anyone else's."""
        checked_identifier(identifier)
        certificate = self.session.scalar(
            select(Certificate)
            .where(Certificate.identifier == identifier, Certificate.department_id == actor.department_id)
            .with_for_update(of=Certificate)
        )
        if certificate is None:
            error = NotFound(f"no certificate {identifier} of your department", code="CERTIFICATE_NOT_FOUND")
            other = self.session.scalar(select(Certificate).where(Certificate.identifier == identifier))
            if other is not None:  # another department's: the refusal goes on its holder's record
                error.subject = event(change, other)
            raise error
        if certificate.disposed_at is not None:
            raise Gone(
                f"certificate {identifier} was disposed of at the end of its retention", code="CERTIFICATE_DISPOSED"
            )
        status = certificate.status_at(utcnow())
        if status not in ALLOWED[change]:
            verb = change.partition(":")[2]
            raise Conflict(f"a {status} certificate cannot be changed by {verb}", code="INVALID_TRANSITION")
        return certificate

    def suspend(self, identifier: str, actor: Principal, reason: str | None = None) -> Certificate:
        certificate = self._own(identifier, actor, Action.CERTIFICATE_SUSPEND)
        certificate.status, certificate.status_reason = S.SUSPENDED, None
        self._changed(actor, Action.CERTIFICATE_SUSPEND, certificate, reason)
        return certificate

    def reinstate(self, identifier: str, actor: Principal, reason: str | None = None) -> Certificate:
        certificate = self._own(identifier, actor, Action.CERTIFICATE_REINSTATE)
        certificate.status, certificate.status_reason = S.VALID, None
        self._changed(actor, Action.CERTIFICATE_REINSTATE, certificate, reason)
        return certificate

    def revoke(self, identifier: str, actor: Principal, reason: str) -> Certificate:
        if reason not in values(RevocationReason):
            raise ValidationFailed(
                "unknown revocation reason", errors={"reason": [f"one of {values(RevocationReason)}"]}
            )
        certificate = self._own(identifier, actor, Action.CERTIFICATE_REVOKE)
        certificate.status, certificate.status_reason = S.REVOKED, reason
        self._changed(actor, Action.CERTIFICATE_REVOKE, certificate, reason)
        return certificate

    def amend(self, identifier: str, actor: Principal, fields: dict[str, Any], **validity: Any) -> Certificate:
        """Issue the next version with new field values (all of them), superseding this one."""
        old = self._own(identifier, actor, Action.CERTIFICATE_AMEND)
        try:
            values = to_claims(field_schema(old.type).load(fields))
        except ValidationError as e:
            raise ValidationFailed("the amended fields are not valid", errors={"fields": e.messages}) from None
        now = utcnow()
        valid_from = validity.get("valid_from") or now
        valid_until = validity.get("valid_until", old.valid_until)
        if valid_until is not None and valid_until <= valid_from:
            raise ValidationFailed("valid_until must be after valid_from", errors={"valid_until": ["too early"]})
        return self._successor(old, actor, Action.CERTIFICATE_AMEND, values, valid_from, valid_until)

    def reidentify_legacy(self, actor: Principal, *, after: int = 0, limit: int = 500) -> tuple[int, int | None]:
        """Re-issue, under a conforming identifier, the certificates of ids after `after` (a page of `limit`)
        whose identifiers follow the earlier check rule (`verifiers.identifiers`): each one's next version,
        same fields, holder and validity, signed anew and superseding it, so a verifier shown the old one
        learns its successor. Valid and suspended ones only (a suspended one stays suspended); revoked,
        superseded and expired ones are final and keep their identifiers.

        Return how many were re-issued and the cursor for the next page (None at the end).
        """
        page = list(
            self.session.scalars(
                select(Certificate)
                .where(Certificate.id > after, Certificate.status.in_([S.VALID, S.SUSPENDED]))
                .where(Certificate.disposed_at.is_(None))
                .order_by(Certificate.id)
                .limit(limit)
                .with_for_update(of=Certificate)
            )
        )
        done = 0
        now = utcnow()
        for old in page:
            if not is_legacy(old.identifier) or old.status_at(now) not in (S.VALID, S.SUSPENDED):
                continue
            status = old.status
            new = self._successor(
                old, actor, Action.CERTIFICATE_REIDENTIFY, dict(old.live_fields()), old.valid_from, old.valid_until
            )
            if status == S.SUSPENDED:
                new.status = S.SUSPENDED
                self.lists.changed(new.status_list)
            done += 1
        self.session.flush()
        return done, (page[-1].id if len(page) == limit else None)

    def _successor(
        self,
        old: Certificate,
        actor: Principal,
        action: Action,
        values: dict[str, Any],
        valid_from: dt.datetime,
        valid_until: dt.datetime | None,
    ) -> Certificate:
        """Sign and store the next version of `old`, superseding it; log both in this transaction."""
        ident = parse_any(old.identifier)
        if ident.version == 999:
            raise Conflict("the certificate has reached version 999", code="VERSION_LIMIT")
        request = IssueRequest(
            type_code=old.type.code,
            holder_kind=old.holder_kind,
            holder_id=disclosed_values(old.live_signed_form())["holder_id"],
            holder_name=old.holder_name,
            fields=values,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        now = utcnow()
        signer = self.certificates.keys.signing_key(old.department)
        [slot] = self.lists.allocate(1)
        row = self.certificates.sign(
            old.department, old.type, request, values, signer, now, ident.next_version(), slot, old
        )
        old.status, old.status_reason = S.SUPERSEDED, RevocationReason.SUPERSEDED
        old.rendition_sha256 = None
        self.lists.changed(old.status_list)
        self.session.add(new := Certificate(**row))
        self.session.flush()
        self.log.record(actor, [event(Action.CERTIFICATE_SUPERSEDE, old), event(action, new)])
        return new

    def _changed(self, actor: Principal, action: Action, certificate: Certificate, reason: str | None) -> None:
        self.lists.changed(certificate.status_list)
        certificate.rendition_sha256 = None  # the printed status changed: the next rendition shows the new one
        self.session.flush()
        self.log.record(actor, [replace(event(action, certificate), reason=reason)])
