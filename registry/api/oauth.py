"""OAuth 2.0 client credentials: a department's system trades its client id and secret for an access token."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote

from flask import request

from registry.api.parsing import RegistryBlueprint
from registry.api.schemas.oauth import TokenRequest, TokenResponse
from registry.errors import Unauthorized
from registry.wiring import services

blp = RegistryBlueprint("oauth", __name__, url_prefix="/oauth", description="Access tokens for API clients")


def _client_credentials(form: dict[str, Any]) -> tuple[str, str]:
    """Client id and secret from HTTP Basic (RFC 6749 2.3.1) or, failing that, from the form."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthorized("malformed Basic credentials", code="INVALID_CLIENT") from None
        return unquote(client_id), unquote(secret)
    if form.get("client_id") and form.get("client_secret"):
        return form["client_id"], form["client_secret"]
    raise Unauthorized("send the client id and secret with HTTP Basic or in the form", code="INVALID_CLIENT")


@blp.route("/token", methods=["POST"])
@blp.arguments(TokenRequest, location="form")
@blp.response(200, TokenResponse)
@blp.doc(security=[])
def token(form: dict[str, Any]) -> dict[str, Any]:
    """Issue a short-lived access token (public; authenticated by the client's secret)."""
    svc = services()
    client = svc.clients.authenticate(*_client_credentials(form))
    access_token = svc.access_tokens.issue(client)
    return {"access_token": access_token, "token_type": "Bearer", "expires_in": svc.access_tokens.ttl}
