"""The one place where errors become HTTP responses: RFC 9457 problem JSON with a stable `code`."""

from __future__ import annotations

import logging

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from registry.errors import RegistryError, Unauthorized
from registry.models import db
from registry.problem import problem
from registry.transactions import refuse

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_FAILED",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_ERROR",
}


def from_registry_error(error: RegistryError) -> Response:
    db.session.rollback()
    refuse(error)
    headers = {}
    if isinstance(error, Unauthorized):
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return problem(error.status, error.code, error.title, error.detail, errors=error.errors, headers=headers)


def from_http_exception(error: HTTPException) -> Response:
    db.session.rollback()
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    # webargs nests errors under the request part they came from; with one part, leave the nesting out.
    if isinstance(errors, dict) and len(errors) == 1 and next(iter(errors)) in ("json", "form", "query", "headers"):
        errors = next(iter(errors.values()))
    # Keep Allow on 405 and the like: the default smorest handler drops them.
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    detail = data.get("message") or (error.description if status != 500 else None)
    return problem(status, _HTTP_CODES.get(status, "HTTP_ERROR"), error.name, detail, errors=errors, headers=headers)


def from_unexpected(error: Exception) -> Response:
    db.session.rollback()
    log.exception("unhandled error")
    return problem(500, "INTERNAL_ERROR", "Internal server error", "the registry could not complete the request")


def init_app(app: Flask) -> None:
    app.register_error_handler(RegistryError, from_registry_error)
    app.register_error_handler(HTTPException, from_http_exception)
    app.register_error_handler(Exception, from_unexpected)
