import base64
import json
import time
from typing import Any

import pytest

from issuers import sdjwt
from issuers.signing import SoftwareSigner, generate_private_key, jws_encode
from registry.statuslists import encode_bits
from verifiers import MalformedToken, VerificationFailed, Verifier

DEPT = "11310000002418230T"
LIST = "https://registry.test/api/v1/status-lists/1"
REGISTRY = SoftwareSigner(generate_private_key())
INDEX = 4711


def jwks_for(signer: SoftwareSigner, **extra: Any) -> dict[str, Any]:
    registry_key = {**REGISTRY.public_jwk(), "purpose": "registry", "nbf": 0, "exp": 2**40}
    seal = {**signer.public_jwk(), "purpose": "seal", "dept": DEPT, "nbf": 0, "exp": 2**40, **extra}
    return {"keys": [seal, registry_key]}


def status_list(purpose: str, indexes: list[int], signer: SoftwareSigner = REGISTRY, ttl: int = 600) -> str:
    now = int(time.time())
    claims = {
        "sub": f"{LIST}/{purpose}",
        "iat": now,
        "exp": now + ttl,
        "credentialSubject": {
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encode_bits(indexes),
        },
    }
    return jws_encode(claims, signer, "vc+jwt")


def lists(revoked: list[int] = [], suspended: list[int] = []) -> dict[str, str]:  # noqa: B006
    return {
        f"{LIST}/revocation": status_list("revocation", revoked),
        f"{LIST}/suspension": status_list("suspension", suspended),
    }


def certificate(signer: SoftwareSigner, **claims: Any) -> str:
    now = int(time.time())
    base = {
        "iss": "https://registry.test",
        "dept": DEPT,
        "iat": now,
        "nbf": now - 10,
        "exp": now + 3600,
        "status": {"list": LIST, "idx": INDEX},
    }
    return sdjwt.issue({**base, **claims}, {"holder_id": "11010519491231002X", "company_name": "示例"}, signer)


@pytest.fixture
def signer() -> SoftwareSigner:
    return SoftwareSigner(generate_private_key())


def test_a_good_certificate_passes_every_check(signer: SoftwareSigner) -> None:
    result = Verifier.from_jwks(jwks_for(signer), lists(revoked=[1, 2], suspended=[3])).verify(certificate(signer))
    names = [c.name for c in result.checks]
    assert names == ["format", "signature", "issuer", "key_status", "validity", "status", "disclosures"]
    assert all(c.passed for c in result.checks)
    assert result.disclosed == {"holder_id": "11010519491231002X", "company_name": "示例"}


def failure(verifier: Verifier, token: str) -> str:
    with pytest.raises(VerificationFailed) as caught:
        verifier.verify(token)
    return caught.value.code


def test_a_revoked_certificate_fails(signer: SoftwareSigner) -> None:
    assert failure(Verifier.from_jwks(jwks_for(signer), lists(revoked=[INDEX])), certificate(signer)) == "REVOKED"


def test_a_suspended_certificate_fails(signer: SoftwareSigner) -> None:
    assert failure(Verifier.from_jwks(jwks_for(signer), lists(suspended=[INDEX])), certificate(signer)) == "SUSPENDED"


def test_without_its_status_lists_a_certificate_fails_closed(signer: SoftwareSigner) -> None:
    assert failure(Verifier.from_jwks(jwks_for(signer)), certificate(signer)) == "STATUS_UNAVAILABLE"
    only_one = {f"{LIST}/revocation": status_list("revocation", [])}
    assert failure(Verifier.from_jwks(jwks_for(signer), only_one), certificate(signer)) == "STATUS_UNAVAILABLE"


def test_an_expired_status_list_is_not_trusted(signer: SoftwareSigner) -> None:
    stale = lists() | {f"{LIST}/suspension": status_list("suspension", [], ttl=-1)}
    assert failure(Verifier.from_jwks(jwks_for(signer), stale), certificate(signer)) == "STATUS_UNAVAILABLE"


def test_a_status_list_not_signed_by_the_registry_is_not_trusted(signer: SoftwareSigner) -> None:
    # Signed by the department's seal: a published key, but not the registry's.
    forged = lists() | {f"{LIST}/revocation": status_list("revocation", [], signer=signer)}
    assert failure(Verifier.from_jwks(jwks_for(signer), forged), certificate(signer)) == "STATUS_UNAVAILABLE"


def test_a_status_list_of_the_wrong_purpose_is_not_trusted(signer: SoftwareSigner) -> None:
    swapped = {f"{LIST}/revocation": status_list("suspension", []), f"{LIST}/suspension": status_list("suspension", [])}
    assert failure(Verifier.from_jwks(jwks_for(signer), swapped), certificate(signer)) == "STATUS_UNAVAILABLE"


