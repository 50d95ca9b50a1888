"""Reading W3C Bitstring Status Lists that the registry signed, to check one certificate's bits."""

from __future__ import annotations

import base64
import binascii
import functools
import gzip
import json
from dataclasses import dataclass
from typing import Any

from verifiers import formats
from verifiers.errors import InvalidStatusList
from verifiers.jose import KeyRing, read_trusted

PURPOSES = formats.STATUS_PURPOSES


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
        bits = gzip.decompress(base64.b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4), b"-_", validate=True))
    except (binascii.Error, OSError, EOFError, ValueError) as e:
        raise InvalidStatusList("encodedList does not decode") from e
    if not bits:
        raise InvalidStatusList("encodedList is empty")
    return bits


def read_status_list(token: str, jwks: dict[str, Any], now: float) -> StatusList:
    """Check a signed status list with the registry's published keys; return it or raise InvalidStatusList.

    Every key rule of `jose` applies (a list signed after its key's compromise is refused). The
    signature check and decompression are done once per list and key, and remembered; the lifetime
    is checked against `now` on every call.
    """
    status_list = _checked(token, json.dumps(jwks, sort_keys=True))
    if now >= status_list.expires:
        raise InvalidStatusList("the status list has expired", "STATUS_LIST_EXPIRED")
    return status_list


@functools.lru_cache(maxsize=256)
def _checked(token: str, jwks_json: str) -> StatusList:
    """The status list in `token`, checked with the key set `jwks_json` (cached: both are the key)."""
    signed = read_trusted(token, formats.STATUS_LIST, KeyRing(json.loads(jwks_json)))
    claims = formats.StatusListClaims.from_claims(signed.claims)
    return StatusList(claims.url, claims.purpose, decode_bits(claims.encoded_list), claims.expires)
