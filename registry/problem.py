"""The shape of every error answer: an RFC 9457 problem JSON response with the registry's stable `code`.

Outside `registry.api` so that the unit of work and the rate limiter, which answer with problems of
their own, can import it without importing the API (whose error handlers import the unit of work).
"""

from __future__ import annotations

from typing import Any

from flask import Response, json

PROBLEM_JSON = "application/problem+json"


def problem(
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    *,
    errors: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The problem JSON response; `detail` and `errors` are left out when empty."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "code": code}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    response.headers.update(headers or {})
    return response
