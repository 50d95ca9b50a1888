"""The one reader of every JWS the registry or a department signs, and the key rules it applies to all.

Key rules, the same for every format (`formats`):
1. The key is one the reader was given (a published JWKS), found by the header's kid; never a key
   the token carries (jwk, jku, x5u are ignored).
2. The key's purpose is the format's signer: a department's seal, or the registry's own key.
3. The algorithm is the one the key is pinned to; the header's alg must name the same one.
4. The signature holds over the bytes exactly as received, and the format's claims are there
   (times as integers).
5. The key's status at the token's `iat`: a retired key verifies what it signed until it was retired;
   a compromised key verifies nothing signed at or after its compromise time; nothing signed outside
   the key's validity verifies.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import jwt

from verifiers.errors import Check, InvalidSignedForm
from verifiers.formats import Format
from verifiers.jwk import ALGORITHMS, UnusableKey, public_key

TIME_CLAIMS = ("iat", "nbf", "exp")


def header(token: str) -> dict[str, Any]:
    """The protected header of a compact JWS, unverified; raise jwt.DecodeError if it is not one.

    PyJWT's own get_unverified_header checks every character of the whole token first, which costs
    more than the signature check for a large token; only the header segment is needed here.
    """
    segment = token.split(".", 1)[0]
    try:
        value = json.loads(_b64decode(segment))
    except (binascii.Error, ValueError) as e:
        raise jwt.DecodeError("invalid header") from e
    if not isinstance(value, dict) or token.count(".") != 2:
        raise jwt.DecodeError("not a compact JWS")
    return value


def _b64decode(segment: str) -> bytes:
    """Base64url as JWS writes it, and only so (RFC 7515 2): no '=' padding, no character outside the
    alphabet (validate=True), and no stray bits in the last character, so each token has exactly one
    spelling and a signature cannot be re-spelt into a second token that verifies."""
    if "=" in segment:
        raise binascii.Error("padding in a JWS segment")
    data = base64.b64decode(segment + "=" * (-len(segment) % 4), altchars=b"-_", validate=True)
    if base64.urlsafe_b64encode(data).rstrip(b"=") != segment.encode("ascii"):
        raise binascii.Error("not the canonical base64url of its bytes")
    return data


def unverified_payload(token: str) -> dict[str, Any]:
    """The payload of a compact JWS, not verified: only to choose keys or lists before verifying."""
    try:
        value = json.loads(_b64decode(token.split(".")[1]))
    except (IndexError, ValueError, binascii.Error) as e:
        raise jwt.DecodeError("not a compact JWS") from e
    if not isinstance(value, dict):
        raise jwt.DecodeError("the payload is not a JSON object")
    return value


def verified_claims(token: str, jwk: dict[str, Any], key: Any) -> dict[str, Any]:
    """The payload of a compact JWS whose signature `key` verifies with the algorithm `jwk` is pinned to.

    The header's alg must equal that algorithm; a `crit` header is refused (no extension is understood).
    Raises jwt.InvalidSignatureError or jwt.DecodeError. The signature is checked by PyJWT's algorithm
    objects, over the bytes exactly as received.
    """
    try:
        header_segment, payload_segment, signature_segment = token.split(".")
        signature = _b64decode(signature_segment)
        payload = json.loads(_b64decode(payload_segment))
    except (ValueError, binascii.Error) as e:
        raise jwt.DecodeError("not a compact JWS") from e
    protected = header(token)
    if "crit" in protected:
        raise jwt.DecodeError("the header names critical extensions this reader does not know")
    if protected.get("alg") != jwk.get("alg") or jwk.get("alg") not in ALGORITHMS:
        raise jwt.InvalidSignatureError("the token's algorithm is not the key's")
    signing_input = f"{header_segment}.{payload_segment}".encode("ascii")
    if not ALGORITHMS[jwk["alg"]].verify(signing_input, key, signature):
        raise jwt.InvalidSignatureError("Signature verification failed")
    if not isinstance(payload, dict):
        raise jwt.DecodeError("the payload is not a JSON object")
    return payload


@dataclass(frozen=True, slots=True)
class Key:
    jwk: dict[str, Any]
    public_key: Any

    @property
    def kid(self) -> str:
        return str(self.jwk["kid"])


class KeyRing:
    """The published keys a reader trusts, by kid; keys of algorithms the registry does not use are left out."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self.jwks = jwks
        self._keys: dict[str, Key] = {}
        for jwk in jwks.get("keys", []) if isinstance(jwks.get("keys"), list) else []:
            if not isinstance(jwk, dict) or "kid" not in jwk:
                continue
            try:
                self._keys[str(jwk["kid"])] = Key(jwk, public_key(jwk))
            except UnusableKey:
                continue

    def find(self, kid: Any) -> Key | None:
        return self._keys.get(kid) if isinstance(kid, str) else None

    def of_department(self, credit_code: str) -> list[Key]:
        return [k for k in self._keys.values() if k.jwk.get("dept") == credit_code]


