"""The picture of an electronic seal: a red ring with a star, as GB/T 38540 seals show, drawn when a seal
is made without one. A department may replace it with its own PNG."""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw, ImageFont

SEAL_RED = (200, 16, 32, 255)
MAX_PICTURE_BYTES = 1_000_000
MAX_PICTURE_SIDE = 2000


class InvalidPicture(ValueError):
    """Not a PNG, or too large to be a seal's picture."""


def draw_seal(credit_code: str, size: int = 360) -> bytes:
    """A PNG of a round red seal with a star in the middle and the credit code under it (transparent ground)."""
    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    ring = size // 28
    draw.ellipse((ring, ring, size - ring, size - ring), outline=SEAL_RED, width=ring)
    centre, outer, inner = size / 2, size * 0.2, size * 0.08
    star = [
        (
            centre + (outer if i % 2 == 0 else inner) * math.sin(i * math.pi / 5),
            centre * 0.9 - (outer if i % 2 == 0 else inner) * math.cos(i * math.pi / 5),
        )
        for i in range(10)
    ]
    draw.polygon(star, fill=SEAL_RED)
    font = ImageFont.load_default(size=size // 19)
    draw.text((centre, size * 0.72), credit_code, fill=SEAL_RED, font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def check_picture(data: bytes) -> bytes:
    """Return `data` if it is a PNG of sensible size for a seal; raise InvalidPicture."""
    if len(data) > MAX_PICTURE_BYTES:
        raise InvalidPicture(f"a seal's picture is at most {MAX_PICTURE_BYTES} bytes")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG":
                raise InvalidPicture("a seal's picture is a PNG")
            if max(image.size) > MAX_PICTURE_SIDE:
                raise InvalidPicture(f"a seal's picture is at most {MAX_PICTURE_SIDE} pixels a side")
            image.verify()
    except (OSError, SyntaxError) as e:
        raise InvalidPicture("not a readable PNG") from e
    return data
