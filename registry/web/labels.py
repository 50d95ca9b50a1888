"""Words the pages of several areas share for the registry's vocabularies (registry.vocabulary), in the
reader's language: one place, so the wallet and the console never call one status two things."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from registry.vocabulary import CertificateStatus, RevocationReason

STATUS_LABELS: dict[str, Any] = {
    CertificateStatus.VALID: _l("Valid"),
    CertificateStatus.SUSPENDED: _l("Suspended"),
    CertificateStatus.REVOKED: _l("Revoked"),
    CertificateStatus.SUPERSEDED: _l("Superseded"),
    CertificateStatus.EXPIRED: _l("Expired"),
}
REASON_LABELS: dict[str, Any] = {
    RevocationReason.ISSUED_IN_ERROR: _l("Issued in error"),
    RevocationReason.SUPERSEDED: _l("Superseded by a new version"),
    RevocationReason.CANCELLED_BY_HOLDER: _l("Cancelled at the holder's request"),
    RevocationReason.LICENSE_WITHDRAWN: _l("License withdrawn"),
}
