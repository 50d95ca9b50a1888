"""Schemas of the stamps blueprint: stamping a document, the stamp's record, revoking and verifying."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import Schema, validate

from registry.api.schemas.common import SERVICE_ITEM_CODE, CheckOut, When

SHA256 = validate.Regexp(r"^[0-9a-fA-F]{64}$", error="64 hexadecimal characters")


COMPACT_JWS = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"


class StampForm(Schema):
    kind = ma.fields.String(
        validate=validate.OneOf(["pdf", "detached"]),
        metadata={
            "description": "pdf: a stamped PDF back; detached: a signed stamp record. Default: pdf for a "
            "file named .pdf or sent as application/pdf, else detached"
        },
    )
    name = ma.fields.String(validate=validate.Length(1, 255), metadata={"description": "default: the file's name"})
    sha256 = ma.fields.String(validate=SHA256, metadata={"description": "detached stamp of a file not sent"})
    page = ma.fields.Integer(load_default=1, validate=validate.Range(1, 100_000))
    x = ma.fields.Float(load_default=360.0, metadata={"description": "points from the page's left edge"})
    y = ma.fields.Float(load_default=40.0, metadata={"description": "points from the page's bottom edge"})
    width = ma.fields.Float(load_default=200.0, validate=validate.Range(60, 2000))
    height = ma.fields.Float(load_default=90.0, validate=validate.Range(40, 2000))
    service_item = ma.fields.String(validate=SERVICE_ITEM_CODE)
    file = Upload(metadata={"description": "the document"})


class StampOut(Schema):
    reference = ma.fields.String()
    kind = ma.fields.String()
    document = ma.fields.Function(lambda s: {"name": s.document_name, "sha256": s.document_sha256})
    stamped_sha256 = ma.fields.String(allow_none=True)
    department = ma.fields.Function(lambda s: {"credit_code": s.department.credit_code, "name": s.department.name})
    seal = ma.fields.String(attribute="seal_kid")
    service_item = ma.fields.String(allow_none=True)
    stamped_at = When()
    status = ma.fields.String()
    revoked_at = When(allow_none=True)
    revocation_reason = ma.fields.String(allow_none=True)
    stamp = ma.fields.String(attribute="signed", allow_none=True, metadata={"description": "detached: the JWS"})
    timestamp_token = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "detached: an RFC 3161 token (base64 DER) over the bytes of `stamp`, its trusted "
            "time (check: openssl ts -verify -data <stamp> -in <token> -token_in -CAfile ca.pem)"
        },
    )


class StampCreated(StampOut):
    verification_url = ma.fields.String()
    qr_png = ma.fields.String(metadata={"description": "the QR code of the verification URL, base64 PNG"})


class StampRevokeIn(Schema):
    reason = ma.fields.String(required=True, validate=validate.Length(1, 200))


class StampVerifyForm(Schema):
    stamp = ma.fields.String(
        validate=[validate.Length(1, 8192), validate.Regexp(COMPACT_JWS)],
        metadata={"description": "a detached stamp (compact JWS); none for a PDF", "pattern": COMPACT_JWS},
    )
    sha256 = ma.fields.String(validate=SHA256, metadata={"description": "with a detached stamp, instead of the file"})
    file = Upload(metadata={"description": "the stamped PDF, or the file a detached stamp is for"})


class StampCheckOut(Schema):
    valid = ma.fields.Boolean()
    checks = ma.fields.List(ma.fields.Nested(CheckOut))
    stamp = ma.fields.Nested(StampOut, attribute="record", allow_none=True)


class StampVerifyOut(Schema):
    valid = ma.fields.Boolean()
    kind = ma.fields.String()
    checks = ma.fields.List(ma.fields.Nested(CheckOut), metadata={"description": "of the last stamp"})
    stamps = ma.fields.List(ma.fields.Nested(StampCheckOut), metadata={"description": "every stamp found"})
