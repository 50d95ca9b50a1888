"""The compact signed form for QR codes: the core claims only, small enough for a QR code of version 15.

An SD-JWT carries a digest per field and does not fit. This token carries the identifier (without its
fixed root: it names type and issuer), the holder's display name, validity and the status slot, signed
by the same seal at issuance. It has no kid: the verifier tries the seals of the department that the
identifier names. Its claims, short to save bytes:

    jti  identifier without "1.2.156.3005.2."    nm   holder display name (at most 12 characters)
    iat  signing time, and start of validity unless nbf is given    nbf, exp   validity
    st   [status list number, index]
"""

from __future__ import annotations

from typing import Any

from issuers.identifiers import ROOT
from issuers.signing import Signer, jws_encode

TYP = "qr+jwt"
MAX_NAME = 12


def display_name(name: str) -> str:
    return name if len(name) <= MAX_NAME else name[: MAX_NAME - 1] + "…"


def issue_compact(
    identifier: str,
    holder_name: str,
    issued_at: int,
    valid_from: int,
    valid_until: int | None,
    status_slot: tuple[int, int],
    signer: Signer,
) -> str:
    claims: dict[str, Any] = {
        "jti": identifier.removeprefix(ROOT + "."),
        "nm": display_name(holder_name),
        "iat": issued_at,
    }
    if valid_from != issued_at:
        claims["nbf"] = valid_from
    if valid_until is not None:
        claims["exp"] = valid_until
    claims["st"] = list(status_slot)
    return jws_encode(claims, signer, TYP, with_kid=False)
