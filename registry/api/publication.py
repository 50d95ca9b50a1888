"""What the registry publishes for anyone: its keys, its status lists, the verifier bundle, its CA's
certificate and revocation list, and its seals' certificates and pictures."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import serialization
from flask import Response, jsonify

from issuers.x509ca import to_pem
from registry.api.documents import JWKS_SCHEMA, file_response, json_response
from registry.api.parsing import RegistryBlueprint
from registry.errors import NotFound, Unavailable
from registry.models import Seal
from registry.vocabulary import KeyPurpose
from registry.wiring import services

blp = RegistryBlueprint("publication", __name__, description="Published keys, status lists and certificates")


@blp.route("/.well-known/jwks.json", methods=["GET"])
@blp.doc(security=[], **json_response(JWKS_SCHEMA, "every key ever used"))
def jwks() -> Response:
    """The JWKS of all keys with status, validity window and owner (public)."""
    body: dict[str, Any] = services().keys.jwks()
    response = jsonify(body)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@blp.route("/api/v1/status-lists/<int:number>/<purpose>", methods=["GET"])
@blp.doc(security=[], **file_response("application/vc+jwt", "the signed status list", text=True))
def status_list(number: int, purpose: str) -> Response:
    """A W3C Bitstring Status List (purpose `revocation` or `suspension`) as a registry-signed JWT (public)."""
    svc = services()
    token = svc.verification.status_list(number, purpose)
    response = Response(token, mimetype="application/vc+jwt")
    response.headers["Cache-Control"] = f"public, max-age={svc.config['REGISTRY_STATUS_LIST_MAX_AGE']}"
    return response


@blp.route("/api/v1/verifier-bundle", methods=["GET"])
@blp.doc(security=[], **file_response("application/verifier-bundle+jwt", "the signed bundle", text=True))
def verifier_bundle() -> Response:
    """Every published key and current status list, signed by the registry, for offline verifiers (public)."""
    response = Response(services().verification.bundle(), mimetype="application/verifier-bundle+jwt")
    response.headers["Cache-Control"] = f"public, max-age={services().config['REGISTRY_STATUS_LIST_MAX_AGE']}"
    return response


@blp.route("/api/v1/ca.pem", methods=["GET"])
@blp.doc(security=[], **file_response("application/x-pem-file", "the root certificate (PEM)", text=True))
def ca_certificate() -> Response:
    """The registry's root certificate, the trust anchor for stamped PDFs (public)."""
    root = services().keys.certs.root()
    return Response(to_pem(root), mimetype="application/x-pem-file")


@blp.route("/api/v1/tsa.pem", methods=["GET"])
@blp.doc(security=[], **file_response("application/x-pem-file", "the TSA's certificate and the root", text=True))
def tsa_certificate() -> Response:
    """The certificate of the registry's time-stamping key, followed by the root (public)."""
    tsa = services().keys.certs.find_tsa()
    if tsa is None or tsa.certificate_pem is None:
        raise Unavailable("the registry has no time-stamping key yet: run `flask setup`", code="NO_TSA")
    return Response(tsa.certificate_pem + to_pem(services().keys.certs.root()), mimetype="application/x-pem-file")


@blp.route("/api/v1/ca.crl", methods=["GET"])
@blp.doc(security=[], **file_response("application/pkix-crl", "the revocation list (DER)"))
def ca_revocation_list() -> Response:
    """The CA's revocation list (DER): the certificates of compromised seals, for PDF readers (public)."""
    crl = services().keys.certs.crl()
    response = Response(crl.public_bytes(serialization.Encoding.DER), mimetype="application/pkix-crl")
    response.headers["Cache-Control"] = f"public, max-age={services().config['REGISTRY_STATUS_LIST_MAX_AGE']}"
    return response


@blp.route("/api/v1/seals/<kid>/certificate.pem", methods=["GET"])
@blp.doc(security=[], **file_response("application/x-pem-file", "the seal's certificate and the root", text=True))
def seal_certificate(kid: str) -> Response:
    """A seal's X.509 certificate followed by the registry's root (public)."""
    seal = _seal(kid)
    chain = services().keys.certs.chain(seal)
    return Response("".join(to_pem(c) for c in chain), mimetype="application/x-pem-file")


@blp.route("/api/v1/seals/<kid>/picture.png", methods=["GET"])
@blp.doc(security=[], **file_response("image/png", "the seal's picture"))
def seal_picture(kid: str) -> Response:
    """A seal's picture (public)."""
    seal = _seal(kid)
    if seal.picture is None:
        raise NotFound(f"no seal picture for {kid}", code="KEY_NOT_FOUND")
    return Response(seal.picture, mimetype="image/png")


def _seal(kid: str) -> Seal:
    """A department's seal by key id; raise NotFound for anything else (the registry's own keys, the CA)."""
    seal = services().keys.find(kid)
    if seal is None or seal.purpose != KeyPurpose.SEAL:
        raise NotFound(f"no seal {kid}", code="KEY_NOT_FOUND")
    return seal
