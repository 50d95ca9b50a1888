"""Issuing certificates: what is signed, who may issue what, batches and idempotency."""

import base64
import hashlib
import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from jwcrypto import jwk, jws

from registry.models import Certificate, db
from tests.factories import World, certificate_body, citizen_id


def issue(client: FlaskClient, world: World, who: str = "issuer_a", **kwargs: Any) -> Any:
    body = kwargs.pop("body", None) or certificate_body(world.type_a, **kwargs)
    return client.post("/api/v1/certificates", json=body, headers=world.headers(who))


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_issued_certificate_verifies_with_jwcrypto_and_the_published_jwks(client: FlaskClient, world: World) -> None:
    holder = citizen_id()
    response = issue(client, world, holder_id=holder, registered_capital=1000000, employees=12)
    assert response.status_code == 201, response.json
    signed_form = response.json["signed_form"]
    jwks = client.get("/.well-known/jwks.json").json

    # The issuer-signed JWT verifies with an independent JOSE library and the key the header names.
    token, *disclosures, last = signed_form.split("~")
    assert last == ""  # no key binding JWT
    checked = jws.JWS()
    checked.deserialize(token)
    key = next(k for k in jwks["keys"] if k["kid"] == checked.jose_header["kid"])
    assert key["dept"] == world.dept_a and key["status"] == "active"
    public = {k: key[k] for k in ("kty", "crv", "x", "y")}
    checked.verify(jwk.JWK(**public), alg="ES256")
    claims = json.loads(checked.payload)
    assert checked.jose_header["typ"] == "dc+sd-jwt"

    # Core claims are visible; the holder's full ID is not, only masked.
    assert claims["jti"] == response.json["identifier"]
    assert claims["vct"] == world.type_a
    assert claims["dept"] == world.dept_a
    assert claims["holder_id_masked"] == holder[:6] + "********" + holder[-4:]
    assert holder not in checked.payload.decode()
    assert claims["ver"] == 1 and claims["exp"] > claims["nbf"]

    # RFC 9901: each disclosure is base64url([salt, name, value]) and its SHA-256 digest is in _sd.
    assert claims["_sd_alg"] == "sha-256"
    disclosed = {}
    for disclosure in disclosures:
        digest = base64.urlsafe_b64encode(hashlib.sha256(disclosure.encode("ascii")).digest()).rstrip(b"=").decode()
        assert digest in claims["_sd"]
        salt, name, value = json.loads(b64decode(disclosure))
        assert len(b64decode(salt)) >= 16
        disclosed[name] = value
    assert len(claims["_sd"]) == len(disclosures)
    assert disclosed == {
        "holder_id": holder,
        "company_name": "示例有限公司",
        "legal_representative": "王五",
        "established_on": "2021-03-04",
        "registered_capital": 1000000.0,
        "employees": 12,
    }


def test_identifier_names_type_issuer_and_version(client: FlaskClient, world: World) -> None:
    identifier = issue(client, world).json["identifier"]
    assert identifier.startswith(f"1.2.156.3005.2.{world.type_a}.{world.dept_a}.")
    assert identifier.split(".")[-2] == "001"


def test_field_errors_name_each_field(client: FlaskClient, world: World) -> None:
    body = certificate_body(world.type_a, employees="many", unknown_field=1)
    del body["fields"]["company_name"]
    response = issue(client, world, body=body)
    assert response.status_code == 422
    assert response.json["code"] == "VALIDATION_FAILED"
    errors = response.json["errors"]["certificates"]["0"]["fields"]
    assert set(errors) == {"company_name", "employees", "unknown_field"}


def test_an_invalid_holder_id_is_a_422_naming_the_field(client: FlaskClient, world: World) -> None:
    response = issue(client, world, holder_id="110105194912310021")
    assert response.status_code == 422
    assert "check character" in response.json["errors"]["holder"]["id"][0]


def test_a_department_cannot_issue_a_type_it_is_not_allowed(client: FlaskClient, world: World) -> None:
    response = client.post(
        "/api/v1/certificates", json=certificate_body(world.type_b), headers=world.headers("issuer_a")
    )
    assert response.status_code == 403
    assert response.json["code"] == "TYPE_NOT_PERMITTED"


def test_agencies_holders_and_admins_cannot_issue(client: FlaskClient, world: World) -> None:
    for who in ("agency", "holder", "admin"):
        response = issue(client, world, who=who)
        assert response.status_code == 403, who
        assert response.json["code"] == "ROLE_NOT_PERMITTED"


