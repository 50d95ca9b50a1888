"""What the registry publishes for anyone: its keys, its status lists, and online verification."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from registry.api.documents import JWKS_SCHEMA, file_response, json_response
from registry.api.parsing import RegistryBlueprint
from registry.api.schemas.verify import VerifyIn, VerifyOut
from registry.models import db
from registry.statuslists import StatusLists
from registry.verification import VerificationResult
from registry.wiring import services

blp = RegistryBlueprint("wellknown", __name__, url_prefix="/.well-known", description="Published keys")


@blp.route("/jwks.json", methods=["GET"])
@blp.doc(security=[], **json_response(JWKS_SCHEMA, "every key ever used"))
def jwks() -> Response:
    """The JWKS of all keys with status, validity window and owner (public)."""
    body: dict[str, Any] = services().keys.jwks()
    response = jsonify(body)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


status_blp = RegistryBlueprint("status_lists", __name__, url_prefix="/api/v1/status-lists", description="Status lists")


@status_blp.route("/<int:number>/<purpose>", methods=["GET"])
@status_blp.doc(security=[], **file_response("application/vc+jwt", "the signed status list", text=True))
def status_list(number: int, purpose: str) -> Response:
    """A W3C Bitstring Status List (purpose `revocation` or `suspension`) as a registry-signed JWT (public)."""
    svc = services()
    lists = StatusLists(db.session())
    token = svc.runtime.status_lists.signed(lists, lists.get(number), purpose, lambda: svc.keys.signing_key(None))
    response = Response(token, mimetype="application/vc+jwt")
    response.headers["Cache-Control"] = f"public, max-age={svc.config['REGISTRY_STATUS_LIST_MAX_AGE']}"
    return response


verify_blp = RegistryBlueprint("verify", __name__, url_prefix="/api/v1", description="Online verification")


@verify_blp.route("/verify", methods=["POST"])
@verify_blp.arguments(VerifyIn)
@verify_blp.response(200, VerifyOut)
@verify_blp.doc(security=[])
def verify(body: dict[str, Any]) -> VerificationResult:
    """Check a presented certificate check by check: format, signature, issuer, key status, validity,
    status lists, disclosures; never a bare "invalid". With `annotation` and `agency`, an annotated copy
    from sharing: also the annotation's signature, its binding, the agency and the copy's expiry (public)."""
    result = services().verification.verify(body["token"], body.get("annotation"), body.get("agency"))
    return result


@verify_blp.route("/verifier-bundle", methods=["GET"])
@verify_blp.doc(security=[], **file_response("application/verifier-bundle+jwt", "the signed bundle", text=True))
def verifier_bundle() -> Response:
    """Every published key and current status list, signed by the registry, for offline verifiers (public)."""
    response = Response(services().verification.bundle(), mimetype="application/verifier-bundle+jwt")
    response.headers["Cache-Control"] = f"public, max-age={services().config['REGISTRY_STATUS_LIST_MAX_AGE']}"
    return response
