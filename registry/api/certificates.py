"""Certificates: issued by a department's system, read by the issuer, the holder and the admin."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView

from registry.api.auth import principal, requires
from registry.api.documents import IDENTIFIER_PARAMETER, file_response
from registry.api.parsing import RegistryBlueprint
from registry.api.schemas.certificates import (
    AmendIn,
    BatchIn,
    BatchOut,
    CertificateIn,
    CertificateListArgs,
    CertificateOut,
    CertificatePage,
    CertificateSearch,
    IdempotencyHeader,
    QrArgs,
    RevokeIn,
    SuspendIn,
)
from registry.certificates import CertificateFilter, IssueRequest, request_fingerprint
from registry.errors import NotFound
from registry.models import Certificate
from registry.principals import HOLDER_ROLE
from registry.qr import FORMATS
from registry.vocabulary import Action, Role
from registry.wiring import services

blp = RegistryBlueprint(
    "certificates", __name__, url_prefix="/api/v1/certificates", description="Issuing and reading certificates"
)

READERS = (Role.ADMIN, Role.ISSUER, HOLDER_ROLE)


def _issue_request(item: dict[str, Any]) -> IssueRequest:
    holder = item["holder"]
    return IssueRequest(
        type_code=item["type"],
        holder_kind=holder["kind"],
        holder_id=holder["id"],
        holder_name=holder["name"],
        fields=item["fields"],
        valid_from=item["valid_from"],
        valid_until=item["valid_until"],
    )


def _issue(items: list[dict[str, Any]], headers: dict[str, Any]) -> list[Certificate]:
    """Issue for the calling department's client, all or nothing, honouring an Idempotency-Key."""
    svc = services()
    caller = principal()
    department = svc.catalog.get_department_of(caller)
    certificates = svc.certificates.issue(
        department,
        [_issue_request(item) for item in items],
        actor=caller,
        idempotency_key=headers.get("idempotency_key"),
        fingerprint=request_fingerprint([request.path, request.get_json(silent=True)]),
    )
    return certificates


