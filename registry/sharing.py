"""Cross-department sharing: service items, sharing policies, holders' consents, annotated copies, statistics.

A relying agency asks for a holder's certificates of a type for a named service item. It gets them only
where an active policy for (agency, type, service item) exists and, if the policy says so, the holder
has consented; and then only the fields the policy names, as annotated copies signed by the registry.
Every request, granted or refused, is exactly one access-log entry, which the holder sees.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from issuers import sdjwt
from issuers.signing import sign
from registry.accesslog import AccessLog, Event
from registry.catalog import CatalogService
from registry.certificates import status_condition
from registry.errors import Conflict, Forbidden, NotFound, RegistryError, ValidationFailed
from registry.keys import KeyService
from registry.models import (
    Certificate,
    CertificateType,
    Consent,
    Department,
    ServiceItem,
    SharedCopy,
    SharingGrant,
    SharingPolicy,
    utcnow,
)
from registry.principals import HOLDER_ROLE, Principal, holder_ref
from registry.vocabulary import Action, CertificateStatus, Outcome, Role
from verifiers import formats
from verifiers.copies import b64_sha256, form_digest

FULL_ID = "holder_id"  # the disclosure with the holder's full ID number; core claims carry it masked
MAX_COPY_VALIDITY_HOURS = 24 * 365


@dataclass(frozen=True, slots=True)
class ShareRequest:
    holder_kind: str
    holder_id: str
    type_code: str
    service_item: str
    reason: str
    fields: tuple[str, ...] | None = None  # default: every field the policy permits


@dataclass(frozen=True, slots=True)
class AnnotatedCopy:
    certificate: Certificate
    signed_form: str  # the certificate's SD-JWT with the permitted disclosures only
    annotation: str  # the registry's signed statement of who obtained it, for what, until when
    disclosed: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SharingResult:
    reference: str
    agency: Department
    service_item: ServiceItem
    reason: str
    granted_at: dt.datetime
    expires_at: dt.datetime
    fields: list[str]
    copies: list[AnnotatedCopy]


class SharingRefused(Forbidden):
    """A sharing request the rules refuse; its subject puts the refusal on the holder's record."""


class NoCertificate(NotFound):
    """The holder has no valid certificate of the type; refused and recorded like the others."""


