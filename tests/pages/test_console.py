"""The department's console: issue through the form, search, read with history, change with a reason, stamp
a PDF, the department's figures; only its own issuing staff, every form CSRF-checked."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from registry.models import LogEntry, db
from registry.vocabulary import Action, Role
from registry.web import console
from registry.wiring import services
from tests.factories import World, certificate_body, citizen_id, pdf_document
from tests.pages.test_staff_sign_in import csrf_token, make_staff, sign_in

FIELDS = {"f-company_name": "示例有限公司", "f-legal_representative": "王五", "f-established_on": "2021-03-04"}


@pytest.fixture
def clerk(app: Flask, client: FlaskClient, world: World) -> FlaskClient:
    """The test client signed in as clerk.li, issuing staff of department A."""
    make_staff(app, world)
    sign_in(client)
    return client


def page(response: Any) -> str:
    return str(response.get_data(as_text=True))


def issue_form(client: FlaskClient, world: World, **values: str) -> dict[str, str]:
    """The issue form's hidden inputs as the page gives them (the CSRF token, the type, the idempotency key),
    filled in for the world's holder."""
    html = page(client.get(f"/console/issue?type={world.type_a}"))
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
    form |= {"holder_kind": "person", "holder_id": world.holder_id, "holder_name": "李四"}
    return form | FIELDS | values


def issue(client: FlaskClient, world: World, **values: str) -> str:
    """Issue through the form; the new certificate's identifier."""
    response = client.post("/console/issue", data=issue_form(client, world, **values))
    assert response.status_code == 303, page(response)[:2000]
    return response.headers["Location"].rsplit("/", 1)[1]


def post_form(client: FlaskClient, url: str, **values: str) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client, url), **values})


# Who may use it -------------------------------------------------------------------------------------


