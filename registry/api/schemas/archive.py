"""Schemas of the archive blueprint: documents handed over, what is due, legal holds, disposal, filing ratios."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import Schema, validate

from registry.api.schemas.common import SERVICE_ITEM_CODE, CreditCode, When

PERIOD = "from (inclusive) and to (exclusive), ISO 8601 with a zone; default: the current calendar year"


class DocumentForm(Schema):
    file = Upload(required=True, metadata={"description": "the document (PDF)"})
    service_item = ma.fields.String(
        required=True, validate=SERVICE_ITEM_CODE, metadata={"description": "an item that files documents"}
    )
    name = ma.fields.String(validate=validate.Length(1, 255), metadata={"description": "default: the file's name"})
    title = ma.fields.String(validate=validate.Length(1, 500), metadata={"description": "the decision's title"})
    decided_at = When(metadata={"description": "the decision's date, when retention counts from the decision"})


class DocumentOut(Schema):
    reference = ma.fields.String()
    name = ma.fields.String()
    title = ma.fields.String(allow_none=True)
    media_type = ma.fields.String()
    size = ma.fields.Integer()
    sha256 = ma.fields.String()
    department = ma.fields.Function(lambda d: d.department.credit_code)
    service_item = ma.fields.Function(lambda d: d.service_item.code)
    stamp = ma.fields.Function(lambda d: d.stamp.reference if d.stamp else None)
    decided_at = When(allow_none=True)
    deposited_at = When()
    disposed_at = When(allow_none=True)


class UnfiledArgs(Schema):
    department = CreditCode("only this department's records (an issuer: always its own)")
    limit = ma.fields.Integer(load_default=100, validate=validate.Range(1, 1000))


class UnfiledRecord(Schema):
    kind = ma.fields.String()
    identifier = ma.fields.String()
    department = ma.fields.Function(lambda r: r.department.credit_code)
    service_item = ma.fields.Function(lambda r: r.item.code)
    series = ma.fields.String()
    due_at = When()
    deadline = When()


class UnfiledOut(Schema):
    records = ma.fields.List(ma.fields.Nested(UnfiledRecord))
    more = ma.fields.Boolean(metadata={"description": "more records are due than the limit shows"})


class HoldIn(Schema):
    identifier = ma.fields.String(
        validate=validate.Length(1, 96),
        metadata={"description": "a filed record: certificate identifier or document reference"},
    )
    series = ma.fields.String(validate=validate.Length(1, 200), metadata={"description": "a whole series"})
    reason = ma.fields.String(required=True, validate=validate.Length(1, 500))


class HoldOut(Schema):
    id = ma.fields.Integer()
    identifier = ma.fields.String(attribute="record_identifier", allow_none=True)
    series = ma.fields.String(allow_none=True)
    reason = ma.fields.String()
    placed_by = ma.fields.String()
    placed_at = When()
    lifted_by = ma.fields.String(allow_none=True)
    lifted_at = When(allow_none=True)


class HoldsArgs(Schema):
    include_lifted = ma.fields.Boolean(load_default=False)


class DisposableRecord(Schema):
    identifier = ma.fields.Function(lambda d: d.filing.identifier)
    kind = ma.fields.Function(lambda d: d.filing.record_kind)
    series = ma.fields.Function(lambda d: d.filing.series)
    retention_ended = When(attribute="until")
    hold = ma.fields.Function(lambda d: d.hold.id if d.hold else None)


class DisposalIn(Schema):
    authority = ma.fields.String(
        required=True,
        validate=validate.Length(1, 200),
        metadata={"description": "the disposal decision's reference, kept in each tombstone"},
    )
    identifiers = ma.fields.List(
        ma.fields.String(validate=validate.Length(1, 96)), required=True, validate=validate.Length(1, 1000)
    )


class TombstoneOut(Schema):
    kind = ma.fields.String(attribute="record_kind")
    identifier = ma.fields.String()
    type_code = ma.fields.String(allow_none=True)
    dates = ma.fields.Dict()
    removed = ma.fields.Dict(metadata={"description": "part -> SHA-256 (hex) of what was removed"})
    disposed_by = ma.fields.String()
    disposed_at = When()
    authority = ma.fields.String()


class DisposalOut(Schema):
    disposed = ma.fields.List(ma.fields.Nested(TombstoneOut))


class FilingStatsArgs(Schema):
    start = When(data_key="from", metadata={"description": PERIOD})
    end = When(data_key="to", metadata={"description": PERIOD})
    department = CreditCode("one department (an issuer: always its own)")


class FilingRatioOut(Schema):
    department = ma.fields.Function(lambda r: r.department.credit_code)
    name = ma.fields.Function(lambda r: r.department.name)
    due = ma.fields.Integer()
    filed_in_time = ma.fields.Integer()
    filed_late = ma.fields.Integer()
    unfiled = ma.fields.Integer()
    ratio = ma.fields.Float(allow_none=True, metadata={"description": "filed in time / due; null when none was due"})


class FilingStatsOut(Schema):
    start = When(data_key="from")
    end = When(data_key="to")
    departments = ma.fields.List(ma.fields.Nested(FilingRatioOut))
