"""The frozen tokens of tests/assets, read by today's verifiers: a change of wire format fails here.

Good tokens are also checked with jwcrypto, a JOSE library we did not write, against the published keys.
"""

from __future__ import annotations

import json

import pytest
from jwcrypto import jwk, jws

from tests import assets
from verifiers import VerificationFailed, Verifier, read_bundle
from verifiers.checkpoint import verify_checkpoint
from verifiers.errors import InvalidBundle, InvalidCheckpoint, InvalidStatusList
from verifiers.identifiers import CertificateId
from verifiers.status import read_status_list


def verifier(revocation: str = "status-revocation.jwt") -> Verifier:
    return Verifier.from_jwks(assets.jwks(), assets.status_lists(revocation), assets.ISSUER)


def failed(run: object) -> dict[str, str]:
    with pytest.raises(VerificationFailed) as caught:
        run()  # type: ignore[operator]
    return {c.name: c.code for c in caught.value.checks if not c.passed}


@pytest.mark.parametrize(
    "name",
    [
        "certificate.sdjwt",
        "compact.jwt",
        "status-revocation.jwt",
        "bundle.jwt",
        "checkpoint.jwt",
        "annotation.jwt",
        "stamp.jwt",
    ],
)
def test_every_good_token_verifies_with_jwcrypto_and_the_published_keys(name: str) -> None:
    token = assets.text(name).split("~")[0]
    checked = jws.JWS()
    checked.deserialize(token)
    keys = assets.jwks()["keys"]
    kid = checked.jose_header.get("kid")
    candidates = [k for k in keys if k["kid"] == kid] if kid else [k for k in keys if k["purpose"] == "seal"]
    key = {k: candidates[0][k] for k in ("kty", "crv", "x", "y") if k in candidates[0]}
    checked.verify(jwk.JWK(**key), alg=candidates[0]["alg"])
    assert json.loads(checked.payload)["iat"] >= assets.T0


def test_the_golden_certificate_passes_every_check() -> None:
    result = verifier().verify(assets.text("certificate.sdjwt"), now=assets.NOW)
    assert all(c.passed for c in result.checks)
    assert result.disclosed == {
        "holder_id": "11010519491231002X",
        "company_name": "示例有限公司",
        "registered_capital": 1000000,
    }
    CertificateId.parse(result.claims["jti"])


def test_the_golden_compact_form_passes_and_names_the_same_certificate() -> None:
    full = verifier().verify(assets.text("certificate.sdjwt"), now=assets.NOW)
    compact = verifier().verify(assets.text("compact.jwt"), now=assets.NOW)
    assert compact.claims["jti"] == full.claims["jti"] and compact.claims["holder_name"] == "张三"


def test_the_golden_revoked_certificate_fails_on_status() -> None:
    assert failed(lambda: verifier().verify(assets.text("certificate-revoked.sdjwt"), now=assets.NOW)) == {
        "status": "REVOKED"
    }


def test_a_forged_disclosure_fails() -> None:
    codes = failed(lambda: verifier().verify(assets.text("certificate-forged-disclosure.sdjwt"), now=assets.NOW))
    assert codes == {"disclosures": "DISCLOSURE_NOT_SIGNED"}


def test_a_status_list_signed_after_its_keys_compromise_is_refused_offline() -> None:
    v = verifier("status-revocation-signed-after-compromise.jwt")
    codes = failed(lambda: v.verify(assets.text("certificate.sdjwt"), now=assets.NOW))
    assert codes == {"status": "STATUS_UNAVAILABLE"}
    with pytest.raises(InvalidStatusList) as caught:
        read_status_list(assets.text("status-revocation-signed-after-compromise.jwt"), assets.jwks(), assets.NOW)
    assert caught.value.code == "KEY_COMPROMISED"


def test_a_status_list_signed_before_its_keys_compromise_still_reads() -> None:
    listed = read_status_list(assets.text("status-revocation-signed-before-compromise.jwt"), assets.jwks(), assets.NOW)
    assert listed.purpose == "revocation" and not listed.is_set(4711)


def test_the_golden_bundle_reads_and_verifies_the_certificate() -> None:
    bundle = read_bundle(assets.text("bundle.jwt"))
    assert bundle.issuer == assets.ISSUER and len(bundle.status_lists) == 2
    result = Verifier.from_bundle(bundle).verify(assets.text("certificate.sdjwt"), now=assets.NOW)
    assert result.claims["dept"] == "11310000002418230T"


def test_a_bundle_signed_by_a_compromised_key_is_refused() -> None:
    with pytest.raises(InvalidBundle) as caught:
        read_bundle(assets.text("bundle-signed-by-compromised-key.jwt"))
    assert caught.value.code == "KEY_COMPROMISED"


def test_the_golden_checkpoint_reads() -> None:
    checkpoint = verify_checkpoint(assets.text("checkpoint.jwt"), assets.jwks())
    assert checkpoint.size == 42 and checkpoint.origin == assets.ISSUER


@pytest.mark.parametrize(
    ("name", "code"), [("checkpoint-unknown-key.jwt", "UNKNOWN_KEY"), ("checkpoint-wrong-typ.jwt", "WRONG_TYPE")]
)
def test_bad_checkpoints_are_refused_with_the_reason(name: str, code: str) -> None:
    with pytest.raises(InvalidCheckpoint) as caught:
        verify_checkpoint(assets.text(name), assets.jwks())
    assert caught.value.code == code


def test_the_golden_copy_verifies_for_its_agency_only() -> None:
    copy, note = assets.text("copy.sdjwt") + "\n", assets.text("annotation.jwt")
    result = verifier().verify_copy(copy, note, "11310000MB2F05744N", now=assets.NOW)
    assert result.disclosed == {"company_name": "示例有限公司"} and result.annotation.service_item == "310100-000-001"
    assert failed(lambda: verifier().verify_copy(copy, note, "11310000002418230T", now=assets.NOW)) == {
        "copy_agency": "WRONG_AGENCY"
    }


def test_a_copy_with_an_extra_disclosure_is_refused() -> None:
    copy, note = assets.text("copy-extra-disclosure.sdjwt"), assets.text("annotation.jwt")
    codes = failed(lambda: verifier().verify_copy(copy, note, "11310000MB2F05744N", now=assets.NOW))
    assert codes == {"copy_binding": "DISCLOSURE_NOT_ANNOTATED"}


def test_the_golden_stamp_verifies_against_its_document_only() -> None:
    document = (assets.HERE / "stamped-document.txt").read_bytes()
    result = verifier().verify_stamp(assets.text("stamp.jwt"), document, now=assets.NOW)
    assert result.claims["doc"]["name"] == "decision.txt"
    codes = failed(lambda: verifier().verify_stamp(assets.text("stamp.jwt"), document + b" ", now=assets.NOW))
    assert codes == {"document": "DOCUMENT_CHANGED"}


def test_real_identifiers_pass_and_their_changes_fail_with_the_reason() -> None:
    from verifiers.cli import check_identifier

    known = assets.identifiers()
    for text in known["valid"]:
        assert str(CertificateId.parse(text)) == text
    for text, reason in known["invalid"].items():
        with pytest.raises(Exception, match=None) as caught:
            CertificateId.parse(text)
        assert reason in str(caught.value.reason), text  # type: ignore[attr-defined]
        assert check_identifier(text) == 1
