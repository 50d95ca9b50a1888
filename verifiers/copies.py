"""Annotated copies: what a relying agency receives from sharing, checked on top of the certificate.

A copy is the certificate's signed form with only the disclosures a sharing policy permits, plus an
annotation signed by the registry (`formats.ANNOTATION`) naming the agency (`aud`), the service
item, the reason and the copy's expiry (`exp`). The annotation is bound to the signed form by the
SHA-256 of its issuer-signed JWT (`cert_hash`) and lists the digests of the disclosures it covers
(`sd_digests`), so a disclosure added afterwards is caught.
"""

from __future__ import annotations

import base64
import hashlib


def b64_sha256(text: str) -> str:
    """Base64url (no padding) of the SHA-256 of ASCII text: how a JWT or a disclosure is digested."""
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode("ascii")).digest()).rstrip(b"=").decode("ascii")


def form_digest(signed_form: str) -> str:
    """The digest an annotation binds: of the issuer-signed JWT, the part of an SD-JWT before its first '~'."""
    return b64_sha256(signed_form.strip().split("~", 1)[0])
