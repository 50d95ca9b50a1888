"""Schemas of the log blueprint: checkpoints, proofs and entries of the access log."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import Schema, validate

from registry.api.schemas.common import CreditCode, Int64, When
from registry.vocabulary import Action, values


class CheckpointOut(Schema):
    origin = ma.fields.String()
    size = ma.fields.Integer()
    root_hash = ma.fields.String(metadata={"description": "hex SHA-256 root of the first `size` entries"})
    timestamp = When()
    checkpoint = ma.fields.String(metadata={"description": "C2SP tlog-checkpoint body: origin, size, base64 root"})
    signed = ma.fields.String(metadata={"description": "JWS (typ checkpoint+jwt) by the registry's key"})
    cosignatures = ma.fields.List(
        ma.fields.String(),
        metadata={"description": "witnesses' cosignatures of this checkpoint (C2SP tlog-cosignature lines)"},
    )
    timestamp_token = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "RFC 3161 time-stamp token (base64 DER) over the bytes of `signed`, from the "
            "registry's TSA (`/api/v1/tsa.pem`) or the configured one; null if the TSA failed"
        },
    )


class CosignatureIn(Schema):
    size = Int64(1, required=True)
    cosignature = ma.fields.String(
        required=True,
        validate=validate.Length(1, 500),
        metadata={"description": "the note signature line: `— <witness name> <base64(key id, time, signature)>`"},
    )


class CosignatureOut(Schema):
    size = ma.fields.Integer()
    witness = ma.fields.String()
    at = When()


class InclusionArgs(Schema):
    index = Int64(required=True)
    size = Int64(1, required=True)


class InclusionOut(Schema):
    index = ma.fields.Integer()
    size = ma.fields.Integer()
    leaf_hash = ma.fields.Function(lambda p: p.leaf_hash.hex())
    root_hash = ma.fields.Function(lambda p: p.root_hash.hex())
    audit_path = ma.fields.Function(lambda p: [h.hex() for h in p.audit_path])


class ConsistencyArgs(Schema):
    old = Int64(1, required=True)
    new = Int64(1, required=True)


class ConsistencyOut(Schema):
    old = ma.fields.Integer()
    new = ma.fields.Integer()
    consistency_path = ma.fields.List(ma.fields.String())


class EntryArgs(Schema):
    certificate = ma.fields.String(validate=validate.Length(max=96))
    department = CreditCode("the department that issued the certificates concerned")
    action = ma.fields.String(validate=validate.OneOf(values(Action)))
    since = When()
    until = When()
    limit = ma.fields.Integer(load_default=50, validate=validate.Range(1, 200))
    before = Int64(metadata={"description": "the next_cursor of the previous page"})


class HolderLogArgs(Schema):
    limit = ma.fields.Integer(load_default=50, validate=validate.Range(1, 200))
    before = Int64()
    proofs = ma.fields.Boolean(load_default=False, metadata={"description": "add each entry's inclusion proof"})


class EntryOut(Schema):
    """Every field the entry's leaf hashes (verifiers.logentry recomputes it from these), and the actor's
    department by name."""

    index = ma.fields.Integer(attribute="idx")
    at = When()
    actor = ma.fields.Function(
        lambda e: {
            "kind": e.actor_kind,
            "id": e.actor_id,
            "department_id": e.actor_department_id,
            "department": (
                {"credit_code": e.actor_department.credit_code, "name": e.actor_department.name}
                if e.actor_department
                else None
            ),
        },
        metadata={
            "description": "kind, id (a client's id, or a holder's reference), department_id and department",
        },
    )
    action = ma.fields.String()
    certificate = ma.fields.String(allow_none=True)
    holder_ref = ma.fields.String(
        allow_none=True, metadata={"description": "the holder concerned, as a keyed hash (never the ID number)"}
    )
    subject_department_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "the department whose certificate, stamp or policy it concerns"}
    )
    service_item = ma.fields.String(allow_none=True)
    reason = ma.fields.String(allow_none=True)
    outcome = ma.fields.String()
    error_code = ma.fields.String(allow_none=True)
    leaf_format = ma.fields.Integer(
        metadata={"description": "how the leaf hashes the fields: 2, or 1 with the action's legacy name (README)"}
    )
    leaf_hash = ma.fields.String()


class EntryPage(Schema):
    items = ma.fields.List(ma.fields.Nested(EntryOut))
    next_cursor = ma.fields.Integer(allow_none=True)


class HolderEntryOut(Schema):
    entry = ma.fields.Nested(EntryOut)
    inclusion = ma.fields.Nested(InclusionOut, allow_none=True)


class HolderEntryPage(Schema):
    items = ma.fields.List(ma.fields.Nested(HolderEntryOut))
    next_cursor = ma.fields.Integer(allow_none=True)
    checkpoint = ma.fields.Nested(CheckpointOut, allow_none=True)
