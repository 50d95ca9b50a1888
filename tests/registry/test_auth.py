"""Authentication: client credentials for access tokens, and every kind of bad token refused with 401."""

import base64
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from flask import Flask
from flask.testing import FlaskClient

from issuers.signing import SoftwareSigner, generate_private_key, jws_encode
from registry.models import ApiClient, Seal, db
from registry.principals import OPERATOR
from registry.vocabulary import KeyPurpose
from registry.wiring import services
from tests.factories import CLIENT_SECRET, World, bearer, certificate_body, holder_token

ISSUER = "https://registry.test"
AUDIENCE = f"{ISSUER}/api"


def test_client_credentials_with_basic_auth_give_a_short_lived_token(client: FlaskClient, world: World) -> None:
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(world.client_ids["issuer_a"], CLIENT_SECRET),
    )
    assert response.status_code == 200
    assert response.json["token_type"] == "Bearer"
    assert response.json["expires_in"] == 900
    token = response.json["access_token"]
    assert jwt.get_unverified_header(token)["typ"] == "at+jwt"
    assert client.get("/api/v1/certificates", headers=bearer(token)).status_code == 200


def test_client_credentials_in_the_form_work_too(client: FlaskClient, world: World) -> None:
    form = {"grant_type": "client_credentials", "client_id": world.client_ids["admin"], "client_secret": CLIENT_SECRET}
    assert client.post("/oauth/token", data=form).status_code == 200


@pytest.mark.parametrize(
    ("client_id", "secret"), [("issuer_a", "wrong-secret"), ("nobody", CLIENT_SECRET), ("issuer_a", "")]
)
def test_a_wrong_secret_or_unknown_client_gets_no_token(
    client: FlaskClient, world: World, client_id: str, secret: str
) -> None:
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(world.client_ids.get(client_id, client_id), secret),
    )
    assert response.status_code == 401
    assert response.json["code"] == "INVALID_CLIENT"
    assert "access_token" not in response.json


def test_only_the_client_credentials_grant_is_offered(client: FlaskClient, world: World) -> None:
    response = client.post("/oauth/token", data={"grant_type": "password"}, auth=(world.client_ids["admin"], "x"))
    assert response.status_code == 422
    assert "grant_type" in response.json["errors"]


def test_client_secrets_are_stored_only_as_a_slow_hash(app: Flask, world: World) -> None:
    with app.app_context():
        client, secret = services().clients.create("new", "admin", None, actor=OPERATOR)
        db.session.commit()
        stored = db.session.get(ApiClient, client.id).secret_hash
    assert secret not in stored
    assert stored.startswith("scrypt$32768$8$1$")


def test_a_disabled_client_is_refused_even_with_a_valid_token(client: FlaskClient, world: World, app: Flask) -> None:
    with app.app_context():
        found = services().clients.find(world.client_ids["issuer_a"])
        assert found is not None
        found.active = False
        db.session.commit()
    assert client.get("/api/v1/certificates", headers=world.headers("issuer_a")).status_code == 401


def registry_signer(app: Flask) -> SoftwareSigner:
    with app.app_context():
        return services().keys.signing_key(None)  # type: ignore[return-value]


def claims(world: World, **overrides: Any) -> dict[str, Any]:
    now = int(dt.datetime.now(dt.UTC).timestamp())
    base = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": world.client_ids["admin"],
        "client_id": world.client_ids["admin"],
        "role": "admin",
        "iat": now,
        "exp": now + 300,
    }
    return {k: v for k, v in (base | overrides).items() if v is not None}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], payload: dict[str, Any]) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}."


BadToken = Callable[[Flask, World], str]


def alg_none(app: Flask, world: World) -> str:
    signer = registry_signer(app)
    return unsigned({"alg": "none", "typ": "at+jwt", "kid": signer.kid}, claims(world))


def hmac_with_public_key(app: Flask, world: World) -> str:
    # The classic confusion: HS256 with the published public key as the HMAC secret.
    signer = registry_signer(app)
    pem = signer.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "at+jwt", "kid": signer.kid}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims(world)).encode())}"
    import hashlib
    import hmac

    return f"{signing_input}.{b64(hmac.new(pem, signing_input.encode(), hashlib.sha256).digest())}"


def unknown_kid(app: Flask, world: World) -> str:
    return jws_encode(claims(world), SoftwareSigner(generate_private_key()), "at+jwt")


def department_seal_key(app: Flask, world: World) -> str:
    # A department's seal is published and valid, but it does not sign access tokens.
    with app.app_context():
        dept = services().catalog.get_department(world.dept_a)
        return jws_encode(claims(world), services().keys.signing_key(dept), "at+jwt")


def wrong_typ(app: Flask, world: World) -> str:
    return jws_encode(claims(world), registry_signer(app), "JWT")


def certificate_as_token(app: Flask, world: World) -> str:
    client = app.test_client()
    issued = client.post("/api/v1/certificates", json=certificate_body(world.type_a), headers=world.headers("issuer_a"))
    return str(issued.json["signed_form"].split("~")[0])


def expired(app: Flask, world: World) -> str:
    return jws_encode(claims(world, iat=1_700_000_000, exp=1_700_000_300), registry_signer(app), "at+jwt")


def missing(claim: str) -> BadToken:
    def token(app: Flask, world: World) -> str:
        return jws_encode(claims(world, **{claim: None}), registry_signer(app), "at+jwt")

    token.__name__ = f"missing_{claim}"
    return token


