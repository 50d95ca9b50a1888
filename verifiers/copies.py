"""Annotated copies: what a relying agency receives from sharing, checked on top of the certificate.

A copy is the certificate's signed form with only the disclosures a sharing policy permits, plus an
annotation signed by the registry (typ `share-annotation+jwt`) naming the agency (`aud`), the service
item, the reason and the copy's expiry (`exp`). The annotation is bound to the signed form by the
SHA-256 of its issuer-signed JWT (`cert_hash`) and lists the digests of the disclosures it covers
(`sd_digests`), so a disclosure added afterwards is caught.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

ANNOTATION_TYP = "share-annotation+jwt"
ANNOTATION_CLAIMS = ("iat", "exp", "jti", "sub", "aud", "cert_hash", "sd_digests", "service_item")


def b64_sha256(text: str) -> str:
    """Base64url (no padding) of the SHA-256 of ASCII text: how a JWT or a disclosure is digested."""
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode("ascii")).digest()).rstrip(b"=").decode("ascii")


def form_digest(signed_form: str) -> str:
    """The digest an annotation binds: of the issuer-signed JWT, the part of an SD-JWT before its first '~'."""
    return b64_sha256(signed_form.strip().split("~", 1)[0])


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

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Annotation:
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
            fields=tuple(claims.get("fields", [])),
        )
