"""What the wallet shows, in the reader's language: the registry's vocabularies in words, a certificate's
fields with their labels and values formatted for the locale, and access-log entries as a holder reads them
(who, did what, to which certificate, for which service item, why, and how it ended)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from issuers.holders import HolderKind
from registry.archive.renditions import _labels as field_labels
from registry.models import Certificate, Department, LogEntry
from registry.vocabulary import Action, ActorKind, CertificateStatus, Outcome
from registry.web.labels import REASON_LABELS, STATUS_LABELS
from registry.wiring import services
from verifiers.errors import InvalidCode
from verifiers.identifiers import parse_any

HOLDER_ID = "holder_id"  # the disclosure that carries the full ID number (issuers.sdjwt)
CONSENT_ACTIONS = (Action.CONSENT_GRANT, Action.CONSENT_WITHDRAW)

HOLDER_KIND_LABELS: dict[str, Any] = {
    HolderKind.PERSON: _l("Resident identity card"),
    HolderKind.ORGANIZATION: _l("Unified social credit code (organizations)"),
    HolderKind.FOREIGN_PERMANENT_RESIDENT: _l("Foreigner's permanent residence identity card"),
    HolderKind.HMT_RESIDENCE_PERMIT: _l("Hong Kong, Macao and Taiwan residents' residence permit"),
    HolderKind.PASSPORT: _l("Passport"),
}
# What an entry of the holder's access log says was done; an action not here shows its code.
ACTION_LABELS: dict[str, Any] = {
    Action.CERTIFICATE_ISSUE: _l("Issued the certificate"),
    Action.CERTIFICATE_ISSUE_REPLAY: _l("Issued the certificate (a repeated request)"),
    Action.CERTIFICATE_LIST: _l("Listed the certificate"),
    Action.CERTIFICATE_READ: _l("Read the certificate"),
    Action.CERTIFICATE_QR: _l("Made its QR code"),
    Action.CERTIFICATE_PRINT: _l("Made its printable PDF"),
    Action.CERTIFICATE_SUSPEND: _l("Suspended the certificate"),
    Action.CERTIFICATE_REINSTATE: _l("Reinstated the certificate"),
    Action.CERTIFICATE_REVOKE: _l("Revoked the certificate"),
    Action.CERTIFICATE_AMEND: _l("Amended the certificate"),
    Action.CERTIFICATE_SUPERSEDE: _l("Superseded the certificate by a new version"),
    Action.CERTIFICATE_REIDENTIFY: _l("Re-issued it under a conforming identifier"),
    Action.CERTIFICATE_VERIFY: _l("Verified the certificate"),
    Action.CERTIFICATE_SHARE: _l("Asked for a copy for a service item"),
    Action.COPY_VERIFY: _l("Verified a shared copy"),
    Action.CONSENT_GRANT: _l("Consent given"),
    Action.CONSENT_WITHDRAW: _l("Consent withdrawn"),
    Action.CONSENT_LIST: _l("Listed the consents"),
    Action.RECORD_FILE: _l("Filed it in the archives"),
    Action.RECORD_DISPOSE: _l("Disposed of its content at the end of retention"),
    Action.LOG_READ_OWN: _l("Read the access log"),
}
# Why an access was refused, as the holder should understand it; another code shows as itself.
REFUSAL_LABELS: dict[str, Any] = {
    "CONSENT_REQUIRED": _l("Your consent is required and was not given"),
    "NO_POLICY": _l("No sharing policy lets this agency have it for this service item"),
    "FIELD_NOT_PERMITTED": _l("It asked for fields the sharing policy does not allow"),
    "NO_CERTIFICATE": _l("There was no valid certificate of the type"),
    "CERTIFICATE_NOT_FOUND": _l("It is not theirs to read"),
    "CONSENT_NOT_FOUND": _l("It is not theirs to change"),
    "ROLE_NOT_PERMITTED": _l("Their role does not allow it"),
    "MISSING_TOKEN": _l("They did not sign in"),
    "INVALID_TOKEN": _l("Their sign-in was not valid"),
    "TOKEN_EXPIRED": _l("Their sign-in had expired"),
    "CERTIFICATE_DISPOSED": _l("The certificate's content was disposed of"),
}
ACTOR_LABELS: dict[str, Any] = {
    ActorKind.ADMIN: _l("The registry's administrator"),
    ActorKind.ARCHIVIST: _l("The archives"),
    ActorKind.OPERATOR: _l("The registry's operator"),
    ActorKind.ANONYMOUS: _l("Someone not signed in"),
}


def certificate_status(certificate: Certificate) -> tuple[str, str]:
    """The status as of now and its words, with the revocation reason where there is one."""
    status = certificate.status_at(dt.datetime.now(dt.UTC))
    label = str(STATUS_LABELS.get(status, status))
    if certificate.status_reason and status in (CertificateStatus.REVOKED, CertificateStatus.SUPERSEDED):
        reason = REASON_LABELS.get(certificate.status_reason, certificate.status_reason)
        label = _("%(status)s: %(reason)s", status=label, reason=reason)
    return status, label


def _label(spec: dict[str, Any]) -> str:
    chinese, english = field_labels(spec)
    return chinese if str(get_locale()) == "zh" else english


def _value(spec: dict[str, Any], value: Any) -> str:
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, int | float):
        return str(format_decimal(value))
    if spec.get("type") == "date" and isinstance(value, str):
        try:
            return str(format_date(dt.date.fromisoformat(value), "long"))
        except ValueError:
            return value
    return str(value)


def field_specs(certificate: Certificate) -> dict[str, dict[str, Any]]:
    return {spec["name"]: spec for spec in certificate.type.fields}


def field_rows(certificate: Certificate) -> list[tuple[str, str]]:
    """The certificate's fields as (label, value) in the reader's language, in the order it holds them."""
    specs = field_specs(certificate)
    rows = []
    for name, value in certificate.live_fields().items():
        spec = specs.get(name, {"name": name})
        rows.append((_label(spec), _value(spec, value)))
    return rows


def disclosure_choices(certificate: Certificate) -> list[tuple[str, str, bool]]:
    """What the holder may put in a QR code: (field, label, personal), the full ID number last."""
    specs = field_specs(certificate)
    choices = [
        (name, _label(specs.get(name, {"name": name})), bool(specs.get(name, {}).get("personal")))
        for name in certificate.live_fields()
    ]
    return [*choices, (HOLDER_ID, _("Full ID number"), True)]


@dataclass(frozen=True, slots=True)
class ShownEntry:
    """One access-log entry in the holder's words."""

    index: int
    at: str
    who: str
    what: str
    certificate: str | None
    type_name: str | None
    agency: str | None  # the agency a consent is given to
    service_item: str | None
    reason: str | None
    refused: bool
    why: str | None
    error_code: str | None


