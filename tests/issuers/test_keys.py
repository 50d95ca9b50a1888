import json
from pathlib import Path

import pytest
from jwcrypto import jwk

from issuers.errors import KeyNotFound, KeystoreError
from issuers.keystore import Keystore
from issuers.signing import SoftwareSigner, generate_private_key, jws_encode

SECRET = "s" * 40


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_kid_is_the_rfc7638_thumbprint(alg: str) -> None:
    signer = SoftwareSigner(generate_private_key(alg))
    public = {k: v for k, v in signer.public_jwk().items() if k in ("kty", "crv", "x", "y")}
    assert signer.kid == jwk.JWK(**public).thumbprint()


def test_keys_are_stored_encrypted_and_load_back(tmp_path: Path) -> None:
    signer = Keystore(tmp_path, SECRET).create()
    text = (tmp_path / f"{signer.kid}.p8").read_text()
    assert text.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    reloaded = Keystore(tmp_path, SECRET).signer(signer.kid)
    assert reloaded.public_jwk() == signer.public_jwk()


def test_a_wrong_secret_cannot_open_a_key(tmp_path: Path) -> None:
    signer = Keystore(tmp_path, SECRET).create()
    with pytest.raises(KeystoreError, match="cannot be decrypted"):
        Keystore(tmp_path, "t" * 40).signer(signer.kid)


def test_a_short_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeystoreError, match="at least 32"):
        Keystore(tmp_path, "password")


def test_an_absent_key_raises_key_not_found(tmp_path: Path) -> None:
    with pytest.raises(KeyNotFound):
        Keystore(tmp_path, SECRET).signer("nope")


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_signed_jws_verifies_with_an_independent_library(alg: str) -> None:
    signer = SoftwareSigner(generate_private_key(alg))
    token = jws_encode({"msg": "电子证照"}, signer, "test+jwt")
    from jwcrypto import jws

    checked = jws.JWS()
    checked.deserialize(token)
    checked.verify(jwk.JWK(**signer.public_jwk()), alg=alg)
    assert json.loads(checked.payload) == {"msg": "电子证照"}
    assert checked.jose_header["kid"] == signer.kid
