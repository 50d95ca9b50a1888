"""Changing an issued certificate: suspend, reinstate, revoke, amend, and expiry by validity."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from registry.models import LogEntry, db
from tests.factories import World, certificate_body, published_verifier


def issue(client: FlaskClient, world: World, **body: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/certificates",
        json=certificate_body(world.type_a, holder_id=world.holder_id) | body,
        headers=world.headers("issuer_a"),
    )
    assert response.status_code == 201, response.json
    return dict(response.json)


def change(client: FlaskClient, world: World, identifier: str, what: str, who: str = "issuer_a", **body: Any) -> Any:
    return client.post(f"/api/v1/certificates/{identifier}/{what}", json=body, headers=world.headers(who))


def status(client: FlaskClient, world: World, identifier: str) -> str:
    return str(client.get(f"/api/v1/certificates/{identifier}", headers=world.headers("admin")).json["status"])


def test_suspend_then_reinstate(client: FlaskClient, world: World) -> None:
    cert = issue(client, world)["identifier"]
    suspended = change(client, world, cert, "suspend", reason="under inspection")
    assert suspended.status_code == 200 and suspended.json["status"] == "suspended"
    reinstated = change(client, world, cert, "reinstate")
    assert reinstated.status_code == 200 and reinstated.json["status"] == "valid"


def test_revoke_records_the_reason_and_is_final(client: FlaskClient, world: World) -> None:
    cert = issue(client, world)["identifier"]
    revoked = change(client, world, cert, "revoke", reason="license_withdrawn")
    assert revoked.status_code == 200
    assert (revoked.json["status"], revoked.json["status_reason"]) == ("revoked", "license_withdrawn")
    for what in ("reinstate", "suspend", "amend"):
        body = {"fields": {}} if what == "amend" else {}
        response = change(client, world, cert, what, **body)
        assert response.status_code == 409, what
        assert response.json["code"] == "INVALID_TRANSITION"
    assert status(client, world, cert) == "revoked"


def test_a_suspended_certificate_can_be_revoked_but_not_suspended_again(client: FlaskClient, world: World) -> None:
    cert = issue(client, world)["identifier"]
    change(client, world, cert, "suspend")
    assert change(client, world, cert, "suspend").status_code == 409
    assert change(client, world, cert, "revoke", reason="cancelled_by_holder").status_code == 200


def test_reinstating_a_valid_certificate_is_refused(client: FlaskClient, world: World) -> None:
    cert = issue(client, world)["identifier"]
    assert change(client, world, cert, "reinstate").json["code"] == "INVALID_TRANSITION"


def test_revocation_needs_a_reason_from_the_list(client: FlaskClient, world: World) -> None:
    cert = issue(client, world)["identifier"]
    assert change(client, world, cert, "revoke").status_code == 422
    response = change(client, world, cert, "revoke", reason="because")
    assert response.status_code == 422 and "reason" in response.json["errors"]
    assert status(client, world, cert) == "valid"


def test_amendment_is_the_next_version_and_supersedes_the_old_one(client: FlaskClient, world: World) -> None:
    old = issue(client, world)
    fields = {"company_name": "新名称有限公司", "legal_representative": "王五", "established_on": "2021-03-04"}
    response = change(client, world, old["identifier"], "amend", fields=fields)
    assert response.status_code == 201, response.json
    new = response.json
    old_parts, new_parts = old["identifier"].split("."), new["identifier"].split(".")
    assert new_parts[:-2] == old_parts[:-2]  # same type, issuer and serial
    assert (old_parts[-2], new_parts[-2]) == ("001", "002")
    assert new["version"] == 2 and new["supersedes"] == old["identifier"]
    assert new["fields"]["company_name"] == "新名称有限公司"
    assert new["valid_until"] == old["valid_until"]
    assert status(client, world, old["identifier"]) == "superseded"
    # The new version is signed like any certificate, and still discloses the holder's full ID.
    verified = published_verifier(client).verify(new["signed_form"])
    assert verified.claims["ver"] == 2 and verified.claims["jti"] == new["identifier"]
    assert verified.disclosed["holder_id"] == world.holder_id
    again = change(client, world, new["identifier"], "amend", fields=fields)
    assert again.json["identifier"].split(".")[-2] == "003"


def test_amended_fields_are_validated_like_issued_ones(client: FlaskClient, world: World) -> None:
    old = issue(client, world)["identifier"]
    response = change(client, world, old, "amend", fields={"company_name": "x", "employees": "many"})
    assert response.status_code == 422
    assert set(response.json["errors"]["fields"]) == {"legal_representative", "established_on", "employees"}
    assert status(client, world, old) == "valid"


def test_a_certificate_past_its_validity_is_expired(client: FlaskClient, world: World) -> None:
    cert = issue(client, world, valid_from="2020-01-01T00:00:00Z", valid_until="2021-01-01T00:00:00Z")
    assert cert["status"] == "expired"
    assert change(client, world, cert["identifier"], "suspend").json["code"] == "INVALID_TRANSITION"
    admin = world.headers("admin")
    expired = client.get("/api/v1/certificates?status=expired", headers=admin).json["items"]
    valid = client.get("/api/v1/certificates?status=valid", headers=admin).json["items"]
    assert [c["identifier"] for c in expired] == [cert["identifier"]]
    assert cert["identifier"] not in [c["identifier"] for c in valid]
    assert change(client, world, cert["identifier"], "revoke", reason="issued_in_error").status_code == 200


@pytest.mark.parametrize("who", ["issuer_b", "admin", "agency", "holder"])
def test_only_the_issuing_department_changes_a_certificate(client: FlaskClient, world: World, who: str) -> None:
    cert = issue(client, world)["identifier"]
    response = change(client, world, cert, "suspend", who=who)
    assert response.status_code == (404 if who == "issuer_b" else 403)
    assert status(client, world, cert) == "valid"


def test_every_change_is_in_the_access_log(client: FlaskClient, world: World, app: Flask) -> None:
    cert = issue(client, world)["identifier"]
    change(client, world, cert, "suspend", reason="under inspection")
    change(client, world, cert, "reinstate")
    fields = {"company_name": "x", "legal_representative": "y", "established_on": "2020-01-01"}
    new = change(client, world, cert, "amend", fields=fields).json["identifier"]
    change(client, world, new, "revoke", reason="issued_in_error")
    change(client, world, new, "reinstate")  # a conflict (409), not a refused access: no entry
    with app.app_context():
        rows = db.session.execute(
            sa.select(LogEntry.action, LogEntry.certificate, LogEntry.outcome, LogEntry.reason)
            .where(
                LogEntry.action.in_(
                    [
                        "certificate:suspend",
                        "certificate:reinstate",
                        "certificate:amend",
                        "certificate:supersede",
                        "certificate:revoke",
                    ]
                )
            )
            .order_by(LogEntry.idx)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("certificate:suspend", cert, "ok", "under inspection"),
        ("certificate:reinstate", cert, "ok", None),
        ("certificate:supersede", cert, "ok", None),
        ("certificate:amend", new, "ok", None),
        ("certificate:revoke", new, "ok", "issued_in_error"),
    ]
