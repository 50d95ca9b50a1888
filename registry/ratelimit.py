"""Rate limits for the public endpoints that cost the registry work: per client address.

One limiter per app, made from that app's configuration (a shared module-level limiter would keep
the storage of whichever app came first). The default storage is this process's memory; with
several gunicorn workers, point REGISTRY_RATELIMIT_STORAGE at Redis so that the workers share one
count. Behind a reverse proxy, the client address must come from its X-Forwarded-For (werkzeug's
ProxyFix), not the proxy's own.
"""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

# One budget for verifying, however it is asked for: the API, or the page a QR code opens.
VERIFY_ENDPOINTS = ("verify.verify", "pages.verify_page", "stamps.verify_stamp")


def init_app(app: Flask) -> Limiter:
    """Attach the limits; call it after every blueprint is registered."""
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=app.config["REGISTRY_RATELIMIT_STORAGE"],
        key_prefix=app.config["REGISTRY_RATELIMIT_PREFIX"],
        headers_enabled=True,
    )
    verify_rate = limiter.shared_limit(app.config["REGISTRY_RATELIMIT_VERIFY"], scope="verify")
    for endpoint in VERIFY_ENDPOINTS:
        app.view_functions[endpoint] = verify_rate(app.view_functions[endpoint])
    return limiter
