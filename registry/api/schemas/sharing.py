"""Schemas of the sharing blueprint: policies, requests and their copies, consents, statistics."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import Schema, validate

from registry.api.schemas.common import SERVICE_ITEM_CODE, CreditCode, HolderRef, JsonBool, TypeCode, When
from registry.sharing.policies import personal_fields


class PolicyIn(Schema):
    agency = CreditCode("the relying agency's credit code", required=True)
    type = TypeCode(required=True)
    service_item = ma.fields.String(required=True, validate=SERVICE_ITEM_CODE)
    fields = ma.fields.List(  # type: ignore[assignment]  # `fields` is the wire name; marshmallow's own attribute is shadowed
        ma.fields.String(validate=validate.Length(1, 40)),
        required=True,
        validate=validate.Length(max=100),
        metadata={"description": "the disclosures a copy carries; `holder_id` is the full ID number"},
    )
    consent_required = JsonBool(load_default=True)
    copy_validity_hours = ma.fields.Integer(load_default=72, validate=validate.Range(1, 24 * 365))


class PolicyUpdate(Schema):
    fields = ma.fields.List(ma.fields.String(validate=validate.Length(1, 40)), validate=validate.Length(max=100))  # type: ignore[assignment]
    consent_required = JsonBool()
    copy_validity_hours = ma.fields.Integer(validate=validate.Range(1, 24 * 365))
    active = JsonBool(metadata={"description": "false withdraws the policy"})


def _policy_fields(policy: Any) -> list[dict[str, Any]]:
    personal = personal_fields(policy.type)
    return [{"name": name, "personal": name in personal} for name in policy.fields]


class PolicyOut(Schema):
    id = ma.fields.Integer()
    agency = ma.fields.Function(lambda p: {"credit_code": p.agency.credit_code, "name": p.agency.name})
    type = ma.fields.Function(lambda p: {"code": p.type.code, "name": p.type.name})
    service_item = ma.fields.Function(lambda p: {"code": p.service_item.code, "name": p.service_item.name})
    fields = ma.fields.Function(_policy_fields, metadata={"description": "fields shared, personal ones marked"})  # type: ignore[assignment]
    consent_required = ma.fields.Boolean()
    copy_validity_hours = ma.fields.Integer()
    active = ma.fields.Boolean()
    created_at = When()
    updated_at = When()


class PolicyListArgs(Schema):
    include_withdrawn = ma.fields.Boolean(load_default=False)


class ShareIn(Schema):
    holder = ma.fields.Nested(HolderRef, required=True)
    type = TypeCode(required=True)
    service_item = ma.fields.String(required=True, validate=SERVICE_ITEM_CODE)
    reason = ma.fields.String(required=True, validate=validate.Length(1, 200))
    fields = ma.fields.List(  # type: ignore[assignment]  # `fields` is the wire name; marshmallow's own attribute is shadowed
        ma.fields.String(validate=validate.Length(1, 40)),
        validate=validate.Length(max=100),
        metadata={"description": "a subset of the policy's fields; default: all of them"},
    )


class CopyOut(Schema):
    certificate = ma.fields.String(attribute="certificate.identifier")
    type = ma.fields.String(attribute="certificate.type.code")
    department = ma.fields.String(attribute="certificate.department.credit_code")
    holder_name = ma.fields.String(attribute="certificate.holder_name")
    holder_id_masked = ma.fields.String(attribute="certificate.holder_id_masked")
    signed_form = ma.fields.String(metadata={"description": "the SD-JWT with the permitted disclosures only"})
    annotation = ma.fields.String(metadata={"description": "registry-signed JWT (typ share-annotation+jwt)"})
    disclosed = ma.fields.Dict()


class ShareOut(Schema):
    reference = ma.fields.String()
    agency = ma.fields.String(attribute="agency.credit_code")
    service_item = ma.fields.String(attribute="service_item.code")
    reason = ma.fields.String()
    granted_at = When()
    expires_at = When()
    fields = ma.fields.List(ma.fields.String())  # type: ignore[assignment]
    copies = ma.fields.List(ma.fields.Nested(CopyOut))


class ConsentIn(Schema):
    agency = CreditCode("the relying agency's credit code", required=True)
    service_item = ma.fields.String(required=True, validate=SERVICE_ITEM_CODE)


class ConsentOut(Schema):
    id = ma.fields.Integer()
    agency = ma.fields.Function(lambda c: {"credit_code": c.agency.credit_code, "name": c.agency.name})
    service_item = ma.fields.Function(lambda c: {"code": c.service_item.code, "name": c.service_item.name})
    granted_at = When()
    withdrawn_at = When(allow_none=True)
    active = ma.fields.Function(lambda c: c.withdrawn_at is None)


class StatsOut(Schema):
    paper_submissions_avoided = ma.fields.Integer(metadata={"description": "granted sharing requests"})
    by = ma.fields.Dict(metadata={"description": "per agency, department, type and service item"})
    rows = ma.fields.List(ma.fields.Dict())
