"""The public pages a QR code opens, read by a lay person: the verdict in one language, a revoked certificate's
reason and date in words, the checks in plain sentences with the technical list folded, a stamp's record, and
too many requests answered with a page, not JSON."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from flask import Flask
from flask.testing import FlaskClient
from selenium.webdriver.remote.webdriver import WebDriver

from registry.web.i18n import ROOT
from tests.conftest import another_app, app_settings
from tests.factories import World, certificate_body, pdf_document
from tests.pages.browser import check_page
from tests.pages.test_desk import untranslated
from tests.registry.test_verification_page import compact_form, issue

CHECK_CODES = re.compile(r"<details>.*?<code>status</code>.*?</details>", re.S)


def page(client: FlaskClient, url: str, lang: str) -> str:
    response = client.get(f"{url}?lang={lang}")
    assert response.status_code == 200 and response.mimetype == "text/html", response.status_code
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "no-referrer" and response.headers["X-Frame-Options"] == "DENY"
    return response.get_data(as_text=True)


def revoked(client: FlaskClient, world: World, reason: str = "license_withdrawn") -> str:
    cert = issue(client, world)
    response = client.post(
        f"/api/v1/certificates/{cert['identifier']}/revoke", json={"reason": reason}, headers=world.headers("issuer_a")
    )
    assert response.status_code == 200, response.get_json()
    return str(cert["identifier"])


def today(lang: str) -> str:
    """Today as the pages write it: in the registry's time zone and the reader's language."""
    return format_date(dt.datetime.now(ZoneInfo("Asia/Shanghai")), "long", locale=lang)


def test_a_revoked_certificate_says_why_and_since_when_in_the_readers_language(
    client: FlaskClient, world: World, app: Flask
) -> None:
    identifier = revoked(client, world)
    url = f"/v/{compact_form(app, identifier)}"
    english = page(client, url, "en")
    assert "<h1>Not valid</h1>" in english and "The issuing department has revoked it." in english
    assert f"Since {today('en')}." in english
    assert '<dd id="reason">The licence it records was withdrawn.</dd>' in english
    assert "无效" not in english  # one language at a time
    chinese = page(client, url, "zh")
    assert "<h1>无效</h1>" in chinese and "签发机关已撤销这份证照。" in chinese
    assert f"自 {today('zh')} 起。" in chinese and "它所记载的许可已被撤回。" in chinese
    assert "Not valid" not in chinese


def test_the_checks_are_in_plain_words_with_the_technical_list_folded_below(
    client: FlaskClient, world: World, app: Flask
) -> None:
    identifier = str(issue(client, world)["identifier"])
    html = page(client, f"/v/{compact_form(app, identifier)}", "en")
    assert "<h1>Valid</h1>" in html and "This electronic certificate is genuine and in force." in html
    words = html.index("What was checked")
    assert html.index("nothing in it has changed since it was sealed", words) < html.index("<details>")
    assert "<details open" not in html and "<summary>Technical details</summary>" in html
    folded = CHECK_CODES.search(html)
    assert folded and "<code>OK</code>" in folded.group(0)  # the stable codes, inside the fold only
    assert "<code>OK</code>" not in html[: html.index("<details>")]
    assert "市场监管局 A" in html and "Test license" in html and identifier in html
    assert today("en") in html  # valid from, per locale


def test_a_forged_code_is_not_a_certificate_and_shows_no_details(client: FlaskClient) -> None:
    html = page(client, "/v/eyJhbGciOiJFUzI1NiJ9.e30.c2ln", "en")
    assert "<h1>Not valid</h1>" in html and 'id="certificate-heading"' not in html
    zh = page(client, "/v/not-a-token", "zh")
    assert "这不是证照库能够识别的电子证照。" in zh


def test_a_replaced_or_suspended_certificate_says_so_and_since_when(
    client: FlaskClient, world: World, app: Flask
) -> None:
    old = str(issue(client, world)["identifier"])
    amended = client.post(
        f"/api/v1/certificates/{old}/amend",
        json={"fields": certificate_body(world.type_a)["fields"] | {"company_name": "新名称有限公司"}},
        headers=world.headers("issuer_a"),
    )
    assert amended.status_code == 201, amended.get_json()
    html = page(client, f"/v/{compact_form(app, old)}", "en")
    assert "It has been replaced by a newer version." in html and amended.get_json()["identifier"] in html
    assert f"Since {today('en')}." in html

    suspended = str(issue(client, world)["identifier"])
    client.post(f"/api/v1/certificates/{suspended}/suspend", json={}, headers=world.headers("issuer_a"))
    html = page(client, f"/v/{compact_form(app, suspended)}", "zh")
    assert "签发机关已暂停这份证照。" in html and f"自 {today('zh')} 起。" in html
    assert 'id="reason"' not in html  # a suspension has no reason code to show


def stamped(client: FlaskClient, world: World) -> str:
    body = {"file": (io.BytesIO(pdf_document()), "decision.pdf")}
    response = client.post(
        "/api/v1/stamps", data=body, headers=world.headers("issuer_a"), content_type="multipart/form-data"
    )
    assert response.status_code == 201, response.get_data(as_text=True)[:300]
    return str(response.headers["X-Stamp-Reference"])


def test_a_revoked_stamp_says_why_and_since_when(client: FlaskClient, world: World) -> None:
    reference = stamped(client, world)
    valid = page(client, f"/s/{reference}", "en")
    assert "<h1>Valid</h1>" in valid and "decision.pdf" in valid and "<summary>Technical details</summary>" in valid
    revoked = client.post(
        f"/api/v1/stamps/{reference}/revoke", json={"reason": "决定已撤销"}, headers=world.headers("issuer_a")
    )
    assert revoked.status_code == 200, revoked.get_json()
    zh = page(client, f"/s/{reference}", "zh")
    assert "<h1>无效</h1>" in zh and "用印机关已撤销此次用印。" in zh and f"自 {today('zh')} 起。" in zh
    assert '<dd id="reason">决定已撤销</dd>' in zh


def test_errors_on_pages_are_plain_sentences_with_the_code_below(client: FlaskClient) -> None:
    response = client.get("/s/00000000-0000-4000-8000-000000000000?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and "There is nothing at this address." in html
    assert "<code>STAMP_NOT_FOUND</code> (404)" in html and "no stamp" not in html  # the registry's English detail
    zh = client.get("/s/00000000-0000-4000-8000-000000000000?lang=zh").get_data(as_text=True)
    assert "此地址没有内容。" in zh


def test_too_many_requests_on_a_page_is_a_page_in_the_readers_language(
    app: Flask, tmp_path: Path, keystore_dir: Path, database_url: str
) -> None:
    """(`app` only to empty the PostgreSQL tables after it, as for every test.)"""
    settings = app_settings(tmp_path, keystore_dir, database_url) | {"REGISTRY_RATELIMIT_VERIFY": "2/minute"}
    with another_app(settings) as limited:
        client = limited.test_client()
        for language, heading in (("en-GB,en", "Too many requests"), ("zh-CN", "请求过于频繁")):
            answers = [client.get("/v/not-a-token", headers={"Accept-Language": language}) for _ in range(3)]
            assert [a.status_code for a in answers] == ([200, 200, 429] if language.startswith("en") else [429] * 3)
            refused = answers[-1]
            assert refused.mimetype == "text/html" and heading in refused.get_data(as_text=True)
            assert "<code>TOO_MANY_REQUESTS</code>" in refused.get_data(as_text=True)
            assert refused.headers["Retry-After"] and refused.headers["X-Frame-Options"] == "DENY"
            assert "frame-ancestors 'none'" in refused.headers["Content-Security-Policy"]


def test_every_message_of_the_public_and_error_pages_has_a_chinese_translation() -> None:
    assert untranslated(ROOT, [("pages.py", "python"), ("templates/**.html", "jinja2")]) == set()


@pytest.mark.slow
def test_the_public_pages_in_a_real_browser(
    client: FlaskClient, world: World, app: Flask, served: str, fresh_browser: WebDriver
) -> None:
    valid = str(issue(client, world)["identifier"])
    check_page(fresh_browser, f"{served}/v/{compact_form(app, valid)}", "verify-valid")
    revoked_url = f"{served}/v/{compact_form(app, revoked(client, world))}"
    check_page(fresh_browser, revoked_url, "verify-revoked")
    check_page(fresh_browser, f"{revoked_url}?text=large", "verify-revoked-large-text")
    check_page(fresh_browser, f"{served}/v/not-a-certificate", "verify-not-a-certificate")
    reference = stamped(client, world)
    check_page(fresh_browser, f"{served}/s/{reference}", "stamp-valid")
    client.post(f"/api/v1/stamps/{reference}/revoke", json={"reason": "决定已撤销"}, headers=world.headers("issuer_a"))
    check_page(fresh_browser, f"{served}/s/{reference}", "stamp-revoked")
