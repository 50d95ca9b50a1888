"""The registry's tables: departments, their seals, certificate types, API clients and certificates."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry, relationship

from issuers.atrest import Cipher
from registry.errors import Gone
from registry.vocabulary import CertificateStatus, KeyStatus, RetentionEvent, StampStatus

# The largest integer either database stores in an id or index column: a larger one names nothing.
INT64_MAX = 2**63 - 1


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timestamps stored in UTC and always read back timezone-aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Sealed(TypeDecorator[Any]):
    """A column of personal data, encrypted at rest with the keystore's data key (issuers.atrest).

    The app's cipher seals a value as it is written and opens it as it is read, so services see plain
    values; a copy of the database, or of its file, holds none. `as_json` keeps a JSON value (a dict).
    """

    impl = Text
    cache_ok = True

    def __init__(self, column: str, *, as_json: bool = False) -> None:
        super().__init__()
        self.column = column
        self.as_json = as_json

    @staticmethod
    def _cipher() -> Cipher:
        from flask import current_app

        cipher: Cipher = current_app.extensions["registry.cipher"]
        return cipher

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":")) if self.as_json else str(value)
        return self._cipher().seal(text, self.column)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        text = self._cipher().open(value, self.column)
        return json.loads(text) if self.as_json else text


# Named constraints, so that later migrations can alter them on SQLite (batch mode) as on PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={dt.datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON},
    )


db = SQLAlchemy(model_class=Base)

# Flask-SQLAlchemy builds db.Model at run time (Base with its mixins); mypy sees the typed Base.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model


class Department(Model):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Seal(Model):
    """A signing key: a department's seal or one of the registry's own keys. Rows are never deleted."""

    __tablename__ = "seals"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    alg: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    public_jwk: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default=KeyStatus.ACTIVE)
    not_before: Mapped[dt.datetime]
    not_after: Mapped[dt.datetime]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[dt.datetime | None]
    compromised_at: Mapped[dt.datetime | None]
    # A seal's name and picture (PNG), as electronic seal standards (GB/T 38540) keep them, and its
    # X.509 certificate from the registry's CA (the CA's own row holds its self-signed root).
    name: Mapped[str | None] = mapped_column(String(200))
    picture: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    certificate_pem: Mapped[str | None] = mapped_column(Text, deferred=True)
    # A registry key's statement (verifiers.keychain): its public key, signed by the key before it.
    statement: Mapped[str | None] = mapped_column(Text, deferred=True)

    department: Mapped[Department | None] = relationship()

    __table_args__ = (Index("ix_seals_purpose_department", "purpose", "department_id"),)


type_issuers = Table(
    "certificate_type_issuers",
    Base.metadata,
    Column("type_id", ForeignKey("certificate_types.id"), primary_key=True),
    Column("department_id", ForeignKey("departments.id"), primary_key=True),
)


class CertificateType(Model):
    __tablename__ = "certificate_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(21), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    defining_authority: Mapped[str] = mapped_column(String(18))
    fields: Mapped[list[Any]]
    default_validity_days: Mapped[int | None]
    retention_years: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    issuers: Mapped[list[Department]] = relationship(secondary=type_issuers)


class ApiClient(Model):
    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    secret_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    department: Mapped[Department | None] = relationship()


class StaffAccount(Model):
    """A named person of a department (or of the registry: admin, archivist) who signs in to the pages, so
    that the access log names a person, not only a system. The password is kept as a scrypt hash."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # a Role, as an API client's
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped by signing out: every session cookie signed in before it stops working, copies included.
    session_epoch: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    department: Mapped[Department | None] = relationship()


