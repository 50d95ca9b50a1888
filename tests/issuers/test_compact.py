"""issuers/compact.py: the compact QR form, its short claims and its missing kid."""

from __future__ import annotations

import base64
import json

from issuers.compact import issue_compact
from issuers.signing import SoftwareSigner, generate_private_key
from tests import assets
from verifiers import Verifier
from verifiers.formats import MAX_COMPACT_NAME


def claims_of(token: str) -> dict[str, object]:
    return dict(json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "==")))


def test_the_golden_compact_form_has_no_kid_and_short_claims() -> None:
    token = assets.text("compact.jwt")
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "ES256", "typ": "qr+jwt"}
    claims = claims_of(token)
    assert set(claims) == {"jti", "nm", "iat", "exp", "st"}
    assert not str(claims["jti"]).startswith("1.2.156")


def test_a_long_name_is_cut_to_the_display_length() -> None:
    signer = SoftwareSigner(generate_private_key())
    ident = "1.2.156.3005.2.11310000002418230T001.11310000002418230T.1.001.X"
    token = issue_compact(ident, "上海某某某某某某科技发展有限公司", 100, 100, None, (1, 2), signer)
    name = str(claims_of(token)["nm"])
    assert len(name) == MAX_COMPACT_NAME and name.endswith("…")
    assert "nbf" not in claims_of(token) and "exp" not in claims_of(token)


def test_the_compact_form_verifies_by_the_departments_seals() -> None:
    result = Verifier.from_jwks(assets.jwks(), assets.status_lists(), assets.ISSUER).verify(
        assets.text("compact.jwt"), now=assets.NOW
    )
    assert result.claims["status"] == {"list": assets.LIST, "idx": 4711}
