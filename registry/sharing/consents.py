"""Holders' consents: a holder lets an agency fetch their certificates for a service item, until withdrawn."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accesslog import AccessLog, Event
from registry.catalog import CatalogService
from registry.errors import Forbidden, NotFound
from registry.models import Consent, utcnow
from registry.principals import HOLDER_ROLE, Principal
from registry.sharing.policies import PolicyService
from registry.vocabulary import Action


class ConsentService:
    """The holder's consents; a sharing request where the policy requires one looks for it here."""

    def __init__(self, session: Session, catalog: CatalogService, policies: PolicyService) -> None:
        self.session = session
        self.catalog = catalog
        self.policies = policies
        self.log = AccessLog(session)

    def grant(self, holder: Principal, agency_code: str, item_code: str) -> tuple[Consent, bool]:
        """The holder's active consent for the agency and item, made now unless there is one; (consent, created)."""
        ref = _holder_ref_of(holder)
        agency = self.catalog.get_department(agency_code)
        item = self.policies.items.get(item_code)
        consent = self.find_active(ref, agency.id, item.id)
        if consent is not None:
            return consent, False
        consent = Consent(holder_ref=ref, agency=agency, service_item=item)
        self.session.add(consent)
        self.session.flush()
        self.log.record(holder, [_consent_event(Action.CONSENT_GRANT, consent)])
        return consent, True

    def withdraw(self, holder: Principal, consent_id: int) -> Consent:
        """Withdraw one of the holder's consents; every later request is judged without it."""
        ref = _holder_ref_of(holder)
        consent = self.session.get(Consent, consent_id)
        if consent is None or consent.holder_ref != ref:
            error = NotFound(f"no consent {consent_id} of yours", code="CONSENT_NOT_FOUND")
            if consent is not None:  # another holder's: the refusal goes on that holder's record
                error.subject = _consent_event(Action.CONSENT_WITHDRAW, consent)
            raise error
        if consent.withdrawn_at is None:
            consent.withdrawn_at = utcnow()
            self.session.flush()
            self.log.record(holder, [_consent_event(Action.CONSENT_WITHDRAW, consent)])
        return consent

    def of_holder(self, holder: Principal) -> list[Consent]:
        """The holder's consents, withdrawn ones included, newest first."""
        ref = _holder_ref_of(holder)
        return list(self.session.scalars(select(Consent).where(Consent.holder_ref == ref).order_by(Consent.id.desc())))

    def find_active(self, ref: str, agency_id: int, item_id: int) -> Consent | None:
        """The holder's consent to the agency for the item that is not withdrawn; None if there is none."""
        return self.session.scalar(
            select(Consent).where(
                Consent.holder_ref == ref,
                Consent.agency_id == agency_id,
                Consent.service_item_id == item_id,
                Consent.withdrawn_at.is_(None),
            )
        )


def _holder_ref_of(holder: Principal) -> str:
    if holder.role != HOLDER_ROLE or holder.holder_ref is None:
        raise Forbidden("only a holder manages consents", code="ROLE_NOT_PERMITTED")
    return holder.holder_ref


def _consent_event(action: Action, consent: Consent) -> Event:
    return Event(
        action,
        holder_ref=consent.holder_ref,
        subject_department_id=consent.agency_id,
        service_item=consent.service_item.code,
        reason=f"consent {consent.id} for {consent.agency.credit_code}",
    )
