"""The archive: records due under each service item's filing parameters become BagIt packages with their
evidence; the export resumes after a crash; holds keep records; disposal leaves a tombstone and a log
that still verifies; the filing fulfilment ratio counts what was filed in time."""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bagit
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from registry.archive.store import DocumentDamaged, DocumentStore
from registry.config import PROJECT_ROOT
from registry.models import Certificate, Department, Document, Filing, LogEntry, ServiceItem, Stamp, Tombstone, db
from registry.vocabulary import Action, Role
from registry.wiring import services
from tests.conftest import another_app, app_settings
from tests.factories import (
    World,
    access_token,
    certificate_body,
    make_client,
    make_world,
    pdf_document,
    system_tool,
)

PDFSIG, PDFTOTEXT = system_tool("pdfsig", "poppler-utils"), system_tool("pdftotext", "poppler-utils")
ITEM = "ENT-EST-001"
DOCS_ITEM = "ENT-DECISION-002"


def configure_items(app: Flask, world: World, *, retention_years: int | None = 10) -> None:
    """Item ITEM files type A certificates; DOCS_ITEM files the decisions stamped or handed over for it."""
    with app.app_context():
        dept = db.session.scalars(select(Department).where(Department.credit_code == world.dept_a)).one()
        common = {
            "department_id": dept.id,
            "retention_years": retention_years,
            "retention_event": "issue",
            "filing_deadline_days": 30,
            "archive_category": "WS.XK",
        }
        db.session.add(ServiceItem(code=ITEM, name="企业设立登记", filing_types=[world.type_a], **common))
        db.session.add(ServiceItem(code=DOCS_ITEM, name="行政许可决定", filing_documents=True, **common))
        db.session.commit()


def archivist_headers(app: Flask) -> dict[str, str]:
    with app.app_context():
        client = make_client(Role.ARCHIVIST)
        db.session.commit()
        return {"Authorization": f"Bearer {access_token(client)}"}


def issue(client: FlaskClient, world: World, **fields: Any) -> str:
    response = client.post(
        "/api/v1/certificates",
        json=certificate_body(world.type_a, world.holder_id, **fields),
        headers=world.headers("issuer_a"),
    )
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["identifier"])


def stamp_for_item(client: FlaskClient, world: World, item: str = DOCS_ITEM) -> str:
    body = {"file": (io.BytesIO(pdf_document()), "decision.pdf"), "service_item": item}
    response = client.post(
        "/api/v1/stamps", data=body, headers=world.headers("issuer_a"), content_type="multipart/form-data"
    )
    assert response.status_code == 201, response.get_data(as_text=True)[:300]
    return str(response.headers["X-Stamp-Reference"])


def deposit(client: FlaskClient, world: World, data: bytes | None = None, **form: str) -> Any:
    body: dict[str, Any] = {
        "file": (io.BytesIO(data if data is not None else pdf_document(title="Decision on licence 42")), "d.pdf"),
        "service_item": DOCS_ITEM,
        "title": "关于准予行政许可的决定",
        **form,
    }
    return client.post(
        "/api/v1/documents", data=body, headers=world.headers("issuer_a"), content_type="multipart/form-data"
    )


def export(app: Flask, out: Path, *args: str) -> Any:
    result = app.test_cli_runner().invoke(args=["archive", "export", "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    return result


def packages(out: Path) -> list[Path]:
    return sorted(p.parent for p in out.glob("*/*/bagit.txt"))


def test_due_records_become_valid_bagit_packages_with_their_evidence(
    app: Flask, client: FlaskClient, world: World, tmp_path: Path
) -> None:
    configure_items(app, world)
    identifiers = [issue(client, world) for _ in range(2)]
    stamp_for_item(client, world)
    assert deposit(client, world).status_code == 201
    out = tmp_path / "archive"
    result = export(app, out)
    assert "4 records due and not filed" in result.output and "filed 4 records" in result.output
    found = packages(out)
    assert len(found) == 4
    for package in found:
        bag = bagit.Bag(str(package))
        bag.validate()  # the bagit library's own validator: manifests, oxum, every file
        assert set(bag.algorithms) == {"sha256", "sha512"}
        assert bag.info["Bag-Group-Identifier"] == package.parent.name
    certificate_package = (
        out / f"{world.dept_a}-{ITEM}-{dt.datetime.now(dt.UTC).year}" / f"certificate-{identifiers[0]}"
    )
    metadata = json.loads((certificate_package / "data/metadata.json").read_text())
    assert metadata["record"]["identifier"] == identifiers[0]
    assert metadata["archival"]["retention"]["years"] == 10
    assert (certificate_package / "data/record/rendition.pdf").read_bytes().startswith(b"%PDF-")
    log = json.loads((certificate_package / "data/evidence/log.json").read_text())
    assert [e["action"] for e in log["entries"]][:1] == ["certificate:issue"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Filing.id))) == 4