def shown_entries(entries: Sequence[LogEntry], own_ref: str) -> list[ShownEntry]:
    """The entries as the holder reads them: names of agencies, departments, types and service items."""
    svc = services()

    @functools.cache
    def item_name(code: str) -> str:
        found = svc.service_items.find(code)
        return f"{found.name} ({code})" if found else code

    @functools.cache
    def type_name(identifier: str) -> str | None:
        try:
            found = svc.catalog.find_type(parse_any(identifier).type_code)
        except InvalidCode:
            return None
        return found.name if found else None

    @functools.cache
    def department_name(department_id: int) -> str | None:
        found = svc.session.get(Department, department_id)
        return found.name if found else None

    shown = []
    for entry in entries:
        refused = entry.outcome == Outcome.REFUSED
        consent = entry.action in CONSENT_ACTIONS
        shown.append(
            ShownEntry(
                index=entry.idx,
                at=str(format_datetime(entry.at, "medium")),
                who=_actor(entry, own_ref),
                what=str(ACTION_LABELS.get(entry.action, entry.action)),
                certificate=entry.certificate,
                type_name=type_name(entry.certificate) if entry.certificate else None,
                # A consent's entry names the agency as its subject.
                agency=department_name(entry.subject_department_id)
                if consent and entry.subject_department_id
                else None,
                service_item=item_name(entry.service_item) if entry.service_item else None,
                reason=_reason(entry),
                refused=refused,
                why=str(REFUSAL_LABELS[entry.error_code]) if refused and entry.error_code in REFUSAL_LABELS else None,
                error_code=entry.error_code if refused else None,
            )
        )
    return shown


def _reason(entry: LogEntry) -> str | None:
    """The reason an entry gives, in words: an agency's as it gave it, a revocation's code in the reader's
    language; none for a consent's, which names the consent in the log's own words ("consent 3 for ...")."""
    if entry.reason is None or entry.action in CONSENT_ACTIONS:
        return None
    return str(REASON_LABELS.get(entry.reason, entry.reason))


def _actor(entry: LogEntry, own_ref: str) -> str:
    """Who acted: you, another holder, an agency or department by name, or the registry's own people."""
    if entry.actor_kind == ActorKind.HOLDER:
        return str(_("You") if entry.actor_id == own_ref else _("Another holder"))
    department = entry.actor_department.name if entry.actor_department else None
    if entry.actor_kind == ActorKind.AGENCY:
        return str(_("%(name)s (relying agency)", name=department or entry.actor_id))
    if entry.actor_kind == ActorKind.ISSUER:
        return str(_("%(name)s (issuing department)", name=department or entry.actor_id))
    return str(ACTOR_LABELS.get(entry.actor_kind, entry.actor_kind))
