"""Real pages in a real browser: Debian's headless Chromium through chromedriver (Selenium), axe-core
from the npm registry for accessibility, and screenshots of every page at phone and desktop widths in
both languages (written to build/screenshots/, to be looked at)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait

from tests.factories import system_tool

PROJECT = Path(__file__).resolve().parents[2]
AXE = PROJECT / ".cache/npm/node_modules/axe-core/axe.min.js"
SCREENSHOTS = PROJECT / "build/screenshots"
PHONE, DESKTOP = 390, 1280
LANGUAGES = ("zh", "en")
BLOCKING = ("serious", "critical")


@pytest.fixture(scope="session")
def browser() -> Iterator[WebDriver]:
    """One headless Chromium for the session (cookies cleared between tests by `fresh_browser`)."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing ({AXE}): run `make system-deps`")
    options = Options()
    options.binary_location = system_tool("chromium", "chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=zh-CN"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(system_tool("chromedriver", "chromium-driver")), options=options)
    driver.set_window_size(DESKTOP, 900)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def fresh_browser(browser: WebDriver) -> Iterator[WebDriver]:
    browser.delete_all_cookies()
    browser.set_window_size(DESKTOP, 900)
    yield browser
    browser.delete_all_cookies()


def axe_violations(driver: WebDriver) -> list[dict[str, Any]]:
    """The serious and critical accessibility violations axe-core finds on the page as it is now."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ['violations']})
          .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                   nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))))
          .catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));
        """
    )
    return [v for v in violations if v["impact"] in BLOCKING]


def check_page(driver: WebDriver, url: str, name: str) -> None:
    """Open `url` in both languages at phone and desktop widths: `<html lang>` right, no serious or critical
    axe violation, a screenshot of each into build/screenshots/<name>-<lang>-<width>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    joiner = "&" if "?" in url else "?"
    for lang in LANGUAGES:
        for width in (PHONE, DESKTOP):
            driver.set_window_size(width, 900)
            driver.get(f"{url}{joiner}lang={lang}")
            html_lang = driver.find_element(By.TAG_NAME, "html").get_attribute("lang")
            assert html_lang == ("zh-CN" if lang == "zh" else "en"), (name, lang, html_lang)
            violations = axe_violations(driver)
            assert not violations, f"{name} ({lang}, {width} px): {json.dumps(violations, ensure_ascii=False)}"
            save_full_page(driver, width, SCREENSHOTS / f"{name}-{lang}-{width}.png")


def save_full_page(driver: WebDriver, width: int, path: Path) -> None:
    """A screenshot of the whole page at `width`: the window grown by the page's height plus its own frame."""
    frame = int(driver.execute_script("return window.outerHeight - window.innerHeight"))
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.set_window_size(width, min(max(height, 600), 6000) + max(frame, 0))
    driver.save_screenshot(str(path))


def click_and_wait(driver: WebDriver, selector: str) -> None:
    """Click what `selector` finds (a link or a submit button) and wait until the page it leads to is loaded.

    While the old page goes, chromedriver may answer a question about its element with an inspector error
    instead of "stale element": both mean it is going, so the wait asks again."""
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, selector).click()
    wait = WebDriverWait(driver, 15, ignored_exceptions=(WebDriverException,))
    wait.until(staleness_of(page))
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