@pytest.fixture
def durable(tmp_path: Path, keystore_dir: Path, database_url: str) -> Iterator[tuple[Flask, dict[str, str]]]:
    """An app whose database another process can open too (a file on SQLite), with its settings."""
    url = f"sqlite:///{tmp_path / 'registry.sqlite3'}" if database_url.startswith("sqlite") else database_url
    settings = {k: str(v) for k, v in app_settings(tmp_path, keystore_dir, url).items() if k.startswith("REGISTRY_")}
    with another_app(settings) as durable_app:
        yield durable_app, settings
        if url.startswith("postgresql"):
            with durable_app.app_context():
                tables = ", ".join(t.name for t in db.metadata.sorted_tables)
                with db.engine.begin() as conn:
                    conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


def test_an_export_killed_midway_is_completed_by_the_next_run_with_no_duplicate(
    durable: tuple[Flask, dict[str, str]], tmp_path: Path
) -> None:
    app, settings = durable
    with app.app_context():
        world = make_world()
    configure_items(app, world)
    client = app.test_client()
    identifiers = {issue(client, world) for _ in range(24)}
    out = tmp_path / "archive"
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "archive", "export", "--out", str(out), "--batch", "4"]
    env = {**os.environ, **settings}
    log = (tmp_path / "export.log").open("wb")
    process = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=log, stderr=log)
    deadline = time.monotonic() + 120
    while len(packages(out)) < 6 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)  # kill -9: no handler runs, nothing is cleaned up
    process.wait()
    log.close()
    output = (tmp_path / "export.log").read_text(errors="replace")
    assert process.returncode == -signal.SIGKILL, f"the export ended before it could be killed midway:\n{output}"
    with app.app_context():
        filed_before = db.session.scalar(select(func.count(Filing.id)))
    assert filed_before < 24

    export(app, out)

    with app.app_context():
        filings = list(db.session.scalars(select(Filing)))
        entries = db.session.scalars(select(LogEntry).where(LogEntry.action == Action.RECORD_FILE)).all()
    assert sorted(f.identifier for f in filings) == sorted(identifiers)  # every record filed exactly once
    assert sorted(f.ordinal for f in filings) == list(range(1, 25))  # no gap, no duplicate in the series
    assert len(entries) == 24  # one `record:file` entry per record
    found = packages(out)
    assert sorted(p.name for p in found) == sorted(f"certificate-{i}" for i in identifiers)
    assert not list(out.glob("*/.partial-*"))
    ordinals = sorted(int(bagit.Bag(str(p)).info["Bag-Count"].split(" of ")[0]) for p in found)
    assert ordinals == list(range(1, 25))
    for package in found:
        bagit.Bag(str(package)).validate()


def backdate(app: Flask, identifier: str, years: int) -> None:
    """Time passing: the certificate was issued `years` ago (its retention counts from its issue)."""
    with app.app_context():
        certificate = db.session.scalars(select(Certificate).where(Certificate.identifier == identifier)).one()
        certificate.issued_at = certificate.issued_at.replace(year=certificate.issued_at.year - years)
        db.session.commit()


