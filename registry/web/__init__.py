"""Pages for people: the holder's wallet, the department's console, the archivist's desk and the public
verification pages. Server-rendered (Jinja), usable without JavaScript, in Chinese and English.

What every page shares lives here: the language (Flask-Babel, `registry.web.i18n`), the session cookie
(signed, HTTP-only, SameSite, Secure on https, with an idle timeout), CSRF protection of every form
(Flask-WTF), the large-text mode, and error answers as pages (`registry.problem`).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, request, session
from flask_wtf.csrf import CSRFProtect

from registry.problem import PAGE_BLUEPRINTS, is_page_request
from registry.web import i18n

csrf = CSRFProtect()
SESSION_SEEN = "_seen"  # when the session was last used (epoch seconds), for the idle timeout
SESSION_BORN = "_born"  # when the session was signed in (epoch seconds), for its absolute lifetime
TEXT_COOKIE = "text"  # "large": the large-text mode


def init_app(app: Flask) -> None:
    keystore = app.extensions["registry"].keystore
    app.secret_key = keystore.derive(b"registry web session").hex()
    app.config.update(
        SESSION_COOKIE_NAME="registry_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",  # Lax, not Strict: the identity provider's redirect back must carry it
        SESSION_COOKIE_SECURE=app.config["REGISTRY_ISSUER"].startswith("https://"),
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=8),
        WTF_CSRF_CHECK_DEFAULT=False,  # the API takes bearer tokens, not cookies: pages protect their forms
        WTF_CSRF_TIME_LIMIT=None,  # the session's idle timeout bounds a token's life
        BABEL_DEFAULT_TIMEZONE=app.config["REGISTRY_TIMEZONE"],
    )
    csrf.init_app(app)
    i18n.init_app(app)
    _protect_pages(app)

    @app.context_processor
    def page_context() -> dict[str, Any]:
        asked = request.args.get(TEXT_COOKIE)
        large = asked == "large" if asked in ("large", "normal") else request.cookies.get(TEXT_COOKIE) == "large"
        return {"large_text": large, "text_url": text_url}

    @app.after_request
    def remember_text_size(response: Response) -> Response:
        asked = request.args.get(TEXT_COOKIE)
        if asked in ("large", "normal"):
            response.set_cookie(TEXT_COOKIE, asked, max_age=365 * 86400, samesite="Lax", httponly=True)
        return response


def text_url(size: str) -> str:
    """This page with the large-text mode on ("large") or off ("normal")."""
    args = {k: v for k, v in request.args.items() if k != TEXT_COOKIE}
    args[TEXT_COOKIE] = size
    return f"{request.path}?{urlencode(args)}"


def page_blueprint(app: Flask, blueprint: Blueprint) -> None:
    """Register a blueprint of pages: its errors answer as pages, every form it takes is CSRF-checked, and
    a signed-in session that sat idle longer than REGISTRY_SESSION_IDLE seconds is forgotten."""
    app.register_blueprint(blueprint)
    app.extensions.setdefault(PAGE_BLUEPRINTS, set()).add(blueprint.name)


def _protect_pages(app: Flask) -> None:
    @app.before_request
    def protect() -> None:
        if not is_page_request():
            return
        idle, now = app.config["REGISTRY_SESSION_IDLE"], int(time.time())
        lifetime = app.permanent_session_lifetime.total_seconds()
        if session and (
            now - int(session.get(SESSION_SEEN, 0)) > idle or now - int(session.get(SESSION_BORN, 0)) > lifetime
        ):
            session.clear()
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()

    @app.after_request
    def stamp_session(response: Response) -> Response:
        if is_page_request() and session:
            now = int(time.time())
            session[SESSION_SEEN] = now  # this use of the session restarts the idle clock, never the lifetime
            session.setdefault(SESSION_BORN, now)
            # A page of someone's session (names, search results) is kept by no cache, the browser's included.
            if "no-store" not in response.headers.get("Cache-Control", ""):
                response.headers["Cache-Control"] = "private, no-store"
        return response
