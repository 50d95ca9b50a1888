"""Status lists in the form of the W3C Bitstring Status List: slots for certificates, signed publication.

Each certificate gets a slot (list number, index) at issuance and carries it in its signed form. The
bits are not stored: they are derived from the certificates' statuses when a list is published, so a
change shows the moment it commits. Two purposes share each list's slots: revocation (revoked or
superseded) and suspension. Verifiers fetch whole lists, so the registry never learns which
certificate they check.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from issuers.signing import Signer, sign
from registry.errors import NotFound
from registry.models import Certificate, Stamp, StatusList, utcnow
from registry.vocabulary import CertificateStatus, StampStatus
from verifiers import formats
from verifiers.formats import status_list_url

LIST_SIZE = 131_072  # 2^17 bits, 16 KiB: each certificate hides among as many others
PURPOSES = {
    "revocation": (CertificateStatus.REVOKED, CertificateStatus.SUPERSEDED),
    "suspension": (CertificateStatus.SUSPENDED,),
}
assert tuple(PURPOSES) == formats.STATUS_PURPOSES


def encode_bits(indexes: list[int], size: int = LIST_SIZE) -> str:
    """Set bits at `indexes` (index 0 the left-most bit), gzip, and encode as multibase base64url."""
    bits = bytearray(size // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


class StatusLists:
    def __init__(self, session: Session) -> None:
        self.session = session

    def allocate(self, count: int) -> list[tuple[int, int]]:
        """Hand out `count` slots, under a lock on the list being filled, opening new lists as they fill."""
        slots: list[tuple[int, int]] = []
        while len(slots) < count:
            current = self.session.scalar(
                select(StatusList)
                .where(StatusList.allocated < StatusList.size)
                .order_by(StatusList.id.desc())
                .limit(1)
                .with_for_update()
            )
            if current is None:
                current = self._open_list()
            take = min(count - len(slots), current.size - current.allocated)
            for counter in range(current.allocated, current.allocated + take):
                slots.append((current.id, (current.multiplier * counter + current.start) % current.size))
            current.allocated += take
            self.session.flush()
        return slots

    def _open_list(self) -> StatusList:
        last = self.session.scalar(select(StatusList.id).order_by(StatusList.id.desc()).limit(1))
        status_list = StatusList(
            id=(last or 0) + 1,
            size=LIST_SIZE,
            allocated=0,
            # Odd, so a permutation modulo 2^17; and between a quarter and three quarters of the list, so
            # that neighbours in time land far apart (a small one left 50 slots in order about 1% of the time).
            multiplier=(LIST_SIZE // 4 + secrets.randbelow(LIST_SIZE // 2)) | 1,
            start=secrets.randbelow(LIST_SIZE),
            version=0,
        )
        self.session.add(status_list)
        self.session.flush()
        return status_list

    def changed(self, number: int | None) -> None:
        """Note that a certificate of list `number` changed status (cached publications go stale)."""
        if number is not None:
            statement = update(StatusList).where(StatusList.id == number).values(version=StatusList.version + 1)
            self.session.execute(statement)

    def numbers(self) -> list[int]:
        return list(self.session.scalars(select(StatusList.id).order_by(StatusList.id)))

    def find(self, number: int) -> StatusList | None:
        """Return status list `number`, or None."""
        return self.session.get(StatusList, number)

    def get(self, number: int) -> StatusList:
        """Return status list `number`; raise NotFound."""
        status_list = self.find(number)
        if status_list is None:
            raise NotFound(f"no status list {number}", code="STATUS_LIST_NOT_FOUND")
        return status_list

    def set_indexes(self, number: int, purpose: str) -> list[int]:
        """The slots of list `number` whose bit is set for `purpose`: certificates, and for revocation stamps."""
        query = select(Certificate.status_idx).where(
            Certificate.status_list == number, Certificate.status.in_(PURPOSES[purpose])
        )
        indexes = [i for i in self.session.scalars(query) if i is not None]
        if purpose == "revocation":
            stamps = select(Stamp.status_idx).where(Stamp.status_list == number, Stamp.status == StampStatus.REVOKED)
            indexes += self.session.scalars(stamps)
        return indexes


@dataclass(frozen=True, slots=True)
class Published:
    version: int
    expires: dt.datetime
    token: str


class StatusListPublisher:
    """Signs status lists, and keeps each signed list until its list changes or it nears its expiry."""

    def __init__(self, issuer: str, ttl: int) -> None:
        self.issuer = issuer
        self.ttl = ttl
        self._cache: dict[tuple[int, str], Published] = {}
        self._lock = threading.Lock()

    def signed(self, lists: StatusLists, status_list: StatusList, purpose: str, signer: Callable[[], Signer]) -> str:
        """The signed list of `purpose`: the kept copy while its list is unchanged and far from expiry.

        `signer` is called only when a list must be signed anew.
        """
        if purpose not in PURPOSES:
            raise NotFound(f"no status purpose {purpose}", code="STATUS_LIST_NOT_FOUND")
        number, version = status_list.id, status_list.version
        now = utcnow()
        with self._lock:
            cached = self._cache.get((number, purpose))
        if cached and cached.version == version and cached.expires - now > dt.timedelta(seconds=self.ttl / 2):
            return cached.token
        url = f"{status_list_url(self.issuer, number)}/{purpose}"
        expires = now + dt.timedelta(seconds=self.ttl)
        encoded = encode_bits(lists.set_indexes(number, purpose))
        claims = formats.status_list_claims(
            issuer=self.issuer, url=url, purpose=purpose, encoded_list=encoded, issued_at=now, expires=expires
        )
        token = sign(claims, signer(), formats.STATUS_LIST)
        with self._lock:
            self._cache[(number, purpose)] = Published(version, expires, token)
        return token
