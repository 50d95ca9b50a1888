"""The decision on a sharing request and the annotated copies a granted one gets.

`share` checks, in this order: the caller is a relying agency's client; an active policy for (its agency,
type, service item); the requested fields within the policy's; the holder's consent where the policy
requires it; a valid certificate of the type. The first that fails refuses the request.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuers import sdjwt
from issuers.signing import sign
from registry.accesslog import AccessLog, Event
from registry.certificates import status_condition
from registry.errors import Forbidden, NotFound, RegistryError
from registry.keys import KeyService
from registry.models import (
    Certificate,
    CertificateType,
    Department,
    ServiceItem,
    SharedCopy,
    SharingGrant,
    SharingPolicy,
    utcnow,
)
from registry.principals import Principal, holder_ref
from registry.sharing.consents import ConsentService
from registry.vocabulary import Action, CertificateStatus, Outcome, Role
from verifiers import formats
from verifiers.copies import b64_sha256, form_digest


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


class GrantService:
    """Relying agencies' sharing requests: refused and recorded, or granted as annotated copies."""

    def __init__(
        self, session: Session, keys: KeyService, consents: ConsentService, *, holder_key: str, issuer: str
    ) -> None:
        self.session = session
        self.keys = keys
        self.consents = consents
        self.holder_key = holder_key
        self.issuer = issuer
        self.log = AccessLog(session)

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
        if policy.consent_required and self.consents.find_active(ref, policy.agency_id, policy.service_item_id) is None:
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
                    Certificate.disposed_at.is_(None),
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
            presented = sdjwt.present(certificate.live_signed_form(), set(wanted))
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
