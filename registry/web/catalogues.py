"""Compile the pages' message catalogues (`.po`, kept in git) into what Flask-Babel reads (`.mo`, built).

`python -m registry.web.catalogues` (run by `make`) compiles every catalogue that is missing or older
than its source, and fails on a catalogue with an error, so a broken translation never ships silently.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from registry.web.i18n import CATALOGUES, ROOT


def sources() -> list[Path]:
    return sorted(p for folder in CATALOGUES for p in (ROOT / folder).glob("*/LC_MESSAGES/messages.po"))


def compile_catalogues() -> list[Path]:
    """Compile the stale catalogues; return the ones compiled."""
    compiled = []
    for po in sources():
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as f:
            catalog = read_po(f, abort_invalid=True)
        errors = [(message.id, error) for message, errs in catalog.check() for error in errs]
        if errors:
            raise SystemExit(f"{po}: {errors[:3]}")
        with mo.open("wb") as f:
            write_mo(f, catalog, use_fuzzy=False)
        compiled.append(po)
    return compiled


if __name__ == "__main__":
    done = compile_catalogues()
    print(f"compiled {len(done)} message catalogue(s)", file=sys.stderr)
