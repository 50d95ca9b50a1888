"""A log nobody can forge: rows written by anyone but the registry, renumbered, rehashed or back-dated are
named exactly by the audit, whatever else the forger rewrote; a damaged head is reported, not a crash."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from registry.accesslog import _row_values, entry_bytes
from registry.models import LogEntry, LogHead, db
from tests.factories import World
from tests.registry.test_access_log import audit, raw_sql, tampered_log
from verifiers.merkle import Frontier, leaf_hash


def rewrite_head_from_entries(app: Flask) -> None:
    """What a forger with the database but not the keystore does next: make the head agree with the rows."""
    with app.app_context():
        frontier = Frontier()
        for leaf in db.session.scalars(sa.select(LogEntry.leaf_hash).order_by(LogEntry.idx)):
            frontier.append(bytes.fromhex(leaf))
        db.session.execute(sa.update(LogHead).values(size=frontier.size, frontier=[n.hex() for n in frontier.nodes]))
        db.session.commit()


def rehash(app: Flask, idx: int, **changes: object) -> None:
    """Change an entry's fields and give it the leaf hash they make (the published recipe)."""
    with app.app_context():
        entry = db.session.get(LogEntry, idx)
        assert entry is not None
        values = _row_values(entry) | changes
        db.session.execute(
            sa.update(LogEntry)
            .where(LogEntry.idx == idx)
            .values(**changes, leaf_hash=leaf_hash(entry_bytes(values)).hex())
        )
        db.session.commit()


def test_a_forged_append_with_the_head_rewritten_fails_the_audit(client: FlaskClient, world: World, app: Flask) -> None:
    tampered_log(app, client, world)
    with app.app_context():
        last = db.session.scalars(sa.select(LogEntry).order_by(LogEntry.idx.desc())).first()
        assert last is not None
        forged = _row_values(last) | {
            "idx": last.idx + 1,
            "at": last.at + dt.timedelta(seconds=1),
            "reason": "the agency looked, legitimately",
        }
        forged["leaf_hash"] = leaf_hash(entry_bytes(forged)).hex()
        forged["mac"] = "0" * 64  # a guess: the key is not in the database
        db.session.execute(sa.insert(LogEntry).values(**forged))
        db.session.commit()
    rewrite_head_from_entries(app)
    result = audit(app)
    assert result.exit_code == 1
    assert f"FIRST BAD ENTRY: {forged['idx']}" in result.output
    assert "has no valid MAC" in result.output


def test_a_deletion_with_the_rest_renumbered_is_named_where_it_happened(
    client: FlaskClient, world: World, app: Flask
) -> None:
    tampered_log(app, client, world)
    with app.app_context():
        size = db.session.scalar(sa.select(sa.func.count()).select_from(LogEntry))
    raw_sql(app, "DELETE FROM log_entries WHERE idx = 5")
    for idx in range(6, size):
        raw_sql(app, f"UPDATE log_entries SET idx = {idx - 1} WHERE idx = {idx}")
        rehash(app, idx - 1)
    rewrite_head_from_entries(app)
    result = audit(app)
    assert result.exit_code == 1
    assert "FIRST BAD ENTRY: 5" in result.output, result.output


def test_an_entry_dated_before_the_one_before_it_is_named(client: FlaskClient, world: World, app: Flask) -> None:
    tampered_log(app, client, world)
    with app.app_context():
        earlier = db.session.get(LogEntry, 2)
        assert earlier is not None
        back_dated = earlier.at - dt.timedelta(days=30)
    rehash(app, 7, at=back_dated)
    rewrite_head_from_entries(app)
    result = audit(app)
    assert result.exit_code == 1
    assert "FIRST BAD ENTRY: 7" in result.output
    assert "entry 7 is dated" in result.output and "before the entry before it" in result.output


def test_a_changed_head_is_reported_not_a_traceback(client: FlaskClient, world: World, app: Flask) -> None:
    tampered_log(app, client, world)
    raw_sql(app, "UPDATE log_head SET size = size + 3")
    result = audit(app)
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "the log head is damaged" in result.output
    raw_sql(app, "UPDATE log_head SET size = size - 3, frontier = " + repr(json.dumps(["00" * 32])))
    result = audit(app)
    assert result.exit_code == 1 and "Traceback" not in result.output
