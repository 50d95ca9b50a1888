"""Issuing SD-JWTs (RFC 9901): a JWS whose selectively disclosable claims travel as salted disclosures."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

from issuers.signing import Signer, compact_json, sign
from verifiers import formats

SD_ALG = "sha-256"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


SALT_BYTES = 16


def make_disclosure(name: str, value: Any, salt: bytes | None = None) -> str:
    """Return the base64url disclosure of an object property: [salt, name, value] with a 128-bit random salt."""
    return _b64(compact_json([_b64(salt or os.urandom(SALT_BYTES)), name, value]))


def disclosure_digest(disclosure: str) -> str:
    """The digest that stands for a disclosure in `_sd`: base64url SHA-256 over its ASCII text."""
    return _b64(hashlib.sha256(disclosure.encode("ascii")).digest())


def issue(claims: dict[str, Any], disclosable: dict[str, Any], signer: Signer) -> str:
    """Sign `claims` with every member of `disclosable` made selectively disclosable.

    Returns the SD-JWT in compact form `<JWT>~<disclosure>~...~` (no key binding).
    The digests are sorted, so their order tells nothing of the claims' names.
    """
    # One read of the system's random source for all the salts of a certificate.
    salts = os.urandom(SALT_BYTES * len(disclosable))
    disclosures = [
        make_disclosure(name, value, salts[i * SALT_BYTES : (i + 1) * SALT_BYTES])
        for i, (name, value) in enumerate(disclosable.items())
    ]
    payload = dict(claims)
    payload["_sd"] = sorted(disclosure_digest(d) for d in disclosures)
    payload["_sd_alg"] = SD_ALG
    jwt = sign(payload, signer, formats.CERTIFICATE)
    return "~".join([jwt, *disclosures, ""])


def disclosed_values(sd_jwt: str) -> dict[str, Any]:
    """The name and value of every disclosure of an SD-JWT this registry issued, without verifying it.

    For the issuer's own stored forms (an amendment re-discloses the holder's ID); verification of
    anything presented from outside belongs to `verifiers`.
    """
    values: dict[str, Any] = {}
    for disclosure in sd_jwt.split("~")[1:-1]:
        _salt, name, value = json.loads(base64.urlsafe_b64decode(disclosure + "=" * (-len(disclosure) % 4)))
        values[name] = value
    return values


def present(sd_jwt: str, names: set[str]) -> str:
    """The SD-JWT with only the disclosures of the named claims, as a holder presents it."""
    jwt, *disclosures, _ = sd_jwt.split("~")
    kept = [d for d in disclosures if json.loads(base64.urlsafe_b64decode(d + "=" * (-len(d) % 4)))[1] in names]
    return "~".join([jwt, *kept, ""])
