"""Every format the registry signs or reads, defined once: its `typ`, who signs it, the claims it must
carry, a function that builds its claims and one that reads them.

`issuers/` and `registry/` build claims here before they sign; `verifiers/` reads every one of them
through `jose.read_signed`, which applies the same key rules to all (see there). The table:

| format | typ | signed by | read by |
| --- | --- | --- | --- |
| certificate (SD-JWT, RFC 9901) | `dc+sd-jwt` | the issuing department's seal | `Verifier.verify` |
| compact form (QR code) | `qr+jwt` | the issuing department's seal (no kid) | `Verifier.verify` |
| detached stamp | `stamp+jwt` | the stamping department's seal | `Verifier.verify_stamp` |
| status list (W3C Bitstring Status List) | `vc+jwt` | the registry | `status.read_status_list` |
| verifier bundle | `verifier-bundle+jwt` | the registry | `bundle.read_bundle` |
| log checkpoint | `checkpoint+jwt` | the registry | `checkpoint.verify_checkpoint` |
| share annotation | `share-annotation+jwt` | the registry | `Verifier.verify_copy` |
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from verifiers.errors import (
    InvalidAnnotation,
    InvalidBundle,
    InvalidCheckpoint,
    InvalidSignedForm,
    InvalidStatusList,
)
from verifiers.identifiers import ROOT as IDENTIFIER_ROOT

STATUS_LISTS_PATH = "/api/v1/status-lists/"
STATUS_PURPOSES = ("revocation", "suspension")
SEAL = "seal"  # signed by a department's seal (the key's `purpose` in the JWKS)
REGISTRY = "registry"  # signed by the registry's own key


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    typ: str
    signed_by: str
    required: tuple[str, ...]
    error: type[InvalidSignedForm] = InvalidSignedForm
    has_kid: bool = True


CERTIFICATE = Format("certificate", "dc+sd-jwt", SEAL, ("iat",))
COMPACT = Format("compact form", "qr+jwt", SEAL, ("iat", "jti"), has_kid=False)
STAMP = Format("detached stamp", "stamp+jwt", SEAL, ("iat", "jti", "dept", "doc"))
STATUS_LIST = Format("status list", "vc+jwt", REGISTRY, ("iat", "exp", "sub", "credentialSubject"), InvalidStatusList)
BUNDLE = Format("verifier bundle", "verifier-bundle+jwt", REGISTRY, ("iat", "iss", "jwks"), InvalidBundle)
CHECKPOINT = Format("checkpoint", "checkpoint+jwt", REGISTRY, ("iat", "origin", "size", "root_hash"), InvalidCheckpoint)
ANNOTATION = Format(
    "share annotation",
    "share-annotation+jwt",
    REGISTRY,
    ("iat", "exp", "jti", "sub", "aud", "cert_hash", "sd_digests", "service_item"),
    InvalidAnnotation,
)
FORMATS = (CERTIFICATE, COMPACT, STAMP, STATUS_LIST, BUNDLE, CHECKPOINT, ANNOTATION)


def status_list_url(issuer: str, number: int) -> str:
    """The stable URL of a status list; `/<purpose>` after it gives the signed list of that purpose."""
    return f"{issuer}{STATUS_LISTS_PATH}{number}"


# Certificates -------------------------------------------------------------------------------------


def certificate_claims(
    *,
    issuer: str,
    identifier: str,
    type_code: str,
    type_name: str,
    dept: str,
    dept_name: str,
    holder_kind: str,
    holder_name: str,
    holder_id_masked: str,
    version: int,
    status_list: str,
    status_idx: int,
    issued_at: int,
    valid_from: int,
    valid_until: int | None,
) -> dict[str, Any]:
    """The always-visible claims of a certificate's SD-JWT; its fields and the holder's ID are disclosures."""
    claims: dict[str, Any] = {
        "iss": issuer,
        "jti": identifier,
        "vct": type_code,
        "type_name": type_name,
        "dept": dept,
        "dept_name": dept_name,
        "holder_kind": holder_kind,
        "holder_name": holder_name,
        "holder_id_masked": holder_id_masked,
        "ver": version,
        "status": {"list": status_list, "idx": status_idx},
        "iat": issued_at,
        "nbf": valid_from,
    }
    if valid_until is not None:
        claims["exp"] = valid_until
    return claims


MAX_COMPACT_NAME = 12


def compact_claims(
    identifier: str,
    holder_name: str,
    issued_at: int,
    valid_from: int,
    valid_until: int | None,
    status_slot: tuple[int, int],
) -> dict[str, Any]:
    """The compact form's claims, short to fit a QR code:

    jti  identifier without its root       nm  holder display name (at most 12 characters)
    iat  signing time, and start of validity unless nbf is given     nbf, exp  validity
    st   [status list number, index]
    """
    name = holder_name if len(holder_name) <= MAX_COMPACT_NAME else holder_name[: MAX_COMPACT_NAME - 1] + "…"
    claims: dict[str, Any] = {"jti": identifier.removeprefix(IDENTIFIER_ROOT + "."), "nm": name, "iat": issued_at}
    if valid_from != issued_at:
        claims["nbf"] = valid_from
    if valid_until is not None:
        claims["exp"] = valid_until
    claims["st"] = list(status_slot)
    return claims


def compact_issuer_code(claims: dict[str, Any]) -> tuple[str, str]:
    """The type code and issuing department's credit code a compact form's identifier names (unverified)."""
    parts = str(claims.get("jti", "")).split(".")
    if len(parts) != 5:
        raise ValueError("the compact form has no identifier")
    return parts[0], parts[1]


def read_compact_claims(claims: dict[str, Any], issuer: str | None) -> dict[str, Any]:
    """A verified compact form's claims, written out as a certificate's (`issuer` resolves the status slot)."""
    type_code, issuer_code = compact_issuer_code(claims)
    full: dict[str, Any] = {
        "jti": f"{IDENTIFIER_ROOT}.{claims['jti']}",
        "vct": type_code,
        "dept": issuer_code,
        "holder_name": claims.get("nm"),
        "iat": claims["iat"],
        "nbf": claims.get("nbf", claims["iat"]),
    }
    if "exp" in claims:
        full["exp"] = claims["exp"]
    slot = claims.get("st")
    if issuer and isinstance(slot, list) and len(slot) == 2:
        full["status"] = {"list": status_list_url(issuer, slot[0]), "idx": slot[1]}
    return full


# Detached stamps ----------------------------------------------------------------------------------


def stamp_claims(
    *,
    issuer: str,
    reference: str,
    dept: str,
    dept_name: str,
    seal_name: str | None,
    document_name: str,
    document_sha256: str,
    status_list: str,
    status_idx: int,
    url: str,
    issued_at: int,
    service_item: str | None = None,
) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": issuer,
        "jti": reference,
        "dept": dept,
        "dept_name": dept_name,
        "seal_name": seal_name,
        "doc": {"name": document_name, "sha256": document_sha256},
        "status": {"list": status_list, "idx": status_idx},
        "url": url,
        "iat": issued_at,
    }
    if service_item:
        claims["service_item"] = service_item
    return claims


def stamped_sha256(claims: dict[str, Any]) -> str:
    """The document digest (hex SHA-256) a verified stamp's claims name; empty if they name none."""
    doc = claims.get("doc")
    return str(doc.get("sha256", "")) if isinstance(doc, dict) else ""


