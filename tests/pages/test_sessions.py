"""Page sessions: a Secure cookie on https, forgotten after sitting idle, never holding an ID number."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry import web
from tests.conftest import another_app, app_settings
from tests.factories import World, make_world, pdf_document
from tests.pages.test_staff_sign_in import csrf_token, make_staff, sign_in


def test_on_https_the_session_cookie_is_secure(
    app: Flask, tmp_path: Path, keystore_dir: Path, database_url: str
) -> None:
    """(`app` only to empty the PostgreSQL tables after it, as for every test.)"""
    settings = app_settings(tmp_path, keystore_dir, database_url) | {"REGISTRY_ISSUER": "https://registry.example"}
    with another_app(settings) as secure:
        with secure.app_context():
            world = make_world()
        make_staff(secure, world)
        cookie = sign_in(secure.test_client()).headers["Set-Cookie"]  # type: ignore[attr-defined]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_session_idle_longer_than_the_timeout_is_forgotten(
    app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_staff(app, world)
    client = app.test_client()
    sign_in(client)
    with client.session_transaction() as session:
        assert "staff_id" in session
    idle = app.config["REGISTRY_SESSION_IDLE"]
    now = web.time.time()
    monkeypatch.setattr(web.time, "time", lambda: now + idle + 5)
    client.get("/staff/sign-in")
    with client.session_transaction() as session:
        assert "staff_id" not in session


def test_signing_out_ends_every_copy_of_the_session(app: Flask, world: World) -> None:
    make_staff(app, world)
    client = app.test_client()
    sign_in(client)
    copied = client.get_cookie("registry_session")
    assert copied is not None
    assert client.get("/console/").status_code == 200
    token = csrf_token(client, "/console/")
    assert client.post("/staff/sign-out", data={"csrf_token": token}).status_code == 302
    client.set_cookie("registry_session", copied.value)  # a copy taken before signing out
    assert client.get("/console/").status_code == 302  # back to the sign-in page


def test_a_session_ends_after_its_lifetime_however_busy(
    app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_staff(app, world)
    client = app.test_client()
    sign_in(client)
    start, idle = web.time.time(), app.config["REGISTRY_SESSION_IDLE"]
    lifetime = app.permanent_session_lifetime.total_seconds()
    steps = int(lifetime // (idle - 60)) + 2
    answers = []
    for step in range(1, steps):  # in use every few minutes, never idle
        monkeypatch.setattr(web.time, "time", lambda now=start + step * (idle - 60): now)
        answers.append(client.get("/console/").status_code)
    assert answers[0] == 200 and answers[-1] == 302


def test_a_signed_in_page_is_kept_by_no_cache(app: Flask, world: World) -> None:
    make_staff(app, world)
    client = app.test_client()
    sign_in(client)
    assert client.get("/console/").headers["Cache-Control"] == "private, no-store"


def test_staff_passwords_cannot_be_guessed_quickly(app: Flask, world: World) -> None:
    make_staff(app, world)
    client = app.test_client()
    answers = [sign_in(client, password=f"guess number {n}").status_code for n in range(12)]  # type: ignore[attr-defined]
    assert 429 in answers and answers[0] == 200
    refused = sign_in(client)  # the right password too, until the minute is over
    assert refused.status_code == 429 and refused.mimetype == "text/html"  # type: ignore[attr-defined]


def test_a_document_name_with_a_line_break_is_refused(client: FlaskClient, world: World) -> None:
    body = {"file": (io.BytesIO(pdf_document()), "d.pdf"), "name": "decision\r\nX-Injected: yes"}
    response = client.post(
        "/api/v1/stamps", data=body, headers=world.headers("issuer_a"), content_type="multipart/form-data"
    )
    assert response.status_code == 422 and response.get_json()["code"] == "BAD_DOCUMENT_NAME"
