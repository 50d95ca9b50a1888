"""Configuration, the identity provider's JWKS from a URL, and the operator's set-up commands."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry import create_app
from registry.config import ConfigError
from registry.models import Department, db
from registry.wiring import services
from tests.conftest import another_app, app_settings
from tests.factories import bearer, citizen_id


def production_settings(tmp_path: Path, keystore_dir: Path) -> dict[str, str | bool]:
    settings = app_settings(tmp_path, keystore_dir, "sqlite://")
    return settings | {"REGISTRY_ENV": "production", "REGISTRY_IDP_JWKS": "https://idp.example/jwks.json"}


@pytest.mark.parametrize("missing", ["REGISTRY_KEYSTORE_SECRET", "REGISTRY_HOLDER_KEY", "REGISTRY_IDP_JWKS"])
def test_production_refuses_to_start_without_its_secrets(
    tmp_path: Path, keystore_dir: Path, missing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(missing, raising=False)
    settings = production_settings(tmp_path, keystore_dir)
    del settings[missing]
    with pytest.raises(ConfigError, match=missing):
        create_app(settings)
    assert not (tmp_path / "instance").exists()  # nothing generated behind the operator's back


def test_development_generates_its_secrets_once(tmp_path: Path, keystore_dir: Path) -> None:
    settings = app_settings(tmp_path, keystore_dir, "sqlite://")
    del settings["REGISTRY_KEYSTORE_SECRET"], settings["REGISTRY_HOLDER_KEY"]
    first = create_app(settings).config["REGISTRY_KEYSTORE_SECRET"]
    assert len(first) >= 32
    assert (tmp_path / "instance" / "keystore.secret").stat().st_mode & 0o077 == 0
    assert create_app(settings).config["REGISTRY_KEYSTORE_SECRET"] == first


@pytest.fixture
def jwks_server(app: Flask) -> Iterator[tuple[str, str]]:
    """The development provider's JWKS served over HTTP on loopback, with a token it minted."""
    with app.app_context():
        token = services().dev_idp().mint(citizen_id(), "钱七")
        body = Path(app.config["REGISTRY_IDP_JWKS"]).read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/jwks.json", token
    server.shutdown()
    server.server_close()


def test_holder_tokens_verify_against_a_jwks_fetched_by_url(
    tmp_path: Path, keystore_dir: Path, database_url: str, jwks_server: tuple[str, str]
) -> None:
    url, token = jwks_server
    with another_app(app_settings(tmp_path, keystore_dir, database_url) | {"REGISTRY_IDP_JWKS": url}) as by_url:
        response = by_url.test_client().get("/api/v1/certificates", headers=bearer(token))
    assert response.status_code == 200, response.json


def test_the_development_provider_publishes_only_public_keys(app: Flask) -> None:
    with app.app_context():
        services().dev_idp().mint(citizen_id(), "x")
        jwks = json.loads(Path(app.config["REGISTRY_IDP_JWKS"]).read_text())
    assert all("d" not in key for key in jwks["keys"])


def test_demo_world_loads_once_and_its_credentials_work(app: Flask, client: FlaskClient) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["setup"]).exit_code == 0
    first = runner.invoke(args=["demo", "load"])
    second = runner.invoke(args=["demo", "load"])
    assert "Loaded the DEMO world" in first.output
    assert "is loaded" in second.output
    with app.app_context():
        assert db.session.query(Department).count() == 4
    token = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=("demo-market-issuer", "demo-market-secret")
    )
    assert token.status_code == 200


def test_development_only_commands_refuse_in_production(tmp_path: Path, keystore_dir: Path) -> None:
    app = create_app(production_settings(tmp_path, keystore_dir))
    runner = app.test_cli_runner()
    minted = runner.invoke(args=["idp", "mint-holder-token", "--id", citizen_id(), "--name", "x"])
    assert minted.exit_code != 0 and "development" in minted.output
    demo = runner.invoke(args=["demo", "load"])
    assert demo.exit_code != 0 and "development" in demo.output


def test_client_create_prints_a_working_secret(app: Flask, client: FlaskClient) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["setup"])
    result = runner.invoke(args=["client", "create", "--name", "ops", "--role", "admin"])
    assert result.exit_code == 0
    values = dict(line.split("=", 1) for line in result.output.split())
    token = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(values["client_id"], values["client_secret"]),
    )
    assert token.status_code == 200
