"""Keys nobody can slip in, offline too: each registry key is announced by a statement its predecessor
signed (the first by itself), so a verifier that pinned the first key id follows the chain to the key that
signs today's bundle, and nothing else."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from issuers.signing import SoftwareSigner, generate_private_key, jws_encode, sign
from registry.models import Seal, db
from registry.principals import OPERATOR
from registry.wiring import services
from tests.factories import World
from verifiers import InvalidBundle, formats, jose, read_bundle
from verifiers.keychain import KEY_STATEMENT_TYP, follow, statement_claims


def registry_kid(app: Flask) -> str:
    with app.app_context():
        return services().keys.signing_key(None).kid


def rotate(app: Flask) -> str:
    with app.app_context():
        seal = services().keys.rotate(None, actor=OPERATOR)
        db.session.commit()
        return seal.kid


def test_a_verifier_pinned_to_the_first_key_follows_two_rotations(
    client: FlaskClient, world: World, app: Flask
) -> None:
    first = registry_kid(app)
    second, third = rotate(app), rotate(app)
    bundle = client.get("/api/v1/verifier-bundle").get_data(as_text=True)
    assert read_bundle(bundle, [first]).kid == third
    assert list(follow(statements(bundle), [first])) == [first, second, third]


def statements(bundle: str) -> list[str]:

    return list(jose.unverified_payload(bundle)["key_statements"])


def test_a_pin_the_chain_does_not_lead_from_is_refused(client: FlaskClient, world: World, app: Flask) -> None:
    rotate(app)
    bundle = client.get("/api/v1/verifier-bundle").get_data(as_text=True)
    stranger = SoftwareSigner(generate_private_key())
    with pytest.raises(InvalidBundle) as refused:
        read_bundle(bundle, [stranger.kid])
    assert refused.value.code == "UNTRUSTED_KEY"


def test_a_key_that_vouches_for_itself_is_not_followed(client: FlaskClient, world: World, app: Flask) -> None:
    """A forger copies the real chain and appends its own key, self-signed, then signs a bundle with it."""
    first = registry_kid(app)
    real = client.get("/api/v1/verifier-bundle").get_data(as_text=True)
    forger = SoftwareSigner(generate_private_key())
    own = jws_encode(statement_claims(1_800_000_000, forger.public_jwk(), forger.kid), forger, KEY_STATEMENT_TYP)
    claims = formats.bundle_claims(
        "https://registry.test",
        1_800_000_000,
        {"keys": [*read_bundle(real).jwks["keys"], {**forger.public_jwk(), "status": "active",
                  "purpose": "registry", "nbf": 0, "exp": 4_000_000_000}]},
        {},
        [*statements(real), own],
    )  # fmt: skip
    forged = sign(claims, forger, formats.BUNDLE)
    with pytest.raises(InvalidBundle) as refused:
        read_bundle(forged, [first])
    assert refused.value.code == "UNTRUSTED_KEY"
    assert forger.kid not in follow([*statements(real), own], [first])


def test_setup_gives_keys_made_before_the_chain_their_statements(client: FlaskClient, world: World, app: Flask) -> None:
    first = registry_kid(app)
    with app.app_context():
        db.session.query(Seal).update({Seal.statement: None})
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["setup"])
    assert result.exit_code == 0, result.output
    assert f"key statement for {first}" in result.output
    second = rotate(app)
    bundle = client.get("/api/v1/verifier-bundle").get_data(as_text=True)
    assert read_bundle(bundle, [first]).kid == second
