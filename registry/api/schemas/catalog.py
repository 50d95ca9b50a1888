"""Schemas of the catalog blueprint: departments and certificate types."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import Schema, validate

from registry.api.schemas.common import CreditCode, JsonBool, TypeCode, When
from registry.catalog import FIELD_TYPES


class DepartmentIn(Schema):
    credit_code = CreditCode(required=True)
    name = ma.fields.String(required=True, validate=validate.Length(1, 200))


class DepartmentOut(Schema):
    credit_code = ma.fields.String()
    name = ma.fields.String()
    created_at = When()


class FieldSpec(Schema):
    name = ma.fields.String(required=True, validate=validate.Length(1, 40))
    type = ma.fields.String(required=True, validate=validate.OneOf(sorted(FIELD_TYPES)))
    required = JsonBool(load_default=False)
    personal = JsonBool(
        load_default=False, metadata={"description": "personal information: shared only where a policy names it"}
    )
    label = ma.fields.String(validate=validate.Length(max=100), metadata={"description": "the label in Chinese"})
    label_en = ma.fields.String(
        validate=validate.Length(max=100), metadata={"description": "the label in English (printed renditions)"}
    )


class CertificateTypeIn(Schema):
    code = TypeCode(required=True)
    name = ma.fields.String(required=True, validate=validate.Length(1, 200))
    fields = ma.fields.List(ma.fields.Nested(FieldSpec), required=True, validate=validate.Length(max=100))  # type: ignore[assignment]
    issuers = ma.fields.List(CreditCode(), load_default=list, metadata={"description": "departments that may issue it"})
    default_validity_days = ma.fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))
    retention_years = ma.fields.Integer(load_default=30, validate=validate.Range(min=1, max=1000))


class CertificateTypeOut(Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    defining_authority = ma.fields.String()
    fields = ma.fields.List(ma.fields.Nested(FieldSpec))  # type: ignore[assignment]
    issuers = ma.fields.Method("_issuers")
    default_validity_days = ma.fields.Integer(allow_none=True)
    retention_years = ma.fields.Integer()

    def _issuers(self, obj: Any) -> list[str]:
        return [d.credit_code for d in obj.issuers]
