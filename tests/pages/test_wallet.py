"""The holder's wallet with the test client: sign-in by OpenID Connect (code flow, PKCE) through the development
identity provider, and every way it refuses; pages only for the signed-in holder and only their certificates;
forms that need their CSRF token; the security headers; the ID number nowhere but masked; the QR code's size
and warnings; the access log with an agency's share and a refusal; consents given and withdrawn."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from issuers.signing import SoftwareSigner, generate_private_key, jws_encode
from registry.tokens import ID_TOKEN_TYP
from registry.web.i18n import CATALOGUES, ROOT
from registry.web.wallet.signin import TOKEN_POST
from registry.wiring import services
from tests.factories import World, certificate_body, citizen_id

ITEM = "SH-TAX-REG-001"
REASON = "税务登记 受理号 2026-0042"
PAGES = ("/wallet/", "/wallet/access-log", "/wallet/consents")
TokenPost = Callable[[str, Mapping[str, str]], tuple[int, dict[str, Any]]]


def through_test_client(app: Flask, tamper: Callable[[dict[str, str]], None] | None = None) -> TokenPost:
    """The wallet's token request sent to the app itself through a test client of its own (the test client
    serves no port), after `tamper` had its way with the form."""

    def post(url: str, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        sent = dict(form)
        if tamper is not None:
            tamper(sent)
        response = app.test_client().post(urlparse(url).path, data=sent)
        return response.status_code, response.get_json(silent=True) or {}

    return post


@pytest.fixture
def wallet(app: Flask, client: FlaskClient) -> FlaskClient:
    app.extensions[TOKEN_POST] = through_test_client(app)
    return client


def csrf_token(client: FlaskClient, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def hidden_fields(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', page))


def authorize(
    client: FlaskClient,
    id_number: str,
    name: str,
    kind: str,
    tamper: Callable[[dict[str, str]], None] | None = None,
    next: str = "/wallet/consents",
) -> TestResponse:
    """Start a sign-in and sign in at the development identity provider; its answer (a redirect to the wallet)."""
    start = client.get(f"/wallet/sign-in/start?{urlencode({'next': next})}")
    assert start.status_code == 302, start.get_data(as_text=True)
    location = urlparse(start.headers["Location"])
    assert location.path == "/dev-idp/authorize"
    page = client.get(f"{location.path}?{location.query}")
    assert page.status_code == 200
    form = hidden_fields(page.get_data(as_text=True)) | {"kind": kind, "number": id_number, "name": name}
    if tamper is not None:
        tamper(form)
    return client.post("/dev-idp/authorize", data=form)


def sign_in(
    client: FlaskClient, id_number: str, name: str = "李四", kind: str = "person", next: str = "/wallet/consents"
) -> TestResponse:
    """Sign in to the wallet end to end; the wallet's last answer."""
    answer = authorize(client, id_number, name, kind, next=next)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    callback = urlparse(answer.headers["Location"])
    assert callback.path == "/wallet/callback"
    return client.get(f"{callback.path}?{callback.query}")


def issue(client: FlaskClient, world: World, holder_id: str | None = None) -> str:
    body = certificate_body(world.type_a, holder_id=holder_id or world.holder_id, registered_capital=5e6)
    response = client.post("/api/v1/certificates", json=body, headers=world.headers("issuer_a"))
    assert response.status_code == 201, response.json
    return str(response.json["identifier"])


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def first(pattern: str, page: str) -> str:
    """The first group of the first match of `pattern` in `page`; fail when there is none."""
    found = re.search(pattern, page)
    assert found, (pattern, page[:1000])
    return found.group(1)


# Sign-in -----------------------------------------------------------------------------------------------


def test_a_holder_signs_in_through_the_identity_provider_and_lands_where_they_were_going(
    wallet: FlaskClient, world: World
) -> None:
    issue(wallet, world)
    response = sign_in(wallet, world.holder_id)
    assert response.status_code == 302 and response.headers["Location"] == "/wallet/consents"
    page = wallet.get("/wallet/?lang=en")
    assert page.status_code == 200
    assert "Test license" in text(page) and "Signed in as 李四" in text(page)


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/wallet/", "/staff/sign-in", "/wallet\\..\\x", "/wallet/%2e%2e/staff", ""],
)
def test_after_signing_in_the_holder_goes_only_to_a_wallet_page(wallet: FlaskClient, world: World, target: str) -> None:
    assert sign_in(wallet, world.holder_id, next=target).headers["Location"] == "/wallet/"