def audit_passes(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def revoke(client: FlaskClient, world: World, identifier: str) -> None:
    response = client.post(
        f"/api/v1/certificates/{identifier}/revoke",
        json={"reason": "license_withdrawn"},
        headers=world.headers("issuer_a"),
    )
    assert response.status_code == 200, response.get_json()


def test_a_hold_blocks_disposal_and_disposal_keeps_a_tombstone_and_a_log_that_verifies(
    app: Flask, client: FlaskClient, world: World, tmp_path: Path
) -> None:
    configure_items(app, world, retention_years=10)
    held, disposed, kept, in_force = (issue(client, world) for _ in range(4))
    client.get(f"/api/v1/certificates/{disposed}/document.pdf", headers=world.headers("holder"))  # a rendition
    export(app, tmp_path / "archive")
    for identifier in (held, disposed, in_force):
        backdate(app, identifier, 11)
    for identifier in (held, disposed):  # licences withdrawn: no longer in force
        revoke(client, world, identifier)
    archivist = archivist_headers(app)
    hold = {"identifier": held, "reason": "litigation 2026-17"}
    response = client.post("/api/v1/archive/holds", json=hold, headers=archivist)
    assert response.status_code == 201, response.get_json()
    hold_id = response.get_json()["id"]

    listed = client.get("/api/v1/archive/disposable", headers=archivist).get_json()
    assert {(r["identifier"], r["hold"]) for r in listed} == {(held, hold_id), (disposed, None), (in_force, None)}

    both = {"authority": "DISP-2037-1", "identifiers": [held, disposed]}
    refused = client.post("/api/v1/archive/disposals", json=both, headers=archivist)
    assert refused.status_code == 409
    problem = refused.get_json()
    assert problem["code"] == "RECORD_HELD"
    assert "litigation 2026-17" in problem["errors"]["identifiers"][held]
    for identifier, code in ((kept, "RETENTION_NOT_ENDED"), (in_force, "CERTIFICATE_IN_FORCE")):
        answer = client.post(
            "/api/v1/archive/disposals", json={"authority": "D", "identifiers": [identifier]}, headers=archivist
        )
        assert answer.status_code == 409 and answer.get_json()["code"] == code

    with app.app_context():
        row = db.session.scalars(select(Certificate).where(Certificate.identifier == disposed)).one()
        signed_form = row.signed_form
        filing = db.session.scalars(select(Filing).where(Filing.identifier == disposed)).one()
        # Every printable rendition sealed for it.
        renditions = set(
            db.session.scalars(select(Stamp.stamped_sha256).where(Stamp.document_name == f"{disposed}.pdf"))
        )
    assert signed_form and len(renditions) == 1  # made once (for the export, as the holder had it)
    done = client.post(
        "/api/v1/archive/disposals", json={"authority": "DISP-2037-1", "identifiers": [disposed]}, headers=archivist
    )
    assert done.status_code == 200, done.get_json()
    [tombstone] = done.get_json()["disposed"]
    assert tombstone["identifier"] == disposed and tombstone["authority"] == "DISP-2037-1"
    assert tombstone["removed"]["signed_form"] == hashlib.sha256(signed_form.encode()).hexdigest()
    assert tombstone["removed"]["package"] == f"{filing.package} {filing.package_sha256}"
    assert set(tombstone["removed"]) == {"signed_form", "compact_form", "package"}
    with app.app_context():
        gone = db.session.scalars(select(Certificate).where(Certificate.identifier == disposed)).one()
        assert (gone.signed_form, gone.fields, gone.compact_form, gone.holder_name) == (None, None, None, "")
        assert not any(services().document_store.exists(r) for r in renditions)  # printable copies gone too
        assert db.session.scalar(select(func.count(Tombstone.id))) == 1
        entry = db.session.scalars(
            select(LogEntry).where(LogEntry.action == Action.RECORD_DISPOSE, LogEntry.certificate == disposed)
        ).one()
        assert "DISP-2037-1" in (entry.reason or "")
    read = client.get(f"/api/v1/certificates/{disposed}", headers=world.headers("holder"))
    assert read.status_code == 410 and read.get_json()["code"] == "CERTIFICATE_DISPOSED"
    audit_passes(app)

    # The hold lifted, the CLI disposes of what may be disposed of and says what it kept and why.
    assert client.post(f"/api/v1/archive/holds/{hold_id}/lift", headers=archivist).status_code == 200
    result = app.test_cli_runner().invoke(args=["archive", "dispose", "--authority", "DISP-2037-2"])
    assert result.exit_code == 0, result.output
    assert f"disposed of certificate {held}; destroy package" in result.output
    assert f"kept {in_force}: CERTIFICATE_IN_FORCE" in result.output
    assert client.get(f"/api/v1/certificates/{kept}", headers=world.headers("holder")).status_code == 200
    audit_passes(app)


def test_a_series_hold_blocks_every_record_of_the_series(
    app: Flask, client: FlaskClient, world: World, tmp_path: Path
) -> None:
    configure_items(app, world, retention_years=1)
    identifiers = [issue(client, world) for _ in range(2)]
    export(app, tmp_path / "archive")
    for identifier in identifiers:
        backdate(app, identifier, 2)
    series = f"{world.dept_a}-{ITEM}-{dt.datetime.now(dt.UTC).year}"
    placed = app.test_cli_runner().invoke(args=["archive", "hold", "place", "--series", series, "--reason", "audit"])
    assert placed.exit_code == 0, placed.output
    refused = app.test_cli_runner().invoke(
        args=["archive", "dispose", "--authority", "D-1", "--record", identifiers[0]]
    )
    assert refused.exit_code == 1 and "RECORD_HELD" in refused.output
    swept = app.test_cli_runner().invoke(args=["archive", "dispose", "--authority", "D-1"])
    assert "disposed of 0 records, kept 2" in swept.output


def test_stamped_and_handed_over_documents_are_kept_and_read_only_by_who_may(
    app: Flask, client: FlaskClient, world: World
) -> None:
    configure_items(app, world)
    response = deposit(client, world, decided_at="2026-11-01T09:00:00+08:00")
    assert response.status_code == 201, response.get_json()
    document = response.get_json()
    assert document["service_item"] == DOCS_ITEM and document["stamp"]
    reference = document["reference"]
    archivist = archivist_headers(app)
    content = client.get(f"/api/v1/documents/{reference}/content", headers=archivist)
    assert content.status_code == 200 and content.data.startswith(b"%PDF-")
    assert hashlib.sha256(content.data).hexdigest() == document["sha256"]
    assert client.get(f"/api/v1/documents/{reference}/content", headers=world.headers("issuer_a")).status_code == 200
    assert client.get(f"/api/v1/documents/{reference}", headers=world.headers("issuer_b")).status_code == 404
    for who in ("agency", "holder"):
        assert client.get(f"/api/v1/documents/{reference}/content", headers=world.headers(who)).status_code == 403
    assert client.get(f"/api/v1/documents/{reference}/content").status_code == 401
    # A document changed in the store is refused on read, not served.
    with app.app_context():
        stored = db.session.scalars(select(Document).where(Document.reference == reference)).one()
        path = Path(app.config["REGISTRY_DOCUMENT_STORE"]) / stored.sha256[:2] / stored.sha256[2:]
    path.write_bytes(path.read_bytes() + b"%")
    damaged = client.get(f"/api/v1/documents/{reference}/content", headers=archivist)
    assert damaged.status_code == 500 and damaged.get_json()["code"] == "DOCUMENT_DAMAGED"

    # Bad input: not a PDF, an item that files no documents, a hash-only stamp for an item that files.
    assert deposit(client, world, data=b"hello").get_json()["code"] == "NOT_A_PDF"
    assert deposit(client, world, service_item=ITEM).get_json()["code"] == "ITEM_FILES_NO_DOCUMENTS"
    hashed = client.post(
        "/api/v1/stamps",
        data={"sha256": "ab" * 32, "service_item": DOCS_ITEM, "kind": "detached"},
        headers=world.headers("issuer_a"),
        content_type="multipart/form-data",
    )
    assert hashed.status_code == 422 and hashed.get_json()["code"] == "FILE_REQUIRED_FOR_FILING"
    # Only a department's clients hand documents over; nobody else changes holds or disposes.
    assert deposit_as(client, archivist).status_code == 403
    for who in ("issuer_a", "agency", "holder", "admin"):
        headers = world.headers(who)
        assert (
            client.post("/api/v1/archive/holds", json={"series": "x", "reason": "r"}, headers=headers).status_code
            == 403
        )
        body = {"authority": "A", "identifiers": ["x"]}
        assert client.post("/api/v1/archive/disposals", json=body, headers=headers).status_code == 403
    for who in ("issuer_a", "agency", "holder"):
        assert client.get("/api/v1/archive/disposable", headers=world.headers(who)).status_code == 403


def deposit_as(client: FlaskClient, headers: dict[str, str]) -> Any:
    body = {"file": (io.BytesIO(pdf_document()), "d.pdf"), "service_item": DOCS_ITEM}
    return client.post("/api/v1/documents", data=body, headers=headers, content_type="multipart/form-data")


def test_the_filing_fulfilment_ratio_counts_records_filed_by_their_deadline(
    app: Flask, client: FlaskClient, world: World, tmp_path: Path
) -> None:
    configure_items(app, world)
    identifiers = [issue(client, world) for _ in range(4)]
    export(app, tmp_path / "archive", "--limit", "3")
    with app.app_context():  # one of the three was filed after its deadline
        late = db.session.scalars(select(Filing).where(Filing.identifier == identifiers[0])).one()
        late.filed_at = late.deadline_at + dt.timedelta(days=1)
        db.session.commit()
    archivist = archivist_headers(app)
    [row] = client.get("/api/v1/stats/filing", headers=archivist).get_json()["departments"]
    assert (row["department"], row["due"], row["filed_in_time"], row["filed_late"], row["unfiled"]) == (
        world.dept_a,
        4,
        2,
        1,
        1,
    )
    assert row["ratio"] == 0.5
    # A department sees its own only, whatever it asks for; agencies and holders see none.
    own = client.get(f"/api/v1/stats/filing?department={world.dept_a}", headers=world.headers("issuer_b")).get_json()
    assert [r["department"] for r in own["departments"]] == [world.dept_b]
    for who in ("agency", "holder"):
        assert client.get("/api/v1/stats/filing", headers=world.headers(who)).status_code == 403
    result = app.test_cli_runner().invoke(args=["archive", "stats"])
    assert "50.0%" in result.output and "late 1" in result.output


def test_the_holder_gets_the_printable_rendition_sealed_by_the_department(
    app: Flask, client: FlaskClient, world: World, tmp_path: Path
) -> None:
    identifier = issue(client, world)
    response = client.get(f"/api/v1/certificates/{identifier}/document.pdf", headers=world.headers("holder"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(response.data)
    signatures = subprocess.run([PDFSIG, str(pdf)], capture_output=True, text=True).stdout
    assert "Signature is Valid" in signatures or "Signature Validation: Signature is Valid" in signatures
    text = subprocess.run([PDFTOTEXT, str(pdf), "-"], capture_output=True, text=True).stdout
    assert identifier in text.replace("\n", "") or identifier[:40] in text
    assert world.holder_id not in text  # the ID number only masked
    verified = client.post(
        "/api/v1/stamps/verify", data={"file": (io.BytesIO(response.data), "c.pdf")}, content_type="multipart/form-data"
    ).get_json()
    assert verified["valid"], verified
    assert (
        client.get(f"/api/v1/certificates/{identifier}/document.pdf", headers=world.headers("other_holder")).status_code
        == 404
    )
    assert (
        client.get(f"/api/v1/certificates/{identifier}/document.pdf", headers=world.headers("agency")).status_code
        == 403
    )
    again = client.get(f"/api/v1/certificates/{identifier}/document.pdf", headers=world.headers("holder"))
    assert again.data == response.data  # made once, kept


def certverify_archive(*paths: Path, cwd: Path) -> tuple[int, dict[str, Any]]:
    """`certverify archive check --json` in a fresh process that cannot import the registry or its issuers."""
    script = (
        "import sys; sys.modules['registry'] = sys.modules['issuers'] = None\n"
        "from verifiers.cli import main\n"
        "sys.exit(main(['archive', 'check', '--json', *sys.argv[1:]]))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")} | {"PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script, *map(str, paths)], env=env, cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]
    return done.returncode, json.loads(done.stdout)


def failed_properties(report: dict[str, Any]) -> dict[str, set[str]]:
    """Per package folder name, the properties that failed (with each problem's code), and the series' codes."""
    failed = {
        Path(p["path"]).name: {
            f"{name}:{problem['code']}" for name, prop in p["properties"].items() for problem in prop["problems"]
        }
        for p in report["packages"]
    }
    failed["series"] = {f"integrity:{problem['code']}" for s in report["series"] for problem in s["problems"]}
    return {name: codes for name, codes in failed.items() if codes}


def test_exported_packages_pass_the_four_property_check_with_the_registry_gone(
    durable: tuple[Flask, dict[str, str]], tmp_path: Path
) -> None:
    app, settings = durable
    with app.app_context():
        world = make_world()
    configure_items(app, world)
    client = app.test_client()
    issue(client, world)
    # The department's seal rotates: the certificate was signed by the old seal, its rendition by the new.
    rotated = app.test_cli_runner().invoke(args=["seal", "rotate", world.dept_a])
    assert rotated.exit_code == 0, rotated.output
    stamp_for_item(client, world)
    assert deposit(client, world).status_code == 201
    out = tmp_path / "archive"
    export(app, out)
    # The registry is gone: its database, its keystore, its document store.
    with app.app_context():
        if db.engine.url.get_backend_name() == "sqlite":
            db.engine.dispose()
            Path(str(db.engine.url.database)).unlink()
        else:
            tables = ", ".join(t.name for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    shutil.rmtree(settings["REGISTRY_KEYSTORE_DIR"])
    shutil.rmtree(settings["REGISTRY_INSTANCE_PATH"])
    for package in packages(out):
        bagit.Bag(str(package)).validate()
    code, report = certverify_archive(out, cwd=tmp_path)
    assert code == 0, failed_properties(report)
    assert report["passed"] and len(report["packages"]) == 3
    assert all(all(p["passed"] for p in package["properties"].values()) for package in report["packages"])


def test_a_changed_added_or_removed_file_and_a_dropped_package_are_caught(
    app: Flask, client: FlaskClient, world: World, tmp_path: Path
) -> None:
    configure_items(app, world)
    identifiers = [issue(client, world) for _ in range(4)]
    out = tmp_path / "archive"
    export(app, out)
    series = out / f"{world.dept_a}-{ITEM}-{dt.datetime.now(dt.UTC).year}"
    first, second, third, fourth = (series / f"certificate-{i}" for i in identifiers)
    # One byte of the rendition: the manifest no longer matches (nor does the seal's signature).
    rendition = first / "data/record/rendition.pdf"
    data = bytearray(rendition.read_bytes())
    data[len(data) // 2] ^= 0x01
    rendition.write_bytes(bytes(data))
    # The holder's name in the metadata, re-bagged as a forger would: the manifests match, the signature does not.
    metadata = second / "data/metadata.json"
    described = json.loads(metadata.read_text())
    described["record"]["holder"]["name"] = "李鬼"
    metadata.write_text(json.dumps(described, ensure_ascii=False))
    bagit.Bag(str(second)).save(manifests=True)
    # A file added to the payload, and the third package dropped from the series.
    (fourth / "data/record/notes.txt").write_text("added later")
    shutil.rmtree(third)
    code, report = certverify_archive(out, cwd=tmp_path)
    assert code == 1
    failed = failed_properties(report)
    assert any(c.startswith("integrity:") for c in failed[first.name]), failed[first.name]  # and its signature fails
    assert any(c.startswith("authenticity:") for c in failed[second.name]), failed[second.name]
    assert not any(c.startswith("integrity:") for c in failed[second.name]), failed[second.name]
    assert any(c.startswith("integrity:") for c in failed[fourth.name]), failed[fourth.name]
    assert failed["series"], "the dropped package leaves a gap in its series"


def test_one_export_at_a_time_writes_into_a_folder(
    app: Flask, client: FlaskClient, world: World, tmp_path: Path
) -> None:
    configure_items(app, world)
    issue(client, world)
    out = tmp_path / "archive"
    out.mkdir()
    with (out / ".export-lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another export is running
        result = app.test_cli_runner().invoke(args=["archive", "export", "--out", str(out)])
    assert result.exit_code == 1 and "EXPORT_RUNNING" in result.output
    assert "filed 1 records" in export(app, out).output  # once it is done, the next one runs


def test_a_record_that_cannot_be_packaged_is_reported_and_the_others_are_filed(
    app: Flask, client: FlaskClient, world: World, tmp_path: Path
) -> None:
    configure_items(app, world)
    response = deposit(client, world)
    issued = issue(client, world)
    with app.app_context():  # the stored document is lost
        stored = db.session.scalars(
            select(Document).where(Document.reference == response.get_json()["reference"])
        ).one()
        (Path(app.config["REGISTRY_DOCUMENT_STORE"]) / stored.sha256[:2] / stored.sha256[2:]).unlink()
    result = app.test_cli_runner().invoke(args=["archive", "export", "--out", str(tmp_path / "archive")])
    assert result.exit_code == 1
    assert f"NOT FILED {stored.reference}: document" in result.output and "filed 1 records" in result.output
    with app.app_context():
        assert [f.identifier for f in db.session.scalars(select(Filing))] == [issued]


def test_documents_filed_are_pdfs_decided_in_the_past_and_refusals_name_their_department(
    app: Flask, client: FlaskClient, world: World
) -> None:
    configure_items(app, world)
    sheet = client.post(
        "/api/v1/stamps",
        data={"file": (io.BytesIO(b"PK\x03\x04 a spreadsheet"), "table.xlsx"), "service_item": DOCS_ITEM},
        headers=world.headers("issuer_a"),
        content_type="multipart/form-data",
    )
    assert sheet.status_code == 422 and sheet.get_json()["code"] == "NOT_A_PDF"
    future = deposit(client, world, decided_at="2999-01-01T00:00:00+00:00")
    assert future.status_code == 422 and "decided_at" in future.get_json()["errors"]
    reference = deposit(client, world).get_json()["reference"]
    assert client.get(f"/api/v1/documents/{reference}", headers=world.headers("agency")).status_code == 403
    with app.app_context():
        department = db.session.scalars(select(Department).where(Department.credit_code == world.dept_a)).one()
        refused = db.session.scalars(
            select(LogEntry).where(LogEntry.outcome == "refused", LogEntry.action == Action.DOCUMENT_READ)
        ).one()
    assert refused.subject_department_id == department.id and reference in (refused.reason or "")


def test_the_store_refuses_a_damaged_document_and_the_same_bytes_repair_it(app: Flask, tmp_path: Path) -> None:
    store = DocumentStore(tmp_path / "store")
    data = pdf_document()
    sha256 = store.put(data)
    path = tmp_path / "store" / sha256[:2] / sha256[2:]
    path.write_bytes(data[:-1])
    with pytest.raises(DocumentDamaged):
        store.get(sha256)
    assert store.put(data) == sha256 and store.get(sha256) == data
    with pytest.raises(ValueError):
        store.get("../../etc/passwd")


def test_a_decision_co_stamped_by_two_departments_carries_both_seal_certificates(
    app: Flask, client: FlaskClient, world: World, tmp_path: Path
) -> None:
    configure_items(app, world)
    first = client.post(
        "/api/v1/stamps",
        data={"file": (io.BytesIO(pdf_document()), "joint.pdf"), "service_item": DOCS_ITEM},
        headers=world.headers("issuer_a"),
        content_type="multipart/form-data",
    )
    assert first.status_code == 201
    second = client.post(  # the second department stamps the stamped decision beside the first seal
        "/api/v1/stamps",
        data={"file": (io.BytesIO(first.data), "joint.pdf"), "service_item": DOCS_ITEM, "x": "100", "y": "40"},
        headers=world.headers("issuer_b"),
        content_type="multipart/form-data",
    )
    assert second.status_code == 201, second.get_data(as_text=True)[:300]
    out = tmp_path / "archive"
    # The offline check does not accept co-stamps yet (pyHanko counts the second visible seal as a change,
    # and it wants every signer to be of the record's department): file without it, check what it does hold.
    export(app, out, "--no-check")
    co_stamped = next(out.glob(f"{world.dept_b}-*/document-*"))
    assert (co_stamped / "data/evidence/seal-chain.pem").read_text().count("BEGIN CERTIFICATE") == 2
    code, report = certverify_archive(next(out.glob(f"{world.dept_a}-*/document-*")), cwd=tmp_path)
    assert code == 0, failed_properties(report)  # the first department's decision, stamped once
