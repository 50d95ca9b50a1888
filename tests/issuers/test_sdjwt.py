"""issuers/sdjwt.py: SD-JWTs as RFC 9901 writes them, read back by the golden files' verifier."""

from __future__ import annotations

import base64
import hashlib
import json

from issuers import sdjwt
from issuers.signing import SoftwareSigner, generate_private_key
from tests import assets


def test_disclosures_are_salted_arrays_whose_digests_are_in_sd() -> None:
    token = sdjwt.issue({"iat": 1}, {"a": 1, "b": "二"}, SoftwareSigner(generate_private_key()))
    jws, *disclosures, last = token.split("~")
    assert last == "" and len(disclosures) == 2
    payload = json.loads(base64.urlsafe_b64decode(jws.split(".")[1] + "=="))
    assert payload["_sd_alg"] == "sha-256" and payload["_sd"] == sorted(payload["_sd"])
    for d in disclosures:
        salt, _name, _value = json.loads(base64.urlsafe_b64decode(d + "=="))
        assert len(base64.urlsafe_b64decode(salt + "==")) == 16
        digest = base64.urlsafe_b64encode(hashlib.sha256(d.encode()).digest()).rstrip(b"=").decode()
        assert digest in payload["_sd"]
    assert "二".encode() in base64.urlsafe_b64decode(disclosures[1] + "==")  # UTF-8, not \\u escapes


def test_present_keeps_only_the_named_disclosures_of_the_golden_certificate() -> None:
    presented = sdjwt.present(assets.text("certificate.sdjwt"), {"company_name"})
    assert sdjwt.disclosed_values(presented) == {"company_name": "示例有限公司"}
    assert presented.split("~")[0] == assets.text("certificate.sdjwt").split("~")[0]


def test_disclosed_values_reads_every_disclosure() -> None:
    values = sdjwt.disclosed_values(assets.text("certificate.sdjwt"))
    assert values == {"holder_id": "11010519491231002X", "company_name": "示例有限公司", "registered_capital": 1000000}
