"""The console in Debian's headless Chromium: a clerk signs in, issues a certificate through the form (a
refused value first), revokes it with a reason, and the public page shows it revoked; a clerk stamps a PDF
and the stamp's public page shows it. Every console page is checked with axe-core and photographed at phone
and desktop widths in both languages (build/screenshots/console-*)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from tests.factories import World, pdf_document
from tests.pages.browser import (
    DESKTOP,
    LANGUAGES,
    PHONE,
    SCREENSHOTS,
    axe_violations,
    check_page,
    click_and_wait,
)
from tests.pages.test_staff_sign_in import PASSWORD, make_staff


def sign_in(driver: WebDriver, served: str) -> None:
    driver.get(f"{served}/staff/sign-in?next=/console/")
    driver.find_element(By.ID, "username").send_keys("clerk.li")
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    click_and_wait(driver, "form button[type=submit]")
    assert driver.current_url == f"{served}/console/", driver.current_url


def check_answer(driver: WebDriver, url: str, post: Callable[[], None], name: str) -> None:
    """What `check_page` does, for the page a form's post answers with: in each language, open `url`, post,
    then check the answer with axe and photograph it at both widths."""
    for lang in LANGUAGES:
        driver.set_window_size(DESKTOP, 900)
        driver.get(f"{url}{'&' if '?' in url else '?'}lang={lang}")
        post()
        for width in (PHONE, DESKTOP):
            driver.set_window_size(width, 900)
            violations = axe_violations(driver)
            assert not violations, f"{name} ({lang}, {width} px): {violations}"
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(width, min(max(int(height), 600), 4000))
            driver.save_screenshot(str(SCREENSHOTS / f"{name}-{lang}-{width}.png"))


def fill_issue_form(driver: WebDriver, world: World, capital: str) -> None:
    Select(driver.find_element(By.ID, "holder_kind")).select_by_value("person")
    for field, value in (("holder_id", world.holder_id), ("holder_name", "李四"), ("f-company_name", "示例有限公司"),
                         ("f-legal_representative", "王五"), ("f-registered_capital", capital)):  # fmt: skip
        element = driver.find_element(By.ID, field)
        element.clear()
        element.send_keys(value)
    # A date input takes typing in the browser's own order; the test sets the value it would send.
    driver.execute_script("arguments[0].value = '2021-03-04'", driver.find_element(By.ID, "f-established_on"))
    click_and_wait(driver, "#issue-form button[type=submit]")


@pytest.mark.slow
def test_a_clerk_issues_then_revokes_and_the_public_page_says_so(
    app: Flask, world: World, served: str, fresh_browser: WebDriver
) -> None:
    driver = fresh_browser
    make_staff(app, world)
    sign_in(driver, served)
    check_page(driver, f"{served}/console/", "console-overview")
    check_page(driver, f"{served}/console/certificates", "console-certificates")
    issue_url = f"{served}/console/issue?type={world.type_a}"
    check_page(driver, issue_url, "console-issue")

    def refused() -> None:
        fill_issue_form(driver, world, capital="lots")
        field = driver.find_element(By.ID, "f-registered_capital")
        assert field.get_attribute("aria-invalid") == "true"
        assert field.get_attribute("value") == "lots"
        error = driver.find_element(By.ID, "f-registered_capital-error")
        assert error.is_displayed() and "f-registered_capital-error" in (field.get_attribute("aria-describedby") or "")

    check_answer(driver, issue_url, refused, "console-issue-refused")
    fill_issue_form(driver, world, capital="1000000")
    detail = driver.current_url
    assert "/console/certificates/1." in detail, driver.find_element(By.TAG_NAME, "main").text
    assert "staff:clerk.li" in driver.find_element(By.ID, "history").text
    check_page(driver, detail, "console-certificate")
    check_page(driver, f"{detail}/suspend", "console-suspend")
    check_page(driver, f"{detail}/amend", "console-amend")
    check_page(driver, f"{detail}/revoke", "console-revoke")

    driver.get(f"{detail}/revoke?lang=en")
    Select(driver.find_element(By.ID, "reason")).select_by_value("issued_in_error")
    click_and_wait(driver, "button.danger")
    assert driver.current_url == detail
    assert "Revoked" in driver.find_element(By.ID, "status").text
    assert "Issued in error" in driver.find_element(By.ID, "status-reason").text
    check_page(driver, detail, "console-certificate-revoked")

    public = driver.find_element(By.PARTIAL_LINK_TEXT, "public verification page").get_attribute("href")
    assert public is not None
    driver.get(public)
    # The public page is registry/pages.py's: its verdict, and the reason it gives (in its own words).
    verdict = driver.find_element(By.ID, "verdict")
    assert "invalid" in (verdict.get_attribute("class") or "").split()
    assert driver.find_element(By.ID, "reason").text.strip()


@pytest.mark.slow
def test_a_clerk_stamps_a_pdf_and_the_public_stamp_page_shows_it(
    app: Flask, world: World, served: str, fresh_browser: WebDriver, tmp_path: Path
) -> None:
    driver = fresh_browser
    make_staff(app, world)
    sign_in(driver, served)
    check_page(driver, f"{served}/console/stamp", "console-stamp-upload")
    document = tmp_path / "decision.pdf"
    document.write_bytes(pdf_document(2))
    driver.get(f"{served}/console/stamp?lang=en")
    driver.find_element(By.ID, "file").send_keys(str(document))
    click_and_wait(driver, "main form button[type=submit]")
    place = driver.current_url
    assert "/console/stamp/" in place
    check_page(driver, f"{place}?page=2", "console-stamp-place")

    driver.get(f"{place}?page=2&lang=en")
    preview = driver.find_element(By.CSS_SELECTOR, ".console-preview img")
    assert driver.execute_script("return arguments[0].naturalWidth", preview) > 0
    driver.find_element(By.CSS_SELECTOR, "label[for=position-top-right]").click()
    click_and_wait(driver, "#stamp-form button[type=submit]")
    stamped = driver.current_url
    reference = driver.find_element(By.ID, "reference").text
    assert stamped.endswith(f"/console/stamps/{reference}")
    check_page(driver, stamped, "console-stamped")

    driver.get(f"{stamped}?lang=en")
    public = driver.find_element(By.PARTIAL_LINK_TEXT, "public page").get_attribute("href")
    assert public is not None
    driver.get(public)
    assert driver.current_url.startswith(f"{served}/s/{reference}")
    verdict = driver.find_element(By.ID, "verdict")
    assert "valid" in (verdict.get_attribute("class") or "").split()
    assert reference in driver.find_element(By.TAG_NAME, "main").text
    assert "decision.pdf" in driver.find_element(By.TAG_NAME, "main").text
