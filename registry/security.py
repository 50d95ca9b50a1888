"""What every response and every log line owes its reader: security headers, the client's real address
behind trusted proxies, and no ID number in a logged URL.

A verification URL `/v/<signed form>` carries whatever the holder chose to disclose, the full ID number
included; web servers log request lines, so those paths are redacted in the access logs we write, and
pages send `Referrer-Policy: no-referrer` so the URL does not travel on to other sites either.
"""

from __future__ import annotations

import logging
import re

from flask import Flask, Response
from werkzeug.middleware.proxy_fix import ProxyFix

PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_PRESENTED = re.compile(r"/v/[^\s\"?]+")
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access")


class RedactPresented(logging.Filter):
    """Replace what follows `/v/` in a log record's text with `[redacted]`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/v/" in message:
            record.msg, record.args = _PRESENTED.sub("/v/[redacted]", message), None
        return True


def init_app(app: Flask) -> None:
    proxies = int(app.config["REGISTRY_TRUSTED_PROXIES"])
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactPresented) for f in logger.filters):
            logger.addFilter(RedactPresented())

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response
