"""The edges: token guessing is rate-limited, a limiter without storage answers 503, pages send their
security headers, behind a proxy each client has its own budget, and no ID number reaches a log line."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import another_app, app_settings
from tests.factories import World, certificate_body
from tests.registry.test_stamps import detached

PAGE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def limited_app(tmp_path: Path, keystore_dir: Path, database_url: str, **extra: str) -> dict[str, str | bool]:
    return app_settings(tmp_path, keystore_dir, database_url) | {
        "REGISTRY_RATELIMIT_PREFIX": f"test-{secrets.token_hex(6)}",
        "REGISTRY_RATELIMIT_TOKEN": "3/minute",
        **extra,
    }


def test_token_guessing_is_limited_per_client_id_across_addresses(
    tmp_path: Path, keystore_dir: Path, database_url: str, app: Flask, world: World
) -> None:
    client_id = world.client_ids["issuer_a"]
    with another_app(limited_app(tmp_path, keystore_dir, database_url)) as limited:
        client = limited.test_client()
        answers = [
            client.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(client_id, "wrong"),
                environ_base={"REMOTE_ADDR": f"10.0.0.{n}"},
            )
            for n in range(4)
        ]
        assert [a.status_code for a in answers] == [401, 401, 401, 429]
        assert "Retry-After" in answers[-1].headers and answers[-1].json["code"] == "TOO_MANY_REQUESTS"
        # Another client from yet another address is not held back by it.
        other = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(world.client_ids["admin"], "wrong"),
            environ_base={"REMOTE_ADDR": "10.0.1.1"},
        )
        assert other.status_code == 401


def test_token_requests_are_limited_per_address(tmp_path: Path, keystore_dir: Path, database_url: str) -> None:
    with another_app(limited_app(tmp_path, keystore_dir, database_url)) as limited:
        client = limited.test_client()
        answers = [
            client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(f"c{n}", "x")).status_code
            for n in range(4)
        ]
        assert answers == [401, 401, 401, 429]


def test_a_limiter_whose_storage_is_down_answers_503_not_500(
    tmp_path: Path, keystore_dir: Path, database_url: str
) -> None:
    settings = limited_app(tmp_path, keystore_dir, database_url, REGISTRY_RATELIMIT_STORAGE="redis://127.0.0.1:1/0")
    with another_app(settings) as limited:
        client = limited.test_client()
        for response in (
            client.post("/api/v1/verify", json={"token": "x"}),
            client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=("a", "b")),
        ):
            assert response.status_code == 503
            assert response.json["code"] == "RATE_LIMIT_UNAVAILABLE" and response.headers["Retry-After"] == "30"
        page = client.get("/v/x")  # a page answers with a page
        assert page.status_code == 503 and page.mimetype == "text/html" and page.headers["Retry-After"] == "30"
        assert "RATE_LIMIT_UNAVAILABLE" in page.get_data(as_text=True)


def test_behind_a_trusted_proxy_each_client_address_has_its_own_budget(
    tmp_path: Path, keystore_dir: Path, database_url: str
) -> None:
    settings = limited_app(
        tmp_path, keystore_dir, database_url, REGISTRY_TRUSTED_PROXIES="1", REGISTRY_RATELIMIT_VERIFY="2/minute"
    )
    with another_app(settings) as limited:
        client = limited.test_client()

        def verify(address: str) -> int:
            headers = {"X-Forwarded-For": address}
            return client.post("/api/v1/verify", json={"token": "x"}, headers=headers).status_code

        assert [verify("203.0.113.7") for _ in range(3)] == [200, 200, 429]
        assert verify("198.51.100.2") == 200  # the proxy's own address is not the budget


@pytest.mark.parametrize("page", ["verify", "stamp"])
def test_every_page_sends_the_security_headers(client: FlaskClient, world: World, page: str) -> None:
    path = "/v/not-a-token" if page == "verify" else f"/s/{detached(client, world)['reference']}"
    response = client.get(path)
    assert response.mimetype == "text/html"
    for name, value in PAGE_HEADERS.items():
        assert response.headers[name] == value
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy and "default-src 'none'" in policy
    assert b"<style" not in response.get_data() and b"<script" not in response.get_data()


def test_a_verification_url_is_redacted_in_the_access_log(caplog: pytest.LogCaptureFixture) -> None:
    from registry.security import RedactPresented

    logger = logging.getLogger("werkzeug")
    assert any(isinstance(f, RedactPresented) for f in logger.filters) or logger.addFilter(RedactPresented()) is None
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logger.info(
            '127.0.0.1 - - "GET /v/%s HTTP/1.1" 200 -',
            "eyJhbGciOi.eyJ4Ijoi.sig~WyJzYWx0IiwiaG9sZGVyX2lkIiwiMTEwMTA1MTk0OTEyMzEwMDJYIl0~",
        )
    assert "/v/[redacted] HTTP/1.1" in caplog.text and "eyJ" not in caplog.text


def test_a_qr_with_the_full_id_number_warns_the_holder(client: FlaskClient, world: World) -> None:
    body = certificate_body(world.type_a, holder_id=world.holder_id)
    cert = client.post("/api/v1/certificates", json=body, headers=world.headers("issuer_a")).json
    url = f"/api/v1/certificates/{cert['identifier']}/qr.svg"
    response = client.get(url + "?disclose=holder_id", headers=world.headers("holder"))
    assert response.status_code == 200
    assert "full ID number" in response.headers["X-Disclosure-Warning"]
    plain = client.get(url, headers=world.headers("holder"))
    assert "X-Disclosure-Warning" not in plain.headers


def test_the_public_log_endpoints_share_one_budget_per_address(
    tmp_path: Path, keystore_dir: Path, database_url: str
) -> None:
    with another_app(limited_app(tmp_path, keystore_dir, database_url, REGISTRY_RATELIMIT_LOG="3/minute")) as limited:
        client = limited.test_client()
        statuses = [
            client.get("/api/v1/log/checkpoint").status_code,
            client.get("/api/v1/log/proof/inclusion?index=0&size=1").status_code,
            client.get("/api/v1/log/proof/consistency?old=1&new=1").status_code,
            client.get("/api/v1/log/checkpoint").status_code,
        ]
    assert statuses[3] == 429 and 500 not in statuses
