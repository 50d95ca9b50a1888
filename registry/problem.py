"""The shape of every error answer: an RFC 9457 problem JSON response with the registry's stable `code`,
or, for a page (a request to a blueprint of `registry.web`), the same as a page in the reader's language.

Outside `registry.api` so that the unit of work and the rate limiter, which answer with problems of
their own, can import it without importing the API (whose error handlers import the unit of work).
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, json, render_template, request

PROBLEM_JSON = "application/problem+json"
PAGE_BLUEPRINTS = "registry.page_blueprints"  # app.extensions key: the names of blueprints that serve pages


def is_page_request() -> bool:
    """Whether the current request is for a page (HTML for people), not the API."""
    return request.blueprint in current_app.extensions.get(PAGE_BLUEPRINTS, ())


def problem(
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    *,
    errors: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The problem JSON response; `detail` and `errors` are left out when empty. A page gets a page."""
    if is_page_request():
        html = render_template("error.html", status=status, code=code, title=title, detail=detail)
        response = Response(html, status=status, mimetype="text/html")
        response.headers.update(headers or {})
        return response
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "code": code}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    response.headers.update(headers or {})
    return response
