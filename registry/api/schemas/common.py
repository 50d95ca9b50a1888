"""Field types and schemas several schema modules use: codes with their check, integers a column can hold,
strict JSON booleans, aware datetimes, a service item's code, a holder's document, one check of a verdict."""

from __future__ import annotations

import datetime as dt
from typing import Any

import marshmallow as ma
from marshmallow import Schema, ValidationError, post_load, validate, validates_schema

from issuers.holders import DOCUMENT_NAMES, HolderKind, holder_document
from registry.api.documents import CREDIT_CODE_PATTERN, TYPE_CODE_PATTERN
from registry.models import INT64_MAX
from registry.serviceitems import CODE_PATTERN
from verifiers.codes import validate_credit_code
from verifiers.errors import InvalidCode
from verifiers.identifiers import validate_type_code


def _code_validator(check: Any) -> Any:
    def run(value: str) -> None:
        try:
            check(value)
        except InvalidCode as e:
            raise ValidationError(f"not a valid {e.kind}: {e.reason}") from None

    return run


def CreditCode(description: str = "unified social credit code (GB 32100)", **kwargs: Any) -> ma.fields.String:
    return ma.fields.String(
        validate=_code_validator(validate_credit_code),
        metadata={
            "description": description,
            "example": "11310000002418230T",
            "format": "credit-code",
            "pattern": CREDIT_CODE_PATTERN,
        },
        **kwargs,
    )


def TypeCode(**kwargs: Any) -> ma.fields.String:
    return ma.fields.String(
        validate=_code_validator(validate_type_code),
        metadata={
            "description": "defining authority's credit code followed by 3 digits",
            "format": "type-code",
            "pattern": TYPE_CODE_PATTERN,
        },
        **kwargs,
    )


def Int64(minimum: int = 0, **kwargs: Any) -> ma.fields.Integer:
    """An integer a database column can hold (a cursor, an index, a size); beyond it is a 422, not a 500."""
    return ma.fields.Integer(validate=validate.Range(min=minimum, max=INT64_MAX), **kwargs)


class JsonBool(ma.fields.Boolean):
    """A boolean in a JSON body: true or false, not "1", "yes" or 1 (query strings keep the lenient Boolean)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def When(**kwargs: Any) -> ma.fields.AwareDateTime:
    return ma.fields.AwareDateTime(default_timezone=dt.UTC, **kwargs)


SERVICE_ITEM_CODE = validate.Regexp(CODE_PATTERN, error="1-64 letters, digits, '.', '_', '-'")


class HolderRef(Schema):
    kind = ma.fields.String(
        required=True,
        validate=validate.OneOf([k.value for k in HolderKind]),
        metadata={"description": "; ".join(f"{k.value}: {name}" for k, name in DOCUMENT_NAMES.items())},
    )
    id = ma.fields.String(
        required=True,
        validate=validate.Length(1, 64),
        metadata={
            "description": "the document's number (a credit code for an organization)",
            "format": "holder-document-number",
        },
    )
    country = ma.fields.String(
        validate=validate.Length(equal=3),
        metadata={"description": "a passport's issuing country, ISO 3166 alpha-3 (or write the id as `USA:123456789`)"},
    )

    @validates_schema
    def _check_id(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("kind") not in HolderKind.__members__.values() or "id" not in data:
            return  # the field's own error says it
        try:
            holder_document(data["kind"], data["id"], data.get("country"))
        except InvalidCode as e:
            field = "country" if data.get("country") is not None and e.value == data["country"] else "id"
            raise ValidationError(f"not a valid {e.kind}: {e.reason}", field_name=field) from None

    @post_load
    def _canonical(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """The number as it is signed and hashed (a passport as `USA:123456789`)."""
        data["id"] = holder_document(data["kind"], data["id"], data.pop("country", None)).number
        return data


class CheckOut(Schema):
    name = ma.fields.String()
    passed = ma.fields.Boolean()
    code = ma.fields.String(metadata={"description": "OK, or a stable failure code such as REVOKED or BAD_SIGNATURE"})
    detail = ma.fields.String()
