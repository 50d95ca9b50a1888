"""Personal data at rest: a copy of the database, or of its file, holds no full ID number and no
personal field value; the registry reads them as before; a data key rotation re-encrypts everything."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from issuers.atrest import sealed_with
from registry.models import Certificate, db
from tests.conftest import PG_URL, another_app, app_settings
from tests.factories import World, certificate_body, make_world
from tests.registry.test_holders_and_values import DOCUMENTS

PERSONAL = "法定代表人甲乙丙"  # a personal field's value, distinctive enough to search for


def encodings(secret: str) -> list[bytes]:
    """The text as it could stand in a dump: UTF-8, and inside base64url at each of the three alignments
    (SD-JWT disclosures are base64url JSON), less the characters its neighbours would change."""
    raw = secret.encode()
    found = [raw]
    for shift in range(3):
        encoded = base64.urlsafe_b64encode(b"\0" * shift + raw).rstrip(b"=")
        found.append(encoded[(shift * 4 + 2) // 3 + 1 : -2])
    return [f for f in found if len(f) >= 8]


def table_dump() -> bytes:
    rows = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.text(f"SELECT * FROM {table.name}")):
            rows.append(" ".join(str(v) for v in row))
    return "\n".join(rows).encode()


@pytest.fixture
def file_app(tmp_path: Path, keystore_dir: Path, database_url: str, app: Flask) -> Iterator[Flask]:
    """An app on a SQLite file (on PostgreSQL, the test schema: `app` empties it afterwards)."""
    url = database_url if PG_URL else f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    with another_app(app_settings(tmp_path, keystore_dir, url)) as app:
        yield app


def test_no_full_id_number_or_personal_value_is_in_the_tables_or_the_database_file(
    file_app: Flask, tmp_path: Path
) -> None:
    client: FlaskClient = file_app.test_client()
    with file_app.app_context():
        world: World = make_world()
    numbers = []
    for holder, signed, _masked in DOCUMENTS:
        body = certificate_body(world.type_a, legal_representative=PERSONAL)
        body["holder"] = {**holder, "name": "Anna Müller"}
        response = client.post("/api/v1/certificates", json=body, headers=world.headers("issuer_a"))
        assert response.status_code == 201, response.json
        numbers.append(signed)
        # The registry reads them back as they were signed.
        read = client.get(f"/api/v1/certificates/{response.json['identifier']}", headers=world.headers("admin")).json
        assert read["fields"]["legal_representative"] == PERSONAL
        assert read["signed_form"] == response.json["signed_form"]
        assert client.post("/api/v1/verify", json={"token": read["signed_form"]}).json["valid"]
    with file_app.app_context():
        dump = table_dump()
        sealed = db.session.execute(sa.text("SELECT signed_form, fields FROM certificates")).all()
        db.session.remove()
        db.engine.dispose()
    assert all(sealed_with(form) and sealed_with(fields) for form, fields in sealed)
    files = b"".join(p.read_bytes() for p in tmp_path.glob("registry.sqlite3*"))
    for secret in [*numbers, PERSONAL]:
        for encoded in encodings(secret):
            assert encoded not in dump, secret
            assert encoded not in files, secret


def test_rotating_the_data_key_re_encrypts_every_certificate(client: FlaskClient, world: World, app: Flask) -> None:
    for _ in range(3):
        assert (
            client.post(
                "/api/v1/certificates", json=certificate_body(world.type_a), headers=world.headers("issuer_a")
            ).status_code
            == 201
        )
    with app.app_context():
        before = {sealed_with(v) for v in db.session.scalars(sa.text("SELECT signed_form FROM certificates"))}
    result = app.test_cli_runner().invoke(args=["data-key", "rotate", "--batch", "2"])
    assert result.exit_code == 0, result.output
    assert "3 certificate(s) re-sealed" in result.output
    with app.app_context():
        after = {sealed_with(v) for v in db.session.scalars(sa.text("SELECT signed_form FROM certificates"))}
        assert len(after) == 1 and after != before
        assert all(c.fields["company_name"] for c in db.session.scalars(sa.select(Certificate)))
    again = app.test_cli_runner().invoke(args=["setup"])
    assert "0 certificate(s) re-sealed" in again.output


def test_plain_rows_from_before_encryption_are_read_and_sealed_by_setup(
    client: FlaskClient, world: World, app: Flask
) -> None:
    identifier = client.post(
        "/api/v1/certificates", json=certificate_body(world.type_a), headers=world.headers("issuer_a")
    ).json["identifier"]
    with app.app_context():
        certificate = db.session.scalar(sa.select(Certificate).where(Certificate.identifier == identifier))
        assert certificate is not None
        form, fields = certificate.signed_form, certificate.fields
        db.session.execute(
            sa.text("UPDATE certificates SET signed_form = :f, fields = :v WHERE identifier = :i"),
            {"f": form, "v": '{"company_name":"旧"}', "i": identifier},
        )
        db.session.commit()
    assert client.get(f"/api/v1/certificates/{identifier}", headers=world.headers("admin")).json["fields"] == {
        "company_name": "旧"
    }
    assert "1 certificate(s) re-sealed" in app.test_cli_runner().invoke(args=["setup"]).output
    with app.app_context():
        stored = db.session.execute(sa.text("SELECT signed_form FROM certificates")).scalar_one()
        assert sealed_with(stored) and fields
