"""Status lists: every certificate has a slot, and every status change shows in the published lists at once."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry import statuslists
from registry.models import db
from registry.statuslists import StatusLists
from tests.factories import World, certificate_body, published_verifier
from verifiers import VerificationFailed


def issue(client: FlaskClient, world: World, n: int = 1) -> list[dict[str, Any]]:
    items = [certificate_body(world.type_a) for _ in range(n)]
    response = client.post(
        "/api/v1/certificates/batch", json={"certificates": items}, headers=world.headers("issuer_a")
    )
    assert response.status_code == 201
    return list(response.json["certificates"])


def slot(certificate: dict[str, Any]) -> tuple[str, int]:
    payload = certificate["signed_form"].split("~")[0].split(".")[1]
    status = json.loads(base64.urlsafe_b64decode(payload + "=="))["status"]
    return status["list"], status["idx"]


def published_bits(client: FlaskClient, list_url: str, purpose: str) -> bytes:
    path = list_url.split("registry.test", 1)[1]
    response = client.get(f"{path}/{purpose}")
    assert response.status_code == 200
    claims = jwt.decode(response.get_data(as_text=True), options={"verify_signature": False})
    encoded = claims["credentialSubject"]["encodedList"]
    assert encoded.startswith("u")
    return gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))


def bit(bits: bytes, index: int) -> bool:
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def test_every_certificate_carries_its_own_slot(client: FlaskClient, world: World) -> None:
    slots = [slot(c) for c in issue(client, world, 50)]
    assert len(set(slots)) == 50
    assert {url for url, _ in slots} == {"https://registry.test/api/v1/status-lists/1"}
    indexes = [i for _, i in slots]
    assert all(0 <= i < 131_072 for i in indexes)
    assert indexes != sorted(indexes)  # handed out in a permuted order, not one after another


def test_the_published_list_is_a_signed_w3c_bitstring_status_list(client: FlaskClient, world: World) -> None:
    url, _ = slot(issue(client, world)[0])
    response = client.get("/api/v1/status-lists/1/revocation")
    assert response.mimetype == "application/vc+jwt"
    assert response.headers["Cache-Control"] == "public, max-age=60"
    token = response.get_data(as_text=True)
    assert jwt.get_unverified_header(token)["typ"] == "vc+jwt"
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert claims["credentialSubject"]["statusPurpose"] == "revocation"
    assert claims["id"] == claims["sub"] == f"{url}/revocation"
    assert claims["exp"] - claims["iat"] == 86_400
    assert len(published_bits(client, url, "revocation")) == 131_072 // 8


def verdict(client: FlaskClient, signed_form: str) -> str:
    try:
        published_verifier(client).verify(signed_form)
    except VerificationFailed as e:
        return e.code
    return "OK"


def test_each_status_change_shows_in_the_lists_at_once(client: FlaskClient, world: World) -> None:
    [cert] = issue(client, world)
    url, index = slot(cert)
    path = f"/api/v1/certificates/{cert['identifier']}"
    headers = world.headers("issuer_a")
    assert verdict(client, cert["signed_form"]) == "OK"

    client.post(f"{path}/suspend", json={}, headers=headers)
    assert bit(published_bits(client, url, "suspension"), index)
    assert verdict(client, cert["signed_form"]) == "SUSPENDED"

    client.post(f"{path}/reinstate", json={}, headers=headers)
    assert not bit(published_bits(client, url, "suspension"), index)
    assert verdict(client, cert["signed_form"]) == "OK"

    fields = {"company_name": "新", "legal_representative": "王五", "established_on": "2021-03-04"}
    new = client.post(f"{path}/amend", json={"fields": fields}, headers=headers).json
    assert bit(published_bits(client, url, "revocation"), index)  # superseded
    assert verdict(client, cert["signed_form"]) == "REVOKED"
    assert verdict(client, new["signed_form"]) == "OK"

    client.post(
        f"/api/v1/certificates/{new['identifier']}/revoke", json={"reason": "license_withdrawn"}, headers=headers
    )
    assert verdict(client, new["signed_form"]) == "REVOKED"
    other = issue(client, world)[0]
    assert verdict(client, other["signed_form"]) == "OK"  # nobody else's bit moved


def test_a_full_list_makes_way_for_the_next(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(statuslists, "LIST_SIZE", 8)
    with app.app_context():
        slots = StatusLists(db.session).allocate(20)
        db.session.rollback()
    assert [n for n, _ in slots] == [1] * 8 + [2] * 8 + [3] * 4
    for number in (1, 2):
        assert sorted(i for n, i in slots if n == number) == list(range(8))  # a permutation of the slots


def test_unknown_lists_and_purposes_are_404(client: FlaskClient, world: World) -> None:
    issue(client, world)
    assert client.get("/api/v1/status-lists/99/revocation").json["code"] == "STATUS_LIST_NOT_FOUND"
    assert client.get("/api/v1/status-lists/1/message").status_code == 404
