"""The migrations build the schema the models describe, on SQLite and on PostgreSQL."""

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import upgrade

from registry import create_app
from registry.accesslog import AccessLog, Event
from registry.models import LogEntry, db
from registry.principals import OPERATOR
from registry.vocabulary import Action
from tests.conftest import PG_URL, app_settings
from tests.factories import scratch_schema, with_search_path
from verifiers.merkle import Frontier


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


def _leaf_as_appended_before_0009(entry: dict[str, object]) -> bytes:
    # Written out here, not taken from registry.accesslog: what an entry hashed before the actions were renamed.
    fields = {**entry, "at": "2026-11-01T08:00:00+00:00"}
    return hashlib.sha256(b"\x00" + json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()).digest()


def test_renaming_the_actions_keeps_every_old_leaf_and_root(
    tmp_path: Path, keystore_dir: Path, empty_database_url: str
) -> None:
    app: Flask = create_app(app_settings(tmp_path, keystore_dir, empty_database_url))
    old_actions = ["issue", "read", "consent.withdraw", "stamp.revoke", "me.access_log", "verify.verify"]
    with app.app_context():
        upgrade(revision="0008")
        frontier = Frontier()
        with db.engine.begin() as conn:
            for idx, action in enumerate(old_actions):
                entry = {
                    "idx": idx, "at": None, "actor_kind": "operator", "actor_id": "cli", "actor_department_id": None,
                    "action": action, "certificate": None, "holder_ref": None, "subject_department_id": None,
                    "service_item": None, "reason": f"entry {idx}", "outcome": "ok", "error_code": None,
                }  # fmt: skip
                leaf = _leaf_as_appended_before_0009(entry)
                frontier.append(leaf)
                conn.execute(
                    sa.text(
                        "INSERT INTO log_entries (idx, at, actor_kind, actor_id, action, reason, outcome, leaf_hash) "
                        "VALUES (:idx, :at, 'operator', 'cli', :action, :reason, 'ok', :leaf)"
                    ),
                    {"idx": idx, "at": dt.datetime(2026, 11, 1, 8), "action": action, "reason": f"entry {idx}",
                     "leaf": leaf.hex()},
                )  # fmt: skip
            conn.execute(
                sa.text("UPDATE log_head SET size = :size, frontier = :frontier WHERE id = 1"),
                {"size": frontier.size, "frontier": json.dumps([n.hex() for n in frontier.nodes])},
            )
        old_root = frontier.root()

        upgrade()
        log = AccessLog(db.session())
        renamed = db.session.scalars(sa.select(LogEntry.action).order_by(LogEntry.idx)).all()
        assert renamed == [
            "certificate:issue", "certificate:read", "consent:withdraw", "stamp:revoke", "log:read_own",
            "verify.verify",  # an endpoint's name, as refusals recorded it before actions had names: kept as it was
        ]  # fmt: skip
        assert log.inclusions([0], len(old_actions))[0].root_hash == old_root
        assert log.audit({"keys": []}).ok

        log.record(OPERATOR, [Event(Action.KEY_CREATE, reason="after the migration")])
        db.session.commit()
        new = db.session.scalars(sa.select(LogEntry).where(LogEntry.idx == len(old_actions))).one()
        assert (new.action, new.leaf_format) == ("key:create", 2)
        assert log.audit({"keys": []}).ok

        # Saying an old entry has the new format is a change to it like any other.
        db.session.execute(sa.update(LogEntry).where(LogEntry.idx == 1).values(leaf_format=2))
        db.session.commit()
        report = log.audit({"keys": []})
        assert report.first_bad_index == 1
        db.session.remove()
        db.engine.dispose()
