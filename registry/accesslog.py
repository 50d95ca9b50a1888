"""The access log: every access and change, appended in the transaction of the action it records.

Entries are the leaves of a Merkle tree in the style of Certificate Transparency (RFC 9162); the
registry signs checkpoints (size, root, time) of it, so a changed, deleted or inserted row shows as a
leaf or root that no longer matches. Entries name the holder only by a keyed hash, never by ID number.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
from collections.abc import Callable, Generator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuers.signing import Signer, sign
from issuers.tsa import TimestampError
from registry.errors import Forbidden, NotFound, RegistryError, Unavailable, ValidationFailed
from registry.models import LogCheckpoint, LogEntry, LogHead, LogNode, utcnow
from registry.principals import HOLDER_ROLE, Principal
from registry.vocabulary import Action, Outcome, Role
from verifiers import formats
from verifiers.checkpoint import verify_checkpoint
from verifiers.errors import InvalidCheckpoint
from verifiers.formats import Checkpoint
from verifiers.logentry import FIELDS, entry_bytes
from verifiers.merkle import Frontier, consistency_path, inclusion_path, leaf_hash, subtree_from_nodes

HEAD_ID = 1


@dataclass(frozen=True, slots=True)
class Event:
    """What happened, to which certificate, why, and how it ended."""

    action: Action | None  # None only for a refusal's subject: the refused endpoint names the action
    certificate: str | None = None
    holder_ref: str | None = None
    subject_department_id: int | None = None
    service_item: str | None = None
    reason: str | None = None
    outcome: Outcome = Outcome.OK
    error_code: str | None = None


log = logging.getLogger(__name__)
LEAF_FORMAT = 2
TILE_WIDTH = 256  # hashes in a full tile (C2SP tlog-tiles)


class EntryMac:
    """HMAC-SHA256 of an entry's leaf bytes, under a key derived from the keystore secret (never stored).

    Anyone with write access to the database can append a row whose leaf is right and rewrite the head
    to match; only the registry can give the row its MAC.
    """

    PURPOSE = b"registry access-log entry MAC"

    def __init__(self, key: bytes) -> None:
        self._key = key

    def of(self, entry: bytes) -> str:
        return hmac.new(self._key, entry, hashlib.sha256).hexdigest()

    def holds(self, entry: bytes, mac: str | None) -> bool:
        return mac is not None and hmac.compare_digest(self.of(entry), mac)


def _current_mac() -> EntryMac:
    from flask import current_app  # the app's key, as models.Sealed finds the app's cipher

    mac: EntryMac = current_app.extensions["registry.log_mac"]
    return mac


def _row_values(entry: LogEntry) -> dict[str, Any]:
    return {k: getattr(entry, k) for k in (*FIELDS, "leaf_format")}


def checkpoint_document(checkpoint: LogCheckpoint, origin: str) -> dict[str, Any]:
    """A checkpoint as the API and `flask audit checkpoint` give it, to be kept outside the registry."""
    root_b64 = base64.b64encode(bytes.fromhex(checkpoint.root_hash)).decode()
    return {
        "origin": origin,
        "size": checkpoint.size,
        "root_hash": checkpoint.root_hash,
        "timestamp": checkpoint.at,
        "checkpoint": f"{origin}\n{checkpoint.size}\n{root_b64}\n",
        "signed": checkpoint.signed,
        "timestamp_token": checkpoint.timestamp_token,
    }


def _frontier(head: LogHead) -> Frontier:
    return Frontier(head.size, [bytes.fromhex(n) for n in head.frontier])


def init_log(session: Session) -> None:
    """Create the log head if there is none (the migration does this; so do tests and benchmarks)."""
    if session.get(LogHead, HEAD_ID) is None:
        session.add(LogHead(id=HEAD_ID, size=0, frontier=[]))
        session.flush()


@dataclass(frozen=True, slots=True)
class InclusionProof:
    index: int
    size: int
    leaf_hash: bytes
    root_hash: bytes
    audit_path: list[bytes]


@dataclass
class AuditReport:
    size: int
    checkpoints_checked: int = 0
    problems: list[str] = field(default_factory=list)
    first_bad_index: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class EntryFilter:
    certificate: str | None = None
    department_id: int | None = None
    action: Action | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    holder_ref: str | None = None


class AccessLog:
    def __init__(self, session: Session, mac: EntryMac | None = None) -> None:
        self._mac = mac
        self.session = session

    def _locked_head(self) -> LogHead:
        # The lock on the head row serialises appenders until they commit: no two entries share an
        # index and none is skipped, however many workers append at once.
        head = self.session.scalar(
            select(LogHead).where(LogHead.id == HEAD_ID).with_for_update().execution_options(populate_existing=True)
        )
        if head is None:
            raise RuntimeError("the access log has no head row: run `flask db upgrade`")
        return head

    def record(self, actor: Principal, events: Sequence[Event]) -> None:
        """Append entries in the current transaction; they commit or roll back with the action."""
        if not events:
            return
        head = self._locked_head()
        frontier = _frontier(head)
        now = utcnow()
        rows, nodes = [], []
        for i, event in enumerate(events):
            values = {
                "idx": head.size + i,
                "at": now,
                "actor_kind": actor.role,
                "actor_id": actor.holder_ref if actor.role == HOLDER_ROLE else actor.client_id,
                "actor_department_id": actor.department_id,
                "action": event.action,
                "certificate": event.certificate,
                "holder_ref": event.holder_ref,
                "subject_department_id": event.subject_department_id,
                "service_item": event.service_item,
                "reason": event.reason,
                "outcome": event.outcome,
                "error_code": event.error_code,
                "leaf_format": LEAF_FORMAT,
            }
            data = entry_bytes(values)
            leaf = leaf_hash(data)
            nodes += [{"level": lv, "idx": at, "hash": node.hex()} for lv, at, node in frontier.append(leaf)]
            values["leaf_hash"] = leaf.hex()
            values["mac"] = self.mac.of(data)
            rows.append(values)
        self.session.execute(insert(LogEntry), rows)
        if nodes:
            self.session.execute(insert(LogNode), nodes)
        head.size = frontier.size
        head.frontier = [n.hex() for n in frontier.nodes]
        self.session.flush()

    def size(self) -> int:
        head = self.session.get(LogHead, HEAD_ID)
        return head.size if head else 0

    def checkpoint(
        self, signer: Signer, origin: str, timestamp: Callable[[bytes], bytes] | None = None
    ) -> LogCheckpoint:
        """The signed checkpoint of the log as it is now, made and stored if this size has none yet.

        With `timestamp`, the signed checkpoint also gets an RFC 3161 token over its bytes: time that does
        not rest on the registry's clock. A TSA that fails leaves the checkpoint without one (logged).
        """
        head = self.session.get(LogHead, HEAD_ID)
        if head is None:
            raise RuntimeError("the access log has no head row: run `flask db upgrade`")
        existing = self.session.get(LogCheckpoint, head.size)
        if existing is not None:
            return existing
        self._check_new_entries(head.size)
        root = _frontier(head).root()
        now = utcnow()
        claims = formats.checkpoint_claims(origin, head.size, root, int(now.timestamp()))
        signed = sign(claims, signer, formats.CHECKPOINT)
        token = None
        if timestamp is not None:
            try:
                token = base64.b64encode(timestamp(signed.encode("ascii"))).decode()
            except (TimestampError, RegistryError) as e:
                log.error("the checkpoint at size %s has no time-stamp token: %s", head.size, e)
        checkpoint = LogCheckpoint(size=head.size, root_hash=root.hex(), at=now, signed=signed, timestamp_token=token)
        try:
            with self.session.begin_nested():
                self.session.add(checkpoint)
        except IntegrityError:
            # Another request signed this size first: theirs is as good as ours.
            return self.session.scalars(select(LogCheckpoint).where(LogCheckpoint.size == head.size)).one()
        return checkpoint

    def tile(self, level: int, index: int, width: int) -> bytes:
        """A C2SP tlog-tiles hash tile: `width` (1 to 256) consecutive hashes of perfect subtrees of height
        8 * level, the first at `index` * 256; NotFound unless the log already holds all of them. A tile
        never changes once it can be served, so it may be cached for ever."""
        height, first = 8 * level, index * TILE_WIDTH
        if not (0 <= level < 64 and 1 <= width <= TILE_WIDTH and index >= 0):
            raise NotFound("no such tile", code="TILE_NOT_FOUND")
        if first + width > self.size() >> height:
            raise NotFound(f"the log has no tile {level}/{index} of width {width} yet", code="TILE_NOT_FOUND")
        if height == 0:
            query = select(LogEntry.leaf_hash).where(LogEntry.idx >= first, LogEntry.idx < first + width)
            hashes = list(self.session.scalars(query.order_by(LogEntry.idx)))
        else:
            query = select(LogNode.hash).where(
                LogNode.level == height, LogNode.idx >= first, LogNode.idx < first + width
            )
            hashes = list(self.session.scalars(query.order_by(LogNode.idx)))
        if len(hashes) != width:
            raise RuntimeError(f"the access log lacks hashes of tile {level}/{index}: run `flask audit verify`")
        return b"".join(bytes.fromhex(h) for h in hashes)

    def stored_checkpoint(self, size: int) -> LogCheckpoint:
        """The checkpoint signed at `size`; raise NotFound if none was."""
        checkpoint = self.session.get(LogCheckpoint, size)
        if checkpoint is None:
            raise NotFound(f"no checkpoint was signed at size {size}", code="CHECKPOINT_NOT_FOUND")
        return checkpoint

    @property
    def mac(self) -> EntryMac:
        if self._mac is None:
            self._mac = _current_mac()
        return self._mac

    def _check_new_entries(self, size: int) -> None:
        """Refuse to sign over entries the registry did not write: every entry since the last checkpoint
        must give its leaf and carry its MAC, and the entries must end where the head says."""
        signed = self.session.scalar(select(func.max(LogCheckpoint.size)).where(LogCheckpoint.size <= size)) or 0
        query = select(LogEntry).where(LogEntry.idx >= signed).order_by(LogEntry.idx)
        expected = signed
        for entry in self.session.scalars(query):
            data = entry_bytes(_row_values(entry))
            written = entry.mac is not None or entry.leaf_format >= 2
            if (
                entry.idx != expected
                or leaf_hash(data).hex() != entry.leaf_hash
                or (written and not self.mac.holds(data, entry.mac))
            ):
                log.error("access log entry %s fails its leaf or MAC: no checkpoint is signed over it", entry.idx)
                raise Unavailable(
                    "the access log fails its integrity check; the operator must run `flask audit verify`",
                    code="LOG_INTEGRITY",
                )
            expected += 1
        if expected != size:
            log.error("the access log head counts %s entries and the rows %s: no checkpoint is signed", size, expected)
            raise Unavailable(
                "the access log fails its integrity check; the operator must run `flask audit verify`",
                code="LOG_INTEGRITY",
            )

    def _subtree(self, size: int) -> Callable[[int, int], bytes]:
        """Subtree hashes of the first `size` entries from the stored perfect subtrees: O(log n) rows each."""
        if not 0 < size <= self.size():
            raise ValidationFailed(f"the log has {self.size()} entries", code="BAD_TREE_SIZE")
        found: dict[tuple[int, int], bytes] = {}

        def node(level: int, index: int) -> bytes:
            if (level, index) not in found:
                if level == 0:
                    stored = self.session.scalar(select(LogEntry.leaf_hash).where(LogEntry.idx == index))
                else:
                    stored = self.session.scalar(
                        select(LogNode.hash).where(LogNode.level == level, LogNode.idx == index)
                    )
                if stored is None:
                    raise RuntimeError(f"the access log has no node ({level}, {index}): run `flask audit verify`")
                found[(level, index)] = bytes.fromhex(stored)
            return found[(level, index)]

        return subtree_from_nodes(node)

    def inclusions(self, indexes: Sequence[int], size: int) -> list[InclusionProof]:
        """The audit paths of entries in the tree of the first `size` entries (RFC 9162 2.1.3)."""
        subtree = self._subtree(size)
        root = subtree(0, size)
        proofs = []
        for index in indexes:
            if not 0 <= index < size:
                raise ValidationFailed(f"index {index} is not in a tree of {size}", code="BAD_LEAF_INDEX")
            path = inclusion_path(index, size, subtree)
            proofs.append(InclusionProof(index, size, subtree(index, index + 1), root, path))
        return proofs

    def consistency(self, old: int, new: int) -> list[bytes]:
        if not 0 < old <= new:
            raise ValidationFailed("0 < old <= new", code="BAD_TREE_SIZE")
        return consistency_path(old, new, self._subtree(new))

    def entries(self, filters: EntryFilter, *, limit: int, before: int | None) -> list[LogEntry]:
        """Entries newest first, before the cursor `before` (an index)."""
        query: Select[tuple[LogEntry]] = select(LogEntry)
        if filters.certificate:
            query = query.where(LogEntry.certificate == filters.certificate)
        if filters.department_id is not None:
            query = query.where(LogEntry.subject_department_id == filters.department_id)
        if filters.holder_ref:
            query = query.where(LogEntry.holder_ref == filters.holder_ref)
        if filters.action:
            query = query.where(LogEntry.action == filters.action)
        if filters.since:
            query = query.where(LogEntry.at >= filters.since)
        if filters.until:
            query = query.where(LogEntry.at < filters.until)
        if before is not None:
            query = query.where(LogEntry.idx < before)
        return list(self.session.scalars(query.order_by(LogEntry.idx.desc()).limit(limit)))

    def visible_filter(self, principal: Principal, requested: EntryFilter) -> EntryFilter:
        """Narrow a query to what the principal may see: a department the certificates it issued."""
        if principal.role == Role.ADMIN:
            return requested
        if principal.role == Role.ISSUER:
            if requested.department_id not in (None, principal.department_id):
                raise NotFound("no entries of another department that you may read", code="ENTRIES_NOT_FOUND")
            return EntryFilter(
                requested.certificate, principal.department_id, requested.action, requested.since, requested.until
            )
        raise Forbidden("this role has no view of the log", code="ROLE_NOT_PERMITTED")

    def _stream(self) -> Generator[LogEntry]:
        """All entries in index order, fetched in chunks; close it to release the server-side cursor."""
        result = self.session.scalars(select(LogEntry).order_by(LogEntry.idx).execution_options(yield_per=5000))
        try:
            yield from result
        finally:
            result.close()

    def audit(self, jwks: dict[str, Any], external: str | None = None) -> AuditReport:
        """Recompute the tree from the stored entries and check it against every signed checkpoint.

        Names the first entry that was changed, deleted or inserted. `external` is a checkpoint kept
        outside the database: a database restored to an older state cannot match it.
        """
        head = self.session.get(LogHead, HEAD_ID)
        size = head.size if head else 0
        report = AuditReport(size=size)

        def problem(index: int | None, text: str) -> None:
            report.problems.append(text)
            if index is not None and (report.first_bad_index is None or index < report.first_bad_index):
                report.first_bad_index = index

        # 1. Every checkpoint's signature, the stored ones and the one kept outside.
        checkpoints: list[tuple[str, Checkpoint]] = []
        for row in self.session.scalars(select(LogCheckpoint).order_by(LogCheckpoint.size)):
            try:
                checked = verify_checkpoint(row.signed, jwks)
            except InvalidCheckpoint as e:
                problem(None, f"the checkpoint stored at size {row.size} does not verify: {e}")
                continue
            if checked.size != row.size or checked.root_hash.hex() != row.root_hash:
                problem(None, f"the checkpoint stored at size {row.size} differs from what was signed")
            checkpoints.append((f"the checkpoint signed at {checked.issued_at:%Y-%m-%d %H:%M:%S} UTC", checked))
        if external is not None:
            checkpoints.append(("the checkpoint kept outside", verify_checkpoint(external, jwks)))
        wanted = {c.size for _, c in checkpoints}

        # 2. The entries, in index order: gaps, strays, leaves that their fields no longer give, rows the
        # registry did not write (no valid MAC), and times that go backwards.
        roots: dict[int, bytes] = {0: Frontier().root()}
        frontier = Frontier()
        expected = 0
        previous_at: dt.datetime | None = None
        seen_format = 0
        with closing(self._stream()) as stream:
            for entry in stream:
                if entry.idx < expected or entry.idx >= size:
                    problem(entry.idx, f"entry {entry.idx} was inserted: it is outside the log's {size} entries")
                    continue
                if entry.idx > expected:
                    problem(expected, f"entry {expected} was deleted")
                    return report  # nothing after a gap can match anything signed
                data = entry_bytes(_row_values(entry))
                leaf = leaf_hash(data)
                if leaf.hex() != entry.leaf_hash:
                    problem(entry.idx, f"entry {entry.idx} was changed: its fields no longer give its leaf hash")
                if entry.mac is not None or entry.leaf_format >= 2:
                    if not self.mac.holds(data, entry.mac):
                        problem(
                            entry.idx,
                            f"entry {entry.idx} has no valid MAC: the registry did not write it as it is "
                            "(changed, renumbered, or written by someone else)",
                        )
                elif seen_format >= 2:
                    problem(entry.idx, f"entry {entry.idx} claims the old format without a MAC, after newer entries")
                seen_format = max(seen_format, entry.leaf_format)
                at = entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=dt.UTC)
                if previous_at is not None and at < previous_at:
                    problem(entry.idx, f"entry {entry.idx} is dated {at:%Y-%m-%d %H:%M:%S}, before the entry before it")
                previous_at = at
                frontier.append(leaf)
                expected += 1
                if expected in wanted:
                    roots[expected] = frontier.root()
        if expected < size:
            problem(expected, f"entry {expected} was deleted: the log head counts {size} entries")

        # 3. The recomputed tree against every checkpoint and against the head.
        for source, checked in checkpoints:
            report.checkpoints_checked += 1
            if checked.size > expected:
                problem(
                    expected,
                    f"{source} counts {checked.size} entries and the database {expected}: entries were "
                    "deleted or the database was restored to an older state",
                )
            elif roots[checked.size] != checked.root_hash:
                problem(None, f"the first {checked.size} entries no longer give the root of {source}")
        if head is not None:
            try:
                head_root = _frontier(head).root()
            except (ValueError, TypeError) as e:
                problem(None, f"the log head is damaged: {e}")
            else:
                if head_root != frontier.root():
                    problem(None, "the log head's root differs from the root of the entries")
        return report
