"""The holder's wallet (/wallet/): sign-in through the identity provider, the holder's certificates, a QR code
for the counter, the printable PDF, who looked at the holder's data and why, and the holder's consents.

In development the registry's stand-in identity provider gets a sign-in page of its own (`devidp`), so that
the wallet works end to end without the platform's.
"""

from __future__ import annotations

from flask import Flask

from registry import web
from registry.web.wallet import devidp
from registry.web.wallet.signin import TOKEN_POST, post_form
from registry.web.wallet.views import bp


def register(app: Flask) -> None:
    """The wallet's pages, how it calls the identity provider, and in development the stand-in's sign-in."""
    web.page_blueprint(app, bp)
    app.extensions.setdefault(TOKEN_POST, post_form)
    if app.config["REGISTRY_ENV"] == "development":
        devidp.register(app)
