"""Seals over time: the operator's key commands, and the JWKS that keeps every key ever used."""

import datetime as dt
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from registry.models import Seal, db
from tests.factories import World, certificate_body, published_verifier
from verifiers import VerificationFailed, Verifier


def run(app: Flask, *args: str) -> Any:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result


def seals_of(app: Flask, credit_code: str) -> list[Seal]:
    with app.app_context():
        return [s for s in db.session.query(Seal).all() if s.department and s.department.credit_code == credit_code]


def issue(client: FlaskClient, world: World) -> str:
    response = client.post(
        "/api/v1/certificates", json=certificate_body(world.type_a), headers=world.headers("issuer_a")
    )
    assert response.status_code == 201
    return str(response.json["signed_form"])


def verifier(client: FlaskClient) -> Verifier:
    return published_verifier(client)


def test_jwks_publishes_status_validity_and_owner(client: FlaskClient, world: World) -> None:
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert "max-age" in response.headers["Cache-Control"]
    keys = response.json["keys"]
    seals = [k for k in keys if k["purpose"] == "seal"]
    assert {k["dept"] for k in seals} == {world.dept_a, world.dept_b}
    for key in keys:
        assert {"kty", "crv", "x", "kid", "alg", "use", "status", "nbf", "exp"} <= set(key)
        assert key["nbf"] < key["exp"]
        assert "d" not in key  # never the private part


def test_rotation_retires_the_old_seal_and_its_certificates_still_verify(
    client: FlaskClient, world: World, app: Flask
) -> None:
    before = issue(client, world)
    old_kid = seals_of(app, world.dept_a)[0].kid
    run(app, "seal", "rotate", world.dept_a)
    after = issue(client, world)
    statuses = {s.kid: s.status for s in seals_of(app, world.dept_a)}
    assert statuses.pop(old_kid) == "retired"
    [(new_kid, status)] = statuses.items()
    assert status == "active"
    check = verifier(client)
    assert check.verify(before).kid == old_kid
    assert check.verify(after).kid == new_kid


def test_ed25519_seals_sign_and_verify(client: FlaskClient, world: World, app: Flask) -> None:
    run(app, "seal", "rotate", world.dept_a, "--alg", "EdDSA")
    signed = issue(client, world)
    assert verifier(client).verify(signed).checks[1].passed


def test_a_retired_seal_no_longer_signs(client: FlaskClient, world: World, app: Flask) -> None:
    [seal] = seals_of(app, world.dept_a)
    run(app, "seal", "retire", "--kid", seal.kid)
    response = client.post(
        "/api/v1/certificates", json=certificate_body(world.type_a), headers=world.headers("issuer_a")
    )
    assert response.status_code == 503
    assert response.json["code"] == "NO_ACTIVE_KEY"


def test_a_compromised_seal_fails_what_it_signed_after_the_compromise(
    client: FlaskClient, world: World, app: Flask
) -> None:
    [seal] = seals_of(app, world.dept_a)
    signed = issue(client, world)
    when = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).isoformat()
    result = run(app, "seal", "compromise", "--kid", seal.kid, "--at", when)
    assert "compromised" in result.output
    key = next(k for k in client.get("/.well-known/jwks.json").json["keys"] if k["kid"] == seal.kid)
    assert key["status"] == "compromised"
    assert key["compromised_at"] == int(dt.datetime.fromisoformat(when).timestamp())
    try:
        verifier(client).verify(signed)
        raise AssertionError("a certificate signed after the compromise verified")
    except VerificationFailed as e:
        assert e.code == "KEY_COMPROMISED"


def test_seal_commands_name_what_is_wrong(app: Flask, world: World) -> None:
    runner = app.test_cli_runner()
    assert "KEY_NOT_FOUND" in runner.invoke(args=["seal", "retire", "--kid", "no-such-kid"]).output
    assert "DEPARTMENT_NOT_FOUND" in runner.invoke(args=["seal", "create", "9144030071526726XG"]).output
    assert "not an ISO 8601" in runner.invoke(args=["seal", "compromise", "--kid", "-x", "--at", "yesterday"]).output
    assert runner.invoke(args=["seal", "create"]).exit_code != 0


def test_seal_list_and_registry_key_rotation(app: Flask, world: World) -> None:
    run(app, "seal", "rotate", "--registry")
    listing = run(app, "seal", "list").output
    assert listing.count("registry") == 2
    assert "retired" in listing


def test_certificates_signed_before_a_compromise_still_verify_flagged(
    client: FlaskClient, world: World, app: Flask
) -> None:
    [seal] = seals_of(app, world.dept_a)
    signed = issue(client, world)
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)).isoformat()
    run(app, "seal", "compromise", "--kid", seal.kid, "--at", later)
    result = verifier(client).verify(signed)
    assert next(c for c in result.checks if c.name == "key_status").code == "KEY_COMPROMISED_LATER"


def test_setting_a_seal_picture_is_a_logged_change(app: Flask, world: World, tmp_path: Path) -> None:
    from issuers.sealimage import draw_seal
    from registry.models import LogEntry

    with app.app_context():
        kid = db.session.scalar(sa.select(Seal.kid).where(Seal.department_id.is_not(None)).limit(1))
    png = tmp_path / "seal.png"
    png.write_bytes(draw_seal(world.dept_a))
    result = app.test_cli_runner().invoke(args=["seal", "picture", "--kid", kid, str(png)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        entry = db.session.scalar(sa.select(LogEntry).where(LogEntry.action == "key:picture"))
        assert entry is not None and entry.reason == f"key {kid}" and entry.actor_kind == "operator"
