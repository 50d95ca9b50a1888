"""The one JWS reader: its key rules, and a differential test of its hand-written check against PyJWT's."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import jwt
import pytest

from issuers.signing import SoftwareSigner, generate_private_key, jws_encode
from verifiers import formats, jose
from verifiers.errors import InvalidCheckpoint
from verifiers.jose import KeyRing, key_status, read_trusted, verified_claims

SIGNER = SoftwareSigner(generate_private_key())
JWK = {**SIGNER.public_jwk(), "purpose": "registry", "nbf": 0, "exp": 2**40}
KEY = jose.Key(JWK, jose.public_key(JWK))
GOOD = jws_encode({"origin": "o", "size": 1, "root_hash": "x", "iat": 1000}, SIGNER, "checkpoint+jwt")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def ours(token: str) -> dict[str, Any] | None:
    try:
        return verified_claims(token, JWK, KEY.public_key)
    except jwt.InvalidTokenError:
        return None


def pyjwt(token: str) -> dict[str, Any] | None:
    try:
        payload = json.loads(jwt.api_jws.decode(token, KEY.public_key, algorithms=[JWK["alg"]]))
    except (jwt.InvalidTokenError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def with_header(header: dict[str, Any], payload: bytes | None = None) -> str:
    """A token with this header, signed properly by SIGNER, so only the header differs."""
    head = b64(json.dumps(header).encode())
    body = b64(payload if payload is not None else json.dumps({"iat": 1000}).encode())
    signature = SIGNER.sign(f"{head}.{body}".encode())
    return f"{head}.{body}.{b64(signature)}"


NAMED = {
    "good": GOOD,
    "alg none": with_header({"alg": "none", "typ": "checkpoint+jwt"}).rsplit(".", 1)[0] + ".",
    "alg HS256": with_header({"alg": "HS256", "typ": "checkpoint+jwt"}),
    "alg EdDSA for an EC key": with_header({"alg": "EdDSA"}),
    "crit header": with_header({"alg": "ES256", "crit": ["exp"], "exp": 1}),
    "payload is a list": with_header({"alg": "ES256"}, b"[1, 2]"),
    "payload is not JSON": with_header({"alg": "ES256"}, b"\xff\xfe"),
    "trailing segment": GOOD + ".",
    "trailing data": GOOD + "AAAA",
    "a star in the signature": GOOD[:-10] + "*" + GOOD[-9:],
    "a star in the payload": GOOD.split(".")[0] + ".*" + GOOD.split(".", 1)[1],
    "padding in the signature": GOOD + "==",
    "two segments": GOOD.rsplit(".", 1)[0],
    "empty": "",
}


@pytest.mark.parametrize("name", NAMED)
def test_ours_refuses_whatever_pyjwt_refuses_and_accepts_only_what_it_accepts(name: str) -> None:
    token = NAMED[name]
    theirs = pyjwt(token)
    mine = ours(token)
    if name == "crit header":
        # PyJWT refuses crit too (RFC 7515 4.1.11): neither understands the extension.
        assert theirs is None and mine is None
    elif name == "padding in the signature":
        assert mine is None  # stricter: '=' is not base64url (RFC 7515 2); PyJWT may pad and accept
    else:
        assert (mine is None) == (theirs is None), (name, mine, theirs)
        if mine is not None:
            assert mine == theirs


# Characters to put anywhere in a token: outside the alphabet, separators, padding, and for the last
# character of each segment every pair of data bits with stray low bits set (B, R, h, z: 00, 01, 10, 11).
CHANGES = "A_-.=*~ \n0zBRh"


def test_every_one_character_change_is_judged_as_pyjwt_judges_it() -> None:
    disagreements = []
    for position in range(len(GOOD)):
        for char in CHANGES:
            token = GOOD[:position] + char + GOOD[position + 1 :]
            mine, theirs = ours(token), pyjwt(token)
            if mine is not None and theirs != mine:
                disagreements.append((position, GOOD[position], char))  # we accept what PyJWT refuses
            if theirs is not None and mine is None and char not in "=* \n~.":
                disagreements.append((position, GOOD[position], char))  # we refuse a well-formed token
    assert disagreements == []


def test_a_re_spelt_last_signature_character_is_refused() -> None:
    # 86 base64url characters carry 64 bytes: the last one's low 4 bits are not data. A second
    # spelling of the same signature must not make a second token that verifies.
    last = GOOD[-1]
    value = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".index(last)
    respelt = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[value | 0b0001]
    assert respelt != last and ours(GOOD[:-1] + respelt) is None


def test_the_algorithm_comes_from_the_key_never_the_header() -> None:
    # The classic confusion: HMAC keyed with the public key's published text.
    head, body = b64(b'{"alg":"HS256"}'), b64(b'{"iat":1}')
    secret = json.dumps(JWK).encode()
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    assert ours(f"{head}.{body}.{b64(mac)}") is None


@pytest.mark.parametrize(
    ("extra", "signed_at", "passed", "code"),
    [
        ({}, 1000, True, "OK"),
        ({"compromised_at": 1000}, 1000, False, "KEY_COMPROMISED"),
        ({"compromised_at": 1001}, 1000, True, "KEY_COMPROMISED_LATER"),
        ({"retired_at": 1000}, 1000, True, "OK"),
        ({"retired_at": 999}, 1000, False, "KEY_RETIRED"),
        ({"nbf": 1001}, 1000, False, "KEY_NOT_VALID_AT_SIGNING"),
        ({"exp": 999}, 1000, False, "KEY_NOT_VALID_AT_SIGNING"),
    ],
)
def test_key_status_at_signing_time(extra: dict[str, int], signed_at: int, passed: bool, code: str) -> None:
    check = key_status({**JWK, **extra}, signed_at)
    assert (check.passed, check.code) == (passed, code)


def test_a_registry_format_signed_by_a_retired_key_after_retirement_is_refused() -> None:
    token = jws_encode(formats.checkpoint_claims("o", 1, b"\0" * 32, 5000), SIGNER, formats.CHECKPOINT.typ)
    keys = KeyRing({"keys": [{**JWK, "status": "retired", "retired_at": 4000}]})
    with pytest.raises(InvalidCheckpoint) as caught:
        read_trusted(token, formats.CHECKPOINT, keys)
    assert caught.value.code == "KEY_RETIRED"
    before = KeyRing({"keys": [{**JWK, "status": "retired", "retired_at": 6000}]})
    assert read_trusted(token, formats.CHECKPOINT, before).claims["size"] == 1


def test_a_seal_key_cannot_sign_a_registry_format() -> None:
    token = jws_encode(formats.checkpoint_claims("o", 1, b"\0" * 32, 5000), SIGNER, formats.CHECKPOINT.typ)
    with pytest.raises(InvalidCheckpoint) as caught:
        read_trusted(token, formats.CHECKPOINT, KeyRing({"keys": [{**JWK, "purpose": "seal"}]}))
    assert caught.value.code == "UNKNOWN_KEY"


def test_every_format_has_its_own_typ() -> None:
    typs = [f.typ for f in formats.FORMATS]
    assert len(set(typs)) == len(typs)
