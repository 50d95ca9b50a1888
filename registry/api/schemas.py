"""Request and response schemas of the API; the OpenAPI description is generated from them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, post_load, validate, validates_schema

from issuers.holders import DOCUMENT_NAMES, HolderKind, holder_document
from registry.api.documents import CREDIT_CODE_PATTERN, TYPE_CODE_PATTERN
from registry.catalog import FIELD_TYPES
from registry.certificates import MAX_BATCH
from registry.models import INT64_MAX, utcnow
from registry.sharing.policies import personal_fields
from registry.vocabulary import Action, CertificateStatus, RevocationReason, Role, values
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


COMPACT_JWS = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"


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
    label = ma.fields.String(validate=validate.Length(max=100))


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


class ClientIn(Schema):
    name = ma.fields.String(required=True, validate=validate.Length(1, 200))
    role = ma.fields.String(required=True, validate=validate.OneOf(values(Role)))
    department = CreditCode(load_default=None, allow_none=True)


class ClientOut(Schema):
    client_id = ma.fields.String()
    name = ma.fields.String()
    role = ma.fields.String()
    department = ma.fields.Function(lambda c: c.department.credit_code if c.department else None)
    active = ma.fields.Boolean()


class ClientCreated(ClientOut):
    """A new client as dumped by ClientOut, with its secret, which is shown this once."""

    department = ma.fields.String(allow_none=True)  # type: ignore[assignment]
    client_secret = ma.fields.String()


class TokenRequest(Schema):
    grant_type = ma.fields.String(required=True, validate=validate.Equal("client_credentials"))
    client_id = ma.fields.String()
    client_secret = ma.fields.String()
    scope = ma.fields.String()


class TokenResponse(Schema):
    access_token = ma.fields.String()
    token_type = ma.fields.String()
    expires_in = ma.fields.Integer()


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


class CheckpointOut(Schema):
    origin = ma.fields.String()
    size = ma.fields.Integer()
    root_hash = ma.fields.String(metadata={"description": "hex SHA-256 root of the first `size` entries"})
    timestamp = When()
    checkpoint = ma.fields.String(metadata={"description": "C2SP tlog-checkpoint body: origin, size, base64 root"})
    signed = ma.fields.String(metadata={"description": "JWS (typ checkpoint+jwt) by the registry's key"})


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
    index = ma.fields.Integer(attribute="idx")
    at = When()
    actor = ma.fields.Function(
        lambda e: {
            "kind": e.actor_kind,
            "department": (
                {"credit_code": e.actor_department.credit_code, "name": e.actor_department.name}
                if e.actor_department
                else None
            ),
        }
    )
    action = ma.fields.String()
    certificate = ma.fields.String(allow_none=True)
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


class SuspendIn(Schema):
    reason = ma.fields.String(load_default=None, validate=validate.Length(max=200))


class RevokeIn(Schema):
    reason = ma.fields.String(required=True, validate=validate.OneOf(values(RevocationReason)))


class AmendIn(Schema):
    fields = ma.fields.Dict(keys=ma.fields.String(), required=True, metadata={"description": "all the new values"})  # type: ignore[assignment]
    valid_from = When(metadata={"description": "default: now"})
    valid_until = When(allow_none=True, metadata={"description": "default: the amended certificate's"})


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


class CheckOut(Schema):
    name = ma.fields.String()
    passed = ma.fields.Boolean()
    code = ma.fields.String(metadata={"description": "OK, or a stable failure code such as REVOKED or BAD_SIGNATURE"})
    detail = ma.fields.String()


class VerifyOut(Schema):
    valid = ma.fields.Boolean()
    checks = ma.fields.List(ma.fields.Nested(CheckOut))
    claims = ma.fields.Dict(metadata={"description": "the signed core claims, when the certificate is valid"})
    disclosed = ma.fields.Dict(metadata={"description": "the disclosed fields, when the certificate is valid"})


class QrArgs(Schema):
    disclose = ma.fields.String(
        validate=validate.Length(max=500),
        metadata={"description": "comma-separated fields to disclose; default: the compact core claims only"},
    )


# Sharing ---------------------------------------------------------------------------------------

SERVICE_ITEM_CODE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", error="1-64 letters, digits, '.', '_', '-'")


class ServiceItemIn(Schema):
    code = ma.fields.String(required=True, validate=SERVICE_ITEM_CODE, metadata={"example": "SH-ENT-EST-001"})
    name = ma.fields.String(required=True, validate=validate.Length(1, 200))


class ServiceItemOut(Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    created_at = When()


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


# Stamps -----------------------------------------------------------------------------------------

SHA256 = validate.Regexp(r"^[0-9a-fA-F]{64}$", error="64 hexadecimal characters")


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
