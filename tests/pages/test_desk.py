"""The archivist's desk: archivists only; what is due, filed, held and disposed of; holds placed and lifted with
their CSRF token; exports checked for the four properties and the last report shown with failures first."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from registry.models import ArchiveCheck, LegalHold, LogEntry, db
from registry.vocabulary import Action, Role
from registry.web.i18n import CATALOGUES, ROOT
from tests.factories import World
from tests.pages.test_staff_sign_in import csrf_token, make_staff, sign_in
from tests.registry.test_archive import ITEM, backdate, configure_items, export, issue, packages, revoke

ARCHIVIST = "archivist.chen"
PAGES = ("/archive/", "/archive/due", "/archive/filed", "/archive/holds", "/archive/disposal", "/archive/checks")


def untranslated(folder: Path, methods: list[tuple[str, str]]) -> set[str]:
    """The messages the code and templates under `folder` use that no Chinese catalogue translates."""
    translated: set[str] = set()
    for catalogue in CATALOGUES:
        po = ROOT / catalogue / "zh/LC_MESSAGES/messages.po"
        if po.exists():
            with po.open("rb") as f:
                translated |= {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id and m.string}
    used = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            folder, methods, keywords={**DEFAULT_KEYWORDS, "_l": None}
        )
    }
    assert used, f"no messages found under {folder}"
    return used - translated


def signed_in_archivist(app: Flask, client: FlaskClient, world: World) -> None:
    make_staff(app, world, ARCHIVIST, Role.ARCHIVIST)
    assert sign_in(client, ARCHIVIST).status_code == 302  # type: ignore[attr-defined]


def series_of(world: World) -> str:
    return f"{world.dept_a}-{ITEM}-{dt.datetime.now(dt.UTC).year}"


def text(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def test_the_desk_is_for_archivists_only(app: Flask, client: FlaskClient, world: World) -> None:
    nobody = client.get("/archive/holds")
    assert nobody.status_code == 302 and nobody.headers["Location"].startswith("/staff/sign-in?next=/archive/holds")

    make_staff(app, world)  # an issuing department's clerk
    sign_in(client)
    for url in PAGES:
        refused = client.get(f"{url}?lang=en")
        assert refused.status_code == 403 and refused.mimetype == "text/html", url
        assert "Not allowed" in refused.get_data(as_text=True)
    token = csrf_token(client, "/staff/sign-in")
    placed = client.post("/archive/holds", data={"csrf_token": token, "kind": "series", "target": "x", "reason": "r"})
    assert placed.status_code == 403

    other = app.test_client()
    signed_in_archivist(app, other, world)
    for url in PAGES:
        assert other.get(url).status_code == 200, url


def test_every_desk_page_sends_the_security_headers_in_the_readers_language(
    app: Flask, client: FlaskClient, world: World
) -> None:
    signed_in_archivist(app, client, world)
    for url in PAGES:
        for lang, html_lang in (("zh", "zh-CN"), ("en", "en")):
            response = client.get(f"{url}?lang={lang}")
            assert f'<html lang="{html_lang}"' in response.get_data(as_text=True), url
            policy = response.headers["Content-Security-Policy"]
            assert "frame-ancestors 'none'" in policy and "script-src" not in policy and "unsafe-inline" not in policy
            assert response.headers["X-Frame-Options"] == "DENY"
            assert response.headers["Referrer-Policy"] == "no-referrer"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert "<script" not in response.get_data(as_text=True)


def test_the_desk_shows_what_is_due_filed_held_and_disposed_of(
    app: Flask, client: FlaskClient, world: World, tmp_path: Path
) -> None:
    configure_items(app, world, retention_years=10)
    disposed, held, kept, unfiled = (issue(client, world) for _ in range(4))
    export(app, tmp_path / "archive", "--limit", "3")
    for identifier in (disposed, held, kept):
        backdate(app, identifier, 11)
    for identifier in (disposed, held):  # no longer in force
        revoke(client, world, identifier)
    cli = app.test_cli_runner()
    assert cli.invoke(args=["archive", "hold", "place", "--record", held, "--reason", "case 2026-17"]).exit_code == 0
    done = cli.invoke(args=["archive", "dispose", "--authority", "DISP-2037-1", "--record", disposed])
    assert done.exit_code == 0, done.output
    signed_in_archivist(app, client, world)

    overview = text(client, "/archive/?lang=en")
    assert re.search(r'desk-count">1</span> due for filing', overview)
    assert re.search(r'desk-count">3</span> filed', overview)
    assert re.search(r'desk-count">1</span> legal holds in force', overview)
    assert re.search(r'desk-count">1</span> disposed of', overview)
    assert "All 3 packages passed" in overview  # the export's own check

    due = text(client, "/archive/due?lang=en")
    assert unfiled in due and kept not in due and "1 record is due and not filed" in due
    filed = text(client, "/archive/filed?lang=en")
    assert all(i in filed for i in (disposed, held, kept)) and unfiled not in filed
    assert "disposed of" in filed and "held" in filed
    holds = text(client, "/archive/holds?lang=en")
    assert held in holds and "case 2026-17" in holds and "Lift hold" in holds
    disposal = text(client, "/archive/disposal?lang=en")
    assert "DISP-2037-1" in disposal and disposed in disposal  # the tombstone
    assert held in disposal and "case 2026-17" in disposal  # past its retention, but held
    assert kept in disposal and "still in force" in disposal  # past its retention, but valid
    assert "1 record disposed of" in disposal
    chinese = text(client, "/archive/?lang=zh")
    assert "档案工作台" in chinese and "待归档" in chinese


def test_holds_are_placed_and_lifted_at_the_desk_only_with_their_csrf_token(
    app: Flask, client: FlaskClient, world: World, tmp_path: Path
) -> None:
    configure_items(app, world)
    identifier = issue(client, world)
    export(app, tmp_path / "archive")
    signed_in_archivist(app, client, world)
    form = {"kind": "record", "target": identifier, "reason": "litigation 2026-17"}

    refused = client.post("/archive/holds?lang=en", data=form)
    assert refused.status_code == 400 and "The form could not be accepted" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(LegalHold.id))) == 0

    token = csrf_token(client, "/archive/holds")
    missing = client.post("/archive/holds?lang=en", data={**form, "reason": " ", "csrf_token": token})
    assert missing.status_code == 422 and 'aria-invalid="true"' in missing.get_data(as_text=True)
    unknown = client.post("/archive/holds?lang=en", data={**form, "target": "1.2.nothing", "csrf_token": token})
    assert unknown.status_code == 404 and "No filed record has this identifier" in unknown.get_data(as_text=True)

    placed = client.post("/archive/holds", data={**form, "csrf_token": token})
    assert placed.status_code == 303 and placed.headers["Location"] == "/archive/holds"
    assert "Legal hold 1 placed on" in text(client, "/archive/holds?lang=en")  # the flash, once
    with app.app_context():
        hold = db.session.scalars(select(LegalHold)).one()
        assert (hold.record_identifier, hold.reason, hold.placed_by) == (
            identifier,
            form["reason"],
            f"staff:{ARCHIVIST}",
        )
        entry = db.session.scalars(select(LogEntry).where(LogEntry.action == Action.HOLD_PLACE)).one()
        assert entry.actor_id == f"staff:{ARCHIVIST}" and entry.certificate == identifier

    series = client.post(
        "/archive/holds", data={"kind": "series", "target": series_of(world), "reason": "audit", "csrf_token": token}
    )
    assert series.status_code == 303

    assert client.post("/archive/holds/1/lift").status_code == 400
    with app.app_context():
        assert db.session.get_one(LegalHold, 1).lifted_at is None
    lifted = client.post("/archive/holds/1/lift", data={"csrf_token": token})
    assert lifted.status_code == 303
    again = client.post("/archive/holds/1/lift?lang=en", data={"csrf_token": token})
    assert again.status_code == 409 and "lifted already" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.get_one(LegalHold, 1).lifted_by == f"staff:{ARCHIVIST}"
        assert db.session.get_one(LegalHold, 2).lifted_at is None
    page = text(client, "/archive/holds?lang=en")
    assert "1 hold in force" in page and "1 hold lifted" in page


def test_an_export_checks_what_it_wrote_and_the_desk_shows_the_last_report_failures_first(
    app: Flask, client: FlaskClient, world: World, tmp_path: Path
) -> None:
    configure_items(app, world)
    identifiers = [issue(client, world) for _ in range(4)]
    out = tmp_path / "archive"
    exported = export(app, out, "--limit", "3")
    assert exported.stdout == "filed 3 records\n"  # the check reports on stderr
    assert "3 package(s), 0 failing" in exported.stderr
    skipped = export(app, out, "--no-check")
    assert "filed 1 records" in skipped.output and "checking" not in skipped.stderr
    with app.app_context():
        [first] = db.session.scalars(select(ArchiveCheck)).all()
        assert first.passed and first.packages == 3 and first.folder == str(out)

    # One package changed by a byte, another dropped from its series.
    found = {p.name: p for p in packages(out)}
    changed, dropped = found[f"certificate-{identifiers[0]}"], found[f"certificate-{identifiers[1]}"]
    rendition = changed / "data/record/rendition.pdf"
    data = bytearray(rendition.read_bytes())
    data[len(data) // 2] ^= 0x01
    rendition.write_bytes(bytes(data))
    shutil.rmtree(dropped)
    checked = app.test_cli_runner().invoke(args=["archive", "check", str(out)])
    assert checked.exit_code == 1, checked.output
    assert f"FAIL {changed}" in checked.output and "SERIES_GAP" in checked.output

    signed_in_archivist(app, client, world)
    page = text(client, "/archive/checks?lang=en")
    assert "Failed" in page and "1 of 3 packages failed; 1 series incomplete" in page
    failing = page.index(f"certificate-{identifiers[0]}")
    passing = page.index(f"certificate-{identifiers[2]}")
    assert page.index("Series with problems") < page.index("Failing packages") < failing < passing
    assert "SERIES_GAP" in page and "Integrity fails" in page and "BAG_CHECKSUM_MISMATCH" in page
    assert "data/record/rendition.pdf" in page  # the file each problem is about
    with app.app_context():
        report = db.session.scalars(select(ArchiveCheck).order_by(ArchiveCheck.id.desc())).first()
        assert report is not None and not report.passed
        assert json.dumps(report.report)  # kept as JSON
    earlier = text(client, "/archive/checks/1?lang=en")
    assert "All passed" in earlier
    assert client.get("/archive/checks/99?lang=en").status_code == 404
    chinese = text(client, "/archive/checks?lang=zh")
    assert "完整性" in chinese and "未通过" in chinese


def test_every_desk_message_has_a_chinese_translation() -> None:
    assert untranslated(ROOT / "web/desk", [("**.py", "python"), ("**/templates/**.html", "jinja2")]) == set()
