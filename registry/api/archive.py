"""The archive over HTTP: documents handed over for filing, what is due, legal holds, disposal, and the
filing fulfilment ratio. Export runs at the server (`flask archive export`), where the packages are written."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from flask import Response

from registry.api.auth import principal, requires
from registry.api.documents import file_response
from registry.api.parsing import UploadBlueprint, read_upload
from registry.api.schemas.archive import (
    DisposableRecord,
    DisposalIn,
    DisposalOut,
    DocumentForm,
    DocumentOut,
    FilingStatsArgs,
    FilingStatsOut,
    HoldIn,
    HoldOut,
    HoldsArgs,
    UnfiledArgs,
    UnfiledOut,
)
from registry.archive.documents import Handover
from registry.archive.retention import DueRecord
from registry.errors import Conflict, ValidationFailed
from registry.models import Document, LegalHold
from registry.principals import Principal
from registry.vocabulary import Action, Role
from registry.wiring import services

blp = UploadBlueprint("archive", __name__, url_prefix="/api/v1", description="Filing, legal holds and disposal")
KEEPERS = (Role.ADMIN, Role.ARCHIVIST)


def _department_scope(caller: Principal, requested: str | None) -> int | None:
    """The department a caller may see: an issuer its own, whatever it asks; the admin and archivists any."""
    if caller.role == Role.ISSUER:
        return services().catalog.get_department_of(caller).id
    return services().catalog.get_department(requested).id if requested else None


@blp.route("/documents", methods=["POST"])
@requires(Role.ISSUER, action=Action.DOCUMENT_DEPOSIT)
@blp.arguments(DocumentForm, location="form_and_files")
@blp.response(201, DocumentOut)
def deposit(form: dict[str, Any]) -> Document:
    """Hand a decision document (PDF) over for filing under a service item that files documents (issuer).
    The registry keeps it, seals it with a detached stamp of your department, and files it when due.
    Errors: 413 FILE_TOO_LARGE, 422 ITEM_FILES_NO_DOCUMENTS, NOT_A_PDF, PDF_DAMAGED, PDF_ENCRYPTED."""
    caller = principal()
    upload = form["file"]
    data = read_upload(upload)
    assert data is not None
    handover = Handover(
        name=form.get("name") or upload.filename or "document.pdf",
        data=data,
        service_item=form["service_item"],
        title=form.get("title"),
        decided_at=form.get("decided_at"),
    )
    return services().documents.deposit(services().catalog.get_department_of(caller), handover, actor=caller)


@blp.route("/documents/<reference:reference>", methods=["GET"])
@requires(Role.ADMIN, Role.ARCHIVIST, Role.ISSUER, action=Action.DOCUMENT_READ)
@blp.response(200, DocumentOut)
def document(reference: str) -> Document:
    """A document kept for filing (its department's clients, archivists, the admin)."""
    return services().documents.get(reference, principal())


@blp.route("/documents/<reference:reference>/content", methods=["GET"])
@requires(Role.ADMIN, Role.ARCHIVIST, Role.ISSUER, action=Action.DOCUMENT_READ)
@blp.doc(**file_response("application/pdf", "the document, checked against its SHA-256 as it is read"))
def document_content(reference: str) -> Response:
    """The document's bytes (its department's clients, archivists, the admin); 410-like 404 DOCUMENT_DISPOSED
    after disposal."""
    kept, data = services().documents.content(reference, principal())
    return Response(data, mimetype=kept.media_type)


@blp.route("/archive/unfiled", methods=["GET"])
@requires(Role.ADMIN, Role.ARCHIVIST, Role.ISSUER, action=Action.RECORD_DUE_LIST)
@blp.arguments(UnfiledArgs, location="query")
@blp.response(200, UnfiledOut)
def unfiled(args: dict[str, Any]) -> dict[str, Any]:
    """Records due for filing and not filed yet, oldest first (archivists, the admin; a department its own)."""
    department_id = _department_scope(principal(), args.get("department"))
    records = list(itertools.islice(services().filing_scope.unfiled(department_id=department_id), args["limit"] + 1))
    return {"records": records[: args["limit"]], "more": len(records) > args["limit"]}


@blp.route("/archive/disposable", methods=["GET"])
@requires(*KEEPERS, action=Action.RECORD_DUE_LIST)
@blp.response(200, DisposableRecord(many=True))
def disposable() -> list[DueRecord]:
    """Filed records past their retention, each with the legal hold that keeps it, if any (archivists, admin)."""
    return list(itertools.islice(services().retention.due(), 1000))


@blp.route("/archive/holds", methods=["GET"])
@requires(*KEEPERS, action=Action.RECORD_DUE_LIST)
@blp.arguments(HoldsArgs, location="query")
@blp.response(200, HoldOut(many=True))
def holds(args: dict[str, Any]) -> list[LegalHold]:
    """Legal holds (archivists, the admin)."""
    return services().retention.holds(include_lifted=args["include_lifted"])


@blp.route("/archive/holds", methods=["POST"])
@requires(Role.ARCHIVIST, action=Action.HOLD_PLACE)
@blp.arguments(HoldIn)
@blp.response(201, HoldOut)
def place_hold(body: dict[str, Any]) -> LegalHold:
    """Place a legal hold on a filed record or on a whole series: nothing under it is disposed of (archivist)."""
    return services().retention.place_hold(
        reason=body["reason"], actor=principal(), identifier=body.get("identifier"), series=body.get("series")
    )


@blp.route("/archive/holds/<int:hold_id>/lift", methods=["POST"])
@requires(Role.ARCHIVIST, action=Action.HOLD_LIFT)
@blp.response(200, HoldOut)
def lift_hold(hold_id: int) -> LegalHold:
    """Lift a legal hold (archivist)."""
    return services().retention.lift_hold(hold_id, actor=principal())


@blp.route("/archive/disposals", methods=["POST"])
@requires(Role.ARCHIVIST, action=Action.RECORD_DISPOSE)
@blp.arguments(DisposalIn)
@blp.response(200, DisposalOut)
def dispose(body: dict[str, Any]) -> dict[str, Any]:
    """Dispose of filed records past their retention: their personal content is removed, a tombstone kept
    (archivist). If any named record is not filed, not past retention or under a legal hold, nothing is
    disposed of: 409 with each refusal and its reason."""
    report = services().retention.dispose(
        authority=body["authority"], actor=principal(), identifiers=body["identifiers"]
    )
    if report.refused:
        refusals = {identifier: f"{code}: {reason}" for identifier, code, reason in report.refused}
        codes = {code for _, code, _ in report.refused}
        raise Conflict(
            "some records cannot be disposed of; nothing was",
            code=codes.pop() if len(codes) == 1 else "DISPOSAL_REFUSED",
            errors={"identifiers": refusals},
        )
    return {"disposed": report.disposed}


@blp.route("/stats/filing", methods=["GET"])
@requires(Role.ADMIN, Role.ARCHIVIST, Role.ISSUER, action=Action.FILING_STATS_READ)
@blp.arguments(FilingStatsArgs, location="query")
@blp.response(200, FilingStatsOut)
def filing_stats(args: dict[str, Any]) -> dict[str, Any]:
    """The filing fulfilment ratio per department: records filed by their deadline / records that became due
    in the period (admin, archivists; a department its own)."""
    year = dt.datetime.now(dt.UTC).year
    start = args.get("start") or dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    end = args.get("end") or dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)
    if end <= start:
        raise ValidationFailed("`to` must be after `from`", errors={"to": ["must be after from"]})
    department_id = _department_scope(principal(), args.get("department"))
    ratios = services().filing_statistics.ratios(start, end, department_id=department_id)
    return {"start": start, "end": end, "departments": ratios}
