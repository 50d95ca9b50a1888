"""Staff sign in to the pages with a named account; forms need their CSRF token; `next` stays on this site."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from registry.models import db
from registry.principals import OPERATOR
from registry.vocabulary import Role
from registry.wiring import services
from tests.factories import World

PASSWORD = "correct horse battery"


def make_staff(app: Flask, world: World, username: str = "clerk.li", role: str = Role.ISSUER) -> None:
    with app.app_context():
        department = services().catalog.get_department(world.dept_a) if role == Role.ISSUER else None
        services().staff.create(username, "李文 (clerk)", role, department, PASSWORD, actor=OPERATOR)
        db.session.commit()


def csrf_token(client: FlaskClient, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def sign_in(client: FlaskClient, username: str = "clerk.li", password: str = PASSWORD, next: str = "") -> object:
    token = csrf_token(client, "/staff/sign-in")
    form = {"username": username, "password": password, "csrf_token": token, "next": next}
    return client.post("/staff/sign-in", data=form)


def test_a_staff_member_signs_in_and_out(app: Flask, client: FlaskClient, world: World) -> None:
    make_staff(app, world)
    response = sign_in(client, next="/staff/sign-in?x=1")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/sign-in?x=1"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    token = csrf_token(client, "/staff/sign-in")
    assert client.post("/staff/sign-out", data={"csrf_token": token}).status_code == 302


def test_a_wrong_password_is_refused_with_a_message(app: Flask, client: FlaskClient, world: World) -> None:
    make_staff(app, world)
    response = sign_in(client, password="wrong password!")
    assert response.status_code == 200
    assert "aria-invalid" in response.get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused(app: Flask, client: FlaskClient, world: World) -> None:
    make_staff(app, world)
    response = client.post("/staff/sign-in?lang=en", data={"username": "clerk.li", "password": PASSWORD})
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "The form could not be accepted" in response.get_data(as_text=True)
    assert client.post("/staff/sign-out").status_code == 400


def test_next_never_leads_to_another_site(app: Flask, client: FlaskClient, world: World) -> None:
    make_staff(app, world)
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = sign_in(client, next=target)
        assert response.headers["Location"] == "/", target
