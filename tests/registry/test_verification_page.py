"""The public verification page, opened in real headless Chromium: the verdict a person sees."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from registry.models import Certificate, db
from tests.factories import World, certificate_body, system_tool

CHROMIUM = system_tool("chromium", "chromium")
PHONE = (412, 915)
GREEN, RED = (0x1A, 0x7F, 0x37), (0xB4, 0x23, 0x18)


def browser(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--window-size={PHONE[0]},{PHONE[1]}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def look(url: str, tmp_path: Path) -> tuple[str, Image.Image]:
    """The page's DOM after rendering, and a screenshot as a phone would show it."""
    dom = browser(tmp_path, "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    shot = tmp_path / "page.png"
    taken = browser(tmp_path, f"--screenshot={shot}", url)
    assert taken.returncode == 0 and shot.exists(), taken.stderr[-2000:]
    return dom.stdout, Image.open(shot).convert("RGB")


HEADER = (18, 58, 107)  # the site header's blue, above the verdict


def banner_colour(image: Image.Image) -> tuple[int, int, int]:
    """The colour of the first broad band under the site header: the verdict banner."""
    x = PHONE[0] // 2
    for y in range(0, image.height, 4):
        colour: tuple[int, int, int] = image.getpixel((x, y))  # type: ignore[assignment]
        if not close(colour, HEADER) and max(colour) - min(colour) > 60:
            return colour
    return image.getpixel((x, 30))  # type: ignore[return-value]


def close(colour: tuple[int, int, int], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 12 for a, b in zip(colour, expected, strict=True))


def compact_form(app: Flask, identifier: str) -> str:
    with app.app_context():
        certificate = db.session.query(Certificate).filter_by(identifier=identifier).one()
        return str(certificate.compact_form)


def issue(client: FlaskClient, world: World) -> dict[str, Any]:
    response = client.post(
        "/api/v1/certificates", json=certificate_body(world.type_a), headers=world.headers("issuer_a")
    )
    assert response.status_code == 201
    return dict(response.json)


def test_a_valid_certificate_shows_valid_with_its_details(
    client: FlaskClient, world: World, app: Flask, served: str, tmp_path: Path
) -> None:
    cert = issue(client, world)
    dom, screenshot = look(f"{served}/v/{compact_form(app, cert['identifier'])}?lang=zh", tmp_path)
    assert '<div id="verdict" class="verdict valid">' in dom
    assert "<h1>有效</h1>" in dom and "无效" not in dom and "Valid" not in dom  # one language, the reader's
    assert "市场监管局 A" in dom and "Test license" in dom and "王五" in dom and cert["identifier"] in dom
    assert close(banner_colour(screenshot), GREEN), banner_colour(screenshot)


def test_a_revoked_certificate_shows_not_valid_and_why(
    client: FlaskClient, world: World, app: Flask, served: str, tmp_path: Path
) -> None:
    cert = issue(client, world)
    client.post(
        f"/api/v1/certificates/{cert['identifier']}/revoke",
        json={"reason": "license_withdrawn"},
        headers=world.headers("issuer_a"),
    )
    dom, screenshot = look(f"{served}/v/{compact_form(app, cert['identifier'])}?lang=en", tmp_path)
    assert '<div id="verdict" class="verdict invalid">' in dom
    assert "<h1>Not valid</h1>" in dom and "The issuing department has revoked it." in dom
    assert "The licence it records was withdrawn." in dom  # why, in words
    assert f"Since {dt.datetime.now(dt.UTC):%B} " in dom  # and since when
    assert cert["identifier"] in dom and "市场监管局 A" in dom  # which certificate it is
    assert close(banner_colour(screenshot), RED), banner_colour(screenshot)


def test_the_page_works_without_javascript(client: FlaskClient, world: World, app: Flask) -> None:
    cert = issue(client, world)
    html = client.get(f"/v/{compact_form(app, cert['identifier'])}").get_data(as_text=True)
    assert "<script" not in html and 'name="viewport"' in html
    assert "<h1>有效</h1>" in html
