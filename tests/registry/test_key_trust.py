"""Keys nobody can slip in: a key that is only a database row (a new one, or another public key under a
real key's id) is neither published nor trusted. The attacker here can write to the database but not to
the keystore."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient

from issuers.signing import SoftwareSigner, generate_private_key, jws_encode, sign
from issuers.x509ca import make_root, to_pem
from registry.models import Seal, db, utcnow
from registry.vocabulary import KeyPurpose, KeyStatus
from registry.wiring import services
from tests.factories import World, bearer
from tests.registry.test_auth import claims
from verifiers import formats
from verifiers.checkpoint import verify_checkpoint
from verifiers.errors import InvalidCheckpoint


def slip_in(app: Flask, purpose: KeyPurpose, signer: SoftwareSigner, **extra: object) -> None:
    with app.app_context():
        now = utcnow()
        db.session.add(
            Seal(
                kid=signer.kid,
                alg=signer.alg,
                purpose=purpose,
                public_jwk=signer.public_jwk(),
                status=KeyStatus.ACTIVE,
                not_before=now - dt.timedelta(days=1),
                not_after=now + dt.timedelta(days=365),
                **extra,
            )
        )
        db.session.commit()


def test_a_registry_key_inserted_by_sql_is_not_published_and_signs_no_access_token(
    client: FlaskClient, world: World, app: Flask
) -> None:
    forger = SoftwareSigner(generate_private_key())
    slip_in(app, KeyPurpose.REGISTRY, forger)
    published = {k["kid"] for k in client.get("/.well-known/jwks.json").json["keys"]}
    assert forger.kid not in published
    token = jws_encode(claims(world), forger, "at+jwt")
    assert client.get("/api/v1/certificates", headers=bearer(token)).status_code == 401
    # Nor does a checkpoint it signs verify against what the registry publishes.
    forged = sign(formats.checkpoint_claims("x/log", 1, b"\0" * 32, 1), forger, formats.CHECKPOINT)
    with pytest.raises(InvalidCheckpoint):
        verify_checkpoint(forged, client.get("/.well-known/jwks.json").json)
    # And the registry keeps signing with its own key, not with the newer row.
    with app.app_context():
        assert services().keys.signing_key(None).kid != forger.kid


def test_a_real_kid_with_another_public_key_is_not_trusted(client: FlaskClient, world: World, app: Flask) -> None:
    forger = SoftwareSigner(generate_private_key())
    with app.app_context():
        real = services().keys.signing_key(None)
        row = db.session.query(Seal).filter(Seal.kid == real.kid).one()
        row.public_jwk = {**forger.public_jwk(), "kid": real.kid}
        db.session.commit()
    assert real.kid not in {k["kid"] for k in client.get("/.well-known/jwks.json").json["keys"]}
    token = jws_encode(claims(world), forger, "at+jwt")
    forged = token.split(".")
    assert client.get("/api/v1/certificates", headers=bearer(".".join(forged))).status_code == 401


def test_a_department_seal_inserted_by_sql_is_not_published(client: FlaskClient, world: World, app: Flask) -> None:
    forger = SoftwareSigner(generate_private_key())
    with app.app_context():
        department = services().catalog.get_department(world.dept_a)
    slip_in(app, KeyPurpose.SEAL, forger, department_id=department.id)
    bundle_keys = client.get("/.well-known/jwks.json").json["keys"]
    assert forger.kid not in {k["kid"] for k in bundle_keys}


def test_a_root_certificate_inserted_by_sql_is_not_the_registrys_root(
    client: FlaskClient, world: World, app: Flask
) -> None:
    before = client.get("/api/v1/ca.pem").get_data()
    forger = SoftwareSigner(generate_private_key())
    now = utcnow()
    root = make_root(forger.private_key, now - dt.timedelta(minutes=5), now + dt.timedelta(days=365))
    slip_in(app, KeyPurpose.CA, forger, certificate_pem=to_pem(root))
    after = client.get("/api/v1/ca.pem").get_data()
    assert after == before
