"""Schemas of the verify blueprint: a presented certificate (or annotated copy) and the verdict, check by check."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import Schema, validate

from registry.api.schemas.common import CheckOut, CreditCode


class VerifyIn(Schema):
    token = ma.fields.String(
        required=True,
        validate=validate.Length(1, 16_384),
        metadata={"description": "the certificate's signed form (SD-JWT) as presented"},
    )
    annotation = ma.fields.String(
        validate=validate.Length(1, 8_192),
        metadata={"description": "an annotated copy's annotation: checks the copy, not only the certificate"},
    )
    agency = CreditCode("with an annotation: the agency using the copy")


class VerifyOut(Schema):
    valid = ma.fields.Boolean()
    checks = ma.fields.List(ma.fields.Nested(CheckOut))
    claims = ma.fields.Dict(metadata={"description": "the signed core claims, when the certificate is valid"})
    disclosed = ma.fields.Dict(metadata={"description": "the disclosed fields, when the certificate is valid"})