class StatusList(Model):
    """One numbered status list: which slot the next certificate gets, and a version bumped on every change.

    Slots are handed out in the order of a keyed affine permutation of 0..size-1 (an odd multiplier and
    a start drawn when the list is made), so neighbouring certificates do not get neighbouring bits.
    """

    __tablename__ = "status_lists"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    size: Mapped[int]
    allocated: Mapped[int]
    multiplier: Mapped[int]
    start: Mapped[int]
    version: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Certificate(Model):
    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    identifier: Mapped[str] = mapped_column(String(96), unique=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("certificate_types.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    serial: Mapped[str] = mapped_column(String(32))  # 1 to 32 characters (verifiers.identifiers)
    version: Mapped[int]
    # The holder's ID number is kept only inside the signed form; rows carry a keyed hash to find
    # a holder's certificates and a masked number to show.
    holder_kind: Mapped[str] = mapped_column(String(32))  # an issuers.holders.HolderKind
    holder_ref: Mapped[str] = mapped_column(String(64))
    holder_name: Mapped[str] = mapped_column(String(200))
    holder_id_masked: Mapped[str] = mapped_column(String(32))
    # Field values (personal ones among them) and the signed form (the holder's ID number is one of its
    # disclosures) are encrypted at rest: a copy of the database is not a copy of anyone's ID number.
    # Both are emptied (None) when the certificate is disposed of at the end of its retention.
    fields: Mapped[dict[str, Any] | None] = mapped_column(Sealed("certificates.fields", as_json=True))
    valid_from: Mapped[dt.datetime]
    valid_until: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(String(16), default=CertificateStatus.VALID)
    status_reason: Mapped[str | None] = mapped_column(String(32))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    seal_kid: Mapped[str] = mapped_column(String(64))
    signed_form: Mapped[str | None] = mapped_column(Sealed("certificates.signed_form"))
    # The core claims alone, signed by the same seal, small enough for a QR code (issuers.compact).
    compact_form: Mapped[str | None] = mapped_column(Text)
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Where the certificate's bits are in the published status lists (one list number, both purposes).
    # Empty only for certificates issued before status lists existed: verifiers fail those closed.
    status_list: Mapped[int | None] = mapped_column(ForeignKey("status_lists.id"))
    status_idx: Mapped[int | None]
    # When its personal content was removed at the end of retention (registry.archive.retention).
    disposed_at: Mapped[dt.datetime | None]
    # The printable rendition, sealed by the department, in the document store (registry.archive.renditions).
    rendition_sha256: Mapped[str | None] = mapped_column(String(64))

    type: Mapped[CertificateType] = relationship(lazy="joined", innerjoin=True)
    department: Mapped[Department] = relationship(lazy="joined", innerjoin=True)
    supersedes: Mapped[Certificate | None] = relationship(remote_side=[id])

    def live_signed_form(self) -> str:
        """The signed form; Gone for a certificate disposed of at the end of its retention."""
        if self.signed_form is None:
            raise Gone(f"certificate {self.identifier} was disposed of", code="CERTIFICATE_DISPOSED")
        return self.signed_form

    def live_fields(self) -> dict[str, Any]:
        """The field values; Gone for a certificate disposed of at the end of its retention."""
        if self.fields is None:
            raise Gone(f"certificate {self.identifier} was disposed of", code="CERTIFICATE_DISPOSED")
        return self.fields

    def status_at(self, now: dt.datetime) -> str:
        """The status as of `now`: the stored one, or expired for a valid certificate past its validity."""
        if self.status == CertificateStatus.VALID and self.valid_until is not None and self.valid_until <= now:
            return CertificateStatus.EXPIRED
        return self.status

    __table_args__ = (
        UniqueConstraint("department_id", "serial", "version", name="uq_certificates_serial_version"),
        UniqueConstraint("status_list", "status_idx", name="uq_certificates_status_slot"),
        Index("ix_certificates_department_id_id", "department_id", "id"),
        Index("ix_certificates_type_status", "type_id", "status"),
        # A holder's certificates of a type (sharing, holder searches): without it the planner may walk
        # every valid certificate of the type.
        Index("ix_certificates_holder_type_status", "holder_ref", "type_id", "status"),
    )


class IdempotencyRecord(Model):
    """What a request sent with an Idempotency-Key created, so that a retry returns it instead of issuing again."""

    __tablename__ = "idempotency_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    certificate_ids: Mapped[list[Any]]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("client_id", "key", name="uq_idempotency_client_key"),)


class LogEntry(Model):
    """One access to a certificate or one administrative change: a leaf of the access log's Merkle tree.

    Rows are only ever inserted; `idx` is the leaf index, gapless from 0, handed out under the log head's lock.
    """

    __tablename__ = "log_entries"

    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime]
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    action: Mapped[str] = mapped_column(String(40))
    certificate: Mapped[str | None] = mapped_column(String(96), index=True)
    holder_ref: Mapped[str | None] = mapped_column(String(64), index=True)
    subject_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    service_item: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(500))
    outcome: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(64))
    # How the leaf's bytes are made from the fields (registry.accesslog.entry_bytes): 1 for entries appended
    # before migration 0009, which hash their action's legacy name; 2 since.
    leaf_format: Mapped[int] = mapped_column(SmallInteger, default=2)
    leaf_hash: Mapped[str] = mapped_column(String(64))
    # HMAC-SHA256 of the leaf's bytes under a key derived from the keystore secret, which is never in the
    # database: a row written by anyone but the registry fails the audit. None on entries from before 0010.
    mac: Mapped[str | None] = mapped_column(String(64))

    actor_department: Mapped[Department | None] = relationship(foreign_keys=[actor_department_id])


