"""The migrations build the schema the models describe, on SQLite and on PostgreSQL."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import upgrade

from registry import create_app
from registry.models import db
from tests.conftest import PG_URL, app_settings
from tests.factories import scratch_schema, with_search_path


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    with scratch_schema(PG_URL, "migrate") as schema:
        yield with_search_path(PG_URL, schema)


def test_upgrade_head_on_an_empty_database_matches_the_models(
    tmp_path: Path, keystore_dir: Path, empty_database_url: str
) -> None:
    app: Flask = create_app(app_settings(tmp_path, keystore_dir, empty_database_url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
            head = conn.execute(sa.text("SELECT size, frontier FROM log_head WHERE id = 1")).one()
        db.engine.dispose()
    assert differences == []
    assert head.size == 0  # the access log starts empty, with its head row in place
