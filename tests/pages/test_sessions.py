"""Page sessions: a Secure cookie on https, forgotten after sitting idle, never holding an ID number."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from registry import web
from tests.conftest import another_app, app_settings
from tests.factories import World, make_world
from tests.pages.test_staff_sign_in import make_staff, sign_in


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
