"""Issuing certificates and finding them, each reader limited to what it may see."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import ColumnElement, Select, and_, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuers import sdjwt
from issuers.compact import issue_compact
from issuers.holders import mask
from issuers.signing import Signer
from registry.accesslog import AccessLog, Event
from registry.catalog import CatalogService, field_schema, to_claims
from registry.errors import Conflict, Forbidden, Gone, NotFound, ValidationFailed
from registry.keys import KeyService
from registry.models import (
    Certificate,
    CertificateType,
    Department,
    IdempotencyRecord,
    utcnow,
)
from registry.principals import HOLDER_ROLE, Principal, holder_ref
from registry.qr import RenderedQr, render, verification_url
from registry.statuslists import StatusLists
from registry.vocabulary import Action, CertificateStatus, Role
from verifiers import formats
from verifiers.errors import InvalidCode
from verifiers.formats import status_list_url
from verifiers.identifiers import CertificateId, new_serial, parse_any

MAX_BATCH = 1000


@dataclass(frozen=True, slots=True)
class IssueRequest:
    type_code: str
    holder_kind: str
    holder_id: str
    holder_name: str
    fields: dict[str, Any]
    valid_from: dt.datetime | None = None
    valid_until: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class CertificateFilter:
    type_code: str | None = None
    status: str | None = None
    holder_kind: str | None = None
    holder_id: str | None = None
    issued_from: dt.datetime | None = None  # issued at or after
    issued_before: dt.datetime | None = None
    serial: str | None = None  # every version of one certificate


def request_fingerprint(body: Any) -> str:
    """The hash an idempotency record keeps of the request body, to tell a retry from a different request."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