def test_the_sign_in_asks_for_pkce_s256_a_state_and_a_nonce(wallet: FlaskClient, world: World) -> None:
    query = parse_qs(urlparse(wallet.get("/wallet/sign-in/start").headers["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["client_id"] == ["registry-wallet"] and query["response_type"] == ["code"]
    assert query["redirect_uri"] == ["http://localhost/wallet/callback"]
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32


def test_an_answer_for_another_sign_in_is_refused(wallet: FlaskClient, world: World) -> None:
    answer = authorize(wallet, world.holder_id, "李四", "person")
    callback = urlparse(answer.headers["Location"])
    query = parse_qs(callback.query)
    response = wallet.get(f"{callback.path}?{urlencode({'code': query['code'][0], 'state': 'someone-elses'})}")
    assert response.status_code == 403 and "STATE_MISMATCH" in text(response)
    assert wallet.get("/wallet/").status_code == 302  # not signed in


def test_a_wrong_pkce_verifier_is_refused(app: Flask, client: FlaskClient, world: World) -> None:
    app.extensions[TOKEN_POST] = through_test_client(app, lambda form: form.update(code_verifier="x" * 64))
    response = sign_in(client, world.holder_id)
    assert response.status_code == 403 and "TOKEN_REFUSED" in text(response)
    assert client.get("/wallet/").status_code == 302


def test_a_code_is_redeemed_once(app: Flask, client: FlaskClient, world: World) -> None:
    sent: list[dict[str, str]] = []
    app.extensions[TOKEN_POST] = through_test_client(app, sent.append)
    assert sign_in(client, world.holder_id).status_code == 302
    again = app.test_client().post("/dev-idp/token", data=sent[0])
    assert again.status_code == 400 and again.json == {
        "error": "invalid_grant",
        "error_description": "the code is unknown, used or expired",
    }
    assert again.headers["Cache-Control"] == "no-store"


def test_the_callback_cannot_be_replayed(wallet: FlaskClient, world: World) -> None:
    answer = authorize(wallet, world.holder_id, "李四", "person")
    callback = urlparse(answer.headers["Location"])
    assert wallet.get(f"{callback.path}?{callback.query}").status_code == 302
    wallet.post("/wallet/sign-out", data={"csrf_token": csrf_token(wallet, "/wallet/")})
    replayed = wallet.get(f"{callback.path}?{callback.query}")
    assert replayed.status_code == 403 and "SIGN_IN_NOT_STARTED" in text(replayed)


@pytest.mark.parametrize("redirect_uri", ["https://evil.example/wallet/callback", "http://localhost/wallet/"])
def test_the_identity_provider_leads_back_only_to_the_wallets_callback(
    wallet: FlaskClient, world: World, redirect_uri: str
) -> None:
    start = urlparse(wallet.get("/wallet/sign-in/start").headers["Location"])
    query = {k: v[0] for k, v in parse_qs(start.query).items()} | {"redirect_uri": redirect_uri}
    page = wallet.get(f"/dev-idp/authorize?{urlencode(query)}&lang=en")
    assert page.status_code == 422 and "REDIRECT_URI_REFUSED" in text(page)
    token = csrf_token(wallet, f"{start.path}?{start.query}")
    form = query | {"csrf_token": token, "number": world.holder_id, "name": "x"}
    posted = wallet.post("/dev-idp/authorize", data=form)
    assert posted.status_code == 422 and "Location" not in posted.headers


def test_an_id_token_for_another_nonce_is_refused(wallet: FlaskClient, world: World) -> None:
    answer = authorize(wallet, world.holder_id, "李四", "person", lambda form: form.update(nonce="another-nonce"))
    callback = urlparse(answer.headers["Location"])
    response = wallet.get(f"{callback.path}?{callback.query}")
    assert response.status_code == 403 and "NONCE_MISMATCH" in text(response)
    assert wallet.get("/wallet/").status_code == 302


def reminted(**changes: Any) -> Callable[[dict[str, Any]], str]:
    """An ID token like the one the identity provider answered, minted again with `changes` to its claims."""

    def remint(claims: dict[str, Any]) -> str:
        claims |= changes
        return (
            services()
            .dev_idp()
            .mint(
                claims["sub"],
                claims["name"],
                kind=claims["holder_kind"],
                nonce=claims["nonce"],
                client_id=claims["azp"],
            )
        )

    return remint


def forged(claims: dict[str, Any]) -> str:
    """The same claims, signed by a key nobody published."""
    return jws_encode(claims, SoftwareSigner(generate_private_key()), ID_TOKEN_TYP)


@pytest.mark.parametrize(("answer", "code"), [(reminted(azp="another-app"), "WRONG_CLIENT"), (forged, "INVALID_TOKEN")])
def test_an_id_token_for_another_client_or_not_the_providers_is_refused(
    app: Flask, client: FlaskClient, world: World, answer: Callable[[dict[str, Any]], str], code: str
) -> None:
    honest = through_test_client(app)

    def post(url: str, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        status, body = honest(url, form)
        return status, body | {"id_token": answer(jwt.decode(body["id_token"], options={"verify_signature": False}))}

    app.extensions[TOKEN_POST] = post
    response = sign_in(client, world.holder_id)
    assert response.status_code == 403 and code in text(response)
    assert client.get("/wallet/").status_code == 302


def test_the_development_identity_provider_says_what_is_wrong_with_a_number(wallet: FlaskClient) -> None:
    good = citizen_id()
    bad = good[:-1] + ("0" if good.endswith("X") else "X")  # the same number with a wrong check character
    answer = authorize(wallet, bad, "李四", "person")
    assert answer.status_code == 200 and 'aria-invalid="true"' in text(answer)
    assert "number-error" in text(answer)


def test_the_token_endpoint_is_not_a_page_and_takes_only_codes(app: Flask) -> None:
    response = app.test_client().post("/dev-idp/token", data={"grant_type": "password"})
    assert response.status_code == 400 and response.json["error"] == "unsupported_grant_type"


def test_without_the_development_environment_there_is_no_stand_in(app: Flask) -> None:
    from tests.conftest import another_app

    settings = {k: v for k, v in app.config.items() if k.startswith("REGISTRY_")}
    production = {
        **settings,
        "REGISTRY_ENV": "production",
        "REGISTRY_IDP_JWKS": "https://idp.example/jwks.json",
        "REGISTRY_INSTANCE_PATH": str(Path(app.instance_path)),
        "REGISTRY_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
    }
    with another_app(production) as other:
        client = other.test_client()
        assert client.get("/dev-idp/authorize").status_code == 404
        assert client.post("/dev-idp/token").status_code == 404
        unconfigured = client.get("/wallet/sign-in/start?lang=en")
        assert unconfigured.status_code == 503 and "SIGN_IN_NOT_CONFIGURED" in text(unconfigured)


# Pages for the signed-in holder only -------------------------------------------------------------------


def test_every_wallet_page_sends_a_stranger_to_sign_in(client: FlaskClient, world: World) -> None:
    identifier = issue(client, world)
    for path in (*PAGES, f"/wallet/certificates/{identifier}", f"/wallet/certificates/{identifier}/qr"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/wallet/sign-in?next="), path
    printable = client.get(f"/wallet/certificates/{identifier}/document.pdf")
    assert printable.status_code == 302


def test_a_holder_cannot_see_another_holders_certificate(wallet: FlaskClient, world: World) -> None:
    identifier = issue(wallet, world)
    sign_in(wallet, citizen_id(), "赵六")
    for path in ("", "/qr", "/document.pdf"):
        response = wallet.get(f"/wallet/certificates/{identifier}{path}?lang=en")
        assert response.status_code == 404 and response.mimetype == "text/html", path
        assert "Not found" in text(response)
    sign_in(wallet, world.holder_id)
    log = text(wallet.get("/wallet/access-log?lang=en"))
    assert "Another holder" in log and "It is not theirs to read" in log


def test_every_form_refuses_a_request_without_its_csrf_token(wallet: FlaskClient, world: World) -> None:
    sign_in(wallet, world.holder_id)
    for path in ("/wallet/sign-out", "/wallet/consents", "/wallet/consents/1/withdraw", "/dev-idp/authorize"):
        response = wallet.post(path, data={"policy": "1"})
        assert response.status_code == 400 and response.mimetype == "text/html", path
    assert wallet.get("/wallet/").status_code == 200  # still signed in


def test_every_page_sends_the_security_headers(wallet: FlaskClient, world: World) -> None:
    identifier = issue(wallet, world)
    start = urlparse(wallet.get("/wallet/sign-in/start").headers["Location"])
    signed_out = [wallet.get(path) for path in ("/wallet/sign-in", f"{start.path}?{start.query}")]
    sign_in(wallet, world.holder_id)
    paths = [*PAGES, f"/wallet/certificates/{identifier}", f"/wallet/certificates/{identifier}/qr"]
    for path, response in [*zip(("sign-in", "dev-idp"), signed_out, strict=True), *((p, wallet.get(p)) for p in paths)]:
        assert response.status_code == 200, path
        policy = response.headers["Content-Security-Policy"]
        assert "script-src" not in policy and "unsafe-inline" not in policy, path
        assert "frame-ancestors 'none'" in policy, path
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] == "no-referrer", path


def test_the_id_number_is_never_in_the_session_or_on_a_page(app: Flask, wallet: FlaskClient, world: World) -> None:
    identifier = issue(wallet, world)
    sign_in(wallet, world.holder_id)
    cookie = wallet.get_cookie("registry_session")
    assert cookie is not None
    session = SecureCookieSessionInterface().get_signing_serializer(app).loads(cookie.value)
    assert set(session["wallet_holder"]) == {"ref", "name", "kind"}
    assert world.holder_id not in repr(session) and world.holder_id not in cookie.value
    masked = world.holder_id[:6] + "*" * 8 + world.holder_id[-4:]
    for path in (*PAGES, f"/wallet/certificates/{identifier}", f"/wallet/certificates/{identifier}/qr"):
        page = text(wallet.get(path))
        assert world.holder_id not in page, path
    assert masked in text(wallet.get(f"/wallet/certificates/{identifier}"))


def test_a_session_idle_too_long_is_signed_out(app: Flask, wallet: FlaskClient, world: World) -> None:
    sign_in(wallet, world.holder_id)
    with wallet.session_transaction() as session:
        session["_seen"] = int(session["_seen"]) - app.config["REGISTRY_SESSION_IDLE"] - 1
    assert wallet.get("/wallet/").status_code == 302


# The certificate, its QR code and its PDF ----------------------------------------------------------------


def test_a_certificate_shows_its_fields_in_the_readers_language(wallet: FlaskClient, world: World) -> None:
    identifier = issue(wallet, world)
    sign_in(wallet, world.holder_id)
    english = text(wallet.get(f"/wallet/certificates/{identifier}?lang=en"))
    assert "Company name" in english and "5,000,000" in english and "March 4, 2021" in english
    chinese = text(wallet.get(f"/wallet/certificates/{identifier}?lang=zh"))
    assert '<html lang="zh-CN"' in chinese and "有效" in chinese and "2021年3月4日" in chinese


def test_the_qr_code_says_its_size_and_warns_when_it_grows_hard_to_scan(wallet: FlaskClient, world: World) -> None:
    identifier = issue(wallet, world)
    sign_in(wallet, world.holder_id)
    small = text(wallet.get(f"/wallet/certificates/{identifier}/qr?lang=en"))
    version = int(first(r"QR code version (\d+)", small))
    assert version <= 16 and 'id="qr-warning"' not in small
    assert 'src="data:image/png;base64,' in small
    large = text(wallet.get(f"/wallet/certificates/{identifier}/qr?disclose=company_name&disclose=holder_id&lang=en"))
    assert int(first(r"QR code version (\d+)", large)) > 25
    assert 'id="qr-warning"' in large and 'id="id-warning"' in large
    assert 'value="company_name" checked' in large


def test_the_printable_pdf_is_the_sealed_rendition(wallet: FlaskClient, world: World) -> None:
    identifier = issue(wallet, world)
    sign_in(wallet, world.holder_id)
    response = wallet.get(f"/wallet/certificates/{identifier}/document.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF") and response.headers["Cache-Control"] == "private, no-store"


def test_a_revoked_certificate_shows_the_reason(wallet: FlaskClient, world: World) -> None:
    identifier = issue(wallet, world)
    revoked = wallet.post(
        f"/api/v1/certificates/{identifier}/revoke",
        json={"reason": "license_withdrawn"},
        headers=world.headers("issuer_a"),
    )
    assert revoked.status_code == 200
    sign_in(wallet, world.holder_id)
    assert "Revoked: License withdrawn" in text(wallet.get(f"/wallet/certificates/{identifier}?lang=en"))
    assert "Revoked: License withdrawn" in text(wallet.get("/wallet/?lang=en"))


# Who looked, and consents ---------------------------------------------------------------------------------


def share(client: FlaskClient, world: World) -> TestResponse:
    body = {
        "holder": {"kind": "person", "id": world.holder_id},
        "type": world.type_a,
        "service_item": ITEM,
        "reason": REASON,
    }
    return client.post("/api/v1/sharing/requests", json=body, headers=world.headers("agency"))


def sharing_policy(client: FlaskClient, world: World) -> None:
    item = {"code": ITEM, "name": "税务登记"}
    assert client.post("/api/v1/service-items", json=item, headers=world.headers("admin")).status_code == 201
    policy = {
        "agency": world.agency,
        "type": world.type_a,
        "service_item": ITEM,
        "fields": ["company_name"],
        "consent_required": True,
    }
    assert client.post("/api/v1/sharing-policies", json=policy, headers=world.headers("admin")).status_code == 201


def give_consent(wallet: FlaskClient) -> str:
    """Consent, in the wallet, to the one sharing policy that asks for it; the path that withdraws it."""
    policy_id = first(r'<option value="(\d+)">税务局 · 税务登记', text(wallet.get("/wallet/consents")))
    given = wallet.post("/wallet/consents", data={"policy": policy_id, "csrf_token": csrf_token(wallet, "/wallet/")})
    assert given.status_code == 302
    return first(r'action="(/wallet/consents/\d+/withdraw)"', text(wallet.get("/wallet/consents")))


def test_the_holder_sees_a_refusal_consents_and_sees_the_agencys_share(wallet: FlaskClient, world: World) -> None:
    issue(wallet, world)
    sharing_policy(wallet, world)
    assert share(wallet, world).json["code"] == "CONSENT_REQUIRED"
    sign_in(wallet, world.holder_id)
    give_consent(wallet)
    assert share(wallet, world).status_code == 200

    log = text(wallet.get("/wallet/access-log?lang=en"))
    assert log.count("税务局 (relying agency)") == 2 and log.count("税务登记 (SH-TAX-REG-001)") == 3
    assert log.count(REASON) == 2 and "Your consent is required and was not given" in log
    assert "Asked for a copy for a service item" in log and "Consent given" in log
    assert "<dt>Agency</dt><dd>税务局</dd>" in log and "consent 1 for" not in log
    proof = first(r'href="(/api/v1/log/proof/inclusion\?[^"]+)"', log)
    assert wallet.get(proof.replace("&amp;", "&")).status_code == 200


def test_a_withdrawn_consent_stays_listed_and_later_requests_are_refused(wallet: FlaskClient, world: World) -> None:
    issue(wallet, world)
    sharing_policy(wallet, world)
    sign_in(wallet, world.holder_id)
    response = wallet.post(give_consent(wallet), data={"csrf_token": csrf_token(wallet, "/wallet/")})
    assert response.status_code == 302
    after = text(wallet.get("/wallet/consents?lang=en"))
    assert "Withdrawn" in after and "/withdraw" not in after
    assert share(wallet, world).json["code"] == "CONSENT_REQUIRED"


def test_a_holder_cannot_withdraw_another_holders_consent(wallet: FlaskClient, world: World) -> None:
    sharing_policy(wallet, world)
    sign_in(wallet, world.holder_id)
    withdraw = give_consent(wallet)
    sign_in(wallet, citizen_id(), "赵六")
    assert wallet.post(withdraw, data={"csrf_token": csrf_token(wallet, "/wallet/")}).status_code == 404


# Language ----------------------------------------------------------------------------------------------------


def test_the_catalogue_translates_every_wallet_message() -> None:
    """Every message the wallet's code and templates use has a Chinese translation in the catalogues."""
    translated: dict[str, str] = {}
    for folder in CATALOGUES:
        po = ROOT / folder / "zh/LC_MESSAGES/messages.po"
        if po.exists():
            with po.open("rb") as f:
                translated |= {str(m.id): str(m.string) for m in read_po(f) if m.id and m.string}
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    keywords = {"_": None, "gettext": None, "lazy_gettext": None, "_l": None}
    found = {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / "web/wallet", method_map, keywords=keywords
        )
    }
    assert found, "no messages extracted"
    missing = sorted(str(m) for m in found if m not in translated)
    assert not missing, missing
