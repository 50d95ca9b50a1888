"""Electronic seals on documents over HTTP: departments stamp PDFs and other files, anyone verifies,
the stamping department revokes (the CA and seal certificates are in `registry.api.publication`)."""

from __future__ import annotations

import base64
from typing import Any

from flask import Response, jsonify
from werkzeug.datastructures import FileStorage

from issuers.pdfseal import Placement
from registry.api.auth import principal, requires
from registry.api.documents import file_response
from registry.api.parsing import UploadBlueprint, read_upload
from registry.api.schemas.stamps import (
    StampCreated,
    StampForm,
    StampOut,
    StampRevokeIn,
    StampVerifyForm,
    StampVerifyOut,
)
from registry.errors import ValidationFailed
from registry.models import Stamp
from registry.qr import render
from registry.stamps import DETACHED, PDF, StampRequest, stamp_url
from registry.vocabulary import Action, Role
from registry.wiring import services

blp = UploadBlueprint("stamps", __name__, url_prefix="/api/v1", description="Electronic seals on documents")


def _kind(form: dict[str, Any], upload: FileStorage | None) -> str:
    if "kind" in form:
        return str(form["kind"])
    if upload is None:
        return DETACHED
    named_pdf = (upload.filename or "").lower().endswith(".pdf")
    return PDF if named_pdf or upload.mimetype == "application/pdf" else DETACHED


@blp.route("/stamps", methods=["POST"])
@requires(Role.ISSUER, action=Action.STAMP_CREATE)
@blp.arguments(StampForm, location="form_and_files")
@blp.response(201, StampCreated, description="a detached stamp")
@blp.alt_response(201, content_type="application/pdf", description="the stamped PDF (kind pdf)")
def stamp(form: dict[str, Any]) -> Any:
    """Stamp a document with the department's seal (issuer). A PDF comes back with a visible seal, a QR
    code of the stamp's page and a PAdES signature; any other file, or only its SHA-256, gets a detached
    stamp (a JWS over the document's hash). Errors: 413 FILE_TOO_LARGE, 422 NOT_A_PDF, PDF_DAMAGED,
    PDF_ENCRYPTED, PAGE_NOT_FOUND, POSITION_OFF_PAGE, BAD_SHA256; nothing is kept on failure."""
    caller = principal()
    department = services().catalog.get_department_of(caller)
    upload = form.get("file")
    data = read_upload(upload)
    kind = _kind(form, upload)
    if data is None and (kind == PDF or "sha256" not in form):
        raise ValidationFailed("send the file (or, for a detached stamp, its sha256)", code="FILE_REQUIRED")
    stamp_request = StampRequest(
        kind=kind,
        document_name=form.get("name") or (upload.filename if upload and upload.filename else "document"),
        data=data,
        sha256=form.get("sha256"),
        placement=Placement(form["page"], form["x"], form["y"], form["width"], form["height"]),
        service_item=form.get("service_item"),
    )
    result = services().documents.stamp(department, stamp_request, actor=caller)
    issuer = services().config["REGISTRY_ISSUER"]
    url = stamp_url(issuer, result.stamp.reference)
    if result.pdf is not None:
        stem = stamp_request.document_name.rsplit(".", 1)[0]
        response = Response(result.pdf, status=201, mimetype="application/pdf")
        response.headers["X-Stamp-Reference"] = result.stamp.reference
        response.headers["Location"] = f"/api/v1/stamps/{result.stamp.reference}"
        response.headers["Content-Disposition"] = f'attachment; filename="{_ascii(stem)}-stamped.pdf"'
        return response
    body = StampCreated().dump(result.stamp)
    body["verification_url"] = url
    body["qr_png"] = base64.b64encode(render(url, "png").content).decode("ascii")
    response = jsonify(body)
    response.status_code = 201
    return response


def _ascii(name: str) -> str:
    return "".join(c if (c.isascii() and c.isalnum()) or c in "-_." else "_" for c in name)[:100] or "document"


@blp.route("/stamps/<reference:reference>", methods=["GET"])
@blp.response(200, StampOut)
@blp.doc(security=[])
def get_stamp(reference: str) -> Stamp:
    """The registry's record of a stamp: document hash and name, department, seal, time, status (public:
    the reference is printed on the stamped document)."""
    return services().stamps.get(reference)


@blp.route("/stamps/<reference:reference>/qr.png", methods=["GET"])
@blp.doc(security=[], **file_response("image/png", "the QR code"))
def stamp_qr(reference: str) -> Response:
    """The QR code of a stamp's verification page (public)."""
    stamp = services().stamps.get(reference)
    rendered = render(stamp_url(services().config["REGISTRY_ISSUER"], stamp.reference), "png")
    return Response(rendered.content, mimetype=rendered.mimetype)


@blp.route("/stamps/<reference:reference>/revoke", methods=["POST"])
@requires(Role.ISSUER, action=Action.STAMP_REVOKE)
@blp.arguments(StampRevokeIn)
@blp.response(200, StampOut)
def revoke_stamp(body: dict[str, Any], reference: str) -> Stamp:
    """Revoke one of your department's stamps, for example when a decision is withdrawn (issuer)."""
    stamp = services().stamps.revoke(reference, body["reason"], actor=principal())
    return stamp


@blp.route("/stamps/verify", methods=["POST"])
@blp.arguments(StampVerifyForm, location="form_and_files")
@blp.response(200, StampVerifyOut)
@blp.doc(security=[])
def verify_stamp(form: dict[str, Any]) -> dict[str, Any]:
    """Check a stamped PDF, or a file (or its SHA-256) with its detached stamp, check by check: format,
    document unchanged, signature, seal known and not compromised at stamping time, stamp not revoked
    (public, rate-limited with certificate verification)."""
    data = read_upload(form.get("file"))
    stamps = services().stamps
    if "stamp" in form:
        if data is None and "sha256" not in form:
            raise ValidationFailed("send the file or its sha256 with the stamp", code="FILE_REQUIRED")
        results = [stamps.verify_detached(form["stamp"], data=data, sha256=form.get("sha256"))]
        kind = DETACHED
    else:
        if data is None:
            raise ValidationFailed("send the stamped PDF (or a file with its detached stamp)", code="FILE_REQUIRED")
        results = stamps.verify_pdf(data)
        kind = PDF
    return {
        "valid": all(r.valid for r in results),
        "kind": kind,
        "checks": results[-1].checks,
        "stamps": results,
    }
