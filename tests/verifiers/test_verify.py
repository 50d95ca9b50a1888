import base64
import json
import time
from typing import Any

import pytest

from issuers import sdjwt
from issuers.signing import SoftwareSigner, generate_private_key
from verifiers import MalformedToken, VerificationFailed, Verifier

DEPT = "11310000002418230T"


def jwks_for(signer: SoftwareSigner, **extra: Any) -> dict[str, Any]:
    return {"keys": [{**signer.public_jwk(), "dept": DEPT, "nbf": 0, "exp": 2**40, **extra}]}


def certificate(signer: SoftwareSigner, **claims: Any) -> str:
    now = int(time.time())
    base = {"iss": "https://registry.test", "dept": DEPT, "iat": now, "nbf": now - 10, "exp": now + 3600}
    return sdjwt.issue({**base, **claims}, {"holder_id": "11010519491231002X", "company_name": "示例"}, signer)


@pytest.fixture
def signer() -> SoftwareSigner:
    return SoftwareSigner(generate_private_key())


def test_a_good_certificate_passes_every_check(signer: SoftwareSigner) -> None:
    result = Verifier.from_jwks(jwks_for(signer)).verify(certificate(signer))
    assert [c.name for c in result.checks] == ["format", "signature", "issuer", "key_status", "validity", "disclosures"]
    assert result.disclosed == {"holder_id": "11010519491231002X", "company_name": "示例"}


def failure(verifier: Verifier, token: str) -> str:
    with pytest.raises(VerificationFailed) as caught:
        verifier.verify(token)
    return caught.value.code


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
    assert failure(Verifier.from_jwks(jwks_for(signer)), "~".join(parts)) == "DISCLOSURE_NOT_SIGNED"


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
