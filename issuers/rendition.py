"""The printable rendition of a certificate: an A4 PDF of its fields in Chinese and English with its QR code,
one embedded font, and a free box where `issuers.pdfseal.stamp_pdf` then puts the department's seal.

The layout is computed before anything is drawn, so that every page knows the page count and the seal
box is known exactly. The output is deterministic: the same rendition gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import qrcode
import qrcode.constants
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

from issuers.errors import IssuerError
from issuers.holders import DOCUMENT_NAMES, HolderKind
from issuers.pdfseal import QR_MASK_PATTERN, Placement

DEFAULT_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FONT_PACKAGE = "fonts-wqy-microhei"  # the Debian package that installs DEFAULT_FONT
SUBTITLE = "Printed rendition of an electronic certificate"
QR_CAPTION = "扫码核验 / Scan to verify"
PAGE_NUMBER = "第 {number} 页，共 {pages} 页 / Page {number} of {pages}"

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 48.0
LABEL_WIDTH = 190.0  # the label column; the value column takes the rest of the text width
LABEL_SPACE = 4.0  # between the Chinese and the English label on one line
COLUMN_GAP = 12.0
TITLE_SIZE, TEXT_SIZE, LABEL_EN_SIZE, LEADING = 20.0, 10.0, 8.0, 13.0
ROW_PADDING = 4.0  # above and below each row's lines
TABLE_TOP = PAGE_HEIGHT - MARGIN - 58.0  # under the title, the subtitle and their rule
FOOTER_Y = MARGIN - 20.0  # the footer's baseline, in the bottom margin
QR_MODULE = 1.5  # points per module: 3 pixels at 150 dpi, 12 at 600, what phone cameras and zbar read
# Pixels per module in the QR image. Poppler smooths an image it enlarges less than four times, and one
# pixel a module smoothed to 3 pixels blurs the code beyond what zbar reads at 150 dpi.
QR_PIXELS = 4
QR_BORDER = 4  # the quiet zone the QR standard asks for, in modules
SEAL_WIDTH, SEAL_HEIGHT = 200.0, 100.0
GREY = 0.35
RULE_GREY = 0.75

# Where a line may break: between CJK characters, or at spaces between other words; closing punctuation
# stays with what it closes, so no line starts with "，" or ")".
_CJK = (
    "\u2e80-\u2fff\u3000-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff"
)
_CLOSING = "，。、；：？！）》」』】〕〉％,.;:?!)%"
_TOKENS = re.compile(rf"\s+|[^\s{_CJK}]+[{_CLOSING}]*|.[{_CLOSING}]*")
_DARK_TO_GREY = bytes([255, 0]) + bytes(254)  # a QR matrix row as bytes (0 light, 1 dark) to grey pixels

# The Chinese names of the holders' documents (their English ones are issuers.holders.DOCUMENT_NAMES).
_DOCUMENT_NAMES_ZH = {
    HolderKind.PERSON: "居民身份证",
    HolderKind.ORGANIZATION: "统一社会信用代码",
    HolderKind.FOREIGN_PERMANENT_RESIDENT: "外国人永久居留身份证",
    HolderKind.HMT_RESIDENCE_PERMIT: "港澳台居民居住证",
    HolderKind.PASSPORT: "护照",
}
# Certificate statuses as the registry names them (registry.vocabulary.CertificateStatus), for print.
_STATUS_NAMES = {
    "valid": "有效 / Valid",
    "suspended": "中止 / Suspended",
    "revoked": "已撤销 / Revoked",
    "superseded": "已被取代 / Superseded",
    "expired": "已过期 / Expired",
}


class FontUnavailable(IssuerError):
    """The rendition's font cannot be used: missing, unreadable, or without a glyph the page needs."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"the rendition font {path} {reason}")
        self.path = path


