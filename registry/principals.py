"""Who acts: an API client with a role, a holder, the operator at the command line, or nobody known."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

HOLDER_ROLE = "holder"


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of a request or command, as the services see it and the access log records it."""

    role: str
    client_id: str | None = None
    department_id: int | None = None
    holder_ref: str | None = None
    holder_name: str | None = None


OPERATOR = Principal(role="operator", client_id="cli")  # someone at the server's command line
ANONYMOUS = Principal(role="anonymous")


def holder_ref(key: str, kind: str, id_number: str) -> str:
    """A keyed hash naming a holder: it finds the holder's rows and cannot be reversed without the key."""
    return hmac.new(key.encode("utf-8"), f"{kind}:{id_number}".encode(), hashlib.sha256).hexdigest()
