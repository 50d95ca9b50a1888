"""The registry service: a Flask app that issues, stores and publishes signed certificates."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import Migrate
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.routing import BaseConverter, IntegerConverter, Map

from issuers.atrest import Cipher
from issuers.keystore import DataKeys, Keystore
from registry import config as registry_config
from registry.accesslog import EntryMac
from registry.models import INT64_MAX, db
from registry.statuslists import StatusListPublisher
from registry.tokens import IdentityProviderTrust
from registry.wiring import Runtime

MIGRATIONS_DIR = str(registry_config.PROJECT_ROOT / "migrations")
migrate = Migrate(directory=MIGRATIONS_DIR, render_as_batch=True)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from environment variables; `test_config` overrides them (REGISTRY_* names) and Flask keys."""
    overrides = dict(test_config or {})
    settings = {**os.environ, **{k: str(v) for k, v in overrides.items() if k.startswith("REGISTRY_")}}
    instance_path = Path(settings.get("REGISTRY_INSTANCE_PATH") or registry_config.PROJECT_ROOT / "instance")
    app = Flask(__name__, instance_path=str(instance_path.resolve()))
    app.config.update(registry_config.load(settings, instance_path))
    app.config.update({k: v for k, v in overrides.items() if not k.startswith("REGISTRY_")})
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    logging.basicConfig(
        level=app.config["REGISTRY_LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    db.init_app(app)
    migrate.init_app(app, db)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _tune_sqlite(db.engine)

    keystore = Keystore(app.config["REGISTRY_KEYSTORE_DIR"], app.config["REGISTRY_KEYSTORE_SECRET"])
    app.extensions["registry.cipher"] = Cipher(DataKeys(keystore))
    app.extensions["registry.log_mac"] = EntryMac(keystore.derive(EntryMac.PURPOSE))
    app.extensions["registry"] = Runtime(
        keystore=keystore,
        idp_trust=IdentityProviderTrust(
            app.config["REGISTRY_IDP_ISSUER"], app.config["REGISTRY_IDP_AUDIENCE"], app.config["REGISTRY_IDP_JWKS"]
        ),
        status_lists=StatusListPublisher(app.config["REGISTRY_ISSUER"], app.config["REGISTRY_STATUS_LIST_TTL"]),
    )

    from registry import api, cli, pages, ratelimit, security, transactions, web
    from registry.web import console
    from registry.web import desk as desk_pages
    from registry.web import staff as staff_pages
    from registry.web import wallet as wallet_pages

    app.url_map.converters["int"] = Int64Converter
    app.url_map.converters["identifier"] = IdentifierConverter
    app.url_map.converters["reference"] = ReferenceConverter
    transactions.init_app(app)
    security.init_app(app)
    api.init_app(app)
    cli.init_app(app)
    web.init_app(app)
    web.page_blueprint(app, pages.bp)
    web.page_blueprint(app, staff_pages.bp)
    web.page_blueprint(app, console.bp)
    wallet_pages.register(app)
    web.page_blueprint(app, desk_pages.bp)
    ratelimit.init_app(app)
    return app


class Int64Converter(IntegerConverter):
    """`<int:...>` in a route matches only what a database column can hold; a larger number is a 404, not a 500."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", INT64_MAX)
        super().__init__(url_map, *args, **kwargs)


class IdentifierConverter(BaseConverter):
    """`<identifier:...>`: a path part that can be an e-license identifier (it begins with the root's first
    arc), so that /certificates/batch and /certificates/search are routes of their own, not identifiers.
    Whether it is a valid one is for the service to say (422 INVALID_IDENTIFIER)."""

    regex = r"1\.[^/]+"


class ReferenceConverter(BaseConverter):
    """`<reference:...>`: a stamp reference, a UUID, so that /stamps/verify is a route of its own."""

    regex = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


def _tune_sqlite(engine: Engine) -> None:
    """SQLite as a server would behave: foreign keys on, WAL, and real BEGINs so savepoints work."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        # IMMEDIATE: take the write lock at once, so two writers queue (busy_timeout) instead of
        # failing when a read lock cannot be upgraded; nearly every transaction writes the access log.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
