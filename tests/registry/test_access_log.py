"""The access log: every access recorded with the action, refusals too, visible to those it concerns,
tamper-evident, and never holding an ID number, a token or a secret."""

from __future__ import annotations

import json
import logging
import multiprocessing
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from registry import create_app
from registry.accesslog import AccessLog, Event
from registry.models import LogCheckpoint, LogEntry, db
from registry.principals import OPERATOR
from tests.conftest import app_settings
from tests.factories import CLIENT_SECRET, World, bearer, certificate_body
from verifiers.checkpoint import verify_checkpoint
from verifiers.merkle import leaf_hash, verify_consistency, verify_inclusion


def entries(app: Flask) -> list[LogEntry]:
    with app.app_context():
        rows = db.session.scalars(sa.select(LogEntry).order_by(LogEntry.idx)).all()
        db.session.expunge_all()
        return list(rows)


def issue(client: FlaskClient, world: World, n: int = 1, holder: str | None = None) -> list[dict[str, Any]]:
    items = [certificate_body(world.type_a, holder_id=holder) for _ in range(n)]
    response = client.post(
        "/api/v1/certificates/batch", json={"certificates": items}, headers=world.headers("issuer_a")
    )
    assert response.status_code == 201, response.json
    return list(response.json["certificates"])


def test_each_issued_certificate_gets_an_entry_in_the_same_commit(
    client: FlaskClient, world: World, app: Flask
) -> None:
    before = len(entries(app))
    issued = issue(client, world, 3)
    new = entries(app)[before:]
    assert [e.action for e in new] == ["certificate:issue"] * 3
    assert [e.certificate for e in new] == [c["identifier"] for c in issued]
    assert {e.actor_kind for e in new} == {"issuer"}
    assert {e.actor_id for e in new} == {world.client_ids["issuer_a"]}
    assert [e.idx for e in entries(app)] == list(range(len(entries(app))))


def test_a_failed_batch_leaves_no_entry(client: FlaskClient, world: World, app: Flask) -> None:
    before = entries(app)
    items = [certificate_body(world.type_a), certificate_body(world.type_a)]
    items[1]["fields"]["employees"] = "many"
    assert (
        client.post(
            "/api/v1/certificates/batch", json={"certificates": items}, headers=world.headers("issuer_a")
        ).status_code
        == 422
    )
    assert [e.idx for e in entries(app)] == [e.idx for e in before]


def test_reads_and_lists_are_recorded(client: FlaskClient, world: World, app: Flask) -> None:
    [cert] = issue(client, world, holder=world.holder_id)
    client.get(f"/api/v1/certificates/{cert['identifier']}", headers=world.headers("holder"))
    client.get("/api/v1/certificates", headers=world.headers("admin"))
    last = entries(app)[-2:]
    assert [(e.action, e.actor_kind, e.certificate) for e in last] == [
        ("certificate:read", "holder", cert["identifier"]),
        ("certificate:list", "admin", cert["identifier"]),
    ]


def test_refusals_are_recorded_in_their_own_transaction(client: FlaskClient, world: World, app: Flask) -> None:
    [cert] = issue(client, world, holder=world.holder_id)
    client.get(f"/api/v1/certificates/{cert['identifier']}", headers=world.headers("issuer_b"))  # not theirs
    client.get(f"/api/v1/certificates/{cert['identifier']}", headers=world.headers("agency"))  # wrong role
    client.get(f"/api/v1/certificates/{cert['identifier']}", headers=bearer("not-a-token"))  # bad token
    client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=("nobody", "wrong"))
    refused = [e for e in entries(app) if e.outcome == "refused"]
    assert [(e.action, e.actor_kind, e.error_code) for e in refused] == [
        ("certificate:read", "issuer", "CERTIFICATE_NOT_FOUND"),
        ("certificate:read", "agency", "ROLE_NOT_PERMITTED"),
        ("certificate:read", "anonymous", "INVALID_TOKEN"),
    ]
    # Every refusal about the holder's certificate is on the holder's record, the role refusal too.
    assert all(e.holder_ref is not None and e.certificate == cert["identifier"] for e in refused)
    # An anonymous refusal that names nothing that exists is counted, not appended.
    assert app.extensions["registry.refusals"].counts["INVALID_CLIENT"] == 1


