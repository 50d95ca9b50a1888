"""Refused requests in the access log: whose record a refusal belongs on, and a count of those that
belong on nobody's.

Every refusal that concerns a holder's certificate, consent or copy, or a department's stamp, whatever
its status code, is appended to the log with that holder or department, so the holder sees it. A
service that refuses names what it refused by setting `error.subject` (an `Event`); when a request is
refused before any service ran (no token, the wrong role), the object its path names is looked up
here. Anonymous refusals that name nothing that exists are only counted: appending each would let
anyone grow the log at will.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accesslog import AccessLog, Event
from registry.errors import RegistryError
from registry.models import Certificate, Consent, Document, LogEntry, Stamp
from registry.principals import ANONYMOUS, Principal
from registry.vocabulary import Action, Outcome

log = logging.getLogger(__name__)
SUMMARY_EVERY = 60.0  # seconds between two summary lines of uncounted refusals
# Refused access (no token, the wrong role, not yours); a conflict or a validation error by the
# certificate's own department is an answer about the request, not a refused access to the record.
ACCESS_REFUSALS = (401, 403, 404)


def subject_of_path(session: Session, path: Mapping[str, Any]) -> Event | None:
    """The object a request's path names (a certificate, a consent, a stamp), as the subject of an event."""
    if isinstance(path.get("identifier"), str):
        certificate = session.scalar(select(Certificate).where(Certificate.identifier == path["identifier"]))
        if certificate is not None:
            return Event(
                None,
                certificate=certificate.identifier,
                holder_ref=certificate.holder_ref,
                subject_department_id=certificate.department_id,
            )
    if isinstance(path.get("consent_id"), int):
        consent = session.get(Consent, path["consent_id"])
        if consent is not None:
            return Event(None, holder_ref=consent.holder_ref, subject_department_id=consent.agency_id)
    if isinstance(path.get("reference"), str):
        stamp = session.scalar(select(Stamp).where(Stamp.reference == path["reference"]))
        if stamp is not None:
            return Event(None, subject_department_id=stamp.department_id, reason=f"stamp {stamp.reference}")
        document = session.scalar(select(Document).where(Document.reference == path["reference"]))
        if document is not None:
            return Event(None, subject_department_id=document.department_id, reason=f"document {document.reference}")
    return None


class RefusalCounter:
    """Refusals that are appended to no log, counted by code, with a summary line at most once a minute."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._since_summary: Counter[str] = Counter()
        self._last_summary = time.monotonic()
        self._lock = threading.Lock()

    def add(self, code: str) -> None:
        with self._lock:
            self.counts[code] += 1
            self._since_summary[code] += 1
            if time.monotonic() - self._last_summary < SUMMARY_EVERY:
                return
            summary, self._since_summary = dict(self._since_summary), Counter()
            self._last_summary = time.monotonic()
        log.info("anonymous refusals naming nothing, since the last summary: %s", summary)


def record_refusal(
    session: Session,
    actor: Principal,
    error: RegistryError,
    *,
    action: Action,
    path: Mapping[str, Any],
    counter: RefusalCounter,
) -> bool:
    """Append the refusal to the log (in the session's transaction) when it concerns somebody's record or a
    known caller; otherwise count it. Return whether an entry was appended."""
    subject = error.subject
    if subject is None and error.status in ACCESS_REFUSALS:
        subject = subject_of_path(session, path)
    if subject is None and (actor.role == ANONYMOUS.role or error.status not in (401, 403)):
        if actor.role == ANONYMOUS.role:
            counter.add(error.code)
        return False
    subject = subject or Event(None)
    certificate = subject.certificate
    if certificate is None and isinstance(path.get("identifier"), str):
        certificate = path["identifier"][: LogEntry.certificate.type.length]
    event = replace(
        subject,
        action=subject.action or action,
        certificate=certificate,
        outcome=Outcome.REFUSED,
        error_code=error.code,
    )
    AccessLog(session).record(actor, [event])
    return True
