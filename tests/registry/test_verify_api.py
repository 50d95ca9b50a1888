"""POST /api/v1/verify: anyone checks a presented certificate and gets every check with a stable code."""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from registry.models import LogEntry, db
from tests.conftest import another_app, app_settings
from tests.factories import World, certificate_body

CHECKS = ["format", "signature", "issuer", "key_status", "validity", "status", "disclosures"]


def issue(client: FlaskClient, world: World, **body: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/certificates",
        json=certificate_body(world.type_a, holder_id=world.holder_id) | body,
        headers=world.headers("issuer_a"),
    )
    assert response.status_code == 201
    return dict(response.json)


def verify(client: FlaskClient, token: str) -> dict[str, Any]:
    response = client.post("/api/v1/verify", json={"token": token})
    assert response.status_code == 200, response.json
    return dict(response.json)


def codes(result: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["code"] for c in result["checks"]}


def test_a_valid_certificate_passes_every_check_in_order(client: FlaskClient, world: World) -> None:
    cert = issue(client, world)
    result = verify(client, cert["signed_form"])
    assert result["valid"] is True
    assert [c["name"] for c in result["checks"]] == CHECKS
    assert set(codes(result).values()) == {"OK"}
    assert result["claims"]["jti"] == cert["identifier"]
    assert result["disclosed"]["company_name"] == "示例有限公司"


def test_only_the_disclosures_presented_are_disclosed(client: FlaskClient, world: World) -> None:
    jws, *disclosures, _ = issue(client, world)["signed_form"].split("~")
    names = [json.loads(base64.urlsafe_b64decode(d + "==="))[1] for d in disclosures]
    keep = [d for d, name in zip(disclosures, names, strict=True) if name == "company_name"]
    result = verify(client, "~".join([jws, *keep, ""]))
    assert result["valid"] and result["disclosed"] == {"company_name": "示例有限公司"}


def test_each_failure_has_its_code(client: FlaskClient, world: World) -> None:
    headers = world.headers("issuer_a")
    revoked, suspended = issue(client, world), issue(client, world)
    client.post(
        f"/api/v1/certificates/{revoked['identifier']}/revoke", json={"reason": "issued_in_error"}, headers=headers
    )
    client.post(f"/api/v1/certificates/{suspended['identifier']}/suspend", json={}, headers=headers)
    expired = issue(client, world, valid_from="2020-01-01T00:00:00Z", valid_until="2021-01-01T00:00:00Z")
    revoked_result = verify(client, revoked["signed_form"])
    assert codes(revoked_result)["status"] == "REVOKED"
    assert revoked_result["claims"]["jti"] == revoked["identifier"]  # the signature held: say what was revoked
    assert codes(verify(client, suspended["signed_form"]))["status"] == "SUSPENDED"
    assert codes(verify(client, expired["signed_form"]))["validity"] == "EXPIRED"

    good = issue(client, world)["signed_form"]
    head, payload, signature = good.split("~")[0].split(".")
    tampered = f"{head}.{payload}.{signature[:-4]}AAAA~" + "~".join(good.split("~")[1:])
    result = verify(client, tampered)
    assert result["valid"] is False and codes(result)["signature"] == "BAD_SIGNATURE"
    assert result["claims"] == {} and result["disclosed"] == {}

    parts = good.split("~")
    salt, name, _ = json.loads(base64.urlsafe_b64decode(parts[1] + "==="))
    parts[1] = base64.urlsafe_b64encode(json.dumps([salt, name, "forged"]).encode()).rstrip(b"=").decode()
    assert codes(verify(client, "~".join(parts)))["disclosures"] == "DISCLOSURE_NOT_SIGNED"


def test_text_that_is_not_a_certificate_is_malformed_not_an_error(client: FlaskClient) -> None:
    for text in ("hello", "a.b.c", "eyJhbGciOiJub25lIn0.e30.~"):
        result = verify(client, text)
        assert result["valid"] is False
        assert result["checks"][0]["name"] == "format" and not result["checks"][0]["passed"]


def test_verification_is_public_bounded_and_logged_for_the_holder(
    client: FlaskClient, world: World, app: Flask
) -> None:
    cert = issue(client, world)
    verify(client, cert["signed_form"])
    with app.app_context():
        entry = db.session.scalars(sa.select(LogEntry).order_by(LogEntry.idx.desc()).limit(1)).one()
        assert (entry.action, entry.actor_kind, entry.certificate) == (
            "certificate:verify",
            "anonymous",
            cert["identifier"],
        )
    mine = client.get("/api/v1/me/access-log", headers=world.headers("holder")).json["items"]
    assert mine[0]["entry"]["action"] == "certificate:verify"
    assert client.post("/api/v1/verify", json={"token": "x" * 20_000}).status_code == 422
    assert client.post("/api/v1/verify", json={}).status_code == 422


def test_a_superseded_certificate_says_so_and_names_its_successor(client: FlaskClient, world: World) -> None:
    old = issue(client, world)
    fields = {"company_name": "新名称", "legal_representative": "王五", "established_on": "2021-03-04"}
    new = client.post(
        f"/api/v1/certificates/{old['identifier']}/amend", json={"fields": fields}, headers=world.headers("issuer_a")
    ).json
    result = verify(client, old["signed_form"])
    status = next(c for c in result["checks"] if c["name"] == "status")
    assert (status["code"], status["detail"]) == ("SUPERSEDED", f"superseded by {new['identifier']}")
    assert verify(client, new["signed_form"])["valid"] is True


@pytest.mark.parametrize("storage", ["memory://", "redis://127.0.0.1:6379/15"])
def test_verification_is_rate_limited_per_client_address(
    tmp_path: Path, keystore_dir: Path, database_url: str, app: Flask, storage: str
) -> None:
    settings = app_settings(tmp_path, keystore_dir, database_url) | {
        "REGISTRY_RATELIMIT_VERIFY": "3/minute",
        "REGISTRY_RATELIMIT_STORAGE": storage,
        "REGISTRY_RATELIMIT_PREFIX": f"test-{secrets.token_hex(6)}",  # a count of this test's own
    }
    with another_app(settings) as limited:
        client = limited.test_client()
        answers = [client.post("/api/v1/verify", json={"token": "x"}).status_code for _ in range(3)]
        assert answers == [200, 200, 200]
        refused = client.post("/api/v1/verify", json={"token": "x"})
        assert refused.status_code == 429
        assert refused.json["code"] == "TOO_MANY_REQUESTS" and "Retry-After" in refused.headers
        assert client.get("/v/x").status_code == 429  # the page shares the limit
        other = client.post("/api/v1/verify", json={"token": "x"}, environ_base={"REMOTE_ADDR": "10.0.0.9"})
        assert other.status_code == 200  # another address has its own count
