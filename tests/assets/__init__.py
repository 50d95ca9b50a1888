"""Golden files: frozen tokens of every signed format (see make_assets.py), and a reader for them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
ISSUER = "https://registry.example"
T0 = 1_764_460_800
NOW = T0 + 3600  # every golden token is checked as of this time
COMPROMISED_AT = T0 + 100
LIST = f"{ISSUER}/api/v1/status-lists/1"


def text(name: str) -> str:
    return (HERE / name).read_text().strip()


def jwks() -> dict[str, Any]:
    return dict(json.loads((HERE / "jwks.json").read_text()))


def identifiers() -> dict[str, Any]:
    return dict(json.loads((HERE / "identifiers.json").read_text()))


def status_lists(revocation: str = "status-revocation.jwt") -> dict[str, str]:
    return {f"{LIST}/revocation": text(revocation), f"{LIST}/suspension": text("status-suspension.jwt")}