class LogNode(Model):
    """A perfect subtree of the access log's Merkle tree, stored when the append that completes it commits:
    the hash of leaves idx * 2**level to (idx + 1) * 2**level - 1, so that proofs read O(log n) rows."""

    __tablename__ = "log_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))


class LogHead(Model):
    """The single row that says how long the log is, with the Merkle frontier for O(log n) roots."""

    __tablename__ = "log_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)
    frontier: Mapped[list[Any]]


class LogCheckpoint(Model):
    """A tree head the registry signed: size, root hash, time."""

    __tablename__ = "log_checkpoints"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime]
    signed: Mapped[str] = mapped_column(Text)
    # An RFC 3161 token (DER, base64) over the signed checkpoint's bytes: trusted time for it, from a TSA.
    timestamp_token: Mapped[str | None] = mapped_column(Text)


class LogCosignature(Model):
    """A witness's cosignature (C2SP tlog-cosignature line) of the checkpoint of one size."""

    __tablename__ = "log_cosignatures"

    size: Mapped[int] = mapped_column(ForeignKey("log_checkpoints.size"), primary_key=True, autoincrement=False)
    witness: Mapped[str] = mapped_column(String(200), primary_key=True)
    line: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ServiceItem(Model):
    """An administrative service (affair) item, such as enterprise establishment registration, with its
    filing parameters: which records it files, how long they are kept, and by when they must be filed.

    An item files nothing unless it names certificate types or files documents; a type is filed under one
    item at most. `retention_years` None is permanent retention.
    """

    __tablename__ = "service_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("service_items.id"))
    filing_types: Mapped[list[Any]] = mapped_column(default=list)  # certificate type codes
    filing_documents: Mapped[bool] = mapped_column(default=False)  # documents stamped or handed over for it
    retention_years: Mapped[int | None]
    retention_event: Mapped[str] = mapped_column(String(16), default=RetentionEvent.ISSUE)
    filing_deadline_days: Mapped[int] = mapped_column(default=30)
    archive_category: Mapped[str | None] = mapped_column(String(32))
    retired_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    department: Mapped[Department | None] = relationship()
    parent: Mapped[ServiceItem | None] = relationship(remote_side=[id])


class SharingPolicy(Model):
    """Which fields of which certificate type a relying agency receives for a service item.

    `fields` names the disclosures an annotated copy carries (`holder_id` is the full ID number);
    a withdrawn policy keeps its row, so that what was shared under it can still be explained.
    """

    __tablename__ = "sharing_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    type_id: Mapped[int] = mapped_column(ForeignKey("certificate_types.id"))
    service_item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    fields: Mapped[list[Any]]
    consent_required: Mapped[bool]
    copy_validity_hours: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    agency: Mapped[Department] = relationship(lazy="joined", innerjoin=True)
    type: Mapped[CertificateType] = relationship(lazy="joined", innerjoin=True)
    service_item: Mapped[ServiceItem] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (Index("ix_sharing_policies_lookup", "agency_id", "type_id", "service_item_id"),)