def test_issuing_without_a_token_is_401(client: FlaskClient, world: World) -> None:
    response = client.post("/api/v1/certificates", json=certificate_body(world.type_a))
    assert response.status_code == 401
    assert response.json["code"] == "MISSING_TOKEN"


def test_an_unknown_type_is_a_422(client: FlaskClient, world: World) -> None:
    response = issue(client, world, body=certificate_body(world.dept_a + "999"))
    assert response.status_code == 422
    assert response.json["errors"]["certificates"]["0"] == {"type": ["unknown certificate type"]}


def test_validity_defaults_from_the_type_and_must_be_ordered(client: FlaskClient, world: World) -> None:
    response = issue(client, world)
    assert response.json["valid_until"] is not None
    body = certificate_body(world.type_a)
    body |= {"valid_from": "2026-01-02T00:00:00Z", "valid_until": "2026-01-01T00:00:00Z"}
    response = issue(client, world, body=body)
    assert response.status_code == 422
    assert response.json["errors"]["certificates"]["0"] == {"valid_until": ["must be after valid_from"]}


def batch(client: FlaskClient, world: World, items: list[dict[str, Any]], key: str | None = None) -> Any:
    headers = world.headers("issuer_a") | ({"Idempotency-Key": key} if key else {})
    return client.post("/api/v1/certificates/batch", json={"certificates": items}, headers=headers)


def count(app: Flask) -> int:
    with app.app_context():
        return db.session.query(Certificate).count()


def test_a_batch_is_issued_whole(client: FlaskClient, world: World, app: Flask) -> None:
    response = batch(client, world, [certificate_body(world.type_a) for _ in range(25)])
    assert response.status_code == 201
    assert len({c["identifier"] for c in response.json["certificates"]}) == 25
    assert count(app) == 25


def test_one_bad_certificate_fails_the_whole_batch(client: FlaskClient, world: World, app: Flask) -> None:
    items = [certificate_body(world.type_a) for _ in range(10)]
    items[7]["fields"]["established_on"] = "not a date"
    response = batch(client, world, items)
    assert response.status_code == 422
    assert list(response.json["errors"]["certificates"]) == ["7"]
    assert count(app) == 0


def test_a_batch_with_a_forbidden_type_issues_nothing(client: FlaskClient, world: World, app: Flask) -> None:
    items = [certificate_body(world.type_a), certificate_body(world.type_b)]
    assert batch(client, world, items).status_code == 403
    assert count(app) == 0


def test_a_batch_holds_at_most_1000(client: FlaskClient, world: World) -> None:
    response = batch(client, world, [certificate_body(world.type_a)] * 1001)
    assert response.status_code == 422
    assert "certificates" in response.json["errors"]


def test_a_retried_batch_with_the_same_key_creates_nothing_twice(client: FlaskClient, world: World, app: Flask) -> None:
    items = [certificate_body(world.type_a) for _ in range(5)]
    first = batch(client, world, items, key="batch-2026-11-24-001")
    retry = batch(client, world, items, key="batch-2026-11-24-001")
    assert first.status_code == retry.status_code == 201
    assert [c["identifier"] for c in retry.json["certificates"]] == [
        c["identifier"] for c in first.json["certificates"]
    ]
    assert count(app) == 5


def test_reusing_a_key_for_another_request_is_refused(client: FlaskClient, world: World, app: Flask) -> None:
    batch(client, world, [certificate_body(world.type_a)], key="k1")
    response = batch(client, world, [certificate_body(world.type_a)], key="k1")
    assert response.status_code == 422
    assert response.json["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert count(app) == 1


def test_a_failed_batch_does_not_use_up_its_key(client: FlaskClient, world: World, app: Flask) -> None:
    items = [certificate_body(world.type_a)]
    items[0]["fields"]["employees"] = "x"
    assert batch(client, world, items, key="k2").status_code == 422
    items[0]["fields"]["employees"] = 3
    assert batch(client, world, items, key="k2").status_code == 201


def test_idempotency_keys_are_per_client(client: FlaskClient, world: World, app: Flask) -> None:
    headers_b = world.headers("issuer_b") | {"Idempotency-Key": "same"}
    batch(client, world, [certificate_body(world.type_a)], key="same")
    response = client.post(
        "/api/v1/certificates/batch", json={"certificates": [certificate_body(world.type_b)]}, headers=headers_b
    )
    assert response.status_code == 201
    assert count(app) == 2
