"""Export: every record that is due and not yet filed becomes an archival package, with its evidence.

Incremental and resumable: a record is filed once its package is on disk (written aside, renamed, flushed)
and its filing row and `record:file` log entry are committed, in batches. A run killed at any moment
leaves packages that are either complete or aside (removed on the next run), and records that are either
filed or not; the next run writes the unfiled ones again, under the same names and ordinals, so nothing is
filed twice. The package layout is `verifiers.archive`'s, which checks it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from issuers.pdfseal import PdfRejected, read_stamps
from registry.accesslog import AccessLog, Event
from registry.archive.package import FORMAT, PackageContents, remove_partials, write_package
from registry.archive.records import (
    FilingScope,
    Record,
    certificate_retention_start,
    document_retention_start,
    retention_until,
)
from registry.archive.store import DocumentStore
from registry.errors import Conflict, RegistryError
from registry.models import Certificate, CertificateType, Document, Filing, LogEntry, Seal, Stamp, utcnow
from registry.principals import Principal
from registry.sealcerts import SealCertificates
from registry.vocabulary import Action, Outcome, RecordKind
from verifiers.logentry import FIELDS

log = logging.getLogger(__name__)
BATCH = 50
JOURNAL = ".export-journal"  # the packages of the batch being written, until it is recorded
LOCK = ".export-lock"  # held by the export writing into the folder
LIFECYCLE = (
    Action.CERTIFICATE_ISSUE,
    Action.CERTIFICATE_SUSPEND,
    Action.CERTIFICATE_REINSTATE,
    Action.CERTIFICATE_REVOKE,
    Action.CERTIFICATE_AMEND,
    Action.CERTIFICATE_SUPERSEDE,
    Action.CERTIFICATE_REIDENTIFY,
)
DOCUMENT_LIFECYCLE = (Action.STAMP_CREATE, Action.STAMP_REVOKE, Action.DOCUMENT_DEPOSIT)


@dataclass(frozen=True, slots=True)
class Evidence:
    """What every package of one export carries to be checked offline: the same for all of them."""

    bundle: str  # the signed verifier bundle
    ca_pem: bytes
    crl_der: bytes
    checkpoint: dict[str, Any]  # the signed checkpoint document (registry.accesslog.checkpoint_document)
    origin: str


@dataclass
class ExportReport:
    filed: int = 0
    removed_partials: int = 0
    packages: list[Path] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # identifier, why it was not filed


class Exporter:
    def __init__(
        self,
        session: Session,
        *,
        certs: SealCertificates,
        store: DocumentStore,
        rendition: Callable[[Certificate], bytes],
        evidence: Callable[[], Evidence],
    ) -> None:
        """`rendition` gives a certificate's sealed printable PDF; `evidence` makes the export's evidence."""
        self.session = session
        self.certs = certs
        self.store = store
        self.rendition = rendition
        self.evidence = evidence
        self.log = AccessLog(session)
        self.scope = FilingScope(session)
        self._chains: dict[str, bytes] = {}

    def due_count(self) -> int:
        return self.scope.count_unfiled()

    def run(
        self,
        out: Path,
        *,
        actor: Principal,
        limit: int | None = None,
        batch: int = BATCH,
        progress: Callable[[int], None] | None = None,
    ) -> ExportReport:
        """File up to `limit` due records into `out`; `progress(n)` is called as each batch of n is filed.

        One export at a time writes into a folder (a lock file; Conflict EXPORT_RUNNING otherwise). A record
        that cannot be packaged (its stored document damaged, say) is reported in `failed` and left unfiled;
        the others are filed.
        """
        out.mkdir(parents=True, exist_ok=True)
        with _exclusive(out / LOCK):
            return self._run(out, actor, limit, batch, progress)

    def _run(
        self,
        out: Path,
        actor: Principal,
        limit: int | None,
        batch: int,
        progress: Callable[[int], None] | None,
    ) -> ExportReport:
        report = ExportReport(removed_partials=remove_partials(out) + self._undo_unrecorded(out))
        evidence = self.evidence()
        self.session.commit()  # the checkpoint the evidence signed is stored before any package names it
        ordinals: dict[str, int] = {}
        pending: list[tuple[Record, Filing]] = []
        for record in self.scope.unfiled():
            if limit is not None and report.filed + len(pending) >= limit:
                break
            ordinal = ordinals.get(record.series) or self._last_ordinal(record.series)
            try:
                with self.session.begin_nested():  # a rendition sealed for a record that fails is undone too
                    contents = self.contents(record, ordinal + 1, evidence)
            except (RegistryError, ValueError) as e:
                log.error("%s %s was not filed: %s", record.kind, record.identifier, e)
                report.failed.append((record.identifier, str(e)))
                continue
            ordinals[record.series] = ordinal + 1
            with (out / JOURNAL).open("a", encoding="utf-8") as journal:
                journal.write(f"{record.series}/{contents.name}\n")
            written = write_package(contents, out / record.series)
            now = utcnow()
            filing = Filing(
                record_kind=record.kind,
                record_id=record.id,
                identifier=record.identifier,
                department_id=record.department.id,
                service_item_id=record.item.id,
                series=record.series,
                ordinal=ordinal + 1,
                due_at=record.due_at,
                deadline_at=record.deadline,
                filed_at=now,
                package=str(written.path.relative_to(out)),
                package_sha256=written.sha256,
            )
            pending.append((record, filing))
            report.packages.append(written.path)
            if len(pending) >= batch:
                report.filed += self._commit(out, pending, actor, progress)
        report.filed += self._commit(out, pending, actor, progress)
        return report

    def _undo_unrecorded(self, out: Path) -> int:
        """Remove the packages an interrupted run wrote but did not record as filed (its journal lists them):
        the records are filed again, perhaps under other ordinals, and no stale package may keep one."""
        journal = out / JOURNAL
        if not journal.exists():
            return 0
        removed = 0
        for line in journal.read_text(encoding="utf-8").splitlines():
            recorded = self.session.scalar(select(Filing.id).where(Filing.package == line))
            package = out / line
            if recorded is None and line and package.resolve().is_relative_to(out.resolve()) and package.exists():
                shutil.rmtree(package)
                removed += 1
        journal.unlink()
        return removed

    def _last_ordinal(self, series: str) -> int:
        return (
            self.session.scalar(select(func.coalesce(func.max(Filing.ordinal), 0)).where(Filing.series == series)) or 0
        )

    def _commit(
        self,
        out: Path,
        pending: list[tuple[Record, Filing]],
        actor: Principal,
        progress: Callable[[int], None] | None,
    ) -> int:
        """Record a batch as filed, once its packages are on disk; then forget the batch's journal."""
        if not pending:
            return 0
        os.sync()  # the packages reach the disk before the rows that say they exist
        events = []
        for record, filing in pending:
            self.session.add(filing)
            events.append(
                Event(
                    Action.RECORD_FILE,
                    certificate=record.identifier if record.kind == RecordKind.CERTIFICATE else None,
                    subject_department_id=record.department.id,
                    service_item=record.item.code,
                    reason=f"{record.kind} {record.identifier} filed as {filing.package} ({filing.package_sha256})"[
                        :500
                    ],
                )
            )
        self.session.flush()
        self.log.record(actor, events)
        self.session.commit()
        (out / JOURNAL).unlink(missing_ok=True)
        count = len(pending)
        pending.clear()
        if progress is not None:
            progress(count)
        return count

    # What goes into a package -------------------------------------------------------------------

    def contents(self, record: Record, ordinal: int, evidence: Evidence) -> PackageContents:
        if record.kind == RecordKind.CERTIFICATE:
            certificate = self.session.get_one(Certificate, record.id)
            files, described, start = self._certificate_files(certificate, record, evidence)
            name = f"certificate-{record.identifier}"
        else:
            document = self.session.get_one(Document, record.id)
            files, described, start = self._document_files(document, record, evidence)
            name = f"document-{record.identifier}"
        until = retention_until(record.item, start)
        years = record.item.retention_years
        metadata = {
            "format": FORMAT,
            "record": described,
            "archival": {
                "category": record.item.archive_category,
                "retention": {"years": years, "event": record.item.retention_event, "until": _iso(until)},
                "filing_date": _iso(utcnow()),
                "series": record.series,
                "ordinal": ordinal,
                "department": record.department.credit_code,
                "service_item": record.item.code,
                "filing_deadline": _iso(record.deadline),
            },
        }
        files["metadata.json"] = _json(metadata)
        files["evidence/bundle.jwt"] = evidence.bundle.encode("ascii")
        files["evidence/ca.pem"] = evidence.ca_pem
        files["evidence/ca.crl"] = evidence.crl_der
        bag_info = {
            "Source-Organization": record.department.name,
            "External-Identifier": record.identifier,
            "External-Description": f"{record.kind} filed for service item {record.item.code} ({record.item.name})",
            "Bagging-Date": utcnow().date().isoformat(),
            "Record-Kind": str(record.kind),
            "Archive-Category": record.item.archive_category or "",
            "Retention-Period": "permanent" if years is None else f"{years} years",
        }
        return PackageContents(name, record.series, ordinal, self._series_total(record), bag_info, files)

    def _certificate_files(
        self, certificate: Certificate, record: Record, evidence: Evidence
    ) -> tuple[dict[str, bytes], dict[str, Any], dt.datetime | None]:
        assert certificate.signed_form is not None, "a disposed certificate is never due"
        rendition = self.rendition(certificate)
        # The seal that signed the certificate, and the one that sealed its rendition: after a rotation,
        # the department's newer seal.
        sealed_by = self.session.scalar(
            select(Stamp.seal_kid).where(Stamp.stamped_sha256 == hashlib.sha256(rendition).hexdigest()).limit(1)
        )
        files = {
            "record/certificate.sd-jwt": certificate.signed_form.encode("ascii"),
            "record/rendition.pdf": rendition,
            "evidence/seal-chain.pem": self._chains_of(certificate.seal_kid, sealed_by),
        }
        if certificate.compact_form:
            files["record/certificate-compact.jwt"] = certificate.compact_form.encode("ascii")
        history = self._entries(LogEntry.certificate == certificate.identifier, LIFECYCLE)
        files["evidence/log.json"] = self._log_json(LogEntry.certificate == certificate.identifier, evidence)
        described = {
            "kind": RecordKind.CERTIFICATE,
            "identifier": certificate.identifier,
            "type": {"code": certificate.type.code, "name": certificate.type.name},
            "licence_number": certificate.serial,
            "version": certificate.version,
            "issuing_authority": {
                "credit_code": certificate.department.credit_code,
                "name": certificate.department.name,
            },
            "defining_authority": certificate.type.defining_authority,
            "holder": {
                "kind": certificate.holder_kind,
                "name": certificate.holder_name,
                "id_masked": certificate.holder_id_masked,
            },
            # As signed (iat, nbf, exp): whole seconds.
            "issued_at": _iso(_seconds(certificate.issued_at)),
            "valid_from": _iso(_seconds(certificate.valid_from)),
            "valid_until": _iso(_seconds(certificate.valid_until)),
            "area_code": certificate.department.credit_code[2:8],
            "service_item": {"code": record.item.code, "name": record.item.name},
            "status": certificate.status_at(utcnow()),
            "status_history": history,
            "fields": certificate.fields,
        }
        return files, described, certificate_retention_start(self.session, record.item, certificate)

    def _document_files(
        self, document: Document, record: Record, evidence: Evidence
    ) -> tuple[dict[str, bytes], dict[str, Any], dt.datetime | None]:
        files = {"record/document.pdf": self.store.get(document.sha256)}
        stamp = document.stamp
        stamp_described = None
        about = [LogEntry.reason.like(f"document {document.reference}%")]
        if stamp is not None:
            about.append(LogEntry.reason.like(f"stamp {stamp.reference} %"))
            if stamp.signed:
                files["record/stamp.jwt"] = stamp.signed.encode("ascii")
            files["evidence/seal-chain.pem"] = self._chains_of(stamp.seal_kid, *self._co_stamps(files))
            stamp_described = {
                "reference": stamp.reference,
                "kind": stamp.kind,
                "seal_kid": stamp.seal_kid,
                "stamped_at": _iso(stamp.stamped_at),
                "status": stamp.status,
            }
        files["evidence/log.json"] = self._log_json(or_(*about), evidence)
        described = {
            "kind": RecordKind.DOCUMENT,
            "reference": document.reference,
            "name": document.name,
            "title": document.title,
            "media_type": document.media_type,
            "sha256": document.sha256,
            "department": {"credit_code": document.department.credit_code, "name": document.department.name},
            "service_item": {"code": record.item.code, "name": record.item.name},
            "deposited_at": _iso(document.deposited_at),
            "decided_at": _iso(document.decided_at),
            "stamp": stamp_described,
            "status_history": self._entries(or_(*about), DOCUMENT_LIFECYCLE),
        }
        return files, described, document_retention_start(record.item, document)

    def _co_stamps(self, files: dict[str, bytes]) -> list[str]:
        """The seals of the registry's other stamps on a stamped PDF (a decision co-stamped by several
        departments): the package must carry each signer's certificate."""
        pdf = files["record/document.pdf"]
        if not pdf.startswith(b"%PDF-"):
            return []
        try:
            references = [found.reference for found in read_stamps(pdf, self.certs.root()) if found.reference]
        except PdfRejected:
            return []
        if not references:
            return []
        return list(self.session.scalars(select(Stamp.seal_kid).where(Stamp.reference.in_(references))))

    def _chains_of(self, *kids: str | None) -> bytes:
        """The seal certificates (PEM) of the seals named, each once."""
        pem = b""
        for kid in dict.fromkeys(k for k in kids if k):
            if kid not in self._chains:
                seal = self.session.scalars(select(Seal).where(Seal.kid == kid)).one()
                self._chains[kid] = self.certs.chain(seal)[0].public_bytes(Encoding.PEM)
            pem += self._chains[kid]
        return pem

    def _entries(self, about: Any, actions: Sequence[Action]) -> list[dict[str, Any]]:
        rows = self.session.scalars(
            select(LogEntry)
            .where(about, LogEntry.action.in_(actions), LogEntry.outcome == Outcome.OK)
            .order_by(LogEntry.idx)
        )
        return [{"at": _iso(e.at), "action": e.action, "reason": e.reason} for e in rows]

    def _log_json(self, about: Any, evidence: Evidence) -> bytes:
        size = evidence.checkpoint["size"]
        entries = list(self.session.scalars(select(LogEntry).where(about, LogEntry.idx < size).order_by(LogEntry.idx)))
        proofs = self.log.inclusions([e.idx for e in entries], size) if entries else []
        shown = []
        for entry, proof in zip(entries, proofs, strict=True):
            values = {k: getattr(entry, k) for k in (*FIELDS, "leaf_format")}
            values["at"] = entry.at.astimezone(dt.UTC).isoformat()
            values["proof"] = [node.hex() for node in proof.audit_path]
            shown.append(values)
        return _json({"origin": evidence.origin, "checkpoint": evidence.checkpoint["signed"], "entries": shown})

    def _series_total(self, record: Record) -> int | None:
        """T of the series' Bag-Count once the series is closed (its year is over): the packages it holds and
        the records of that year still to file into it. None ("?") while the year is open."""
        year = record.due_at.year
        if year >= utcnow().year:
            return None
        start, end = dt.datetime(year, 1, 1, tzinfo=dt.UTC), dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)
        filed = self.session.scalar(select(func.count(Filing.id)).where(Filing.series == record.series)) or 0
        unfiled = 0
        if record.item.filing_types:
            unfiled += (
                self.session.scalar(
                    select(func.count(Certificate.id))
                    .join(CertificateType, CertificateType.id == Certificate.type_id)
                    .outerjoin(
                        Filing, and_(Filing.record_kind == RecordKind.CERTIFICATE, Filing.record_id == Certificate.id)
                    )
                    .where(CertificateType.code.in_(record.item.filing_types), Filing.id.is_(None))
                    .where(Certificate.department_id == record.department.id, Certificate.disposed_at.is_(None))
                    .where(Certificate.issued_at >= start, Certificate.issued_at < end)
                )
                or 0
            )
        if record.item.filing_documents:
            unfiled += (
                self.session.scalar(
                    select(func.count(Document.id))
                    .outerjoin(Filing, and_(Filing.record_kind == RecordKind.DOCUMENT, Filing.record_id == Document.id))
                    .where(Document.service_item_id == record.item.id, Document.department_id == record.department.id)
                    .where(Filing.id.is_(None), Document.disposed_at.is_(None))
                    .where(Document.deposited_at >= start, Document.deposited_at < end)
                )
                or 0
            )
        return filed + unfiled


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing) for the block; Conflict if another holds it."""
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Conflict(f"another export is writing into {path.parent}", code="EXPORT_RUNNING") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _seconds(value: dt.datetime | None) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(int(value.timestamp()), dt.UTC) if value is not None else None


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value is not None else None


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
