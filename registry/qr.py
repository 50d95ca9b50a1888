"""QR codes of certificates: the URL of the public verification page with a signed form in it.

Rendering is slow in pure Python, most of it spent trying the eight mask patterns; one fixed pattern
is as readable and several times faster. Codes are rendered on demand, never at issuance, and kept in
memory by content, so a repeated request costs no rendering.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

import qrcode
import qrcode.constants
from qrcode.image.svg import SvgPathImage

MASK_PATTERN = 2
BOX_SIZE = 8
BORDER = 4
FORMATS = ("png", "svg")


@dataclass(frozen=True, slots=True)
class RenderedQr:
    content: bytes
    mimetype: str
    version: int


def verification_url(issuer: str, presented: str) -> str:
    return f"{issuer}/v/{presented}"


@functools.lru_cache(maxsize=2048)
def render(text: str, fmt: str) -> RenderedQr:
    """The QR code of `text` at error correction M, as PNG or SVG."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=BOX_SIZE, border=BORDER, mask_pattern=MASK_PATTERN
    )
    code.add_data(text.encode("utf-8"))
    code.make(fit=True)
    out = io.BytesIO()
    if fmt == "svg":
        code.make_image(image_factory=SvgPathImage).save(out)
        return RenderedQr(out.getvalue(), "image/svg+xml", code.version)
    code.make_image().save(out, format="PNG")
    return RenderedQr(out.getvalue(), "image/png", code.version)