def test_the_holder_sees_every_access_to_their_certificates(client: FlaskClient, world: World, app: Flask) -> None:
    [cert] = issue(client, world, holder=world.holder_id)
    issue(client, world, 2)  # someone else's
    client.get(f"/api/v1/certificates/{cert['identifier']}", headers=world.headers("issuer_b"))
    client.get(f"/api/v1/certificates/{cert['identifier']}", headers=world.headers("admin"))
    response = client.get("/api/v1/me/access-log", headers=world.headers("holder"))
    assert response.status_code == 200
    seen = [(i["entry"]["action"], i["entry"]["outcome"], i["entry"]["actor"]["kind"]) for i in response.json["items"]]
    assert seen == [
        ("certificate:read", "ok", "admin"),
        ("certificate:read", "refused", "issuer"),
        ("certificate:issue", "ok", "issuer"),
    ]
    issuer = response.json["items"][-1]["entry"]["actor"]["department"]
    assert issuer == {"credit_code": world.dept_a, "name": "市场监管局 A"}
    other = client.get("/api/v1/me/access-log", headers=world.headers("other_holder"))
    assert other.json["items"] == []


def test_the_holders_log_pages_newest_first(client: FlaskClient, world: World) -> None:
    issue(client, world, 5, holder=world.holder_id)
    first = client.get("/api/v1/me/access-log?limit=3", headers=world.headers("holder")).json
    second = client.get(
        f"/api/v1/me/access-log?limit=3&before={first['next_cursor']}", headers=world.headers("holder")
    ).json
    indexes = [i["entry"]["index"] for i in first["items"] + second["items"]]
    assert indexes == sorted(indexes, reverse=True) and len(indexes) == 5


def test_only_holders_have_a_my_log_and_only_admins_and_issuers_query_it(client: FlaskClient, world: World) -> None:
    assert client.get("/api/v1/me/access-log", headers=world.headers("admin")).status_code == 403
    assert client.get("/api/v1/me/access-log").status_code == 401
    assert client.get("/api/v1/log/entries", headers=world.headers("agency")).status_code == 403
    assert client.get("/api/v1/log/entries", headers=world.headers("holder")).status_code == 403
    assert client.get("/api/v1/log/entries").status_code == 401


def test_a_department_sees_entries_about_the_certificates_it_issued(client: FlaskClient, world: World) -> None:
    [cert_a] = issue(client, world)
    body = certificate_body(world.type_b)
    client.post("/api/v1/certificates", json=body, headers=world.headers("issuer_b"))
    seen_a = client.get("/api/v1/log/entries?action=certificate:issue", headers=world.headers("issuer_a")).json["items"]
    assert [e["certificate"] for e in seen_a] == [cert_a["identifier"]]
    other = client.get(f"/api/v1/log/entries?department={world.dept_b}", headers=world.headers("issuer_a"))
    assert other.status_code == 404
    admin_view = client.get("/api/v1/log/entries?action=certificate:issue", headers=world.headers("admin"))
    everything = admin_view.json["items"]
    assert len(everything) == 2
    by_cert = client.get(f"/api/v1/log/entries?certificate={cert_a['identifier']}", headers=world.headers("admin"))
    assert [e["action"] for e in by_cert.json["items"]] == ["certificate:issue"]
    issued_at = by_cert.json["items"][0]["at"]
    admin = world.headers("admin")
    since = client.get(
        "/api/v1/log/entries", query_string={"since": issued_at, "action": "certificate:issue"}, headers=admin
    )
    assert len(since.json["items"]) == 2
    until = client.get(
        "/api/v1/log/entries", query_string={"until": issued_at, "action": "certificate:issue"}, headers=admin
    )
    assert until.json["items"] == []


def test_checkpoints_and_proofs_verify_offline(client: FlaskClient, world: World) -> None:
    jwks = client.get("/.well-known/jwks.json").json
    issue(client, world, 3, holder=world.holder_id)
    old = client.get("/api/v1/log/checkpoint").json
    issue(client, world, 4)
    new = client.get("/api/v1/log/checkpoint").json
    old_cp, new_cp = verify_checkpoint(old["signed"], jwks), verify_checkpoint(new["signed"], jwks)
    assert old_cp.size == old["size"] and new_cp.size == new["size"] > old_cp.size
    assert old_cp.note() == old["checkpoint"]
    proof = client.get(f"/api/v1/log/proof/consistency?old={old_cp.size}&new={new_cp.size}").json
    verify_consistency(
        old_cp.size,
        new_cp.size,
        old_cp.root_hash,
        new_cp.root_hash,
        [bytes.fromhex(h) for h in proof["consistency_path"]],
    )
    mine = client.get("/api/v1/me/access-log?proofs=true", headers=world.headers("holder")).json
    signed = verify_checkpoint(mine["checkpoint"]["signed"], jwks)
    for item in mine["items"]:
        inclusion = item["inclusion"]
        assert inclusion["size"] == signed.size
        verify_inclusion(
            inclusion["index"],
            signed.size,
            bytes.fromhex(item["entry"]["leaf_hash"]),
            [bytes.fromhex(h) for h in inclusion["audit_path"]],
            signed.root_hash,
        )
    single = client.get(f"/api/v1/log/proof/inclusion?index=0&size={new_cp.size}").json
    assert single["root_hash"] == new_cp.root_hash.hex()