class CertificateService:
    def __init__(self, session: Session, keys: KeyService, *, holder_key: str, issuer: str) -> None:
        self.session = session
        self.keys = keys
        self.holder_key = holder_key
        self.issuer = issuer
        self.catalog = CatalogService(session)
        self.log = AccessLog(session)

    def issue(
        self,
        department: Department,
        requests: list[IssueRequest],
        *,
        actor: Principal,
        idempotency_key: str | None = None,
        fingerprint: str = "",
    ) -> list[Certificate]:
        """Validate, sign and store a batch, all or nothing.

        With an idempotency key, a retry returns what the first request created.
        """
        if not 1 <= len(requests) <= MAX_BATCH:
            raise ValidationFailed(f"a batch holds 1 to {MAX_BATCH} certificates", code="BATCH_SIZE")
        record = None
        if idempotency_key is not None:
            record, replay = self._claim_idempotency_key(str(actor.client_id), idempotency_key, fingerprint)
            if replay is not None:
                self.log.record(actor, [event(Action.CERTIFICATE_ISSUE_REPLAY, c) for c in replay])
                return replay
        types = self._types_for(department, requests)
        validated = self._validate(requests, types)
        signer = self.keys.signing_key(department)
        now = utcnow()
        slots = StatusLists(self.session).allocate(len(validated))
        rows = [
            self.sign(
                department,
                types[r.type_code],
                r,
                values,
                signer,
                now,
                new_identifier(types[r.type_code], department),
                slot,
            )
            for (r, values), slot in zip(validated, slots, strict=True)
        ]
        # One multi-row INSERT ... RETURNING instead of the unit of work, whose per-object
        # bookkeeping made issuance about a quarter slower (make bench).
        certificates = list(
            self.session.scalars(insert(Certificate).returning(Certificate, sort_by_parameter_order=True), rows)
        )
        if record is not None:
            record.certificate_ids = [c.id for c in certificates]
            self.session.flush()
        self.log.record(actor, [event(Action.CERTIFICATE_ISSUE, c) for c in certificates])
        return certificates

    def _claim_idempotency_key(
        self, client_id: str, key: str, fingerprint: str
    ) -> tuple[IdempotencyRecord, list[Certificate] | None]:
        """Record the key for this request, or return the certificates of an earlier request with it."""
        record = self.session.scalar(
            select(IdempotencyRecord).where(IdempotencyRecord.client_id == client_id, IdempotencyRecord.key == key)
        )
        if record is None:
            # A concurrent request with the same key makes this flush fail; the request's
            # transaction is then rolled back whole and the client retries to get the first result.
            record = IdempotencyRecord(client_id=client_id, key=key, request_hash=fingerprint, certificate_ids=[])
            self.session.add(record)
            try:
                self.session.flush()
            except IntegrityError:
                raise Conflict(
                    "a request with this idempotency key is in progress; retry it", code="IDEMPOTENCY_IN_PROGRESS"
                ) from None
            return record, None
        if record.request_hash != fingerprint:
            raise ValidationFailed(
                "this idempotency key was used for a different request", code="IDEMPOTENCY_KEY_REUSED"
            )
        by_id = {
            c.id: c for c in self.session.scalars(select(Certificate).where(Certificate.id.in_(record.certificate_ids)))
        }
        return record, [by_id[i] for i in record.certificate_ids]

    def _types_for(self, department: Department, requests: list[IssueRequest]) -> dict[str, CertificateType]:
        types: dict[str, CertificateType] = {}
        unknown: dict[int, dict[str, list[str]]] = {}
        for index, request in enumerate(requests):
            if request.type_code in types:
                continue
            ctype = self.catalog.find_type(request.type_code)
            if ctype is None:
                unknown[index] = {"type": ["unknown certificate type"]}
                continue
            if department not in ctype.issuers:
                raise Forbidden(
                    f"department {department.credit_code} may not issue type {ctype.code}", code="TYPE_NOT_PERMITTED"
                )
            types[request.type_code] = ctype
        if unknown:
            raise ValidationFailed("unknown certificate type", errors={"certificates": unknown})
        return types

    def _validate(
        self, requests: list[IssueRequest], types: dict[str, CertificateType]
    ) -> list[tuple[IssueRequest, dict[str, Any]]]:
        validated = []
        errors: dict[int, dict[str, Any]] = {}
        for index, request in enumerate(requests):
            ctype = types[request.type_code]
            try:
                values = to_claims(field_schema(ctype).load(request.fields))
            except ValidationError as e:
                errors[index] = {"fields": e.messages}
                continue
            valid_from = request.valid_from or utcnow()
            valid_until = request.valid_until
            if valid_until is None and ctype.default_validity_days is not None:
                valid_until = valid_from + dt.timedelta(days=ctype.default_validity_days)
            if valid_until is not None and valid_until <= valid_from:
                errors[index] = {"valid_until": ["must be after valid_from"]}
                continue
            validated.append((replace(request, valid_from=valid_from, valid_until=valid_until), values))
        if errors:
            raise ValidationFailed("some certificates are not valid; none was issued", errors={"certificates": errors})
        return validated

    def sign(
        self,
        department: Department,
        ctype: CertificateType,
        request: IssueRequest,
        values: dict[str, Any],
        signer: Signer,
        now: dt.datetime,
        ident: CertificateId,
        slot: tuple[int, int],
        supersedes: Certificate | None = None,
    ) -> dict[str, Any]:
        """Sign one certificate (a new one, or a new version of `supersedes`) with its status slot; return its row."""
        assert request.valid_from is not None
        identifier = str(ident)
        masked = mask(request.holder_kind, request.holder_id)
        claims = formats.certificate_claims(
            issuer=self.issuer,
            identifier=identifier,
            type_code=ctype.code,
            type_name=ctype.name,
            dept=department.credit_code,
            dept_name=department.name,
            holder_kind=request.holder_kind,
            holder_name=request.holder_name,
            holder_id_masked=masked,
            version=ident.version,
            status_list=status_list_url(self.issuer, slot[0]),
            status_idx=slot[1],
            issued_at=int(now.timestamp()),
            valid_from=int(request.valid_from.timestamp()),
            valid_until=int(request.valid_until.timestamp()) if request.valid_until is not None else None,
        )
        signed = sdjwt.issue(claims, {"holder_id": request.holder_id, **values}, signer)
        compact = issue_compact(
            identifier, request.holder_name, claims["iat"], claims["nbf"], claims.get("exp"), slot, signer
        )
        return {
            "identifier": identifier,
            "type_id": ctype.id,
            "department_id": department.id,
            "serial": ident.serial,
            "version": ident.version,
            "holder_kind": request.holder_kind,
            "holder_ref": holder_ref(self.holder_key, request.holder_kind, request.holder_id),
            "holder_name": request.holder_name,
            "holder_id_masked": masked,
            "fields": values,
            "valid_from": request.valid_from,
            "valid_until": request.valid_until,
            "status": CertificateStatus.VALID,
            "seal_kid": signer.kid,
            "signed_form": signed,
            "compact_form": compact,
            "issued_at": now,
            "supersedes_id": supersedes.id if supersedes else None,
            "status_list": slot[0],
            "status_idx": slot[1],
        }

    def _visible(self, principal: Principal) -> Select[Certificate]:
        """Certificates a principal may read: the admin all, a department its own, a holder theirs."""
        query = select(Certificate)
        if principal.role == Role.ADMIN:
            return query
        if principal.role == Role.ISSUER:
            return query.where(Certificate.department_id == principal.department_id)
        if principal.role == HOLDER_ROLE:
            return query.where(Certificate.holder_ref == principal.holder_ref)
        raise Forbidden("this role may not read certificates", code="ROLE_NOT_PERMITTED")

    def get(self, identifier: str, principal: Principal, action: Action = Action.CERTIFICATE_READ) -> Certificate:
        """Return a certificate the principal may read, and log the read.

        Raise NotFound for one that is absent or not theirs; the error names the certificate's
        holder and issuer for the refusal's log entry, never for the caller.
        """
        checked_identifier(identifier)
        certificate = self.session.scalar(self._visible(principal).where(Certificate.identifier == identifier))
        if certificate is None:
            error = NotFound(f"no certificate {identifier} that you may read", code="CERTIFICATE_NOT_FOUND")
            hidden = self.session.scalar(select(Certificate).where(Certificate.identifier == identifier))
            if hidden is not None:
                error.subject = event(action, hidden)
            raise error
        if certificate.disposed_at is not None:
            gone = Gone(
                f"certificate {identifier} was disposed of at the end of its retention", code="CERTIFICATE_DISPOSED"
            )
            gone.subject = event(action, certificate)
            raise gone
        self.log.record(principal, [event(action, certificate)])
        return certificate

    def qr(self, identifier: str, principal: Principal, fmt: str, disclose: set[str]) -> RenderedQr:
        """The QR code a holder shows: the compact form by default, or the SD-JWT with chosen disclosures."""
        certificate = self.get(identifier, principal, action=Action.CERTIFICATE_QR)
        if disclose:
            unknown = disclose - {"holder_id", *certificate.live_fields()}
            if unknown:
                raise ValidationFailed("no such fields", errors={"disclose": sorted(unknown)})
            presented = sdjwt.present(certificate.live_signed_form(), disclose)
        elif certificate.compact_form:
            presented = certificate.compact_form
        else:
            raise ValidationFailed(
                "this certificate predates compact forms; choose disclosures", code="NO_COMPACT_FORM"
            )
        return render(verification_url(self.issuer, presented), fmt)

    def list(
        self, principal: Principal, filters: CertificateFilter, *, limit: int, after: int | None
    ) -> list[Certificate]:
        """A page of the certificates the principal may read, newest first, after the cursor `after` (an id)."""
        query = self._visible(principal)
        if filters.type_code:
            query = query.join(Certificate.type).where(CertificateType.code == filters.type_code)
        if filters.status:
            query = query.where(status_condition(filters.status, utcnow()))
        if filters.holder_id and filters.holder_kind:
            query = query.where(
                Certificate.holder_ref == holder_ref(self.holder_key, filters.holder_kind, filters.holder_id)
            )
        if filters.issued_from is not None:
            query = query.where(Certificate.issued_at >= filters.issued_from)
        if filters.issued_before is not None:
            query = query.where(Certificate.issued_at < filters.issued_before)
        if filters.serial is not None:
            query = query.where(Certificate.serial == filters.serial)
        if after is not None:
            query = query.where(Certificate.id < after)
        page = list(self.session.scalars(query.order_by(Certificate.id.desc()).limit(limit)))
        self.log.record(principal, [event(Action.CERTIFICATE_LIST, c) for c in page])
        return page


