"""Every kind of holder document through issuance and verification, and field values signed as given."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from issuers.signing import compact_json
from registry.models import Certificate, db
from registry.principals import holder_ref
from tests.conftest import HOLDER_KEY
from tests.factories import World, bearer, certificate_body, holder_token
from verifiers import Verifier, read_bundle

# One number of each kind (see tests/issuers/test_holders.py for where they come from), the form the
# API is given, the number as signed, and its masked form.
DOCUMENTS: list[tuple[dict[str, str], str, str]] = [
    ({"kind": "person", "id": "11010519491231002X"}, "11010519491231002X", "110105********002X"),
    ({"kind": "organization", "id": "9144030071526726XG"}, "9144030071526726XG", "914403********26XG"),
    ({"kind": "foreign_permanent_resident", "id": "911398199012310021"}, "911398199012310021", "911398**********21"),
    ({"kind": "foreign_permanent_resident", "id": "KAZ110090123105"}, "KAZ110090123105", "KAZ**********05"),
    ({"kind": "hmt_residence_permit", "id": "810000199408230021"}, "810000199408230021", "81************0021"),
    ({"kind": "passport", "id": "E12345678", "country": "CHN"}, "CHN:E12345678", "CHN:******678"),
]


def b64json(text: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def issue(client: FlaskClient, world: World, holder: dict[str, str], **fields: Any) -> Any:
    body = certificate_body(world.type_a, **fields)
    body["holder"] = {**holder, "name": "Anna Müller"}
    return client.post("/api/v1/certificates", json=body, headers=world.headers("issuer_a"))


@pytest.mark.parametrize(("holder", "signed", "masked"), DOCUMENTS)
def test_each_holder_document_is_issued_verified_online_and_offline_and_read_by_its_holder(
    client: FlaskClient, world: World, app: Flask, holder: dict[str, str], signed: str, masked: str
) -> None:
    response = issue(client, world, holder)
    assert response.status_code == 201, response.json
    cert = response.json
    assert cert["holder"] == {"kind": holder["kind"], "name": "Anna Müller", "id_masked": masked}
    disclosed = {name: value for _, name, value in map(b64json, cert["signed_form"].split("~")[1:-1])}
    assert disclosed["holder_id"] == signed

    online = client.post("/api/v1/verify", json={"token": cert["signed_form"]}).json
    assert online["valid"] is True and online["claims"]["holder_id_masked"] == masked
    bundle = read_bundle(client.get("/api/v1/verifier-bundle").get_data(as_text=True))
    offline = Verifier.from_bundle(bundle).verify(cert["signed_form"])
    assert offline.claims["holder_kind"] == holder["kind"] and offline.disclosed["holder_id"] == signed

    with app.app_context():
        row = db.session.scalar(db.select(Certificate).where(Certificate.identifier == cert["identifier"]))
        assert row is not None and row.holder_ref == holder_ref(HOLDER_KEY, holder["kind"], signed)
        token = holder_token(signed, "Anna Müller", kind=holder["kind"])
    mine = client.get(f"/api/v1/certificates/{cert['identifier']}", headers=bearer(token))
    assert mine.status_code == 200


def test_holder_references_and_masks_differ_per_kind(client: FlaskClient, world: World, app: Flask) -> None:
    refs = {holder_ref(HOLDER_KEY, h["kind"], signed) for h, signed, _ in DOCUMENTS}
    assert len(refs) == len(DOCUMENTS)
    # The same 18 digits under another kind are another holder, and refused where they are not that kind.
    assert issue(client, world, {"kind": "person", "id": "911398199012310021"}).status_code == 422


@pytest.mark.parametrize(
    ("holder", "field", "message"),
    [
        ({"kind": "person", "id": "911398199012310021"}, "id", "foreigners' permanent residence"),
        ({"kind": "person", "id": "810000199408230021"}, "id", "Hong Kong, Macao and Taiwan"),
        ({"kind": "person", "id": "11010520991231002X"}, "id", "in the future"),
        ({"kind": "person", "id": "110105189912310029"}, "id", "before 1900"),
        ({"kind": "passport", "id": "E12345678"}, "id", "issuing country"),
        ({"kind": "passport", "id": "E12345678", "country": "XXX"}, "country", "no ISO 3166"),
        ({"kind": "person", "id": "11010519491231002X", "country": "CHN"}, "id", "only a passport"),
        ({"kind": "alien", "id": "11010519491231002X"}, "kind", "Must be one of"),
    ],
)
def test_a_bad_holder_document_is_a_422_naming_the_field_and_nothing_is_stored(
    client: FlaskClient, world: World, app: Flask, holder: dict[str, str], field: str, message: str
) -> None:
    response = issue(client, world, holder)
    assert response.status_code == 422
    errors = response.json["errors"]["holder"][field]
    assert any(message in e for e in errors), errors
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Certificate)) == 0


def test_values_are_signed_as_given_and_the_api_shows_the_same_bytes(client: FlaskClient, world: World) -> None:
    response = issue(
        client,
        world,
        {"kind": "person", "id": "11010519491231002X"},
        registered_capital=1000000,
        employees=12,
        paid_in_capital="1000000.50",
    )
    assert response.status_code == 201, response.json
    disclosures = [b64json(d) for d in response.json["signed_form"].split("~")[1:-1]]
    signed = {name: value for _, name, value in disclosures}
    assert signed["registered_capital"] == 1000000 and isinstance(signed["registered_capital"], int)
    assert signed["employees"] == 12 and isinstance(signed["employees"], int)
    assert signed["paid_in_capital"] == "1000000.50"
    signed_bytes = b"".join(base64.urlsafe_b64decode(d + "==") for d in response.json["signed_form"].split("~")[1:-1])
    assert b"1000000.0" not in signed_bytes
    for name, value in response.json["fields"].items():
        assert compact_json(value) == compact_json(signed[name]), name


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("employees", 1.5),
        ("employees", "12"),
        ("employees", True),
        ("registered_capital", "1e6"),
        ("paid_in_capital", 0.1),
        ("paid_in_capital", "1,000.50"),
        ("registered_capital", None),
    ],
)
def test_a_value_of_the_wrong_type_is_refused(client: FlaskClient, world: World, field: str, value: Any) -> None:
    response = issue(client, world, {"kind": "person", "id": "11010519491231002X"}, **{field: value})
    assert response.status_code == 422
    assert field in response.json["errors"]["certificates"]["0"]["fields"]


@pytest.mark.parametrize(
    "identifier",
    [
        "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.002.T",  # wrong check character
        "1.2.156.3005.2.nonsense",
        "1.2.3",
    ],
)
def test_a_malformed_identifier_is_a_422_saying_what_is_wrong(
    client: FlaskClient, world: World, identifier: str
) -> None:
    for response in (
        client.get(f"/api/v1/certificates/{identifier}", headers=world.headers("admin")),
        client.post(f"/api/v1/certificates/{identifier}/suspend", json={}, headers=world.headers("issuer_a")),
    ):
        assert response.status_code == 422
        assert response.json["code"] == "INVALID_IDENTIFIER"
        assert "not an e-license identifier" in response.json["detail"]


def test_a_path_that_is_no_identifier_at_all_is_not_found(client: FlaskClient, world: World) -> None:
    assert client.get("/api/v1/certificates/42", headers=world.headers("admin")).status_code == 404


def test_a_conforming_identifier_of_another_registry_is_simply_not_found(client: FlaskClient, world: World) -> None:
    real = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.002.S"
    assert client.get(f"/api/v1/certificates/{real}", headers=world.headers("admin")).status_code == 404
