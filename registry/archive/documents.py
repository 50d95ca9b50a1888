"""Documents kept for filing: stamped for a service item that files documents, or handed over by a business
system. The bytes go to the document store; the row says whose, for which item, and under which stamp.

A handed-over document gets a detached stamp by the department's seal as it is deposited, so its package
proves who handed it over, and that it is unchanged, with a signature like every other record.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuers.pdfseal import PdfRejected, open_pdf
from registry.accesslog import AccessLog, Event
from registry.archive.store import DocumentStore
from registry.errors import Forbidden, NotFound, RegistryError, ValidationFailed
from registry.models import Department, Document, ServiceItem, utcnow
from registry.principals import Principal
from registry.stamps import DETACHED, StampRequest, StampResult, StampService
from registry.vocabulary import Action, Role

PDF_MEDIA_TYPE = "application/pdf"


@dataclass(frozen=True, slots=True)
class Handover:
    """A document a business system hands over for filing, with its metadata."""

    name: str
    data: bytes
    service_item: str
    title: str | None = None
    decided_at: dt.datetime | None = None


class DocumentService:
    def __init__(self, session: Session, store: DocumentStore, stamps: StampService) -> None:
        self.session = session
        self.store = store
        self.stamps = stamps
        self.log = AccessLog(session)

    def _filing_item(self, code: str | None) -> ServiceItem | None:
        """The item if it files documents and is not retired; None otherwise."""
        if code is None:
            return None
        item = self.session.scalar(select(ServiceItem).where(ServiceItem.code == code))
        if item is None or not item.filing_documents or item.retired_at is not None:
            return None
        return item

    def stamp(self, department: Department, request: StampRequest, *, actor: Principal) -> StampResult:
        """Stamp as `StampService.stamp` does, and keep the stamped document when its item files documents.

        A detached stamp for such an item needs the file itself: a hash alone cannot be filed.
        """
        item = self._filing_item(request.service_item)
        if item is not None:
            if request.data is None:
                raise ValidationFailed(
                    f"service item {item.code} files its documents: send the file, not only its hash",
                    code="FILE_REQUIRED_FOR_FILING",
                )
            _check_pdf(request.data)
        result = self.stamps.stamp(department, request, actor=actor)
        if item is not None:
            kept = result.pdf if result.pdf is not None else request.data
            assert kept is not None
            self._keep(department, item, request.document_name, kept, actor=actor, stamp_id=result.stamp.id)
        return result

    def deposit(self, department: Department, handover: Handover, *, actor: Principal) -> Document:
        """Keep a handed-over PDF for filing under its item, sealed with a detached stamp of the department."""
        item = self._filing_item(handover.service_item)
        if item is None:
            raise ValidationFailed(
                f"service item {handover.service_item} does not exist or files no documents",
                code="ITEM_FILES_NO_DOCUMENTS",
            )
        if handover.decided_at is not None and handover.decided_at > utcnow() + dt.timedelta(days=1):
            raise ValidationFailed("a decision date cannot be in the future", errors={"decided_at": ["in the future"]})
        _check_pdf(handover.data)
        request = StampRequest(kind=DETACHED, document_name=handover.name, data=handover.data, service_item=item.code)
        result = self.stamps.stamp(department, request, actor=actor)
        return self._keep(
            department,
            item,
            handover.name,
            handover.data,
            actor=actor,
            stamp_id=result.stamp.id,
            title=handover.title,
            decided_at=handover.decided_at,
        )

    def _keep(
        self,
        department: Department,
        item: ServiceItem,
        name: str,
        data: bytes,
        *,
        actor: Principal,
        stamp_id: int,
        title: str | None = None,
        decided_at: dt.datetime | None = None,
    ) -> Document:
        sha256 = self.store.put(data)
        document = Document(
            reference=str(uuid.uuid4()),
            sha256=sha256,
            name=name,
            media_type=PDF_MEDIA_TYPE if data.startswith(b"%PDF-") else "application/octet-stream",
            size=len(data),
            department_id=department.id,
            service_item_id=item.id,
            stamp_id=stamp_id,
            title=title,
            decided_at=decided_at,
            deposited_by=actor.client_id or actor.role,
            deposited_at=utcnow(),
        )
        self.session.add(document)
        self.session.flush()
        self.log.record(actor, [document_event(Action.DOCUMENT_DEPOSIT, document)])
        return document

    # Reading ------------------------------------------------------------------------------------

    def get(self, reference: str, principal: Principal) -> Document:
        """A document the principal may read (the admin, archivists, its own department's clients); logged."""
        document = self.session.scalar(select(Document).where(Document.reference == reference))
        if document is None:
            raise NotFound(f"no document {reference}", code="DOCUMENT_NOT_FOUND")
        allowed = principal.role in (Role.ADMIN, Role.ARCHIVIST) or (
            principal.role == Role.ISSUER and principal.department_id == document.department_id
        )
        if not allowed:
            error: RegistryError = NotFound(f"no document {reference} that you may read", code="DOCUMENT_NOT_FOUND")
            if principal.role != Role.ISSUER:
                error = Forbidden("this role may not read documents", code="ROLE_NOT_PERMITTED")
            error.subject = document_event(Action.DOCUMENT_READ, document)
            raise error
        self.log.record(principal, [document_event(Action.DOCUMENT_READ, document)])
        return document

    def content(self, reference: str, principal: Principal) -> tuple[Document, bytes]:
        """A document and its bytes, checked against their digest as they are read."""
        document = self.get(reference, principal)
        if document.disposed_at is not None:
            raise NotFound(f"document {reference} was disposed of", code="DOCUMENT_DISPOSED")
        return document, self.store.get(document.sha256)


def _check_pdf(data: bytes) -> None:
    """Only PDFs are filed: an archive must be able to open what it keeps (DA/T 70 usability)."""
    try:
        open_pdf(data)
    except PdfRejected as e:
        raise ValidationFailed(f"only PDF documents are filed: {e.detail}", code=e.code) from None


def document_event(action: Action, document: Document, reason: str | None = None) -> Event:
    """An access-log event about a document; its reason starts with `document <reference>`, which is how a
    document's entries are found for its archival package."""
    text = f"document {document.reference}" + (f": {reason}" if reason else "")
    return Event(
        action,
        subject_department_id=document.department_id,
        service_item=document.service_item.code if document.service_item else None,
        reason=text[:500],
    )