@dataclass(frozen=True, slots=True)
class Rendition:
    """What the printed page shows of a certificate. The holder's ID number is the masked one only."""

    identifier: str
    type_code: str
    type_name: str
    serial: str  # the licence number
    version: int
    department_name: str
    department_code: str  # the issuing department's unified social credit code
    authority_code: str  # the code of the authority that defines the certificate type
    holder_kind: HolderKind
    holder_name: str
    holder_id_masked: str
    valid_from: dt.date
    valid_until: dt.date | None  # None: long-term
    issued_at: dt.datetime  # naive: UTC
    status: str  # a registry.vocabulary.CertificateStatus value
    fields: Sequence[tuple[str, str, str]]  # the type's fields: (label in Chinese, label in English, value)
    qr_payload: str  # what the QR code holds: the verification URL with the compact signed form

    def __post_init__(self) -> None:
        # A full ID number must never reach paper: every mask of issuers.holders hides some characters.
        if "*" not in self.holder_id_masked:
            raise ValueError("holder_id_masked is not masked")


@dataclass(frozen=True, slots=True)
class RenderedPdf:
    """The rendered PDF and the box left free on its last page for the seal, for `stamp_pdf(placement=...)`."""

    pdf: bytes
    seal_box: Placement


@dataclass(frozen=True, slots=True)
class _Line:
    """One line of a table row: a line of the Chinese label, of the English one (small, grey), or of both,
    and a line of the value."""

    label_zh: str
    label_en: str
    value: str


@functools.cache
def _font(path: Path) -> str:
    """Register the TrueType font at `path` (the first face of a collection) with reportlab, once per
    process, and return its name. The name comes from the path, so it is the same in every process."""
    if not path.is_file():
        raise FontUnavailable(
            path, f"is missing: install the Debian package {FONT_PACKAGE} (apt-get install {FONT_PACKAGE})"
        )
    try:
        font = TTFont(f"Rendition-{hashlib.sha256(str(path).encode()).hexdigest()[:12]}", str(path), subfontIndex=0)
    except (OSError, TTFError) as e:
        raise FontUnavailable(path, f"cannot be read: {e}") from e
    pdfmetrics.registerFont(font)
    return str(font.fontName)


def _check_glyphs(font: str, path: Path, texts: Sequence[str]) -> None:
    """Raise FontUnavailable if the font lacks a character of `texts`: it would print as an empty box."""
    covered = pdfmetrics.getFont(font).face.charToGlyph
    missing = sorted({c for text in texts for c in text if not c.isspace() and ord(c) not in covered})
    if missing:
        raise FontUnavailable(path, f"has no glyph for {''.join(missing)!r}")


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """`text` as lines no wider than `width`: newlines kept, runs of spaces as one space, breaks between
    CJK characters and at spaces; a word wider than a line is cut between characters."""
    space = pdfmetrics.stringWidth(" ", font, size)
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line, used = "", 0.0
        for token in _TOKENS.findall(paragraph):
            if token.isspace():
                if line and not line.endswith(" "):
                    line, used = line + " ", used + space
                continue
            token_width = pdfmetrics.stringWidth(token, font, size)
            if used + token_width <= width:
                line, used = line + token, used + token_width
                continue
            if line.strip():
                lines.append(line.rstrip())
            line, used = "", 0.0
            for char in token:  # onto a line of its own, cut between characters only if wider than a line
                char_width = pdfmetrics.stringWidth(char, font, size)
                if used + char_width > width and line:
                    lines.append(line)
                    line, used = "", 0.0
                line, used = line + char, used + char_width
        lines.append(line.rstrip())
    return lines