def wrong(claim: str, value: Any) -> BadToken:
    def token(app: Flask, world: World) -> str:
        return jws_encode(claims(world, **{claim: value}), registry_signer(app), "at+jwt")

    token.__name__ = f"wrong_{claim}"
    return token


def tampered_payload(app: Flask, world: World) -> str:
    head, _, sig = jws_encode(claims(world, role="issuer"), registry_signer(app), "at+jwt").split(".")
    return f"{head}.{b64(json.dumps(claims(world)).encode())}.{sig}"


def garbage(app: Flask, world: World) -> str:
    return "not-a-jwt"


def holder_token_from_an_untrusted_key(app: Flask, world: World) -> str:
    now = int(dt.datetime.now(dt.UTC).timestamp())
    payload = {
        "iss": app.config["REGISTRY_IDP_ISSUER"],
        "aud": "registry",
        "sub": world.holder_id,
        "name": "x",
        "iat": now,
        "exp": now + 60,
    }
    return jws_encode(payload, SoftwareSigner(generate_private_key()), "JWT")


def holder_token_for_another_audience(app: Flask, world: World) -> str:
    with app.app_context():
        idp = services().dev_idp()
        idp.audience = "another-service"
        return idp.mint(world.holder_id, "x")


def expired_holder_token(app: Flask, world: World) -> str:
    with app.app_context():
        return holder_token(world.holder_id, ttl=-10)


def access_token_of_a_deleted_registry_key(app: Flask, world: World) -> str:
    with app.app_context():
        signer = services().keys.signing_key(None)
        db.session.query(Seal).filter(Seal.purpose == KeyPurpose.REGISTRY).delete()
        db.session.commit()
    return jws_encode(claims(world), signer, "at+jwt")


BAD_TOKENS: list[BadToken] = [
    alg_none,
    hmac_with_public_key,
    unknown_kid,
    department_seal_key,
    wrong_typ,
    certificate_as_token,
    expired,
    missing("exp"),
    missing("iat"),
    missing("iss"),
    missing("aud"),
    missing("sub"),
    wrong("iss", "https://evil.test"),
    wrong("aud", "https://registry.test/other"),
    wrong("role", "issuer"),
    tampered_payload,
    garbage,
    holder_token_from_an_untrusted_key,
    holder_token_for_another_audience,
    expired_holder_token,
    access_token_of_a_deleted_registry_key,
]


@pytest.mark.parametrize("make_token", BAD_TOKENS, ids=lambda f: f.__name__)
def test_bad_tokens_get_401(client: FlaskClient, world: World, app: Flask, make_token: BadToken) -> None:
    token = make_token(app, world)
    response = client.get("/api/v1/certificates", headers=bearer(token))
    assert response.status_code == 401, response.json
    assert response.json["code"] in ("INVALID_TOKEN", "TOKEN_EXPIRED")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert token not in response.get_data(as_text=True)


def test_a_good_holder_token_reads_the_holders_list(client: FlaskClient, world: World) -> None:
    assert client.get("/api/v1/certificates", headers=world.headers("holder")).status_code == 200


def test_a_compromised_registry_key_invalidates_its_tokens(client: FlaskClient, world: World, app: Flask) -> None:
    with app.app_context():
        kid = services().keys.signing_key(None).kid
        services().keys.compromise(kid, dt.datetime.now(dt.UTC), actor=OPERATOR)
        db.session.commit()
    assert client.get("/api/v1/certificates", headers=world.headers("admin")).status_code == 401


def test_a_token_signed_by_a_retired_key_after_its_retirement_is_refused(
    client: FlaskClient, world: World, app: Flask
) -> None:
    signer = registry_signer(app)
    assert app.test_cli_runner().invoke(args=["seal", "rotate", "--registry"]).exit_code == 0
    now = int(dt.datetime.now(dt.UTC).timestamp())
    with app.app_context():  # say the key was made an hour ago and retired a minute ago
        from registry.models import Seal, db

        seal = db.session.scalar(db.select(Seal).where(Seal.kid == signer.kid))
        assert seal is not None and seal.status == "retired"
        seal.not_before = dt.datetime.fromtimestamp(now - 3600, dt.UTC)
        seal.retired_at = dt.datetime.fromtimestamp(now - 60, dt.UTC)
        db.session.commit()
    before = jws_encode(claims(world, iat=now - 120, exp=now + 180), signer, "at+jwt")
    after = jws_encode(claims(world, iat=now, exp=now + 300), signer, "at+jwt")
    assert client.get("/api/v1/clients", headers=bearer(before)).status_code == 200
    refused = client.get("/api/v1/clients", headers=bearer(after))
    assert refused.status_code == 401 and "retired" in refused.json["detail"]


def test_a_token_claiming_a_longer_life_than_the_registry_gives_is_refused(
    client: FlaskClient, world: World, app: Flask
) -> None:
    now = int(dt.datetime.now(dt.UTC).timestamp())
    forever = jws_encode(claims(world, iat=now, exp=now + 10 * 365 * 86400), registry_signer(app), "at+jwt")
    refused = client.get("/api/v1/clients", headers=bearer(forever))
    assert refused.status_code == 401 and refused.json["code"] == "TOKEN_TOO_LONG"
