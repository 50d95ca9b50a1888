"""Fixtures: an app per test on a fresh database (in-memory SQLite, or PostgreSQL when
REGISTRY_TEST_DATABASE_URL is set, in a schema of its own for the run), and a populated world."""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from registry import create_app
from registry.accesslog import init_log
from registry.models import db
from tests.factories import World, make_world, scratch_schema, with_search_path

PG_URL = os.environ.get("REGISTRY_TEST_DATABASE_URL")
KEYSTORE_SECRET = secrets.token_urlsafe(32)
HOLDER_KEY = secrets.token_urlsafe(32)


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str | None]:
    """A schema of this run's own, so that runs sharing a PostgreSQL database never see each other's rows."""
    if not PG_URL:
        yield None
        return
    with scratch_schema(PG_URL, "test") as schema:
        yield schema


@pytest.fixture(scope="session")
def database_url(pg_schema: str | None) -> str:
    return with_search_path(PG_URL, pg_schema) if PG_URL and pg_schema else "sqlite://"


@pytest.fixture(scope="session")
def keystore_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("keys")


def app_settings(tmp_path: Path, keystore_dir: Path, database_url: str) -> dict[str, str | bool]:
    return {
        "REGISTRY_ENV": "development",
        "REGISTRY_INSTANCE_PATH": str(tmp_path / "instance"),
        "REGISTRY_KEYSTORE_DIR": str(keystore_dir),
        "REGISTRY_KEYSTORE_SECRET": KEYSTORE_SECRET,
        "REGISTRY_HOLDER_KEY": HOLDER_KEY,
        "REGISTRY_DATABASE_URL": database_url,
        "REGISTRY_ISSUER": "https://registry.test",
        "TESTING": True,
    }


@contextlib.contextmanager
def another_app(settings: dict[str, Any]) -> Iterator[Flask]:
    """A second app with other settings on the test's database, its tables ready, its connections closed after."""
    other = create_app(settings)
    with other.app_context():
        db.create_all()
        init_log(db.session)
        db.session.commit()
    try:
        yield other
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


_pg_tables_created = False


@pytest.fixture
def app(tmp_path: Path, keystore_dir: Path, database_url: str) -> Iterator[Flask]:
    global _pg_tables_created
    app = create_app(app_settings(tmp_path, keystore_dir, database_url))
    with app.app_context():
        if database_url.startswith("sqlite") or not _pg_tables_created:
            db.create_all()
            _pg_tables_created = True
        init_log(db.session)
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        if database_url.startswith("postgresql"):
            tables = ", ".join(t.name for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        db.engine.dispose()


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    """The app on a real loopback port, for clients that are not the test client (browsers, commands)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def world(app: Flask) -> World:
    with app.app_context():
        return make_world()
