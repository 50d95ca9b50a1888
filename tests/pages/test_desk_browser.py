"""The archivist's desk in real headless Chromium: every page in both languages at phone and desktop widths, with
axe-core finding no serious or critical violation, screenshots into build/screenshots/."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from flask import Flask
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from registry.vocabulary import Role
from tests.factories import World
from tests.pages.browser import SCREENSHOTS, axe_violations, check_page
from tests.pages.test_desk import ARCHIVIST
from tests.pages.test_staff_sign_in import PASSWORD, make_staff
from tests.registry.test_archive import backdate, configure_items, export, issue, packages, revoke

DESK_PAGES = (
    ("/archive/", "desk-overview"),
    ("/archive/due", "desk-due"),
    ("/archive/filed", "desk-filed"),
    ("/archive/holds", "desk-holds"),
    ("/archive/disposal", "desk-disposal"),
    ("/archive/checks", "desk-check-failed"),
    ("/archive/checks/1", "desk-check-passed"),
)


def an_archive_with_something_of_everything(app: Flask, world: World, tmp_path: Path) -> None:
    """Due, filed, held, disposed of, and a kept check with a failing package and an incomplete series."""
    configure_items(app, world, retention_years=10)
    client = app.test_client()
    identifiers = [issue(client, world) for _ in range(5)]
    out = tmp_path / "archive"
    export(app, out, "--limit", "4")
    for identifier in identifiers[:2]:
        backdate(app, identifier, 11)
        revoke(client, world, identifier)
    cli = app.test_cli_runner()
    assert (
        cli.invoke(args=["archive", "hold", "place", "--record", identifiers[0], "--reason", "案件 2026-17"]).exit_code
        == 0
    )
    disposed = cli.invoke(args=["archive", "dispose", "--authority", "销毁决定 2037-1", "--record", identifiers[1]])
    assert disposed.exit_code == 0, disposed.output
    found = {p.name: p for p in packages(out)}
    metadata = found[f"certificate-{identifiers[3]}"] / "data/metadata.json"
    metadata.write_text(json.dumps({"changed": True}))
    shutil.rmtree(found[f"certificate-{identifiers[2]}"])  # a gap in the series
    assert cli.invoke(args=["archive", "check", str(out)]).exit_code == 1


def sign_in(driver: WebDriver, served: str) -> None:
    driver.get(f"{served}/staff/sign-in?next=/archive/")
    driver.find_element(By.ID, "username").send_keys(ARCHIVIST)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "nav.main"))


@pytest.mark.slow
def test_every_desk_page_in_a_real_browser(
    app: Flask, world: World, served: str, fresh_browser: WebDriver, tmp_path: Path
) -> None:
    an_archive_with_something_of_everything(app, world, tmp_path)
    make_staff(app, world, ARCHIVIST, Role.ARCHIVIST)
    sign_in(fresh_browser, served)
    for url, name in DESK_PAGES:
        check_page(fresh_browser, f"{served}{url}", name)
    check_page(fresh_browser, f"{served}/archive/checks?text=large", "desk-check-failed-large-text")


@pytest.mark.slow
def test_the_hold_form_with_its_errors_in_a_real_browser(
    app: Flask, world: World, served: str, fresh_browser: WebDriver
) -> None:
    make_staff(app, world, ARCHIVIST, Role.ARCHIVIST)
    sign_in(fresh_browser, served)
    for lang in ("zh", "en"):
        fresh_browser.get(f"{served}/archive/holds?lang={lang}")
        fresh_browser.find_element(By.CSS_SELECTOR, "#place ~ form button[type=submit]").click()
        WebDriverWait(fresh_browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, '[aria-invalid="true"]'))
        violations = axe_violations(fresh_browser)
        assert not violations, f"hold form errors ({lang}): {json.dumps(violations, ensure_ascii=False)}"
        fresh_browser.save_screenshot(str(SCREENSHOTS / f"desk-hold-errors-{lang}-1280.png"))
