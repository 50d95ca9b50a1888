"""Keeping personal data sealed with the newest data key: re-seal what an older key, or none, sealed."""

from __future__ import annotations

from sqlalchemy import Text, or_, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from issuers.atrest import PREFIX, Cipher
from registry.models import Certificate

SEALED_COLUMNS = ("signed_form", "fields")


def reseal(session: Session, cipher: Cipher, *, after: int = 0, limit: int = 500) -> tuple[int, int | None]:
    """Re-seal, with the newest data key, the certificates after id `after` (a page of `limit`) whose
    personal columns are plain or sealed with an older key. Return how many, and the next page's cursor."""
    key_id, _ = cipher.keys.newest()
    current = f"{PREFIX}{key_id}:%"
    # Compare the stored text itself, not what the column type would make of a bound value.
    stale = or_(*(type_coerce(getattr(Certificate, c), Text).not_like(current) for c in SEALED_COLUMNS))
    page = list(
        session.scalars(select(Certificate).where(Certificate.id > after, stale).order_by(Certificate.id).limit(limit))
    )
    for certificate in page:
        for column in SEALED_COLUMNS:
            flag_modified(certificate, column)
    session.flush()
    return len(page), (page[-1].id if len(page) == limit else None)
