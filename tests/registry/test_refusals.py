"""Every refusal that concerns somebody's record is on that record, whatever its status code."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry.models import LogEntry, db
from tests.factories import World, certificate_body
from tests.registry.test_sharing import ITEM, add_item, add_policy
from tests.registry.test_stamps import detached


def issue(client: FlaskClient, world: World) -> str:
    body = certificate_body(world.type_a, holder_id=world.holder_id)
    response = client.post("/api/v1/certificates", json=body, headers=world.headers("issuer_a"))
    assert response.status_code == 201
    return str(response.json["identifier"])


def holders_refusals(client: FlaskClient, world: World, who: str = "holder") -> list[tuple[Any, ...]]:
    items = client.get("/api/v1/me/access-log", headers=world.headers(who)).json["items"]
    return [
        (i["entry"]["action"], i["entry"]["actor"]["kind"], i["entry"]["error_code"])
        for i in items
        if i["entry"]["outcome"] == "refused"
    ]


@pytest.mark.parametrize(
    ("change", "body"),
    [
        ("suspend", {}),
        ("reinstate", {}),
        ("revoke", {"reason": "issued_in_error"}),
        ("amend", {"fields": {"company_name": "x", "legal_representative": "y", "established_on": "2020-01-01"}}),
    ],
)
def test_another_departments_change_attempt_is_on_the_holders_record(
    client: FlaskClient, world: World, change: str, body: dict[str, Any]
) -> None:
    identifier = issue(client, world)
    response = client.post(f"/api/v1/certificates/{identifier}/{change}", json=body, headers=world.headers("issuer_b"))
    assert response.status_code == 404
    assert holders_refusals(client, world) == [(f"certificate:{change}", "issuer", "CERTIFICATE_NOT_FOUND")]


def test_a_role_refusal_and_an_anonymous_read_are_on_the_holders_record(client: FlaskClient, world: World) -> None:
    identifier = issue(client, world)
    assert client.get(f"/api/v1/certificates/{identifier}", headers=world.headers("agency")).status_code == 403
    assert client.get(f"/api/v1/certificates/{identifier}").status_code == 401
    assert (
        client.get(f"/api/v1/certificates/{identifier}/qr.png", headers=world.headers("other_holder")).status_code
        == 404
    )
    assert sorted(holders_refusals(client, world)) == [
        ("certificate:qr", "holder", "CERTIFICATE_NOT_FOUND"),
        ("certificate:read", "agency", "ROLE_NOT_PERMITTED"),
        ("certificate:read", "anonymous", "MISSING_TOKEN"),
    ]
    assert holders_refusals(client, world, "other_holder") == []  # the attempt is not on the caller's record


def test_another_holders_consent_withdrawal_is_on_the_consenting_holders_record(
    client: FlaskClient, world: World
) -> None:
    issue(client, world)
    add_item(client, world)
    add_policy(client, world, ["company_name"], consent_required=True)
    body = {"agency": world.agency, "service_item": ITEM}
    consent = client.post("/api/v1/me/consents", json=body, headers=world.headers("holder")).json["id"]
    assert client.delete(f"/api/v1/me/consents/{consent}", headers=world.headers("other_holder")).status_code == 404
    assert holders_refusals(client, world) == [("consent:withdraw", "holder", "CONSENT_NOT_FOUND")]
    assert client.get("/api/v1/me/consents", headers=world.headers("holder")).json[0]["active"] is True


def test_another_departments_stamp_revocation_is_on_the_stamping_departments_record(
    client: FlaskClient, world: World
) -> None:
    reference = detached(client, world)["reference"]
    refused = client.post(f"/api/v1/stamps/{reference}/revoke", json={"reason": "x"}, headers=world.headers("issuer_b"))
    assert refused.status_code == 404
    items = client.get(
        f"/api/v1/log/entries?department={world.dept_a}&action=stamp:revoke", headers=world.headers("issuer_a")
    ).json["items"]
    assert [(e["outcome"], e["error_code"], e["actor"]["department"]["credit_code"]) for e in items] == [
        ("refused", "STAMP_NOT_FOUND", world.dept_b)
    ]


def test_anonymous_refusals_naming_nothing_are_counted_not_appended(
    client: FlaskClient, world: World, app: Flask
) -> None:
    with app.app_context():
        before = db.session.query(LogEntry).count()
    for _ in range(5):  # /oauth/token allows 10 tries a minute per address and per client id
        assert client.get("/api/v1/certificates", headers={"Authorization": "Bearer x" * 40}).status_code == 401
        assert (
            client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=("no", "no")).status_code == 401
        )
    with app.app_context():
        assert db.session.query(LogEntry).count() == before
    counts = app.extensions["registry.refusals"].counts
    assert counts["INVALID_TOKEN"] == 5 and counts["INVALID_CLIENT"] == 5


def test_no_view_or_page_commits() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "registry"
    offenders = [
        str(p.relative_to(root)) for p in [*root.glob("api/*.py"), root / "pages.py"] if "commit()" in p.read_text()
    ]
    assert offenders == []


def test_reading_the_ca_before_setup_writes_nothing_and_answers_503(client: FlaskClient, app: Flask) -> None:
    with app.app_context():
        before = db.session.query(LogEntry).count()
    for path in ("/api/v1/ca.pem", "/api/v1/ca.crl"):
        response = client.get(path)
        assert response.status_code == 503 and response.json["code"] == "NO_CA"
    with app.app_context():
        from registry.models import Seal
        from registry.vocabulary import KeyPurpose

        assert db.session.query(Seal).filter(Seal.purpose == KeyPurpose.CA).count() == 0
        assert db.session.query(LogEntry).count() == before
    assert app.test_cli_runner().invoke(args=["setup"]).exit_code == 0
    assert client.get("/api/v1/ca.pem").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/sharing-policies/{2**63}",
        f"/api/v1/status-lists/{2**64}/revocation",
        f"/api/v1/log/proof/inclusion?index={2**63}&size=1",
        f"/api/v1/log/proof/consistency?old=1&new={2**70}",
    ],
)
def test_integers_beyond_what_a_column_holds_are_404_or_422_not_500(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code in (404, 422)


def test_integers_beyond_64_bits_in_authenticated_paths_too(client: FlaskClient, world: World) -> None:
    assert client.delete(f"/api/v1/me/consents/{2**63}", headers=world.headers("holder")).status_code == 404
    assert client.get(f"/api/v1/certificates?after={2**63}", headers=world.headers("admin")).status_code == 422
    assert client.get(f"/api/v1/me/access-log?before={2**64}", headers=world.headers("holder")).status_code == 422