def key_status(jwk: dict[str, Any], signed_at: int) -> Check:
    """Rule 5: the status of the published key `jwk` for something it signed at `signed_at` (epoch s)."""
    compromised_at, retired_at = jwk.get("compromised_at"), jwk.get("retired_at")
    if compromised_at is not None and signed_at >= compromised_at:
        return Check("key_status", False, "KEY_COMPROMISED", "signed after the key was compromised")
    if retired_at is not None and signed_at > retired_at:
        return Check("key_status", False, "KEY_RETIRED", "signed after the key was retired")
    if not jwk.get("nbf", signed_at) <= signed_at <= jwk.get("exp", signed_at):
        return Check("key_status", False, "KEY_NOT_VALID_AT_SIGNING", "signed outside the key's validity")
    if compromised_at is not None:
        # Passes, flagged: signed before the compromise, yet the key's holder may want it re-issued.
        return Check("key_status", True, "KEY_COMPROMISED_LATER", "signed before the key was compromised")
    return Check("key_status", True, "OK")


@dataclass(frozen=True, slots=True)
class Signed:
    """A token whose format, key and signature held (rules 1 to 4), with its key's status (rule 5)."""

    header: dict[str, Any]
    claims: dict[str, Any]
    key: Key
    key_check: Check


class SignatureFailed(InvalidSignedForm):
    """Rules 1 to 4 failed: `check` is the check that failed (format or signature)."""

    def __init__(self, check: Check, fmt: Format) -> None:
        super().__init__(f"the {fmt.name} {check.detail}", check.code)
        self.check = check


def read_signed(token: str, fmt: Format, keys: KeyRing, candidates: Iterable[Key] | None = None) -> Signed:
    """Check rules 1 to 4 for a token of format `fmt`; return it with its key status (rule 5), unjudged.

    A format without a kid (the compact form) is tried with each of `candidates`. Raise SignatureFailed.
    """
    try:
        protected = header(token)
    except jwt.DecodeError as e:
        raise SignatureFailed(Check("format", False, "MALFORMED", f"is not a JWS: {e}"), fmt) from e
    if protected.get("typ") != fmt.typ:
        raise SignatureFailed(Check("format", False, "WRONG_TYPE", f"has typ {protected.get('typ')!r}"), fmt)
    if fmt.has_kid:
        key = keys.find(protected.get("kid"))
        if key is None:
            raise SignatureFailed(Check("signature", False, "UNKNOWN_KEY", "names no published key"), fmt)
        tried = [key]
    else:
        tried = list(candidates or [])
    tried = [k for k in tried if k.jwk.get("purpose") == fmt.signed_by]
    if not tried:
        raise SignatureFailed(Check("signature", False, "UNKNOWN_KEY", f"is not signed by a {fmt.signed_by} key"), fmt)
    last: Exception | None = None
    for key in tried:
        try:
            claims = verified_claims(token, key.jwk, key.public_key)
        except jwt.InvalidTokenError as e:
            last = e
            continue
        _check_claims(claims, fmt)
        return Signed(protected, claims, key, key_status(key.jwk, claims["iat"]))
    raise SignatureFailed(Check("signature", False, "BAD_SIGNATURE", f"does not verify: {last}"), fmt)


def _check_claims(claims: dict[str, Any], fmt: Format) -> None:
    missing = [name for name in fmt.required if name not in claims]
    if missing:
        raise SignatureFailed(Check("signature", False, "MISSING_CLAIM", f"lacks the claim {missing[0]!r}"), fmt)
    for name in TIME_CLAIMS:
        if name in claims and (not isinstance(claims[name], int) or isinstance(claims[name], bool)):
            raise SignatureFailed(Check("signature", False, "BAD_CLAIM", f"has a {name} that is not an integer"), fmt)


def read_trusted(token: str, fmt: Format, keys: KeyRing) -> Signed:
    """A registry-signed token that passes every key rule; raise the format's error (with a code) if not."""
    try:
        signed = read_signed(token, fmt, keys)
    except SignatureFailed as e:
        raise fmt.error(str(e), e.code) from e
    if not signed.key_check.passed:
        raise fmt.error(f"the {fmt.name}'s key: {signed.key_check.detail}", signed.key_check.code)
    return signed
