"""Stamping a PDF from the console, without JavaScript, in two steps: the clerk uploads the PDF, then
chooses its page and one of a few positions, numbered on a preview of the page, and stamps it; the stamped
PDF is then there to download, and the stamp's public page to open.

Between the steps the upload waits in the document store (a PDF is too big for a cookie); the session lists
what the signed-in staff member uploaded, so that nobody reaches another's upload through its hash. The
preview is drawn by poppler's pdftoppm where it is installed; without it the page says so and stamping works
all the same.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from typing import Any

from flask import redirect, render_template, request, send_file, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageDraw, ImageFont
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.rw_common import find_inherited_value_in_tree
from werkzeug.wrappers import Response

from issuers.pdfseal import PdfRejected, Placement, open_pdf, page_count
from registry.errors import NotFound
from registry.models import Stamp
from registry.stamps import PDF, StampRejected, StampRequest
from registry.web.console.blueprint import bp, department, issuer_staff, notify, principal
from registry.web.console.forms import FORM_ERROR, summary
from registry.wiring import services

UPLOADS = "console_uploads"  # session: [sha256, file name] of this staff member's uploads, newest last
KEPT_UPLOADS = 5
MAX_NAME = 255  # a stamp's document name
# Where a stamp may go, in the order the page offers them; each is numbered on the preview. Five, so that
# on an A4 or Letter page no two boxes overlap.
POSITIONS: dict[str, Any] = {
    "bottom-right": _l("Bottom right"),
    "bottom-left": _l("Bottom left"),
    "top-right": _l("Top right"),
    "top-left": _l("Top left"),
    "centre": _l("Centre"),
}
MARGIN = 36.0  # points: half an inch from the page's edges
BOX = (Placement().width, Placement().height)  # the stamp's size where the page is large enough
PREVIEW_WIDTH = 560  # pixels
PREVIEW_SECONDS = 30
PDF_ERRORS: dict[str, Any] = {
    "NOT_A_PDF": _l("This file is not a PDF."),
    "PDF_ENCRYPTED": _l("This PDF is protected by a password: save it without one and upload it again."),
    "PDF_DAMAGED": _l("This PDF is damaged and cannot be read."),
}
_DAMAGED_PAGE = (PdfError, ValueError, KeyError, IndexError, TypeError, AttributeError)


def _pdf_error(error: PdfRejected | StampRejected) -> str:
    return str(PDF_ERRORS.get(error.code or "", _l("This PDF cannot be stamped (%(code)s).", code=error.code)))


def page_box(reader: PdfFileReader, page: int) -> tuple[float, float, float, float]:
    """The page's media box (x0, y0, x1, y1) in points, inherited from the page tree where the page has none."""
    try:  # pyHanko's page tree functions are untyped
        page_ref, _resources = reader.find_page_for_modification(page - 1)  # type: ignore[no-untyped-call]
        box = find_inherited_value_in_tree(page_ref.get_object(), "/MediaBox", "/Parent")  # type: ignore[no-untyped-call]
        x0, y0, x1, y1 = (float(v) for v in box)
    except _DAMAGED_PAGE as e:
        raise PdfRejected("PDF_DAMAGED", f"page {page} has no readable media box: {e}") from None
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def placements(page: int, box: tuple[float, float, float, float]) -> dict[str, Placement]:
    """The stamp's box at each position on a page of this media box: the usual size, smaller on a small page."""
    x0, y0, x1, y1 = box
    margin = min(MARGIN, (x1 - x0) / 10, (y1 - y0) / 10)
    scale = min(1.0, (x1 - x0 - 2 * margin) / BOX[0], (y1 - y0 - 2 * margin) / BOX[1])
    width, height = BOX[0] * scale, BOX[1] * scale
    left, centre, right = x0 + margin, x0 + (x1 - x0 - width) / 2, x1 - margin - width
    bottom, middle, top = y0 + margin, y0 + (y1 - y0 - height) / 2, y1 - margin - height
    corners = {
        "bottom-right": (right, bottom),
        "bottom-left": (left, bottom),
        "top-right": (right, top),
        "top-left": (left, top),
        "centre": (centre, middle),
    }
    return {name: Placement(page, x, y, width, height) for name, (x, y) in corners.items()}


