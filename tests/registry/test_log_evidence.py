"""A log nobody can forge: rows written by anyone but the registry, renumbered, rehashed or back-dated are
named exactly by the audit, whatever else the forger rewrote; a damaged head is reported, not a crash."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from registry.accesslog import AccessLog, Event, _row_values, entry_bytes
from registry.models import LogCheckpoint, LogEntry, LogHead, db
from registry.principals import OPERATOR
from registry.vocabulary import Action
from tests.factories import World
from tests.registry.test_access_log import audit, issue, raw_sql, tampered_log
from verifiers.checkpoint import verify_checkpoint
from verifiers.logentry import leaf_of
from verifiers.merkle import Frontier, InvalidProof, leaf_hash, node_hash, root_hash, verify_inclusion


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


def forge_append(app: Flask) -> int:
    """A row appended by raw SQL with the right leaf hash (the published recipe), the head rewritten to
    match; only the MAC is a guess. Returns its index."""
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
    return int(forged["idx"])


def test_a_forged_append_with_the_head_rewritten_fails_the_audit(client: FlaskClient, world: World, app: Flask) -> None:
    tampered_log(app, client, world)
    forged = forge_append(app)
    result = audit(app)
    assert result.exit_code == 1
    assert f"FIRST BAD ENTRY: {forged}" in result.output
    assert "has no valid MAC" in result.output


def test_the_registry_signs_no_checkpoint_over_a_forged_append(client: FlaskClient, world: World, app: Flask) -> None:
    tampered_log(app, client, world)
    forged = forge_append(app)
    response = client.get("/api/v1/log/checkpoint")
    assert response.status_code == 503 and response.json["code"] == "LOG_INTEGRITY"
    with app.app_context():
        assert db.session.get(LogCheckpoint, forged + 1) is None


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


def test_a_holder_recomputes_every_leaf_from_what_the_api_shows_and_checks_its_proof(
    client: FlaskClient, world: World
) -> None:
    """No leaf hash is taken on trust: verifiers.logentry rebuilds each from the entry's shown fields
    (refusals, other departments' attempts and anonymous checks included), and the proof leads from it
    to a checkpoint signed by a published key."""
    jwks = client.get("/.well-known/jwks.json").json
    [cert] = issue(client, world, holder=world.holder_id)
    identifier = cert["identifier"]
    client.get(f"/api/v1/certificates/{identifier}", headers=world.headers("holder"))
    client.get(f"/api/v1/certificates/{identifier}", headers=world.headers("agency"))  # refused: 403
    client.post(f"/api/v1/certificates/{identifier}/suspend", json={}, headers=world.headers("issuer_b"))  # 404
    client.post("/api/v1/verify", json={"token": cert["signed_form"]})
    mine = client.get("/api/v1/me/access-log?proofs=true", headers=world.headers("holder")).json
    signed = verify_checkpoint(mine["checkpoint"]["signed"], jwks)
    shown = [item["entry"] for item in mine["items"]]
    assert {e["outcome"] for e in shown} == {"ok", "refused"} and len(shown) >= 5
    for item in mine["items"]:
        leaf = leaf_of(item["entry"])
        assert leaf.hex() == item["entry"]["leaf_hash"]
        proof = item["inclusion"]
        path = [bytes.fromhex(h) for h in proof["audit_path"]]
        verify_inclusion(proof["index"], signed.size, leaf, path, signed.root_hash)
    # One changed field, and the recomputed leaf no longer reaches the signed root.
    entry = dict(shown[0], reason="nothing happened")
    with pytest.raises(InvalidProof):
        proof = mine["items"][0]["inclusion"]
        path = [bytes.fromhex(h) for h in proof["audit_path"]]
        verify_inclusion(proof["index"], signed.size, leaf_of(entry), path, signed.root_hash)


def test_hash_tiles_rebuild_the_signed_root_and_never_change(client: FlaskClient, world: World, app: Flask) -> None:
    """C2SP tlog-tiles: 300 entries are one full level-0 tile, a partial one of 44, and a partial level-1
    tile of 1 (the hash of the first 256 leaves); together they give the checkpoint's signed root."""
    with app.app_context():
        log = AccessLog(db.session())
        missing = 300 - log.size()
        log.record(OPERATOR, [Event(Action.KEY_CREATE, reason=f"filler {i}") for i in range(missing)])
        db.session.commit()
    document = client.get("/api/v1/log/checkpoint").json
    signed = verify_checkpoint(document["signed"], client.get("/.well-known/jwks.json").json)
    assert signed.size == 300
    full = client.get("/api/v1/log/tile/0/000")
    assert full.status_code == 200 and len(full.get_data()) == 256 * 32
    assert full.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    partial = client.get("/api/v1/log/tile/0/001.p/44").get_data()
    upper = client.get("/api/v1/log/tile/1/000.p/1").get_data()
    leaves = [full.get_data()[i : i + 32] for i in range(0, 256 * 32, 32)]
    rest = [partial[i : i + 32] for i in range(0, 44 * 32, 32)]
    assert upper == root_hash(leaves)  # a level-1 hash is the hash of the full tile below
    assert node_hash(upper, root_hash(rest)) == signed.root_hash
    # What the log does not hold yet, and paths written another way, are not served.
    assert client.get("/api/v1/log/tile/0/001").status_code == 404  # not full yet
    assert client.get("/api/v1/log/tile/0/001.p/45").status_code == 404
    assert client.get("/api/v1/log/tile/0/x000/001.p/44").status_code == 404  # not the canonical path
    assert client.get("/api/v1/log/tile/0/001.p/044").status_code == 404
    assert client.get("/api/v1/log/tile/64/000.p/1").status_code == 404
