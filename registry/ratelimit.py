"""Rate limits for the public endpoints that cost the registry work: per client address.

One limiter per app, made from that app's configuration (a shared module-level limiter would keep
the storage of whichever app came first). The default storage is this process's memory; with
several gunicorn workers, point REGISTRY_RATELIMIT_STORAGE at Redis so that the workers share one
count. Behind a reverse proxy, the client address must come from its X-Forwarded-For (werkzeug's
ProxyFix), not the proxy's own.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.errors import StorageError

from registry.problem import problem

log = logging.getLogger(__name__)

# One budget for verifying, however it is asked for: the API, or the page a QR code opens.
VERIFY_ENDPOINTS = ("verify.verify", "pages.verify_page", "stamps.verify_stamp")
# The public evidence endpoints: a proof reads O(log n) rows; a new checkpoint or a time-stamp costs a signature.
LOG_ENDPOINTS = (
    "log.inclusion",
    "log.consistency",
    "log.checkpoint",
    "log.checkpoint_at",
    "log.add_cosignature",
    "log.tile",
    "tsa.timestamp",
)
TOKEN_ENDPOINT = "oauth.token"  # noqa: S105 (an endpoint name, not a secret)
STAFF_SIGN_IN = "staff.sign_in"  # a page whose POST checks a staff password
UNAVAILABLE_RETRY_AFTER = "30"


def _client_id() -> str:
    """The client id a token request names (HTTP Basic or form), so guessing one client's secret from many
    addresses still meets one budget; the address when it names none."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            return "client:" + base64.b64decode(value, validate=True).decode("utf-8").partition(":")[0][:100]
        except (binascii.Error, UnicodeDecodeError):
            pass
    client_id = request.form.get("client_id")
    return f"client:{client_id[:100]}" if client_id else f"address:{get_remote_address()}"


def _username() -> str:
    return "staff:" + request.form.get("username", "")[:100]


def init_app(app: Flask) -> Limiter:
    """Attach the limits; call it after every blueprint is registered."""
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=app.config["REGISTRY_RATELIMIT_STORAGE"],
        storage_options={"wrap_exceptions": True},  # a storage failure is a StorageError: 503 below
        key_prefix=app.config["REGISTRY_RATELIMIT_PREFIX"],
        headers_enabled=True,
    )
    verify_rate = limiter.shared_limit(app.config["REGISTRY_RATELIMIT_VERIFY"], scope="verify")
    for endpoint in VERIFY_ENDPOINTS:
        _limit(app, endpoint, verify_rate)
    log_rate = limiter.shared_limit(app.config["REGISTRY_RATELIMIT_LOG"], scope="log")
    for endpoint in LOG_ENDPOINTS:
        _limit(app, endpoint, log_rate)
    # Each try at /oauth/token costs a deliberately slow scrypt: one budget per address, one per client id.
    token_rate = app.config["REGISTRY_RATELIMIT_TOKEN"]
    _limit(app, TOKEN_ENDPOINT, limiter.limit(token_rate, key_func=_client_id, scope="token-client"))
    _limit(app, TOKEN_ENDPOINT, limiter.limit(token_rate, scope="token-address"))
    # So does each staff sign-in: the same budgets, per username and per address, for its POSTs only.
    _limit(app, STAFF_SIGN_IN, limiter.limit(token_rate, key_func=_username, scope="staff-user", methods=["POST"]))
    _limit(app, STAFF_SIGN_IN, limiter.limit(token_rate, scope="staff-address", methods=["POST"]))
    app.register_error_handler(StorageError, _storage_down)
    return limiter


def _limit(app: Flask, endpoint: str, limit: Any) -> None:
    """Wrap a registered view in a limit (Flask-Limiter's decorators are typed for async views too)."""
    limited: Any = limit(app.view_functions[endpoint])
    app.view_functions[endpoint] = limited


def _storage_down(error: StorageError) -> Response:
    """The limiter's storage (Redis) is unreachable: 503 with Retry-After, never 500, and never unlimited."""
    log.error("the rate limiter's storage is unreachable: %s", error)
    return problem(
        503,
        "RATE_LIMIT_UNAVAILABLE",
        "Service unavailable",
        "the registry cannot count requests right now; try again shortly",
        headers={"Retry-After": UNAVAILABLE_RETRY_AFTER},
    )