def _rows(rendition: Rendition) -> list[tuple[str, str, str]]:
    """Every row of the table, core rows first, as (label in Chinese, label in English, value)."""
    r = rendition
    until = r.valid_until.isoformat() if r.valid_until else "长期 / long-term"
    issued = r.issued_at.astimezone(dt.UTC) if r.issued_at.tzinfo else r.issued_at
    document = DOCUMENT_NAMES[r.holder_kind]
    return [
        ("证照标识", "Identifier", r.identifier),
        ("证照类型代码", "Certificate type code", r.type_code),
        ("证照编号", "Licence number", r.serial),
        ("版本", "Version", str(r.version)),
        ("持证主体", "Holder", r.holder_name),
        ("证件类型", "ID document", f"{_DOCUMENT_NAMES_ZH[r.holder_kind]} / {document[:1].upper()}{document[1:]}"),
        ("证件号码", "ID number (masked)", r.holder_id_masked),
        ("发证机关", "Issuing authority", r.department_name),
        ("发证机关代码", "Issuing authority's credit code", r.department_code),
        ("证照定义机构代码", "Defining authority code", r.authority_code),
        ("有效期", "Validity", f"{r.valid_from.isoformat()} — {until}"),
        ("签发时间", "Issued at", issued.strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("状态", "Status", _STATUS_NAMES.get(r.status, r.status)),
        *r.fields,
    ]


def _row_lines(row: tuple[str, str, str], font: str, value_width: float) -> list[_Line]:
    """A row as lines: both labels on one line if they fit, else the Chinese lines over the English ones,
    beside the value's lines."""
    label_zh, label_en, value = row
    one_line = pdfmetrics.stringWidth(label_zh, font, TEXT_SIZE) + LABEL_SPACE
    if one_line + pdfmetrics.stringWidth(label_en, font, LABEL_EN_SIZE) <= LABEL_WIDTH:
        labels = [(label_zh, label_en)]
    else:
        labels = [(line, "") for line in _wrap(label_zh, font, TEXT_SIZE, LABEL_WIDTH)]
        labels += [("", line) for line in _wrap(label_en, font, LABEL_EN_SIZE, LABEL_WIDTH)]
    values = _wrap(value, font, TEXT_SIZE, value_width)
    height = max(len(labels), len(values))
    labels += [("", "")] * (height - len(labels))
    values += [""] * (height - len(values))
    return [_Line(zh, en, text) for (zh, en), text in zip(labels, values, strict=True)]


def _paginate(rows: list[list[_Line]], last_page_bottom: float) -> list[list[list[_Line]]]:
    """The rows on pages: each page's rows from TABLE_TOP down to MARGIN, and on the last page down to
    `last_page_bottom` (above the QR code and the seal box). A row moves whole to the next page when it
    fits there; a row taller than a page is split between lines."""
    page_lines = int((TABLE_TOP - MARGIN - 2 * ROW_PADDING) // LEADING)  # the most lines a row has on a page
    pages: list[list[list[_Line]]] = [[]]
    top = TABLE_TOP
    for row in rows:
        while row:
            room = int((top - MARGIN - 2 * ROW_PADDING) // LEADING)
            if len(row) > room and (len(row) <= page_lines or room < 1):
                pages.append([])
                top = TABLE_TOP
                continue
            part, row = row[:room], row[room:]
            pages[-1].append(part)
            top -= len(part) * LEADING + 2 * ROW_PADDING
    if top < last_page_bottom:  # the QR code and the seal need a page of their own
        pages.append([])
    return pages


def _qr_image(payload: str) -> Image.Image:
    """The QR code of `payload` with its quiet zone (error correction M, one fixed mask as pdfseal's stamps),
    QR_PIXELS a module."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, mask_pattern=QR_MASK_PATTERN, border=QR_BORDER
    )
    code.add_data(payload.encode("utf-8"))
    code.make(fit=True)
    matrix = code.get_matrix()
    pixels = b"".join(bytes(row) for row in matrix).translate(_DARK_TO_GREY)
    image = Image.frombytes("L", (len(matrix), len(matrix)), pixels)
    return image.resize((image.width * QR_PIXELS, image.height * QR_PIXELS), Image.Resampling.NEAREST)


def render(rendition: Rendition, font: Path | None = None) -> RenderedPdf:
    """The rendition as a PDF (A4, one TrueType font embedded, `font` or DEFAULT_FONT) and the box on its
    last page that is left free for the seal. Raise FontUnavailable when the font cannot print it."""
    path = font or DEFAULT_FONT
    name = _font(path)
    text_width = PAGE_WIDTH - 2 * MARGIN
    value_x = MARGIN + LABEL_WIDTH + COLUMN_GAP
    rows = _rows(rendition)
    _check_glyphs(
        name, path, [rendition.type_name, SUBTITLE, QR_CAPTION, PAGE_NUMBER, *(t for row in rows for t in row)]
    )
    lines = [_row_lines(row, name, text_width - LABEL_WIDTH - COLUMN_GAP) for row in rows]

    # The last page ends with the QR code over its caption at the left and the seal box at the right.
    qr = _qr_image(rendition.qr_payload)
    qr_size = qr.width / QR_PIXELS * QR_MODULE
    pages = _paginate(lines, MARGIN + max(LEADING + qr_size, SEAL_HEIGHT) + LEADING)

    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1, initialFontName=name, initialFontSize=TEXT_SIZE, lang="zh-CN")
    canvas.setTitle(f"{rendition.type_name} {rendition.identifier}")
    canvas.setAuthor(rendition.department_name)
    canvas.setSubject(f"{SUBTITLE}: {rendition.identifier}")
    for number, page in enumerate(pages, start=1):
        _draw_header(canvas, name, rendition.type_name)
        top = TABLE_TOP
        for row in page:
            top = _draw_row(canvas, name, row, top, value_x)
        _draw_footer(canvas, name, rendition.identifier, number, len(pages))
        if number == len(pages):
            canvas.drawImage(ImageReader(qr), MARGIN, MARGIN + LEADING, qr_size, qr_size)
            canvas.setFont(name, LABEL_EN_SIZE)
            canvas.drawString(MARGIN + QR_BORDER * QR_MODULE, MARGIN + 3, QR_CAPTION)
        canvas.showPage()
    canvas.save()
    seal_box = Placement(len(pages), PAGE_WIDTH - MARGIN - SEAL_WIDTH, MARGIN, SEAL_WIDTH, SEAL_HEIGHT)
    return RenderedPdf(out.getvalue(), seal_box)


def _draw_header(canvas: Canvas, font: str, title: str) -> None:
    """The title (smaller than TITLE_SIZE if that is too wide for the page), the subtitle and a rule."""
    width = canvas.stringWidth(title, font, TITLE_SIZE)
    canvas.setFont(font, TITLE_SIZE * min(1.0, (PAGE_WIDTH - 2 * MARGIN) / width) if width else TITLE_SIZE)
    canvas.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - MARGIN - TITLE_SIZE, title)
    canvas.setFont(font, TEXT_SIZE)
    canvas.setFillGray(GREY)
    canvas.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - MARGIN - 38, SUBTITLE)
    canvas.setFillGray(0)
    canvas.setStrokeGray(0)
    canvas.line(MARGIN, TABLE_TOP, PAGE_WIDTH - MARGIN, TABLE_TOP)


def _draw_row(canvas: Canvas, font: str, row: list[_Line], top: float, value_x: float) -> float:
    """Draw a row's labels, then its value (so that text extractors read the value in one piece); return
    the row's bottom."""
    baseline = top - ROW_PADDING - TEXT_SIZE
    for i, line in enumerate(row):
        if line.label_zh:
            canvas.setFont(font, TEXT_SIZE)
            canvas.drawString(MARGIN, baseline - i * LEADING, line.label_zh)
        if line.label_en:
            x = MARGIN + canvas.stringWidth(line.label_zh, font, TEXT_SIZE) + LABEL_SPACE if line.label_zh else MARGIN
            canvas.setFont(font, LABEL_EN_SIZE)
            canvas.setFillGray(GREY)
            canvas.drawString(x, baseline - i * LEADING, line.label_en)
            canvas.setFillGray(0)
    canvas.setFont(font, TEXT_SIZE)
    for i, line in enumerate(row):
        if line.value:
            canvas.drawString(value_x, baseline - i * LEADING, line.value)
    bottom = top - len(row) * LEADING - 2 * ROW_PADDING
    canvas.setStrokeGray(RULE_GREY)
    canvas.line(MARGIN, bottom, PAGE_WIDTH - MARGIN, bottom)
    return bottom


def _draw_footer(canvas: Canvas, font: str, identifier: str, number: int, pages: int) -> None:
    canvas.setFont(font, LABEL_EN_SIZE)
    canvas.setFillGray(GREY)
    canvas.drawString(MARGIN, FOOTER_Y, identifier)
    canvas.drawRightString(PAGE_WIDTH - MARGIN, FOOTER_Y, PAGE_NUMBER.format(number=number, pages=pages))
    canvas.setFillGray(0)
