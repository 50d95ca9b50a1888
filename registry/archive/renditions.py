"""Printable renditions: a certificate as a PDF in Chinese and English, sealed by its issuing department.

Made once per certificate and state, kept in the document store, and served to the holder and filed in the
certificate's archival package. The seal is a registered PDF stamp (`registry.stamps`), so the rendition
checks like any stamped document: on `/s/<reference>`, with `stamps/verify`, in pdfsig or pyHanko. A
lifecycle change (suspend, revoke, amend) forgets the rendition, so the next one shows the new status.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from issuers.holders import HolderKind
from issuers.rendition import FontUnavailable, Rendition, render
from registry.archive.store import DocumentStore
from registry.errors import Unavailable
from registry.models import Certificate, utcnow
from registry.principals import OPERATOR, Principal
from registry.qr import verification_url
from registry.stamps import PDF, StampRequest, StampService


class RenditionService:
    def __init__(self, session: Session, store: DocumentStore, stamps: StampService, issuer: str) -> None:
        self.session = session
        self.store = store
        self.stamps = stamps
        self.issuer = issuer

    def sealed(self, certificate: Certificate, *, actor: Principal = OPERATOR) -> bytes:
        """The certificate's sealed printable PDF: the kept one, or a new one made, sealed and kept."""
        if certificate.rendition_sha256 is not None and self.store.exists(certificate.rendition_sha256):
            return self.store.get(certificate.rendition_sha256)
        try:
            rendered = render(self.rendition_of(certificate))
        except FontUnavailable as e:
            raise Unavailable(str(e), code="FONT_UNAVAILABLE") from None
        request = StampRequest(
            kind=PDF,
            document_name=f"{certificate.identifier}.pdf",
            data=rendered.pdf,
            placement=rendered.seal_box,
        )
        result = self.stamps.stamp(certificate.department, request, actor=actor)
        assert result.pdf is not None
        certificate.rendition_sha256 = self.store.put(result.pdf)
        self.session.flush()
        return result.pdf

    def rendition_of(self, certificate: Certificate) -> Rendition:
        """What the printed page shows; the holder's ID number only masked, as on the certificate's face."""
        specs = {spec["name"]: spec for spec in certificate.type.fields}
        rows = [
            (*_labels(specs.get(name, {"name": name})), _text(value))
            for name, value in certificate.live_fields().items()
        ]
        # The compact form; for a certificate from before compact forms, the SD-JWT with no disclosure.
        payload = certificate.compact_form or certificate.live_signed_form().split("~", 1)[0] + "~"
        return Rendition(
            identifier=certificate.identifier,
            type_code=certificate.type.code,
            type_name=certificate.type.name,
            serial=certificate.serial,
            version=certificate.version,
            department_name=certificate.department.name,
            department_code=certificate.department.credit_code,
            authority_code=certificate.type.defining_authority,
            holder_kind=HolderKind(certificate.holder_kind),
            holder_name=certificate.holder_name,
            holder_id_masked=certificate.holder_id_masked,
            valid_from=certificate.valid_from.date(),
            valid_until=certificate.valid_until.date() if certificate.valid_until else None,
            issued_at=certificate.issued_at.astimezone(dt.UTC).replace(tzinfo=None),
            status=certificate.status_at(utcnow()),
            fields=rows,
            qr_payload=verification_url(self.issuer, payload),
        )


def _labels(spec: dict[str, Any]) -> tuple[str, str]:
    """A field's Chinese and English labels (`label`, `label_en`), or its name where the type gives none."""
    name = str(spec["name"])
    english = spec.get("label_en") or name.replace("_", " ").capitalize()
    return str(spec.get("label") or english), str(english)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "是 / Yes" if value else "否 / No"
    return str(value)