class SharingService:
    def __init__(self, session: Session, keys: KeyService, *, holder_key: str, issuer: str) -> None:
        self.session = session
        self.keys = keys
        self.holder_key = holder_key
        self.issuer = issuer
        self.catalog = CatalogService(session)
        self.log = AccessLog(session)

    # Service items and policies (the admin) ------------------------------------------------------

    def create_item(self, code: str, name: str, *, actor: Principal) -> ServiceItem:
        if self.find_item(code) is not None:
            raise Conflict(f"service item {code} exists", code="SERVICE_ITEM_EXISTS")
        item = ServiceItem(code=code, name=name)
        self.session.add(item)
        self.session.flush()
        self.log.record(actor, [Event(Action.SERVICE_ITEM_CREATE, service_item=code)])
        return item

    def find_item(self, code: str) -> ServiceItem | None:
        return self.session.scalar(select(ServiceItem).where(ServiceItem.code == code))

    def get_item(self, code: str) -> ServiceItem:
        item = self.find_item(code)
        if item is None:
            raise NotFound(f"no service item {code}", code="SERVICE_ITEM_NOT_FOUND")
        return item

    def list_items(self) -> list[ServiceItem]:
        return list(self.session.scalars(select(ServiceItem).order_by(ServiceItem.code)))

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
        item = self.get_item(item_code)
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

    # Consent (the holder) ------------------------------------------------------------------------

    def grant_consent(self, holder: Principal, agency_code: str, item_code: str) -> tuple[Consent, bool]:
        """The holder's active consent for the agency and item, made now unless there is one; (consent, created)."""
        ref = _holder_ref_of(holder)
        agency = self.catalog.get_department(agency_code)
        item = self.get_item(item_code)
        consent = self._active_consent(ref, agency.id, item.id)
        if consent is not None:
            return consent, False
        consent = Consent(holder_ref=ref, agency=agency, service_item=item)
        self.session.add(consent)
        self.session.flush()
        self.log.record(holder, [_consent_event(Action.CONSENT_GRANT, consent)])
        return consent, True

    def withdraw_consent(self, holder: Principal, consent_id: int) -> Consent:
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

    def consents(self, holder: Principal) -> list[Consent]:
        ref = _holder_ref_of(holder)
        return list(self.session.scalars(select(Consent).where(Consent.holder_ref == ref).order_by(Consent.id.desc())))

    def _active_consent(self, ref: str, agency_id: int, item_id: int) -> Consent | None:
        return self.session.scalar(
            select(Consent).where(
                Consent.holder_ref == ref,
                Consent.agency_id == agency_id,
                Consent.service_item_id == item_id,
                Consent.withdrawn_at.is_(None),
            )
        )

    # Sharing (the relying agency) ----------------------------------------------------------------

    def share(self, agency_client: Principal, request: ShareRequest) -> SharingResult:
        """Annotated copies of the holder's valid certificates of the type, as the policy permits.

        Records exactly one access-log entry, granted or refused. A refusal raises SharingRefused
        (403) or NoCertificate (404) after recording it; the caller commits before answering.
        """
        if agency_client.role != Role.AGENCY or agency_client.department_id is None:
            raise Forbidden("only a relying agency's client may request sharing", code="ROLE_NOT_PERMITTED")
        ref = holder_ref(self.holder_key, request.holder_kind, request.holder_id)
        refusal = Event(
            Action.CERTIFICATE_SHARE,
            holder_ref=ref,
            service_item=request.service_item,
            reason=request.reason,
            outcome=Outcome.REFUSED,
        )

        def refuse(error: RegistryError) -> RegistryError:
            error.subject = refusal
            return error

        policy = self.session.scalar(
            select(SharingPolicy)
            .join(CertificateType, CertificateType.id == SharingPolicy.type_id)
            .join(ServiceItem, ServiceItem.id == SharingPolicy.service_item_id)
            .where(
                SharingPolicy.agency_id == agency_client.department_id,
                CertificateType.code == request.type_code,
                ServiceItem.code == request.service_item,
                SharingPolicy.active.is_(True),
            )
        )
        if policy is None:
            raise refuse(
                SharingRefused(
                    "no sharing policy lets your agency fetch this type for this service item", code="NO_POLICY"
                )
            )
        wanted = list(policy.fields) if request.fields is None else list(dict.fromkeys(request.fields))
        not_permitted = sorted(set(wanted) - set(policy.fields))
        if not_permitted:
            raise refuse(
                SharingRefused(f"the policy does not permit {', '.join(not_permitted)}", code="FIELD_NOT_PERMITTED")
            )
        if policy.consent_required and self._active_consent(ref, policy.agency_id, policy.service_item_id) is None:
            raise refuse(
                SharingRefused("the holder has not consented to this agency for this item", code="CONSENT_REQUIRED")
            )
        now = utcnow()
        certificates = list(
            self.session.scalars(
                select(Certificate)
                .where(
                    Certificate.holder_ref == ref,
                    Certificate.type_id == policy.type_id,
                    status_condition(CertificateStatus.VALID, now),
                )
                .order_by(Certificate.id)
            )
        )
        if not certificates:
            raise refuse(NoCertificate("the holder has no valid certificate of this type", code="NO_CERTIFICATE"))
        return self._grant(agency_client, policy, request, ref, wanted, certificates, now)

    def _grant(
        self,
        agency_client: Principal,
        policy: SharingPolicy,
        request: ShareRequest,
        ref: str,
        wanted: list[str],
        certificates: list[Certificate],
        now: dt.datetime,
    ) -> SharingResult:
        reference = str(uuid.uuid4())
        expires_at = now + dt.timedelta(hours=policy.copy_validity_hours)
        signer = self.keys.signing_key(None)
        copies = []
        for certificate in certificates:
            presented = sdjwt.present(certificate.signed_form, set(wanted))
            disclosures = presented.split("~")[1:-1]
            claims = formats.annotation_claims(
                issuer=self.issuer,
                reference=reference,
                certificate=certificate.identifier,
                agency=policy.agency.credit_code,
                agency_name=policy.agency.name,
                service_item=policy.service_item.code,
                service_item_name=policy.service_item.name,
                reason=request.reason,
                fields=wanted,
                cert_hash=form_digest(presented),
                sd_digests=[b64_sha256(d) for d in disclosures],
                issued_at=int(now.timestamp()),
                expires_at=int(expires_at.timestamp()),
            )
            annotation = sign(claims, signer, formats.ANNOTATION)
            copies.append(AnnotatedCopy(certificate, presented, annotation, sdjwt.disclosed_values(presented)))
        grant = SharingGrant(
            reference=reference,
            policy_id=policy.id,
            agency_id=policy.agency_id,
            type_id=policy.type_id,
            service_item_id=policy.service_item_id,
            client_id=str(agency_client.client_id),
            holder_ref=ref,
            reason=request.reason,
            granted_at=now,
            expires_at=expires_at,
        )
        self.session.add(grant)
        self.session.flush()
        self.session.add_all(
            SharedCopy(grant_id=grant.id, certificate_id=c.id, department_id=c.department_id) for c in certificates
        )
        departments = {c.department_id for c in certificates}
        self.log.record(
            agency_client,
            [
                Event(
                    Action.CERTIFICATE_SHARE,
                    # One entry per request; it names the certificate when one was shared (the grant's
                    # reference, in the copies' annotations, lists them all).
                    certificate=certificates[0].identifier if len(certificates) == 1 else None,
                    holder_ref=ref,
                    subject_department_id=departments.pop() if len(departments) == 1 else None,
                    service_item=policy.service_item.code,
                    reason=request.reason,
                )
            ],
        )
        return SharingResult(
            reference, policy.agency, policy.service_item, request.reason, now, expires_at, wanted, copies
        )

    # Statistics (the admin) ----------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Paper submissions avoided (granted sharing requests), in total and per agency, issuing
        department, type and service item. A request whose copies came from two departments counts
        once in total and once for each of them."""
        agency = Department.__table__.alias("agency")
        issuer = Department.__table__.alias("issuer")
        dimensions = {
            "agency": agency.c.credit_code,
            "department": issuer.c.credit_code,
            "type": CertificateType.code,
            "service_item": ServiceItem.code,
        }

        def grouped(*columns: Any) -> Select[Any]:
            return (
                select(*columns, func.count(func.distinct(SharingGrant.id)))
                .select_from(SharingGrant)
                .join(SharedCopy, SharedCopy.grant_id == SharingGrant.id)
                .join(agency, agency.c.id == SharingGrant.agency_id)
                .join(issuer, issuer.c.id == SharedCopy.department_id)
                .join(CertificateType, CertificateType.id == SharingGrant.type_id)
                .join(ServiceItem, ServiceItem.id == SharingGrant.service_item_id)
                .group_by(*columns)
                .order_by(*columns)
            )

        total = self.session.scalar(select(func.count()).select_from(SharingGrant)) or 0
        rows = self.session.execute(grouped(*dimensions.values())).all()
        return {
            "paper_submissions_avoided": total,
            "by": {
                name: {str(row[0]): int(row[1]) for row in self.session.execute(grouped(column))}
                for name, column in dimensions.items()
            },
            "rows": [
                {**dict(zip(dimensions, row[:4], strict=True)), "paper_submissions_avoided": int(row[4])}
                for row in rows
            ],
        }


def _holder_ref_of(holder: Principal) -> str:
    if holder.role != HOLDER_ROLE or holder.holder_ref is None:
        raise Forbidden("only a holder manages consents", code="ROLE_NOT_PERMITTED")
    return holder.holder_ref


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


def personal_fields(ctype: CertificateType) -> set[str]:
    """The fields the type marks as personal information, and the full ID number, which always is."""
    return {spec["name"] for spec in ctype.fields if spec.get("personal")} | {FULL_ID}


def _policy_event(action: Action, policy: SharingPolicy) -> Event:
    return Event(
        action,
        subject_department_id=policy.agency_id,
        service_item=policy.service_item.code,
        reason=f"policy {policy.id}: type {policy.type.code}, fields {','.join(policy.fields)}"[:500],
    )


def _consent_event(action: Action, consent: Consent) -> Event:
    return Event(
        action,
        holder_ref=consent.holder_ref,
        subject_department_id=consent.agency_id,
        service_item=consent.service_item.code,
        reason=f"consent {consent.id} for {consent.agency.credit_code}",
    )