class Consent(Model):
    """A holder's consent that an agency fetch their certificates for a service item, until withdrawn."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    holder_ref: Mapped[str] = mapped_column(String(64))
    agency_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    service_item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None]

    agency: Mapped[Department] = relationship(lazy="joined", innerjoin=True)
    service_item: Mapped[ServiceItem] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (Index("ix_consents_lookup", "holder_ref", "agency_id", "service_item_id"),)


class SharingGrant(Model):
    """One granted sharing request: a paper submission the holder did not have to make."""

    __tablename__ = "sharing_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(36), unique=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("sharing_policies.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    type_id: Mapped[int] = mapped_column(ForeignKey("certificate_types.id"))
    service_item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    client_id: Mapped[str] = mapped_column(String(64))
    holder_ref: Mapped[str] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]


class SharedCopy(Model):
    """One annotated copy handed out by a grant: which certificate, issued by which department."""

    __tablename__ = "shared_copies"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("sharing_grants.id"), index=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))


class Stamp(Model):
    """A department's seal put on a document: embedded in a PDF, or a detached stamp record for any file.

    The document itself is never kept, only its SHA-256 (and, for a PDF, the stamped file's).
    """

    __tablename__ = "stamps"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # "pdf" or "detached"
    document_name: Mapped[str] = mapped_column(String(255))
    document_sha256: Mapped[str] = mapped_column(String(64), index=True)
    stamped_sha256: Mapped[str | None] = mapped_column(String(64))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    seal_kid: Mapped[str] = mapped_column(String(64))
    service_item: Mapped[str | None] = mapped_column(String(64))
    stamped_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(String(16), default=StampStatus.VALID)
    revoked_at: Mapped[dt.datetime | None]
    revocation_reason: Mapped[str | None] = mapped_column(String(200))
    signed: Mapped[str | None] = mapped_column(Text)  # the detached stamp's JWS
    # An RFC 3161 token (DER, base64) over the detached stamp's JWS bytes: its trusted time.
    timestamp_token: Mapped[str | None] = mapped_column(Text)
    status_list: Mapped[int] = mapped_column(ForeignKey("status_lists.id"))
    status_idx: Mapped[int]

    department: Mapped[Department] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (UniqueConstraint("status_list", "status_idx", name="uq_stamps_status_slot"),)


class Document(Model):
    """A document kept for filing: a PDF stamped for a service item that files documents, or one a business
    system handed over. The bytes are in the document store (registry.archive.store), named by SHA-256."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(36), unique=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    service_item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"), index=True)
    stamp_id: Mapped[int | None] = mapped_column(ForeignKey("stamps.id"), unique=True)
    title: Mapped[str | None] = mapped_column(String(500))
    decided_at: Mapped[dt.datetime | None]  # the decision's date, for retention counted from the decision
    deposited_by: Mapped[str] = mapped_column(String(64))
    deposited_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    disposed_at: Mapped[dt.datetime | None]

    department: Mapped[Department] = relationship(lazy="joined", innerjoin=True)
    service_item: Mapped[ServiceItem] = relationship(lazy="joined", innerjoin=True)
    stamp: Mapped[Stamp | None] = relationship()


class Filing(Model):
    """A record written into an archival package: which, where, when, and the package's digest.

    Packages are grouped into series (department x service item x year); `ordinal` numbers a package within
    its series from 1 without gaps, so a missing package shows.
    """

    __tablename__ = "filings"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_kind: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[int]
    identifier: Mapped[str] = mapped_column(String(96))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    service_item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    series: Mapped[str] = mapped_column(String(200))
    ordinal: Mapped[int]
    due_at: Mapped[dt.datetime]
    deadline_at: Mapped[dt.datetime]  # by when it had to be filed (the item's deadline when it was filed)
    filed_at: Mapped[dt.datetime]
    package: Mapped[str] = mapped_column(String(400))  # the package's path under the export folder
    package_sha256: Mapped[str] = mapped_column(String(64))  # SHA-256 of its tagmanifest-sha256.txt

    __table_args__ = (
        UniqueConstraint("record_kind", "record_id", name="uq_filings_record"),
        UniqueConstraint("series", "ordinal", name="uq_filings_series_ordinal"),
        Index("ix_filings_department_due", "department_id", "due_at"),
    )


class LegalHold(Model):
    """A hold on one record, or on a whole series: while it is not lifted, nothing under it is disposed of."""

    __tablename__ = "legal_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_kind: Mapped[str | None] = mapped_column(String(16))
    record_identifier: Mapped[str | None] = mapped_column(String(96), index=True)
    series: Mapped[str | None] = mapped_column(String(200), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    placed_by: Mapped[str] = mapped_column(String(64))
    placed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    lifted_by: Mapped[str | None] = mapped_column(String(64))
    lifted_at: Mapped[dt.datetime | None]


class Tombstone(Model):
    """What remains of a disposed record: who, what and when, and the SHA-256 of each part removed."""

    __tablename__ = "tombstones"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_kind: Mapped[str] = mapped_column(String(16))
    identifier: Mapped[str] = mapped_column(String(96), unique=True)
    type_code: Mapped[str | None] = mapped_column(String(21))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    service_item_id: Mapped[int | None] = mapped_column(ForeignKey("service_items.id"))
    dates: Mapped[dict[str, Any]]  # issued, valid from/until, filed, retention ended: ISO 8601 text
    removed: Mapped[dict[str, Any]]  # part name -> SHA-256 (hex) of what was removed
    disposed_by: Mapped[str] = mapped_column(String(64))
    disposed_at: Mapped[dt.datetime]
    authority: Mapped[str] = mapped_column(String(200))  # the disposal decision's reference


class ArchiveCheck(Model):
    """A four-property check of archival packages (verifiers.archive) the registry ran, after an export or on
    demand: which folder, how many packages, whether all passed, and the report as `ArchiveReport.to_json`."""

    __tablename__ = "archive_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    folder: Mapped[str] = mapped_column(String(1000))  # the export folder the packages are in
    packages: Mapped[int]
    passed: Mapped[bool]
    report: Mapped[dict[str, Any]]
