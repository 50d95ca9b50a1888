"""The holder's wallet in Debian's headless Chromium, end to end on a served registry: sign-in through the
development identity provider's page, the certificates, the QR code at the counter and its disclosures, an
agency's share and a refused attempt in the access log, a consent given and withdrawn, and a certificate
revoked by its department, in the wallet and on the public page. Every page in both languages at phone and
desktop widths, checked by axe-core and photographed (build/screenshots/wallet-*)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from tests.factories import World
from tests.pages.browser import DESKTOP, SCREENSHOTS, check_page, click_and_wait
from tests.pages.test_wallet import ITEM, REASON, first, issue, share, sharing_policy

pytestmark = pytest.mark.slow


follow = click_and_wait


def check_wallet_page(driver: WebDriver, url: str, name: str) -> None:
    """`check_page`, then the large-text mode at 200% zoom of the desktop window (device scale 2, so 640 CSS
    pixels wide): the page reflows, nothing needs scrolling sideways (and a screenshot of its first screen)."""
    url = url.split("#", 1)[0]  # the query goes before the fragment
    check_page(driver, url, name)
    joiner = "&" if "?" in url else "?"
    metrics = {"width": DESKTOP // 2, "height": 450, "deviceScaleFactor": 2, "mobile": False}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        driver.get(f"{url}{joiner}text=large")
        assert "large-text" in str(driver.find_element(By.TAG_NAME, "html").get_attribute("class"))
        sideways = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        assert sideways <= 0, f"{name}: {sideways} px to scroll sideways with large text at 200% zoom"
        driver.save_screenshot(str(SCREENSHOTS / f"{name}-large-text-200-percent.png"))
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        driver.get(f"{url}{joiner}text=normal")


def sign_in(driver: WebDriver, served: str, world: World, *, photograph: bool = False) -> None:
    """From a wallet page, through the development identity provider's sign-in page, back to the wallet."""
    driver.get(f"{served}/wallet/")
    assert "/wallet/sign-in" in driver.current_url
    if photograph:
        check_wallet_page(driver, driver.current_url, "wallet-sign-in")
    follow(driver, "a[href^='/wallet/sign-in/start']")
    assert "/dev-idp/authorize" in driver.current_url
    if photograph:
        check_wallet_page(driver, driver.current_url, "dev-idp-sign-in")
    Select(driver.find_element(By.ID, "kind")).select_by_value("person")
    driver.find_element(By.ID, "number").send_keys(world.holder_id)
    driver.find_element(By.ID, "name").send_keys("李四")
    follow(driver, "form[action='/dev-idp/authorize'] button[type=submit]")
    assert driver.current_url == f"{served}/wallet/", driver.page_source[:2000]


def page_text(driver: WebDriver) -> str:
    return str(driver.find_element(By.TAG_NAME, "main").text)


def test_a_holder_shows_a_certificate_consents_sees_who_looked_and_withdraws(
    client: FlaskClient, world: World, served: str, fresh_browser: WebDriver
) -> None:
    driver = fresh_browser
    identifier = issue(client, world)
    sharing_policy(client, world)
    assert share(client, world).json["code"] == "CONSENT_REQUIRED"

    sign_in(driver, served, world, photograph=True)
    assert "Test license" in page_text(driver)
    check_wallet_page(driver, f"{served}/wallet/", "wallet-certificates")

    follow(driver, f"a[href='/wallet/certificates/{identifier}']")
    assert world.holder_id[-4:] in page_text(driver) and world.holder_id not in driver.page_source
    check_wallet_page(driver, driver.current_url, "wallet-certificate")

    follow(driver, f"a[href='/wallet/certificates/{identifier}/qr#counter']")
    version = int(first(r"(\d+)[:：]", driver.find_element(By.ID, "qr-size").text))
    assert version <= 16 and not driver.find_elements(By.ID, "qr-warning")
    image = driver.find_element(By.CSS_SELECTOR, "img.wallet-qr")
    assert image.size["width"] >= 300  # the code fills the screen's width on a phone, more on a desktop
    assert driver.execute_script("return window.scrollY") > 0  # scrolled to the code: nothing else in view
    check_wallet_page(driver, driver.current_url, "wallet-qr")

    driver.find_element(By.ID, "disclose-company_name").click()
    follow(driver, "form[method=get] button[type=submit]")
    assert "disclose=company_name" in driver.current_url
    disclosed = int(first(r"(\d+)[:：]", driver.find_element(By.ID, "qr-size").text))
    assert disclosed > 25 and driver.find_element(By.ID, "qr-warning").is_displayed()
    check_wallet_page(driver, driver.current_url, "wallet-qr-disclosed")

    driver.get(f"{served}/wallet/consents")
    follow(driver, "form[action='/wallet/consents'] button[type=submit]")
    assert driver.find_elements(By.CSS_SELECTOR, "form[action$='/withdraw']")
    assert share(client, world).status_code == 200

    driver.get(f"{served}/wallet/access-log?lang=en")
    log = page_text(driver)
    assert log.count("(relying agency)") == 2 and log.count(REASON) == 2 and ITEM in log
    assert "Refused" in log and "CONSENT_REQUIRED" in log and "Your consent is required" in log
    check_wallet_page(driver, f"{served}/wallet/access-log", "wallet-access-log")

    driver.get(f"{served}/wallet/consents")
    follow(driver, "form[action$='/withdraw'] button")
    assert not driver.find_elements(By.CSS_SELECTOR, "form[action$='/withdraw']")
    assert share(client, world).json["code"] == "CONSENT_REQUIRED"
    check_wallet_page(driver, f"{served}/wallet/consents", "wallet-consents")

    follow(driver, "form[action='/wallet/sign-out'] button")
    assert "/wallet/sign-in" in driver.current_url
    driver.get(f"{served}/wallet/")
    assert "/wallet/sign-in" in driver.current_url


def test_a_revoked_certificate_shows_its_reason_in_the_wallet_and_on_the_public_page(
    client: FlaskClient, world: World, served: str, fresh_browser: WebDriver
) -> None:
    driver = fresh_browser
    identifier = issue(client, world)
    revoked = client.post(
        f"/api/v1/certificates/{identifier}/revoke",
        json={"reason": "license_withdrawn"},
        headers=world.headers("issuer_a"),
    )
    assert revoked.status_code == 200

    sign_in(driver, served, world)
    driver.get(f"{served}/wallet/certificates/{identifier}?lang=en")
    assert driver.find_element(By.ID, "status").text == "Revoked: License withdrawn"
    driver.get(f"{served}/wallet/certificates/{identifier}?lang=zh")
    assert driver.find_element(By.ID, "status").text == "已撤销：许可被撤回"
    check_wallet_page(driver, f"{served}/wallet/certificates/{identifier}", "wallet-certificate-revoked")

    follow(driver, "a[href^='/v/']")
    public = driver.current_url
    driver.get(f"{public}?lang=en")
    assert "revoked" in driver.find_element(By.ID, "why").text
    assert "withdrawn" in driver.find_element(By.ID, "reason").text
    check_page(driver, public, "wallet-public-revoked")