def test_every_console_page_sends_one_not_signed_in_to_the_sign_in_page(client: FlaskClient, world: World) -> None:
    for url in ("/console/", "/console/certificates", "/console/issue", "/console/stamp"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/staff/sign-in?next=/console/"), url


def test_an_archivist_may_not_use_the_console(app: Flask, client: FlaskClient, world: World) -> None:
    make_staff(app, world, "archivist.chen", Role.ARCHIVIST)
    sign_in(client, "archivist.chen")
    response = client.get("/console/?lang=en")
    assert response.status_code == 403 and "Not allowed" in page(response)


def test_another_departments_certificate_is_not_found(clerk: FlaskClient, world: World) -> None:
    other = clerk.post(
        "/api/v1/certificates", json=certificate_body(world.type_b), headers=world.headers("issuer_b")
    ).json["identifier"]
    assert clerk.get(f"/console/certificates/{other}").status_code == 404
    assert clerk.get(f"/console/certificates/{other}/revoke").status_code == 404
    mine = issue(clerk, world)
    token = csrf_token(clerk, f"/console/certificates/{mine}/revoke")
    response = clerk.post(
        f"/console/certificates/{other}/revoke", data={"csrf_token": token, "reason": "issued_in_error"}
    )
    assert response.status_code == 404
    assert clerk.get(f"/api/v1/certificates/{other}", headers=world.headers("issuer_b")).json["status"] == "valid"


# Issuing --------------------------------------------------------------------------------------------


def test_a_refused_value_is_shown_at_its_field_and_the_values_are_kept(clerk: FlaskClient, world: World) -> None:
    wrong = {"f-company_name": "", "f-registered_capital": "lots", "f-paid_in_capital": "1,5", "f-employees": "12"}
    form = issue_form(clerk, world, **wrong)
    response = clerk.post("/console/issue?lang=en", data=form)
    assert response.status_code == 422
    html = page(response)
    assert re.search(r'id="f-company_name"[^>]*aria-describedby="f-company_name-error" aria-invalid="true"', html)
    assert 'id="f-company_name-error"' in html and "this field is required" in html
    assert re.search(
        r'id="f-registered_capital" name="f-registered_capital" value="lots"[^>]*aria-invalid="true"', html
    )
    assert "Enter a number" in html and "Enter a decimal number" in html
    assert 'value="12"' in html and f'value="{world.holder_id}"' in html  # what was entered stays
    assert 'href="#f-company_name"' in html  # the summary links to the input
    assert 'aria-invalid="true"' not in re.search(r'<input[^>]*id="f-employees"[^>]*>', html).group(0)  # type: ignore[union-attr]
    with clerk.application.app_context():
        assert db.session.scalar(select(LogEntry).where(LogEntry.action == Action.CERTIFICATE_ISSUE)) is None


def test_a_bad_holder_number_and_bad_fields_show_together(clerk: FlaskClient, world: World) -> None:
    form = issue_form(clerk, world, holder_id="110101199001011234", **{"f-established_on": "someday"})
    html = page(clerk.post("/console/issue?lang=en", data=form))
    assert 'id="holder_id-error"' in html and 'id="f-established_on-error"' in html


def test_an_end_of_validity_before_its_start_is_shown_at_its_input(clerk: FlaskClient, world: World) -> None:
    response = clerk.post("/console/issue?lang=en", data=issue_form(clerk, world, valid_until="2000-01-01"))
    assert response.status_code == 422
    assert 'id="valid_until-error"' in page(response) and "must be after its start" in page(response)


def test_the_form_is_in_chinese_with_the_types_chinese_labels(app: Flask, clerk: FlaskClient, world: World) -> None:
    with app.app_context():
        ctype = services().catalog.get_type(world.type_a)
        ctype.fields = [
            dict(f, label="企业名称", label_en="Company name") if f["name"] == "company_name" else f
            for f in ctype.fields
        ]
        db.session.commit()
    assert "企业名称" in page(clerk.get(f"/console/issue?type={world.type_a}&lang=zh"))
    english = page(clerk.get(f"/console/issue?type={world.type_a}&lang=en"))
    assert "Company name" in english and "企业名称" not in english


def test_a_clerk_issues_a_certificate_and_reads_it(clerk: FlaskClient, world: World) -> None:
    identifier = issue(clerk, world, **{"f-registered_capital": "1000000", "f-listed": "true"})
    html = page(clerk.get(f"/console/certificates/{identifier}?lang=en"))
    assert "The certificate is issued." in html and "示例有限公司" in html and "1000000" in html
    assert "Issued" in html and "staff:clerk.li" in html  # the history names the clerk
    body = clerk.get(f"/api/v1/certificates/{identifier}", headers=world.headers("issuer_a")).json
    assert body["fields"]["registered_capital"] == 1000000 and body["fields"]["listed"] is True


def test_posting_the_form_twice_issues_one_certificate(clerk: FlaskClient, world: World) -> None:
    form = issue_form(clerk, world)
    first, second = clerk.post("/console/issue", data=form), clerk.post("/console/issue", data=form)
    assert first.headers["Location"] == second.headers["Location"]


# Reading and changing -------------------------------------------------------------------------------


def test_search_by_holder_type_status_and_date(clerk: FlaskClient, world: World) -> None:
    mine, other = issue(clerk, world), issue(clerk, world, holder_id=citizen_id())
    found = page(post_form(clerk, "/console/certificates", holder_kind="person", holder_id=world.holder_id))
    assert mine in found and other not in found
    assert mine in page(post_form(clerk, "/console/certificates", type=world.type_a, status="valid"))
    assert mine not in page(post_form(clerk, "/console/certificates", status="revoked"))
    assert mine not in page(post_form(clerk, "/console/certificates", issued_from="2000-01-01", issued_to="2000-12-31"))
    assert mine in page(post_form(clerk, "/console/certificates", issued_from="2000-01-01"))
    refused = post_form(clerk, "/console/certificates?lang=en", holder_kind="person", holder_id="12345")
    assert refused.status_code == 422 and 'id="holder_id-error"' in page(refused)


def test_a_clerk_revokes_with_a_reason_and_the_log_names_them(app: Flask, clerk: FlaskClient, world: World) -> None:
    identifier = issue(clerk, world)
    url = f"/console/certificates/{identifier}/revoke"
    assert "Revoking is final" in page(clerk.get(url + "?lang=en"))
    refused = post_form(clerk, url + "?lang=en")
    assert refused.status_code == 422 and 'id="reason-error"' in page(refused)
    response = post_form(clerk, url, reason="issued_in_error")
    assert response.status_code == 303
    html = page(clerk.get(f"/console/certificates/{identifier}?lang=en"))
    assert 'class="badge revoked"' in html and "Issued in error" in html
    with app.app_context():
        entry = db.session.scalar(
            select(LogEntry).where(LogEntry.certificate == identifier, LogEntry.action == Action.CERTIFICATE_REVOKE)
        )
        assert entry is not None and entry.actor_id == "staff:clerk.li" and entry.reason == "issued_in_error"
    assert "cannot be changed this way" in page(clerk.get(url + "?lang=en"))


def test_suspend_and_reinstate_keep_their_reasons_in_the_history(clerk: FlaskClient, world: World) -> None:
    identifier = issue(clerk, world)
    base = f"/console/certificates/{identifier}"
    assert post_form(clerk, f"{base}/suspend", reason="").status_code == 422
    assert post_form(clerk, f"{base}/suspend", reason="under inspection").status_code == 303
    assert post_form(clerk, f"{base}/reinstate", reason="inspection passed").status_code == 303
    html = page(clerk.get(f"{base}?lang=en"))
    assert "under inspection" in html and "inspection passed" in html and "Reinstated" in html


def test_an_amendment_is_the_next_version_and_supersedes_this_one(clerk: FlaskClient, world: World) -> None:
    identifier = issue(clerk, world)
    url = f"/console/certificates/{identifier}/amend"
    assert 'value="示例有限公司"' in page(clerk.get(url))  # the form starts from the values
    amended = FIELDS | {"f-company_name": "新名称有限公司"}
    unconfirmed = post_form(clerk, url + "?lang=en", **amended)
    assert unconfirmed.status_code == 422 and 'id="confirm-error"' in page(unconfirmed)
    response = post_form(clerk, url, confirm="yes", **amended)
    assert response.status_code == 303
    new = response.headers["Location"].rsplit("/", 1)[1]
    assert new != identifier
    html = page(clerk.get(f"/console/certificates/{new}?lang=en"))
    assert "新名称有限公司" in html and identifier in html and "Superseded" in html and "Amended" in html


# Stamping -------------------------------------------------------------------------------------------


def test_a_clerk_stamps_a_pdf_on_the_chosen_page_and_position(app: Flask, clerk: FlaskClient, world: World) -> None:
    token = csrf_token(clerk, "/console/stamp")
    upload = {"csrf_token": token, "file": (io.BytesIO(pdf_document(2)), "决定书.pdf")}
    response = clerk.post("/console/stamp", data=upload, content_type="multipart/form-data")
    assert response.status_code == 303
    place = response.headers["Location"]
    html = page(clerk.get(place + "?page=2&lang=en"))
    assert "Page 2 of 2" in html and 'name="position"' in html
    preview = clerk.get(f"{place}/page-2.png")
    assert preview.status_code == 200 and preview.data.startswith(b"\x89PNG")
    refused = post_form(clerk, place + "?lang=en", page="2")
    assert refused.status_code == 422 and "Choose where the stamp goes" in page(refused)
    response = post_form(clerk, place, page="2", position="top-left")
    assert response.status_code == 303
    done = page(clerk.get(response.headers["Location"] + "?lang=en"))
    reference = re.search(r'id="reference">([0-9a-f-]{36})<', done).group(1)  # type: ignore[union-attr]
    assert f"/s/{reference}" in done
    download = clerk.get(f"/console/stamps/{reference}/stamped.pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    with app.app_context():
        [check] = services().stamps.verify_pdf(download.data)
        assert check.valid, check.checks
        assert check.record is not None and check.record.reference == reference
    assert "决定书.pdf" in page(clerk.get(f"/s/{reference}"))


def test_a_file_that_is_not_a_pdf_is_refused_at_its_input(clerk: FlaskClient, world: World) -> None:
    token = csrf_token(clerk, "/console/stamp")
    upload = {"csrf_token": token, "file": (io.BytesIO(b"hello"), "note.txt")}
    response = clerk.post("/console/stamp?lang=en", data=upload, content_type="multipart/form-data")
    assert response.status_code == 422 and "This file is not a PDF." in page(response)
    assert 'aria-invalid="true"' in page(response)


def test_an_upload_is_only_its_uploaders(app: Flask, clerk: FlaskClient, world: World) -> None:
    token = csrf_token(clerk, "/console/stamp")
    upload = {"csrf_token": token, "file": (io.BytesIO(pdf_document()), "a.pdf")}
    place = clerk.post("/console/stamp", data=upload, content_type="multipart/form-data").headers["Location"]
    other = app.test_client()
    make_staff(app, world, "clerk.zhao")
    sign_in(other, "clerk.zhao")
    assert other.get(place).status_code == 404
    assert other.get(f"{place}/page-1.png").status_code == 404


# The department's figures ---------------------------------------------------------------------------


def test_the_overview_counts_the_departments_work(clerk: FlaskClient, world: World) -> None:
    identifier = issue(clerk, world)
    compact = clerk.get(f"/api/v1/certificates/{identifier}", headers=world.headers("issuer_a")).json
    clerk.post("/api/v1/verify", json={"token": compact["signed_form"]})
    html = page(clerk.get("/console/?lang=en"))
    figures = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)", html))
    assert figures["Certificates issued"].strip() == "1"
    assert figures["Checks of your certificates"].strip() == "1"
    assert figures["Paper submissions avoided"].strip() == "0"
    assert "Filing fulfilment" in html


# The foundation's promises --------------------------------------------------------------------------


def test_every_form_refuses_a_request_without_its_csrf_token(clerk: FlaskClient, world: World) -> None:
    identifier = issue(clerk, world)
    token = csrf_token(clerk, "/console/stamp")
    upload = {"csrf_token": token, "file": (io.BytesIO(pdf_document()), "a.pdf")}
    place = clerk.post("/console/stamp", data=upload, content_type="multipart/form-data").headers["Location"]
    for url in (
        "/console/issue",
        "/console/certificates",
        f"/console/certificates/{identifier}/suspend",
        f"/console/certificates/{identifier}/reinstate",
        f"/console/certificates/{identifier}/revoke",
        f"/console/certificates/{identifier}/amend",
        "/console/stamp",
        place,
    ):
        response = clerk.post(url, data={"reason": "issued_in_error", "confirm": "yes", "position": "top-left"})
        assert response.status_code == 400, url
    html = page(clerk.get(f"/console/certificates/{identifier}?lang=en"))
    assert 'class="badge valid"' in html


def test_every_console_page_sends_the_security_headers(clerk: FlaskClient, world: World) -> None:
    identifier = issue(clerk, world)
    for url in (
        "/console/",
        "/console/certificates",
        f"/console/issue?type={world.type_a}",
        f"/console/certificates/{identifier}",
        f"/console/certificates/{identifier}/revoke",
        f"/console/certificates/{identifier}/amend",
        "/console/stamp",
    ):
        response = clerk.get(url)
        assert response.status_code == 200, url
        policy = response.headers["Content-Security-Policy"]
        assert "script-src" not in policy and "frame-ancestors 'none'" in policy, url
        assert response.headers["X-Frame-Options"] == "DENY" and response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_every_console_message_has_a_chinese_translation(clerk: FlaskClient) -> None:
    folder = Path(console.__file__).parent
    methods = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    used = {found[2] for found in extract_from_dir(folder, methods, keywords={**DEFAULT_KEYWORDS, "_l": None})}
    with (folder / "translations/zh/LC_MESSAGES/messages.po").open("rb") as f:
        translated = {m.id for m in read_po(f) if m.id and m.string}
    assert used - translated == set()
    assert "概览" in page(clerk.get("/console/?lang=zh")) and "Overview" in page(clerk.get("/console/?lang=en"))
