"""Schemas of the service items blueprint: an item with its filing parameters, a change to one, a page."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import Schema, validate

from registry.api.schemas.common import SERVICE_ITEM_CODE, CreditCode, JsonBool, TypeCode, When
from registry.serviceitems import CATEGORY_PATTERN, CODE_PATTERN, DEADLINE_DAYS, MAX_NAME, MAX_PAGE, RETENTION_YEARS
from registry.vocabulary import RetentionEvent, values

CODE_PARAMETER = {
    "in": "path",
    "name": "code",
    "required": True,
    "description": "the service item's code",
    "schema": {"type": "string", "pattern": CODE_PATTERN, "maxLength": 64},
}


class _Parameters(Schema):
    """The department, parent and filing parameters, which a new item and a change both take."""

    department = CreditCode("the owning department's credit code; it files the item's records", allow_none=True)
    parent = ma.fields.String(
        allow_none=True, validate=SERVICE_ITEM_CODE, metadata={"description": "the parent item's code"}
    )
    filing_types = ma.fields.List(
        TypeCode(),
        validate=validate.Length(max=100),
        metadata={"description": "the certificate types filed under the item; a type is filed under one item only"},
    )
    filing_documents = JsonBool(metadata={"description": "whether documents stamped for the item are filed"})
    retention_years = ma.fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(*RETENTION_YEARS),
        metadata={"description": "how long filed records are kept; null: permanently"},
    )
    retention_event = ma.fields.String(
        validate=validate.OneOf(values(RetentionEvent)), metadata={"description": "what the retention counts from"}
    )
    filing_deadline_days = ma.fields.Integer(
        strict=True,
        validate=validate.Range(*DEADLINE_DAYS),
        metadata={"description": "days after a record becomes due by which it must be filed"},
    )
    archive_category = ma.fields.String(
        allow_none=True,
        validate=validate.Regexp(CATEGORY_PATTERN),
        metadata={"description": "the archive category code (DA/T)", "example": "WS.2026-Y"},
    )


class ServiceItemIn(_Parameters):
    """A new item; what is left out takes its default: no department, parent or filing, permanent retention
    counted from issue, a 30-day filing deadline."""

    code = ma.fields.String(required=True, validate=SERVICE_ITEM_CODE, metadata={"example": "SH-ENT-EST-001"})
    name = ma.fields.String(required=True, validate=validate.Length(1, MAX_NAME))


class ServiceItemUpdate(_Parameters):
    """A change: what is left out stays as it is; null clears the department, parent or category, and makes
    retention permanent."""

    name = ma.fields.String(validate=validate.Length(1, MAX_NAME))


class ServiceItemOut(Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    department = ma.fields.Function(
        lambda i: i.department.credit_code if i.department else None,
        metadata={"type": ["string", "null"], "description": "the owning department's credit code"},
    )
    parent = ma.fields.Function(
        lambda i: i.parent.code if i.parent else None,
        metadata={"type": ["string", "null"], "description": "the parent item's code"},
    )
    filing_types = ma.fields.List(ma.fields.String())
    filing_documents = ma.fields.Boolean()
    retention_years = ma.fields.Integer(allow_none=True, metadata={"description": "null: kept permanently"})
    retention_event = ma.fields.String()
    filing_deadline_days = ma.fields.Integer()
    archive_category = ma.fields.String(allow_none=True)
    retired_at = When(allow_none=True, metadata={"description": "when it was retired; it files no new records"})
    created_at = When()
    updated_at = When()


class ServiceItemListArgs(Schema):
    after = ma.fields.String(validate=SERVICE_ITEM_CODE, metadata={"description": "the `next` of the previous page"})
    limit = ma.fields.Integer(load_default=100, validate=validate.Range(1, MAX_PAGE))
    department = CreditCode("only the items of this department")
    parent = ma.fields.String(validate=SERVICE_ITEM_CODE, metadata={"description": "only the items directly under it"})
    include_retired = ma.fields.Boolean(load_default=False)


class ServiceItemPage(Schema):
    items = ma.fields.List(ma.fields.Nested(ServiceItemOut))
    next = ma.fields.String(
        allow_none=True, metadata={"description": "pass it as `after` for the next page; null on the last page"}
    )
