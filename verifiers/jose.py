"""Reading a compact JWS's header without reading the rest: a key and a typ to choose before verifying."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import jwt

from verifiers.jwk import ALGORITHMS


def header(token: str) -> dict[str, Any]:
    """The protected header of a compact JWS, unverified; raise jwt.DecodeError if it is not one.

    PyJWT's own get_unverified_header checks every character of the whole token first, which costs
    more than the signature check for a large token; only the header segment is needed here.
    """
    segment = token.split(".", 1)[0]
    try:
        value = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, ValueError) as e:
        raise jwt.DecodeError("invalid header") from e
    if not isinstance(value, dict) or token.count(".") != 2:
        raise jwt.DecodeError("not a compact JWS")
    return value


def _b64decode(segment: str) -> bytes:
    # validate=True: no character outside the base64url alphabet is silently skipped.
    return base64.b64decode(segment + "=" * (-len(segment) % 4), altchars=b"-_", validate=True)


def verified_claims(token: str, jwk: dict[str, Any], key: Any) -> dict[str, Any]:
    """The payload of a compact JWS whose signature `key` verifies with the algorithm `jwk` is pinned to.

    The header's alg must equal that algorithm. Raises jwt.InvalidSignatureError or jwt.DecodeError.
    The signature is checked by PyJWT's algorithm objects, over the bytes exactly as received.
    """
    try:
        header_segment, payload_segment, signature_segment = token.split(".")
        signature = _b64decode(signature_segment)
        payload = json.loads(_b64decode(payload_segment))
    except (ValueError, binascii.Error) as e:
        raise jwt.DecodeError("not a compact JWS") from e
    if header(token).get("alg") != jwk.get("alg") or jwk.get("alg") not in ALGORITHMS:
        raise jwt.InvalidSignatureError("the token's algorithm is not the key's")
    signing_input = f"{header_segment}.{payload_segment}".encode("ascii")
    if not ALGORITHMS[jwk["alg"]].verify(signing_input, key, signature):
        raise jwt.InvalidSignatureError("Signature verification failed")
    if not isinstance(payload, dict):
        raise jwt.DecodeError("the payload is not a JSON object")
    return payload
