"""The compact signed form for QR codes: the core claims only, small enough for a QR code of version 15.

An SD-JWT carries a digest per field and does not fit. This token carries the identifier (without its
fixed root: it names type and issuer), the holder's display name, validity and the status slot, signed
by the same seal at issuance. It has no kid: the verifier tries the seals of the department that the
identifier names. Its claims are defined in `verifiers.formats.compact_claims`.
"""

from __future__ import annotations

from issuers.signing import Signer, sign
from verifiers import formats


def issue_compact(
    identifier: str,
    holder_name: str,
    issued_at: int,
    valid_from: int,
    valid_until: int | None,
    status_slot: tuple[int, int],
    signer: Signer,
) -> str:
    claims = formats.compact_claims(identifier, holder_name, issued_at, valid_from, valid_until, status_slot)
    return sign(claims, signer, formats.COMPACT)
