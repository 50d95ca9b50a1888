"""Schemas of the certificates blueprint: issuing, reading, searching and changing certificates."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import Schema, validate

from registry.api.schemas.common import HolderRef, Int64, TypeCode, When
from registry.certificates import MAX_BATCH
from registry.models import utcnow
from registry.vocabulary import CertificateStatus, RevocationReason, values


class HolderIn(HolderRef):
    name = ma.fields.String(required=True, validate=validate.Length(1, 200))


class CertificateIn(Schema):
    type = TypeCode(required=True)
    holder = ma.fields.Nested(HolderIn, required=True)
    fields = ma.fields.Dict(  # type: ignore[assignment]  # `fields` is the wire name; marshmallow's own attribute is shadowed
        keys=ma.fields.String(), required=True, metadata={"description": "values of the type's fields"}
    )
    valid_from = When(load_default=None, metadata={"description": "default: now"})
    valid_until = When(load_default=None, metadata={"description": "default: valid_from + the type's validity"})


class BatchIn(Schema):
    certificates = ma.fields.List(
        ma.fields.Nested(CertificateIn), required=True, validate=validate.Length(1, MAX_BATCH)
    )


class IdempotencyHeader(Schema):
    idempotency_key = ma.fields.String(
        data_key="Idempotency-Key",
        validate=validate.Length(1, 255),
        metadata={"description": "a retried request with the same key creates nothing twice"},
    )


class HolderOut(Schema):
    kind = ma.fields.String(attribute="holder_kind")
    name = ma.fields.String(attribute="holder_name")
    id_masked = ma.fields.String(attribute="holder_id_masked")


class CertificateOut(Schema):
    identifier = ma.fields.String()
    type = ma.fields.Function(lambda c: {"code": c.type.code, "name": c.type.name})
    issuer = ma.fields.Function(lambda c: {"credit_code": c.department.credit_code, "name": c.department.name})
    holder = ma.fields.Function(lambda c: HolderOut().dump(c))
    fields = ma.fields.Dict()  # type: ignore[assignment]  # `fields` is the wire name; marshmallow's own attribute is shadowed
    valid_from = When()
    valid_until = When(allow_none=True)
    status = ma.fields.Function(
        lambda c: c.status_at(utcnow()), metadata={"description": "valid, suspended, revoked, superseded or expired"}
    )
    status_reason = ma.fields.String(allow_none=True)
    version = ma.fields.Integer()
    supersedes = ma.fields.Function(lambda c: c.supersedes.identifier if c.supersedes else None)
    seal_kid = ma.fields.String()
    issued_at = When()
    signed_form = ma.fields.String(metadata={"description": "SD-JWT (RFC 9901) signed with the department's seal"})


class BatchOut(Schema):
    certificates = ma.fields.List(ma.fields.Nested(CertificateOut))


class CertificateListArgs(Schema):
    type = TypeCode()
    status = ma.fields.String(validate=validate.OneOf(values(CertificateStatus)))
    limit = ma.fields.Integer(load_default=50, validate=validate.Range(1, 200))
    after = Int64(metadata={"description": "the next_cursor of the previous page"})


class CertificateSearch(CertificateListArgs):
    holder = ma.fields.Nested(
        HolderRef, metadata={"description": "sent in the body so ID numbers stay out of URLs and logs"}
    )


class CertificatePage(Schema):
    items = ma.fields.List(ma.fields.Nested(CertificateOut))
    next_cursor = ma.fields.Integer(allow_none=True)


class SuspendIn(Schema):
    reason = ma.fields.String(load_default=None, validate=validate.Length(max=200))


class RevokeIn(Schema):
    reason = ma.fields.String(required=True, validate=validate.OneOf(values(RevocationReason)))


class AmendIn(Schema):
    fields = ma.fields.Dict(keys=ma.fields.String(), required=True, metadata={"description": "all the new values"})  # type: ignore[assignment]
    valid_from = When(metadata={"description": "default: now"})
    valid_until = When(allow_none=True, metadata={"description": "default: the amended certificate's"})


class QrArgs(Schema):
    disclose = ma.fields.String(
        validate=validate.Length(max=500),
        metadata={"description": "comma-separated fields to disclose; default: the compact core claims only"},
    )