def checked_identifier(text: str) -> str:
    """An identifier as given, if it passes the national rule (or is one of this registry's earlier
    identifiers); raise ValidationFailed (422) naming what is wrong, before anything is looked up."""
    try:
        parse_any(text)
    except InvalidCode as e:
        raise ValidationFailed(f"not an e-license identifier: {e.reason}", code="INVALID_IDENTIFIER") from None
    return text


def new_identifier(ctype: CertificateType, department: Department) -> CertificateId:
    return CertificateId(ctype.code, department.credit_code, new_serial(), 1)


def status_condition(status: str, now: dt.datetime) -> ColumnElement[bool]:
    """The SQL condition for a status as `Certificate.status_at` computes it."""
    unexpired = or_(Certificate.valid_until.is_(None), Certificate.valid_until > now)
    if status == CertificateStatus.EXPIRED:
        return and_(Certificate.status == CertificateStatus.VALID, Certificate.valid_until <= now)
    if status == CertificateStatus.VALID:
        return and_(Certificate.status == CertificateStatus.VALID, unexpired)
    return Certificate.status == status


def event(action: Action, certificate: Certificate) -> Event:
    return Event(
        action,
        certificate=certificate.identifier,
        holder_ref=certificate.holder_ref,
        subject_department_id=certificate.department_id,
    )
