"""The pages every reader shares: the language, the large-text mode, errors as pages, the headers."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from selenium.webdriver.remote.webdriver import WebDriver

from tests.factories import World
from tests.pages.browser import check_page


def test_the_language_follows_the_browser_then_the_readers_choice(client: FlaskClient) -> None:
    url = "/s/00000000-0000-4000-8000-000000000000"
    assert '<html lang="en"' in client.get(url, headers={"Accept-Language": "en-GB,en"}).get_data(as_text=True)
    assert '<html lang="zh-CN"' in client.get(url, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    chosen = client.get(url + "?lang=en", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="en"' in chosen.get_data(as_text=True)
    again = client.get(url, headers={"Accept-Language": "zh-CN"})  # the choice is remembered
    assert '<html lang="en"' in again.get_data(as_text=True)


def test_an_error_on_a_page_is_a_page_with_the_security_headers(client: FlaskClient) -> None:
    response = client.get("/s/00000000-0000-4000-8000-000000000000?lang=en")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "Not found" in response.get_data(as_text=True)
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.slow
def test_the_error_page_in_a_real_browser(world: World, served: str, fresh_browser: WebDriver) -> None:
    check_page(fresh_browser, f"{served}/s/00000000-0000-4000-8000-000000000000", "error-404")
