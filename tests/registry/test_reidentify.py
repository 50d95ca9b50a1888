"""`flask certificates reidentify`: certificates issued under the earlier check rule get conforming successors."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from registry.models import LogEntry, db
from tests.factories import World, certificate_body
from verifiers.identifiers import ROOT, CertificateId, is_legacy


def _legacy_str(ident: CertificateId) -> str:
    return f"{ROOT}.{ident.type_code}.{ident.issuer_code}.{ident.serial}.{ident.version:03d}.{ident.legacy_check}"


@pytest.fixture
def legacy(client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Certificates issued the way the registry did before 2026-11: check character over the root too."""
    with monkeypatch.context() as patched:
        patched.setattr(CertificateId, "__str__", _legacy_str)
        issued = []
        while len(issued) < 3:
            response = client.post(
                "/api/v1/certificates", json=certificate_body(world.type_a), headers=world.headers("issuer_a")
            )
            assert response.status_code == 201
            if is_legacy(response.json["identifier"]):  # one in 36 passes both rules: not legacy
                issued.append(dict(response.json))
    return issued


def test_reidentify_supersedes_each_legacy_certificate_with_a_conforming_one(
    client: FlaskClient, world: World, app: Flask, legacy: list[dict[str, Any]]
) -> None:
    old_valid, old_suspended, old_revoked = (c["identifier"] for c in legacy)
    headers = world.headers("issuer_a")
    assert client.post(f"/api/v1/certificates/{old_suspended}/suspend", json={}, headers=headers).status_code == 200
    revoked = client.post(
        f"/api/v1/certificates/{old_revoked}/revoke", json={"reason": "issued_in_error"}, headers=headers
    )
    assert revoked.status_code == 200

    result = app.test_cli_runner().invoke(args=["certificates", "reidentify"])
    assert result.exit_code == 0, result.output
    assert "re-identified 2 certificate(s)" in result.output

    for old, status in ((old_valid, "valid"), (old_suspended, "suspended")):
        before = CertificateId.parse_legacy(old)
        verified = client.post(
            "/api/v1/verify", json={"token": next(c for c in legacy if c["identifier"] == old)["signed_form"]}
        ).json
        assert not verified["valid"]
        status_check = next(c for c in verified["checks"] if c["name"] == "status")
        assert status_check["code"] == "SUPERSEDED"
        successor = status_check["detail"].removeprefix("superseded by ")
        ident = CertificateId.parse(successor)  # passes the national rule
        assert (ident.serial, ident.version) == (before.serial, before.version + 1)
        new = client.get(f"/api/v1/certificates/{successor}", headers=world.headers("admin")).json
        assert new["status"] == status and new["supersedes"] == old
        assert new["fields"] == next(c for c in legacy if c["identifier"] == old)["fields"]
        again = client.post("/api/v1/verify", json={"token": new["signed_form"]}).json
        assert again["valid"] is (status == "valid")

    # A revoked certificate is final: it keeps its identifier and says it is revoked.
    assert client.get(f"/api/v1/certificates/{old_revoked}", headers=world.headers("admin")).json["status"] == "revoked"
    with app.app_context():
        actions = db.session.scalars(
            sa.select(LogEntry.action).where(LogEntry.action == "certificate:reidentify")
        ).all()
        assert len(actions) == 2
    # Run again: nothing left to do.
    assert "re-identified 0 certificate(s)" in app.test_cli_runner().invoke(args=["certificates", "reidentify"]).output
