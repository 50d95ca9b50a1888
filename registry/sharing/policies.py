"""Sharing policies: which agency may fetch which fields of which type, for which service item."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accesslog import AccessLog, Event
from registry.catalog import CatalogService
from registry.errors import Conflict, NotFound, ValidationFailed
from registry.models import CertificateType, SharingPolicy, utcnow
from registry.principals import Principal
from registry.serviceitems import ServiceItemService
from registry.vocabulary import Action

FULL_ID = "holder_id"  # the disclosure with the holder's full ID number; core claims carry it masked
MAX_COPY_VALIDITY_HOURS = 24 * 365


class PolicyService:
    """Sharing policies, which the admin keeps."""

    def __init__(self, session: Session, catalog: CatalogService) -> None:
        self.session = session
        self.catalog = catalog
        self.items = ServiceItemService(session)
        self.log = AccessLog(session)

    def create_policy(
        self,
        agency_code: str,
        type_code: str,
        item_code: str,
        fields: list[str],
        *,
        consent_required: bool,
        copy_validity_hours: int,
        actor: Principal,
    ) -> SharingPolicy:
        """Let an agency fetch `fields` of a type for a service item; one active policy per triple."""
        agency = self.catalog.get_department(agency_code)
        ctype = self.catalog.get_type(type_code)
        item = self.items.get(item_code)
        checked = _checked_fields(ctype, fields)
        if self._active_policy(agency.id, ctype.id, item.id) is not None:
            raise Conflict("an active policy for this agency, type and service item exists", code="POLICY_EXISTS")
        policy = SharingPolicy(
            agency=agency,
            type=ctype,
            service_item=item,
            fields=checked,
            consent_required=consent_required,
            copy_validity_hours=_checked_hours(copy_validity_hours),
        )
        self.session.add(policy)
        self.session.flush()
        self.log.record(actor, [_policy_event(Action.SHARING_POLICY_CREATE, policy)])
        return policy

    def get_policy(self, policy_id: int) -> SharingPolicy:
        policy = self.session.get(SharingPolicy, policy_id)
        if policy is None:
            raise NotFound(f"no sharing policy {policy_id}", code="POLICY_NOT_FOUND")
        return policy

    def update_policy(
        self,
        policy_id: int,
        *,
        actor: Principal,
        fields: list[str] | None = None,
        consent_required: bool | None = None,
        copy_validity_hours: int | None = None,
        active: bool | None = None,
    ) -> SharingPolicy:
        """Change a policy; it applies to every later request. Withdrawing sets `active` false."""
        policy = self.get_policy(policy_id)
        reviving = active and not policy.active
        if reviving and self._active_policy(policy.agency_id, policy.type_id, policy.service_item_id):
            raise Conflict("another active policy covers this agency, type and service item", code="POLICY_EXISTS")
        if fields is not None:
            policy.fields = _checked_fields(policy.type, fields)
        if consent_required is not None:
            policy.consent_required = consent_required
        if copy_validity_hours is not None:
            policy.copy_validity_hours = _checked_hours(copy_validity_hours)
        if active is not None:
            policy.active = active
        policy.updated_at = utcnow()
        self.session.flush()
        self.log.record(actor, [_policy_event(Action.SHARING_POLICY_UPDATE, policy)])
        return policy

    def list_policies(self, *, include_withdrawn: bool = False) -> list[SharingPolicy]:
        query = select(SharingPolicy).order_by(SharingPolicy.id)
        if not include_withdrawn:
            query = query.where(SharingPolicy.active.is_(True))
        return list(self.session.scalars(query))

    def _active_policy(self, agency_id: int, type_id: int, item_id: int) -> SharingPolicy | None:
        return self.session.scalar(
            select(SharingPolicy).where(
                SharingPolicy.agency_id == agency_id,
                SharingPolicy.type_id == type_id,
                SharingPolicy.service_item_id == item_id,
                SharingPolicy.active.is_(True),
            )
        )


def personal_fields(ctype: CertificateType) -> set[str]:
    """The fields the type marks as personal information, and the full ID number, which always is."""
    return {spec["name"] for spec in ctype.fields if spec.get("personal")} | {FULL_ID}


def _checked_fields(ctype: CertificateType, fields: list[str]) -> list[str]:
    known = {spec["name"] for spec in ctype.fields} | {FULL_ID}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise ValidationFailed(
            f"type {ctype.code} has no field {', '.join(unknown)}", errors={"fields": unknown}, code="UNKNOWN_FIELD"
        )
    return sorted(set(fields))


def _checked_hours(hours: int) -> int:
    if not 1 <= hours <= MAX_COPY_VALIDITY_HOURS:
        raise ValidationFailed(f"a copy is valid for 1 to {MAX_COPY_VALIDITY_HOURS} hours", code="COPY_VALIDITY")
    return hours


def _policy_event(action: Action, policy: SharingPolicy) -> Event:
    return Event(
        action,
        subject_department_id=policy.agency_id,
        service_item=policy.service_item.code,
        reason=f"policy {policy.id}: type {policy.type.code}, fields {','.join(policy.fields)}"[:500],
    )
