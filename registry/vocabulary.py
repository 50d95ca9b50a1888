"""The registry's pinned vocabularies: what is stored in status columns and hashed into the access log.

Each is a `StrEnum`, so a member is its stored text (`Role.ADMIN == "admin"`), and a value that is not
a member fails where it is read (`Role("root")` raises ValueError). Changing a member's text is a
migration: the access log's entries hash the action's text forever (see `verifiers.logentry`).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What an API client may do; a client has exactly one."""

    ADMIN = "admin"
    ISSUER = "issuer"
    AGENCY = "agency"
    ARCHIVIST = "archivist"  # files records into archival packages, holds and disposes of them


class ActorKind(StrEnum):
    """Who acted, as the access log records it: a client's role, a holder, the operator, or nobody known."""

    ADMIN = "admin"
    ISSUER = "issuer"
    AGENCY = "agency"
    ARCHIVIST = "archivist"
    HOLDER = "holder"
    OPERATOR = "operator"  # someone at the server's command line
    ANONYMOUS = "anonymous"


class CertificateStatus(StrEnum):
    VALID = "valid"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"
    # Never stored: a valid certificate past its validity is expired, so expiry needs no job to run.
    EXPIRED = "expired"


class RevocationReason(StrEnum):
    ISSUED_IN_ERROR = "issued_in_error"
    SUPERSEDED = "superseded"
    CANCELLED_BY_HOLDER = "cancelled_by_holder"
    LICENSE_WITHDRAWN = "license_withdrawn"


class StampStatus(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"


class KeyStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"
    COMPROMISED = "compromised"


class KeyPurpose(StrEnum):
    SEAL = "seal"  # a department's electronic seal: signs certificates and stamps documents
    REGISTRY = "registry"  # the registry's own key: signs access tokens and checkpoints
    CA = "ca"  # the registry's certificate authority: signs seals' X.509 certificates, nothing else
    TSA = "tsa"  # the registry's time-stamping authority: signs RFC 3161 tokens, nothing else


class RecordKind(StrEnum):
    """What the archive files: a certificate, or a document stamped or handed over for a service item."""

    CERTIFICATE = "certificate"
    DOCUMENT = "document"


class RetentionEvent(StrEnum):
    """What a record's retention period counts from."""

    ISSUE = "issue"  # the certificate's issue, the document's deposit
    EXPIRY = "expiry"  # the end of the certificate's validity (a certificate without one is kept)
    REVOCATION = "revocation"  # the certificate's revocation (one never revoked is kept)
    DECISION = "decision"  # the decision date a document was handed over with (its deposit, if none)


class Outcome(StrEnum):
    OK = "ok"
    REFUSED = "refused"


class Action(StrEnum):
    """What an access-log entry records, named `object:verb`."""

    CERTIFICATE_ISSUE = "certificate:issue"
    CERTIFICATE_ISSUE_REPLAY = "certificate:issue_replay"  # a retried request answered with what it created
    CERTIFICATE_LIST = "certificate:list"
    CERTIFICATE_READ = "certificate:read"
    CERTIFICATE_QR = "certificate:qr"
    CERTIFICATE_SUSPEND = "certificate:suspend"
    CERTIFICATE_REINSTATE = "certificate:reinstate"
    CERTIFICATE_REVOKE = "certificate:revoke"
    CERTIFICATE_AMEND = "certificate:amend"
    CERTIFICATE_REIDENTIFY = "certificate:reidentify"
    CERTIFICATE_SUPERSEDE = "certificate:supersede"
    CERTIFICATE_VERIFY = "certificate:verify"
    CERTIFICATE_SHARE = "certificate:share"
    COPY_VERIFY = "copy:verify"
    CONSENT_GRANT = "consent:grant"
    CONSENT_WITHDRAW = "consent:withdraw"
    CONSENT_LIST = "consent:list"
    SERVICE_ITEM_CREATE = "service_item:create"
    SERVICE_ITEM_UPDATE = "service_item:update"
    SERVICE_ITEM_RETIRE = "service_item:retire"
    SHARING_POLICY_CREATE = "sharing_policy:create"
    SHARING_POLICY_UPDATE = "sharing_policy:update"
    SHARING_STATS_READ = "sharing_stats:read"
    STAMP_CREATE = "stamp:create"
    STAMP_REVOKE = "stamp:revoke"
    STAMP_VERIFY = "stamp:verify"
    STAMP_RENEW = "stamp:renew"
    CERTIFICATE_PRINT = "certificate:print"  # the printable rendition (PDF)
    DOCUMENT_DEPOSIT = "document:deposit"  # a business system hands a document over for filing
    DOCUMENT_READ = "document:read"
    RECORD_FILE = "record:file"  # a record written into an archival package
    RECORD_DISPOSE = "record:dispose"  # a record's personal content removed at the end of retention
    RECORD_DUE_LIST = "record:due_list"
    HOLD_PLACE = "hold:place"
    HOLD_LIFT = "hold:lift"
    FILING_STATS_READ = "filing_stats:read"
    KEY_CREATE = "key:create"
    KEY_RETIRE = "key:retire"
    KEY_COMPROMISE = "key:compromise"
    KEY_PICTURE = "key:picture"
    KEY_CERTIFY = "key:certify"
    DEPARTMENT_CREATE = "department:create"
    TYPE_CREATE = "type:create"
    CLIENT_CREATE = "client:create"
    CLIENT_LIST = "client:list"
    LOG_READ = "log:read"
    LOG_READ_OWN = "log:read_own"
    API_REQUEST = "api:request"  # a refused request to an endpoint that names no action of its own


def values(vocabulary: type[StrEnum]) -> list[str]:
    """A vocabulary's texts, in declaration order (for `OneOf` validators and click choices)."""
    return [member.value for member in vocabulary]