def test_proofs_for_sizes_the_log_does_not_have_are_refused(client: FlaskClient, world: World) -> None:
    response = client.get("/api/v1/log/proof/inclusion?index=0&size=100000")
    assert response.status_code == 422
    assert response.json["code"] == "BAD_TREE_SIZE"


def audit(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["audit", "verify", *args])


def tampered_log(app: Flask, client: FlaskClient, world: World) -> None:
    """Twelve entries, a checkpoint after eight, and one at the end."""
    issue(client, world, 8)
    client.get("/api/v1/log/checkpoint")
    issue(client, world, 4)
    client.get("/api/v1/log/checkpoint")


def raw_sql(app: Flask, statement: str) -> None:
    with app.app_context(), db.engine.begin() as conn:
        conn.exec_driver_sql(statement)


def test_an_untouched_log_verifies(client: FlaskClient, world: World, app: Flask) -> None:
    tampered_log(app, client, world)
    result = audit(app)
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and "2 checkpoints checked" in result.output


def test_audit_names_a_changed_entry(client: FlaskClient, world: World, app: Flask) -> None:
    tampered_log(app, client, world)
    first = entries(app)[0].idx
    raw_sql(app, f"UPDATE log_entries SET action = 'read' WHERE idx = {first + 5}")
    result = audit(app)
    assert result.exit_code == 1
    assert f"FIRST BAD ENTRY: {first + 5}" in result.output
    assert f"entry {first + 5} was changed" in result.output


def test_audit_names_a_changed_entry_even_with_its_leaf_hash_rewritten(
    client: FlaskClient, world: World, app: Flask
) -> None:
    tampered_log(app, client, world)
    with app.app_context():
        from registry.accesslog import _row_values, entry_bytes

        entry = db.session.get(LogEntry, 3)
        assert entry is not None
        values = _row_values(entry) | {"outcome": "refused"}
        forged = leaf_hash(entry_bytes(values)).hex()
    raw_sql(app, f"UPDATE log_entries SET outcome = 'refused', leaf_hash = '{forged}' WHERE idx = 3")
    result = audit(app)
    assert result.exit_code == 1
    assert "FIRST BAD ENTRY: 3" in result.output and "entry 3 has no valid MAC" in result.output
    assert "no longer give the root" in result.output


def test_audit_names_a_deleted_entry(client: FlaskClient, world: World, app: Flask) -> None:
    tampered_log(app, client, world)
    raw_sql(app, "DELETE FROM log_entries WHERE idx = 4")
    result = audit(app)
    assert result.exit_code == 1
    assert "FIRST BAD ENTRY: 4" in result.output and "entry 4 was deleted" in result.output


def test_audit_names_an_inserted_entry(client: FlaskClient, world: World, app: Flask) -> None:
    tampered_log(app, client, world)
    size = len(entries(app))
    raw_sql(
        app,
        "INSERT INTO log_entries (idx, at, actor_kind, action, outcome, leaf_format, leaf_hash) "
        f"VALUES ({size}, '2026-01-01 00:00:00', 'admin', 'certificate:read', 'ok', 2, '{'0' * 64}')",
    )
    result = audit(app)
    assert result.exit_code == 1
    assert f"FIRST BAD ENTRY: {size}" in result.output and "inserted" in result.output


def test_a_database_restored_to_an_older_state_fails_against_a_checkpoint_kept_outside(
    client: FlaskClient, world: World, app: Flask, tmp_path: Path
) -> None:
    issue(client, world, 6)
    with app.app_context():
        head = db.session.execute(sa.text("SELECT size, frontier FROM log_head")).one()
    older_size, older_frontier = head.size, head.frontier
    issue(client, world, 4)
    kept = tmp_path / "checkpoint.json"
    assert app.test_cli_runner().invoke(args=["audit", "checkpoint", "-o", str(kept)]).exit_code == 0
    # "Restore" the database: the later entries, their checkpoint and the head go back.
    raw_sql(app, f"DELETE FROM log_entries WHERE idx >= {older_size}")
    raw_sql(app, f"DELETE FROM log_checkpoints WHERE size > {older_size}")
    frontier = older_frontier if isinstance(older_frontier, str) else json.dumps(older_frontier)
    raw_sql(app, f"UPDATE log_head SET size = {older_size}, frontier = '{frontier}'")
    assert audit(app).exit_code == 0  # consistent with itself
    result = audit(app, "--checkpoint", str(kept))
    assert result.exit_code == 1
    assert "restored to an older state" in result.output


FORBIDDEN_SECRETS = ("secret", "token")


