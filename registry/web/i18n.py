"""The pages' language: Chinese or English, from `?lang=` (remembered in a cookie), else the browser's
Accept-Language, else Chinese. Messages come from catalogues (Flask-Babel), never strings side by side.

Each area of pages keeps its own catalogue (`translations/` beside its code); Flask-Babel merges them.
`make translations` compiles them (`pybabel compile`); English is the source language.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, g, request
from flask_babel import Babel, get_locale

LOCALES = ("zh", "en")
DEFAULT = "zh"
LANG_COOKIE = "lang"
HTML_LANG = {"zh": "zh-CN", "en": "en"}
ROOT = Path(__file__).resolve().parent.parent  # registry/
# Every catalogue, relative to registry/: the shared one and one per area of pages.
CATALOGUES = ("translations", "web/wallet/translations", "web/console/translations", "web/desk/translations")


def select_locale() -> str:
    asked = request.args.get("lang")
    if asked in LOCALES:
        g.lang_asked = asked
        return asked
    remembered = request.cookies.get(LANG_COOKIE)
    if remembered in LOCALES:
        return remembered
    return request.accept_languages.best_match(LOCALES) or DEFAULT


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale, default_translation_directories=";".join(CATALOGUES))

    @app.after_request
    def remember_language(response: Response) -> Response:
        asked = g.get("lang_asked")
        if asked:
            response.set_cookie(LANG_COOKIE, asked, max_age=365 * 86400, samesite="Lax", httponly=True)
        return response

    @app.context_processor
    def language_context() -> dict[str, Any]:
        current = str(get_locale() or DEFAULT)
        return {
            "html_lang": HTML_LANG.get(current, current),
            "current_lang": current,
            "lang_url": lang_url,
        }


def lang_url(lang: str) -> str:
    """This page in another language: the same path and query, with `lang` set."""
    args = {k: v for k, v in request.args.items() if k != "lang"}
    args["lang"] = lang
    return f"{request.path}?{urlencode(args)}"