# Status lists -------------------------------------------------------------------------------------


def status_list_claims(
    *, issuer: str, url: str, purpose: str, encoded_list: str, issued_at: dt.datetime, expires: dt.datetime
) -> dict[str, Any]:
    """A W3C Bitstring Status List credential as JWT claims; `url` is the list's URL with its purpose."""
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": issued_at.isoformat(),
        "validUntil": expires.isoformat(),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encoded_list,
        },
        "iss": issuer,
        "sub": url,
        "iat": int(issued_at.timestamp()),
        "exp": int(expires.timestamp()),
    }


@dataclass(frozen=True, slots=True)
class StatusListClaims:
    url: str
    purpose: str
    encoded_list: str
    expires: int

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> StatusListClaims:
        subject = claims["credentialSubject"]
        if not isinstance(subject, dict) or subject.get("statusPurpose") not in STATUS_PURPOSES:
            raise InvalidStatusList("unknown status purpose")
        if not isinstance(subject.get("encodedList"), str) or not isinstance(claims["sub"], str):
            raise InvalidStatusList("the list names no URL or carries no encodedList")
        return cls(claims["sub"], subject["statusPurpose"], subject["encodedList"], claims["exp"])


# Verifier bundles ---------------------------------------------------------------------------------


def bundle_claims(
    issuer: str,
    issued_at: int,
    jwks: dict[str, Any],
    status_lists: dict[str, str],
    key_statements: list[str] | None = None,
) -> dict[str, Any]:
    claims = {"iss": issuer, "iat": issued_at, "jwks": jwks, "status_lists": status_lists}
    if key_statements is not None:
        claims["key_statements"] = key_statements  # verifiers.keychain: pin one registry key, follow the chain
    return claims