def test_no_row_or_log_line_holds_an_id_number_a_token_or_a_secret(
    client: FlaskClient, world: World, app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    [cert] = issue(client, world, holder=world.holder_id)
    client.get(f"/api/v1/certificates/{cert['identifier']}", headers=world.headers("holder"))
    client.post(
        "/api/v1/certificates/search",
        json={"holder": {"kind": "person", "id": world.holder_id}},
        headers=world.headers("admin"),
    )
    client.get(f"/api/v1/certificates/{cert['identifier']}", headers=world.headers("issuer_b"))
    client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(world.client_ids["admin"], "wrong-secret")
    )
    client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(world.client_ids["admin"], CLIENT_SECRET)
    )
    # Sharing, with a policy that hands the agency the full ID number: a granted and a refused request.
    client.post("/api/v1/service-items", json={"code": "ITEM-1", "name": "x"}, headers=world.headers("admin"))
    policy = {"agency": world.agency, "type": world.type_a, "service_item": "ITEM-1", "fields": ["holder_id"]}
    client.post("/api/v1/sharing-policies", json=policy, headers=world.headers("admin"))
    consent = {"agency": world.agency, "service_item": "ITEM-1"}
    client.post("/api/v1/me/consents", json=consent, headers=world.headers("holder"))
    for item in ("ITEM-1", "ITEM-2"):
        shared = client.post(
            "/api/v1/sharing/requests",
            json={
                "holder": {"kind": "person", "id": world.holder_id},
                "type": world.type_a,
                "service_item": item,
                "reason": "case 1",
            },
            headers=world.headers("agency"),
        )
        assert shared.status_code == (200 if item == "ITEM-1" else 403)
    client.get("/api/v1/me/access-log", headers=world.headers("holder"))
    with app.app_context():
        tables = ("log_entries", "sharing_grants", "shared_copies", "consents")
        dump = json.dumps(
            [[str(v) for v in row] for table in tables for row in db.session.execute(sa.text(f"SELECT * FROM {table}"))]
        )
    lines = "\n".join(r.getMessage() for r in caplog.records)
    for text in (dump, lines):
        assert world.holder_id not in text
        assert world.holder_id[6:14] not in text  # not even the birth date
        assert CLIENT_SECRET not in text and "wrong-secret" not in text
        for token in world.tokens.values():
            assert token not in text and token.split(".")[2] not in text


def test_administrative_and_key_changes_are_recorded(client: FlaskClient, world: World, app: Flask) -> None:
    app.test_cli_runner().invoke(args=["seal", "rotate", world.dept_a])
    actions = [(e.action, e.actor_kind) for e in entries(app)]
    assert ("department:create", "operator") in actions
    assert ("type:create", "operator") in actions
    assert ("key:create", "operator") in actions and ("key:retire", "operator") in actions


def _append_worker(settings: dict[str, Any], count: int, worker: int) -> None:
    app = create_app(settings)
    with app.app_context():
        log = AccessLog(db.session)
        for i in range(count):
            log.record(OPERATOR, [Event("test.append", reason=f"worker {worker} entry {i}")])
            db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_two_processes_appending_at_once_leave_a_gapless_log_that_verifies(
    app: Flask, tmp_path: Path, keystore_dir: Path, database_url: str
) -> None:
    # PostgreSQL when the suite runs on it; otherwise one SQLite file shared by both processes.
    url = database_url if database_url.startswith("postgresql") else f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    settings = app_settings(tmp_path, keystore_dir, url)
    shared = create_app(settings)
    with shared.app_context():
        db.create_all()
        from registry.accesslog import init_log

        init_log(db.session)
        db.session.commit()
        start = AccessLog(db.session).size()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_worker, args=(settings, 150, w)) for w in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    with shared.app_context():
        indexes = list(db.session.scalars(sa.select(LogEntry.idx).order_by(LogEntry.idx)))
        reasons = {r for r in db.session.scalars(sa.select(LogEntry.reason).where(LogEntry.action == "test.append"))}
        assert indexes == list(range(start + 300))
        assert len(reasons) == 300
        report = AccessLog(db.session).audit({"keys": []})
        db.session.remove()
        db.engine.dispose()
    assert report.ok, report.problems


def test_a_checkpoint_signed_concurrently_for_the_same_size_is_returned_not_a_failure(
    client: FlaskClient, world: World, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    issue(client, world, 2)
    theirs = client.get("/api/v1/log/checkpoint").json
    with app.app_context():
        from registry.wiring import services

        # Another worker committed this size's checkpoint between our look-up and our insert:
        # the look-up misses, the insert collides, and we get theirs instead of a failure.
        real_get = db.session.get
        monkeypatch.setattr(
            db.session, "get", lambda model, key, **kw: None if model is LogCheckpoint else real_get(model, key, **kw)
        )
        ours = AccessLog(db.session).checkpoint(services().keys.signing_key(None), "origin")
        assert ours.signed == theirs["signed"]
        db.session.rollback()