@blp.route("")
class Certificates(MethodView):
    @requires(Role.ISSUER, action=Action.CERTIFICATE_ISSUE)
    @blp.arguments(IdempotencyHeader, location="headers")
    @blp.arguments(CertificateIn)
    @blp.response(201, CertificateOut)
    def post(self, headers: dict[str, Any], item: dict[str, Any]) -> Certificate:
        """Issue one certificate, signed with the department's seal (issuer)."""
        return _issue([item], headers)[0]

    @requires(*READERS, action=Action.CERTIFICATE_LIST)
    @blp.arguments(CertificateListArgs, location="query")
    @blp.response(200, CertificatePage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """A page of the certificates the caller may read, newest first (admin, issuer, holder)."""
        return _page(args)


@blp.route("/batch", methods=["POST"])
@requires(Role.ISSUER, action=Action.CERTIFICATE_ISSUE)
@blp.arguments(IdempotencyHeader, location="headers")
@blp.arguments(BatchIn)
@blp.response(201, BatchOut)
def batch(headers: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """Issue up to 1,000 certificates, all or nothing (issuer)."""
    return {"certificates": _issue(body["certificates"], headers)}


@blp.route("/search", methods=["POST"])
@requires(*READERS, action=Action.CERTIFICATE_LIST)
@blp.arguments(CertificateSearch)
@blp.response(200, CertificatePage)
def search(args: dict[str, Any]) -> dict[str, Any]:
    """Like the list, also by holder, whose ID goes in the body, never in a URL (admin, issuer, holder)."""
    return _page(args)


def _page(args: dict[str, Any]) -> dict[str, Any]:
    holder = args.get("holder") or {}
    filters = CertificateFilter(args.get("type"), args.get("status"), holder.get("kind"), holder.get("id"))
    items = services().certificates.list(principal(), filters, limit=args["limit"], after=args.get("after"))
    next_cursor = items[-1].id if len(items) == args["limit"] else None
    return {"items": items, "next_cursor": next_cursor}


@blp.route("/<identifier:identifier>", parameters=[IDENTIFIER_PARAMETER])
@requires(*READERS, action=Action.CERTIFICATE_READ)
@blp.response(200, CertificateOut)
def certificate(identifier: str) -> Certificate:
    """One certificate with its signed form (the issuing department, the holder, the admin)."""
    certificate = services().certificates.get(identifier, principal())
    return certificate


@blp.route("/<identifier:identifier>/suspend", methods=["POST"], parameters=[IDENTIFIER_PARAMETER])
@requires(Role.ISSUER, action=Action.CERTIFICATE_SUSPEND)
@blp.arguments(SuspendIn)
@blp.response(200, CertificateOut)
def suspend(body: dict[str, Any], identifier: str) -> Certificate:
    """Suspend a valid certificate of the department (issuer)."""
    certificate = services().lifecycle.suspend(identifier, principal(), body["reason"])
    return certificate


@blp.route("/<identifier:identifier>/reinstate", methods=["POST"], parameters=[IDENTIFIER_PARAMETER])
@requires(Role.ISSUER, action=Action.CERTIFICATE_REINSTATE)
@blp.arguments(SuspendIn)
@blp.response(200, CertificateOut)
def reinstate(body: dict[str, Any], identifier: str) -> Certificate:
    """Reinstate a suspended certificate of the department (issuer)."""
    certificate = services().lifecycle.reinstate(identifier, principal(), body["reason"])
    return certificate


@blp.route("/<identifier:identifier>/revoke", methods=["POST"], parameters=[IDENTIFIER_PARAMETER])
@requires(Role.ISSUER, action=Action.CERTIFICATE_REVOKE)
@blp.arguments(RevokeIn)
@blp.response(200, CertificateOut)
def revoke(body: dict[str, Any], identifier: str) -> Certificate:
    """Revoke a certificate of the department for good, with a reason code (issuer)."""
    certificate = services().lifecycle.revoke(identifier, principal(), body["reason"])
    return certificate


@blp.route("/<identifier:identifier>/amend", methods=["POST"], parameters=[IDENTIFIER_PARAMETER])
@requires(Role.ISSUER, action=Action.CERTIFICATE_AMEND)
@blp.arguments(AmendIn)
@blp.response(201, CertificateOut)
def amend(body: dict[str, Any], identifier: str) -> Certificate:
    """Issue the next version with new field values; the old one becomes superseded (issuer)."""
    validity = {k: body[k] for k in ("valid_from", "valid_until") if k in body}
    certificate = services().lifecycle.amend(identifier, principal(), body["fields"], **validity)
    return certificate


@blp.route("/<identifier:identifier>/qr.<fmt>", methods=["GET"], parameters=[IDENTIFIER_PARAMETER])
@blp.doc(
    responses={
        "200": {
            "description": "the QR code, PNG or SVG",
            "content": {
                "image/png": {"schema": {"type": "string", "format": "binary"}},
                "image/svg+xml": {"schema": {"type": "string"}},
            },
        }
    }
)
@requires(*READERS, action=Action.CERTIFICATE_QR)
@blp.arguments(QrArgs, location="query")
def qr(args: dict[str, Any], identifier: str, fmt: str) -> Response:
    """The QR code of the certificate's verification URL, PNG or SVG (the holder, the issuing department, the admin).

    By default it holds the compact signed form (core claims only); `disclose` names fields to carry
    the full signed form with just those disclosures instead (a larger code).
    """
    if fmt not in FORMATS:
        raise NotFound(f"no QR format {fmt}", code="QR_FORMAT_NOT_FOUND")
    disclose = {name for name in args.get("disclose", "").split(",") if name}
    rendered = services().certificates.qr(identifier, principal(), fmt, disclose)
    response = Response(rendered.content, mimetype=rendered.mimetype)
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["X-QR-Version"] = str(rendered.version)
    if "holder_id" in disclose:
        response.headers["X-Disclosure-Warning"] = (
            "this code carries the full ID number: everyone who scans it, and every server its link passes, sees it"
        )
    return response


@blp.route("/<identifier:identifier>/document.pdf", methods=["GET"], parameters=[IDENTIFIER_PARAMETER])
@blp.doc(**file_response("application/pdf", "the printable rendition, sealed by the issuing department"))
@requires(*READERS, action=Action.CERTIFICATE_PRINT)
def printable(identifier: str) -> Response:
    """The certificate as a printable PDF: its fields in Chinese and English, its QR code, sealed (PAdES) by
    the issuing department (the holder, the issuing department, the admin). 410 CERTIFICATE_DISPOSED after
    the end of its retention."""
    certificate = services().certificates.get(identifier, principal(), action=Action.CERTIFICATE_PRINT)
    response = Response(services().renditions.sealed(certificate, actor=principal()), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{certificate.serial}-v{certificate.version}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
