"""Reading W3C Bitstring Status Lists that the registry signed, to check one certificate's bits."""

from __future__ import annotations

import base64
import binascii
import functools
import gzip
import json
from dataclasses import dataclass
from typing import Any

import jwt

from verifiers import jose
from verifiers.errors import VerificationError
from verifiers.jwk import UnusableKey, public_key

STATUS_LIST_TYP = "vc+jwt"
PURPOSES = ("revocation", "suspension")


class InvalidStatusList(VerificationError):
    """A status list whose signature, lifetime or encoding is not right."""


@dataclass(frozen=True, slots=True)
class StatusList:
    url: str
    purpose: str
    bits: bytes
    expires: int

    def is_set(self, index: int) -> bool:
        if not 0 <= index < len(self.bits) * 8:
            raise InvalidStatusList(f"index {index} is outside the list")
        return bool(self.bits[index // 8] & (0x80 >> (index % 8)))


def decode_bits(encoded: str) -> bytes:
    if not encoded.startswith("u"):
        raise InvalidStatusList("encodedList is not multibase base64url")
    try:
        return gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    except (binascii.Error, OSError, EOFError) as e:
        raise InvalidStatusList("encodedList does not decode") from e


def read_status_list(token: str, jwks: dict[str, Any], now: float) -> StatusList:
    """Check a signed status list with the registry's published keys; return it or raise InvalidStatusList.

    The signature check and decompression are done once per list and key, and remembered; the
    lifetime is checked against `now` on every call.
    """
    try:
        header = jose.header(token)
    except jwt.DecodeError as e:
        raise InvalidStatusList("not a JWS") from e
    if header.get("typ") != STATUS_LIST_TYP:
        raise InvalidStatusList(f"typ is {header.get('typ')!r}")
    jwk = next((k for k in jwks.get("keys", []) if k.get("kid") == header.get("kid")), None)
    if jwk is None or jwk.get("purpose") != "registry":
        raise InvalidStatusList("not signed by a published key of the registry")
    status_list = _checked(token, json.dumps(jwk, sort_keys=True))
    if now >= status_list.expires:
        raise InvalidStatusList("the status list has expired")
    return status_list


@functools.lru_cache(maxsize=256)
def _checked(token: str, jwk_json: str) -> StatusList:
    """The status list in `token`, its signature checked with the key `jwk_json` (cached: both are the key)."""
    jwk = json.loads(jwk_json)
    try:
        claims = jwt.decode(
            token,
            public_key(jwk),
            algorithms=[jwk["alg"]],
            options={"require": ["iat", "exp", "sub"], "verify_exp": False, "verify_aud": False},
        )
    except (jwt.InvalidTokenError, UnusableKey) as e:
        raise InvalidStatusList(f"the status list does not verify: {e}") from e
    subject = claims.get("credentialSubject", {})
    if subject.get("statusPurpose") not in PURPOSES:
        raise InvalidStatusList("unknown status purpose")
    return StatusList(
        claims["sub"], subject["statusPurpose"], decode_bits(subject.get("encodedList", "")), claims["exp"]
    )