def preview(data: bytes, page: int, box: tuple[float, float, float, float]) -> bytes | None:
    """The page as a PNG with each position's box drawn and numbered; None without pdftoppm or when it fails."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        return None
    command = [tool, "-png", "-f", str(page), "-l", str(page), "-scale-to-x", str(PREVIEW_WIDTH)]
    command += ["-scale-to-y", "-1", "-singlefile", "-"]
    try:
        # The PDF goes in on stdin and the PNG comes out on stdout: no file names, no shell.
        done = subprocess.run(command, input=data, capture_output=True, timeout=PREVIEW_SECONDS, check=False)  # noqa: S603
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0 or not done.stdout.startswith(b"\x89PNG"):
        return None
    image = Image.open(io.BytesIO(done.stdout)).convert("RGB")
    x0, _y0, x1, y1 = box
    scale = image.width / (x1 - x0)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(12, int(BOX[1] * scale / 3)))
    for number, spot in enumerate(placements(page, box).values(), start=1):
        left, top = (spot.x - x0) * scale, (y1 - spot.y - spot.height) * scale
        right, bottom = left + spot.width * scale, top + spot.height * scale
        draw.rectangle((left, top, right, bottom), outline=(196, 106, 0), width=3)
        draw.text(((left + right) / 2, (top + bottom) / 2), str(number), fill=(18, 58, 107), font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _uploaded(sha256: str) -> str:
    """The file name of this staff member's upload with this hash; NotFound for anyone else's."""
    for kept, name in session.get(UPLOADS, []):
        if kept == sha256:
            return str(name)
    raise NotFound("no upload of yours with this hash", code="UPLOAD_NOT_FOUND")


def _own_stamp(reference: str) -> Stamp:
    """A stamp of the staff member's department; NotFound for another department's, as in the API."""
    stamp = services().stamps.get(reference)
    if stamp.department_id != principal().department_id:
        raise NotFound(f"no stamp {reference} of your department", code="STAMP_NOT_FOUND")
    return stamp


@bp.route("/stamp", methods=["GET", "POST"])
@issuer_staff
def stamp_upload() -> Response | tuple[str, int]:
    """Step 1: upload the PDF."""
    error = None
    if request.method == "POST":
        upload = request.files.get("file")
        data = upload.read() if upload is not None else b""
        if not data:
            error = _("Choose the PDF file to stamp.")
        else:
            try:
                page_box(open_pdf(data), 1)
            except PdfRejected as e:
                error = _pdf_error(e)
        if error is None:
            sha256 = services().document_store.put(data)
            name = (upload.filename if upload is not None else None) or "document.pdf"
            kept = [pair for pair in session.get(UPLOADS, []) if pair[0] != sha256]
            session[UPLOADS] = [*kept, [sha256, name[:MAX_NAME]]][-KEPT_UPLOADS:]
            return redirect(url_for(".stamp_place", sha256=sha256), 303)
    return render_template("console/stamp_upload.html", error=error), 422 if error else 200


@bp.route("/stamp/<sha256>", methods=["GET", "POST"])
@issuer_staff
def stamp_place(sha256: str) -> Response | tuple[str, int]:
    """Step 2: choose the page and the position on a preview, then stamp."""
    name = _uploaded(sha256)
    svc = services()
    data = svc.document_store.get(sha256)
    reader = open_pdf(data)
    pages = page_count(reader)
    asked = request.values.get("page", "1")
    page = int(asked) if asked.isdigit() and 1 <= int(asked) <= pages else 1
    spots = placements(page, page_box(reader, page))
    dept = department()
    items = svc.service_items.page(department=dept.credit_code).items
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        position = form.get("position", "")
        if position not in spots:
            errors["position"] = _("Choose where the stamp goes.")
        document_name = form.get("name", "").strip() or name
        if len(document_name) > MAX_NAME:
            errors["name"] = _("A document name has at most %(count)s characters.", count=MAX_NAME)
        item = form.get("service_item") or None
        if item is not None and item not in {i.code for i in items}:
            errors["service_item"] = _("Choose one of your department's service items, or none.")
        if not errors:
            stamp_request = StampRequest(
                kind=PDF, document_name=document_name, data=data, placement=spots[position], service_item=item
            )
            try:
                result = svc.documents.stamp(dept, stamp_request, actor=principal())
            except StampRejected as e:
                errors[FORM_ERROR] = _pdf_error(e)
            else:
                assert result.pdf is not None
                svc.document_store.put(result.pdf)
                notify("stamped")
                return redirect(url_for(".stamped", reference=result.stamp.reference), 303)
    return render_template(
        "console/stamp_place.html",
        sha256=sha256,
        name=name,
        pages=pages,
        page=page,
        page_options=[(str(n), str(n)) for n in range(1, pages + 1)],
        positions=[(key, POSITIONS[key]) for key in spots],
        has_preview=shutil.which("pdftoppm") is not None,
        items=[(i.code, f"{i.name} ({i.code})") for i in items],
        form=form,
        errors=errors,
        summary=summary(errors, ["position", "name", "service_item"]),
    ), 422 if errors else 200


@bp.get("/stamp/<sha256>/page-<int:page>.png")
@issuer_staff
def stamp_preview(sha256: str, page: int) -> Response:
    """The preview of one page of the upload, with the positions numbered."""
    _uploaded(sha256)
    data = services().document_store.get(sha256)
    reader = open_pdf(data)
    if not 1 <= page <= page_count(reader):
        raise NotFound(f"the PDF has no page {page}", code="PAGE_NOT_FOUND")
    image = preview(data, page, page_box(reader, page))
    if image is None:
        raise NotFound("no preview of this page can be drawn", code="PREVIEW_UNAVAILABLE")
    response = Response(image, mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=600"
    return response


@bp.get("/stamps/<reference:reference>")
@issuer_staff
def stamped(reference: str) -> str:
    """A stamp of the department: its record, the stamped PDF to download, its public page."""
    stamp = _own_stamp(reference)
    store = services().document_store
    downloadable = stamp.stamped_sha256 is not None and store.exists(stamp.stamped_sha256)
    return render_template("console/stamped.html", stamp=stamp, downloadable=downloadable)


@bp.get("/stamps/<reference:reference>/stamped.pdf")
@issuer_staff
def stamped_pdf(reference: str) -> Response:
    """The stamped PDF, as a download."""
    stamp = _own_stamp(reference)
    store = services().document_store
    if stamp.stamped_sha256 is None or not store.exists(stamp.stamped_sha256):
        raise NotFound("the stamped PDF is not kept", code="STAMPED_PDF_NOT_KEPT")
    stem = stamp.document_name.rsplit(".", 1)[0] or "document"
    response = send_file(
        io.BytesIO(store.get(stamp.stamped_sha256)),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"{stem}-stamped.pdf",
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
