"""Published keys: every seal and registry key ever used, so that anyone can check any signature."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask_smorest import Blueprint

from registry.services import services

blp = Blueprint("wellknown", __name__, url_prefix="/.well-known", description="Published keys")


@blp.route("/jwks.json", methods=["GET"])
@blp.doc(security=[])
def jwks() -> Response:
    """The JWKS of all keys with status, validity window and owner (public)."""
    body: dict[str, Any] = services().keys.jwks()
    response = jsonify(body)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