def test_a_tampered_signature_fails(signer: SoftwareSigner) -> None:
    jws, *rest = certificate(signer).split("~")
    head, payload, sig = jws.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["dept_name"] = "forged"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert failure(Verifier.from_jwks(jwks_for(signer)), "~".join([f"{head}.{forged}.{sig}", *rest])) == "BAD_SIGNATURE"


def test_a_tampered_disclosure_fails(signer: SoftwareSigner) -> None:
    parts = certificate(signer).split("~")
    salt, name, _ = json.loads(base64.urlsafe_b64decode(parts[1] + "=="))
    parts[1] = base64.urlsafe_b64encode(json.dumps([salt, name, "110105194912310038"]).encode()).rstrip(b"=").decode()
    assert failure(Verifier.from_jwks(jwks_for(signer), lists()), "~".join(parts)) == "DISCLOSURE_NOT_SIGNED"


def test_an_unknown_key_fails(signer: SoftwareSigner) -> None:
    other = SoftwareSigner(generate_private_key())
    assert failure(Verifier.from_jwks(jwks_for(other)), certificate(signer)) == "UNKNOWN_KEY"


def test_a_key_of_another_department_fails(signer: SoftwareSigner) -> None:
    jwks = {"keys": [{**jwks_for(signer)["keys"][0], "dept": "9144030071526726XG"}]}
    assert failure(Verifier.from_jwks(jwks), certificate(signer)) == "ISSUER_MISMATCH"


def test_an_expired_certificate_fails(signer: SoftwareSigner) -> None:
    assert failure(Verifier.from_jwks(jwks_for(signer)), certificate(signer, exp=int(time.time()) - 1)) == "EXPIRED"


def test_signed_after_compromise_fails(signer: SoftwareSigner) -> None:
    jwks = jwks_for(signer, compromised_at=int(time.time()) - 60)
    assert failure(Verifier.from_jwks(jwks), certificate(signer)) == "KEY_COMPROMISED"


def test_an_access_token_is_not_a_certificate(signer: SoftwareSigner) -> None:
    from issuers.signing import jws_encode

    token = jws_encode({"iat": 1, "dept": DEPT}, signer, "at+jwt") + "~"
    assert failure(Verifier.from_jwks(jwks_for(signer)), token) == "WRONG_TYPE"


def test_text_that_is_no_sd_jwt_is_malformed(signer: SoftwareSigner) -> None:
    with pytest.raises(MalformedToken):
        Verifier.from_jwks(jwks_for(signer)).verify("hello")


def test_signed_before_a_compromise_passes_but_is_flagged(signer: SoftwareSigner) -> None:
    token = certificate(signer)
    jwks = jwks_for(signer, compromised_at=int(time.time()) + 60)
    result = Verifier.from_jwks(jwks, lists()).verify(token)
    key_status = next(c for c in result.checks if c.name == "key_status")
    assert key_status.passed and key_status.code == "KEY_COMPROMISED_LATER"


def test_signed_outside_the_keys_validity_fails(signer: SoftwareSigner) -> None:
    jwks = jwks_for(signer, exp=int(time.time()) - 3600)
    assert failure(Verifier.from_jwks(jwks, lists()), certificate(signer)) == "KEY_NOT_VALID_AT_SIGNING"


def _forge(token: str, alg: str, sign: Any) -> str:
    jws, *rest = token.split("~")
    header, payload, _ = jws.split(".")
    head = json.loads(base64.urlsafe_b64decode(header + "=="))
    new_header = base64.urlsafe_b64encode(json.dumps({**head, "alg": alg}).encode()).rstrip(b"=").decode()
    signature = sign(f"{new_header}.{payload}".encode())
    return "~".join([f"{new_header}.{payload}.{signature}", *rest])


def test_alg_none_is_refused(signer: SoftwareSigner) -> None:
    forged = _forge(certificate(signer), "none", lambda _: "")
    assert failure(Verifier.from_jwks(jwks_for(signer), lists()), forged) == "BAD_SIGNATURE"


def test_hmac_with_the_public_key_is_refused(signer: SoftwareSigner) -> None:
    import hashlib
    import hmac

    from cryptography.hazmat.primitives import serialization

    pem = signer.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    mac = lambda data: base64.urlsafe_b64encode(hmac.new(pem, data, hashlib.sha256).digest()).rstrip(b"=").decode()  # noqa: E731
    forged = _forge(certificate(signer), "HS256", mac)
    assert failure(Verifier.from_jwks(jwks_for(signer), lists()), forged) == "BAD_SIGNATURE"


def test_a_signature_with_characters_outside_base64url_is_refused(signer: SoftwareSigner) -> None:
    jws, *rest = certificate(signer).split("~")
    header, payload, signature = jws.split(".")
    forged = "~".join([f"{header}.{payload}.{signature[:10]}*{signature[10:]}", *rest])
    assert failure(Verifier.from_jwks(jwks_for(signer), lists()), forged) == "BAD_SIGNATURE"
