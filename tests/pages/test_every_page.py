"""Across every page blueprint: each form's endpoint refuses a request without its CSRF token, and the pages
a visitor can open send the security headers."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from registry.problem import PAGE_BLUEPRINTS
from tests.factories import World

IDENTIFIER = "1.2.156.3005.2.11310000002418230T001.11310000002418230T.1.001.0"
SAMPLE = {
    "identifier": IDENTIFIER,
    "reference": "00000000-0000-4000-8000-000000000000",
    "sha256": "0" * 64,
}


def page_rules(app: Flask, method: str) -> list[str]:
    """The URL of every page route taking `method`, its parameters filled with sample values."""
    pages = app.extensions[PAGE_BLUEPRINTS]
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in pages and method in (rule.methods or ()):
            url = rule.rule
            for name in rule.arguments:
                choices = re.search(rf"<any\(([^)]*)\):{name}>", url)
                value = choices.group(1).split(",")[0].strip() if choices else SAMPLE.get(name, "1")
                url = re.sub(rf"<(?:[a-z0-9]+(?:\([^)]*\))?:)?{name}>", value, url)
            urls.append(url)
    return urls


def test_every_form_refuses_a_request_without_its_csrf_token(app: Flask, client: FlaskClient, world: World) -> None:
    posts = page_rules(app, "POST")
    assert len(posts) >= 10, posts  # the wallet's, the console's, the desk's and the sign-in forms
    for url in posts:
        response = client.post(url, data={"reason": "x"})
        assert response.status_code == 400, (url, response.status_code)
        assert response.mimetype == "text/html", url


def test_every_page_sends_the_security_headers(app: Flask, client: FlaskClient, world: World) -> None:
    gets = page_rules(app, "GET")
    assert len(gets) >= 20, gets
    for url in gets:
        response = client.get(url)
        if response.mimetype != "text/html":
            continue  # a PNG preview, a PDF: no page
        policy = response.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy and "script-src" not in policy, url
        assert response.headers["X-Frame-Options"] == "DENY", url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert response.headers["Referrer-Policy"] == "no-referrer", url