@dataclass(frozen=True, slots=True)
class Bundle:
    issuer: str
    created_at: dt.datetime
    kid: str
    jwks: dict[str, Any]
    status_lists: dict[str, str]

    def age(self, now: float | None = None) -> float:
        return (time.time() if now is None else now) - self.created_at.timestamp()

    @classmethod
    def from_claims(cls, claims: dict[str, Any], kid: str) -> Bundle:
        jwks, lists = claims["jwks"], claims.get("status_lists", {})
        if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list) or not isinstance(lists, dict):
            raise InvalidBundle("the bundle's keys or status lists are not in their form")
        return cls(str(claims["iss"]), dt.datetime.fromtimestamp(claims["iat"], dt.UTC), kid, jwks, dict(lists))


# Checkpoints ----------------------------------------------------------------------------------------


def checkpoint_claims(origin: str, size: int, root_hash: bytes, issued_at: int) -> dict[str, Any]:
    return {"origin": origin, "size": size, "root_hash": base64.b64encode(root_hash).decode(), "iat": issued_at}


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: bytes
    issued_at: dt.datetime

    def note(self) -> str:
        """The checkpoint body in the C2SP tlog-checkpoint text form: origin, size, base64 root."""
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root_hash).decode()}\n"

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Checkpoint:
        try:
            root = base64.b64decode(claims["root_hash"], validate=True)
            size = claims["size"]
        except (ValueError, TypeError, binascii.Error) as e:
            raise InvalidCheckpoint(f"the root hash does not decode: {e}") from e
        if not isinstance(size, int) or isinstance(size, bool) or size < 0 or len(root) != 32:
            raise InvalidCheckpoint("size or root hash out of range")
        return cls(str(claims["origin"]), size, root, dt.datetime.fromtimestamp(claims["iat"], dt.UTC))


# Share annotations --------------------------------------------------------------------------------


def annotation_claims(
    *,
    issuer: str,
    reference: str,
    certificate: str,
    agency: str,
    agency_name: str,
    service_item: str,
    service_item_name: str,
    reason: str,
    fields: list[str],
    cert_hash: str,
    sd_digests: list[str],
    issued_at: int,
    expires_at: int,
) -> dict[str, Any]:
    """The registry's statement about one annotated copy: bound to the signed form by `cert_hash` and to
    exactly its disclosures by `sd_digests` (see `copies`)."""
    return {
        "iss": issuer,
        "jti": reference,
        "sub": certificate,
        "aud": agency,
        "agency_name": agency_name,
        "service_item": service_item,
        "service_item_name": service_item_name,
        "reason": reason,
        "fields": fields,
        "cert_hash": cert_hash,
        "sd_digests": sorted(sd_digests),
        "iat": issued_at,
        "exp": expires_at,
    }


@dataclass(frozen=True, slots=True)
class Annotation:
    """The registry's statement about one copy: who obtained it, for what, until when."""

    reference: str
    certificate: str
    agency: str
    agency_name: str
    service_item: str
    service_item_name: str
    reason: str
    issued_at: int
    expires_at: int
    fields: tuple[str, ...]
    cert_hash: str
    sd_digests: frozenset[str]

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Annotation:
        digests, fields = claims["sd_digests"], claims.get("fields", [])
        if not isinstance(digests, list) or not isinstance(fields, list):
            raise InvalidAnnotation("sd_digests and fields must be lists")
        return cls(
            reference=str(claims["jti"]),
            certificate=str(claims["sub"]),
            agency=str(claims["aud"]),
            agency_name=str(claims.get("agency_name", "")),
            service_item=str(claims["service_item"]),
            service_item_name=str(claims.get("service_item_name", "")),
            reason=str(claims.get("reason", "")),
            issued_at=int(claims["iat"]),
            expires_at=int(claims["exp"]),
            fields=tuple(str(f) for f in fields),
            cert_hash=str(claims["cert_hash"]),
            sd_digests=frozenset(str(d) for d in digests),
        )
