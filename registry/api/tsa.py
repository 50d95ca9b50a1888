"""The registry's RFC 3161 time-stamping authority over HTTP (RFC 3161 section 3.4): a DER
TimeStampReq in, a DER TimeStampResp out; a request it cannot grant gets a rejection that says why."""

from __future__ import annotations

from flask import Response, request

from issuers.tsa import QUERY_TYPE, REPLY_TYPE
from registry.api.documents import file_response
from registry.api.parsing import RegistryBlueprint
from registry.errors import UnsupportedMediaType, ValidationFailed
from registry.wiring import services

blp = RegistryBlueprint("tsa", __name__, url_prefix="/api/v1", description="Trusted time (RFC 3161)")

MAX_REQUEST_BYTES = 16 * 1024  # a TimeStampReq is about a hundred bytes


@blp.route("/tsa", methods=["POST"])
@blp.doc(
    security=[],
    requestBody={
        "required": True,
        "content": {"application/timestamp-query": {"schema": {"type": "string", "format": "binary"}}},
    },
    **file_response(REPLY_TYPE, "a TimeStampResp (DER): granted with a token, or a rejection with its reason"),
)
def timestamp() -> Response:
    """A time-stamp token for a hash, signed by the registry's TSA key (certificate at `/api/v1/tsa.pem`,
    under the registry's root); check it with `openssl ts -verify` (public)."""
    if request.mimetype != QUERY_TYPE:
        raise UnsupportedMediaType(f"send the request as {QUERY_TYPE}", code="UNSUPPORTED_MEDIA_TYPE")
    body = request.get_data(cache=False)[: MAX_REQUEST_BYTES + 1]
    if not body:
        raise ValidationFailed("send a DER TimeStampReq (RFC 3161)", code="TSA_REQUEST_REQUIRED")
    authority = services().keys.certs.authority(services().config["REGISTRY_TSA_POLICY"])
    reply = authority.respond(body if len(body) <= MAX_REQUEST_BYTES else b"")
    return Response(reply, mimetype=REPLY_TYPE)
