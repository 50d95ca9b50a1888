"""The public verification page a QR code opens: server-rendered, bilingual, readable without JavaScript."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, render_template

from issuers.holders import mask
from registry.keys import published_jwk
from registry.models import utcnow
from registry.vocabulary import StampStatus
from registry.wiring import services
from verifiers.jose import key_status

bp = Blueprint("pages", __name__)

CHECK_LABELS = {
    "format": "格式 Format",
    "signature": "签名 Signature",
    "issuer": "签发机关 Issuer",
    "key_status": "印章状态 Seal",
    "validity": "有效期 Validity",
    "status": "证照状态 Status",
    "disclosures": "披露字段 Disclosures",
}
# Each stable code in Chinese and in English.
MESSAGES = {
    "OK": ("通过", "passed"),
    "MALFORMED": ("不是电子证照", "not a certificate"),
    "WRONG_TYPE": ("不是电子证照", "not a certificate"),
    "UNKNOWN_KEY": ("未知印章", "signed with an unknown seal"),
    "BAD_SIGNATURE": ("签名无效，内容可能被篡改", "the signature does not verify: it may have been altered"),
    "ISSUER_MISMATCH": ("印章不属于签发机关", "the seal is not the issuer's"),
    "KEY_COMPROMISED": ("印章泄露后签发", "signed after the seal was compromised"),
    "KEY_COMPROMISED_LATER": ("通过（印章此后泄露）", "passed (the seal was compromised later)"),
    "KEY_NOT_VALID_AT_SIGNING": ("签发时印章不在有效期内", "the seal was not valid when it signed"),
    "NOT_YET_VALID": ("尚未生效", "not yet valid"),
    "EXPIRED": ("已过期", "expired"),
    "REVOKED": ("已撤销", "revoked"),
    "SUSPENDED": ("已暂停", "suspended"),
    "SUPERSEDED": ("已被新版本取代", "superseded by a newer version"),
    "STATUS_UNAVAILABLE": ("无法确认状态", "its status could not be checked"),
    "DISCLOSURE_NOT_SIGNED": ("披露字段被篡改", "a disclosed field was altered"),
    "MALFORMED_DISCLOSURE": ("披露字段格式错误", "a disclosed field is malformed"),
    "UNSUPPORTED_SD_ALG": ("不支持的摘要算法", "unsupported digest algorithm"),
}


def _date(epoch: Any) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d") if isinstance(epoch, int) else "—"


def _shown(claims: dict[str, Any]) -> list[tuple[str, str]]:
    """The core claims as a reader wants them: names of the issuer and type, holder, validity."""
    if not claims:
        return []
    catalog = services().catalog
    department = None if claims.get("dept_name") else catalog.find_department(claims.get("dept", ""))
    ctype = None if claims.get("type_name") else catalog.find_type(claims.get("vct", ""))
    issuer = claims.get("dept_name") or (department.name if department else None)
    type_name = claims.get("type_name") or (ctype.name if ctype else None)
    return [
        ("证照类型 Type", type_name or claims.get("vct", "—")),
        ("签发机关 Issuer", f"{issuer or '—'} ({claims.get('dept', '—')})"),
        ("持证人 Holder", claims.get("holder_name") or "—"),
        (
            "有效期 Valid",
            f"{_date(claims.get('nbf'))} — {_date(claims.get('exp')) if 'exp' in claims else '长期 no end'}",
        ),
        ("证照标识 Identifier", claims.get("jti", "—")),
    ]


@bp.get("/v/<path:presented>")
def verify_page(presented: str) -> str:
    """Public: verify what the QR holds and show the verdict first, then why."""
    svc = services()
    result = svc.verification.verify(presented)
    failed = next((c for c in result.checks if not c.passed), None)
    failure = (
        dict(zip(("zh", "en"), MESSAGES.get(failed.code, (failed.code, failed.code)), strict=True)) if failed else {}
    )
    return render_template(
        "verify.html",
        result=result,
        failure=failure,
        shown=_shown(result.claims),
        # Even when the holder discloses the ID number, the public page shows it masked.
        disclosed={
            k: mask(str(result.claims.get("holder_kind")), v) if k == "holder_id" else v
            for k, v in result.disclosed.items()
        },
        labels=CHECK_LABELS,
        messages=MESSAGES,
        checked_at=utcnow().strftime("%Y-%m-%d %H:%M"),
        issuer=svc.config["REGISTRY_ISSUER"],
    )


@bp.get("/s/<reference>")
def stamp_page(reference: str) -> str:
    """Public: the registry's record of a stamp, which the stamp's QR code opens."""
    svc = services()
    stamp = svc.stamps.get(reference)
    seal = svc.keys.find(stamp.seal_kid)
    seal_check = key_status(published_jwk(seal), int(stamp.stamped_at.timestamp())) if seal else None
    if stamp.status == StampStatus.REVOKED:
        why = f"已撤销 · revoked: {stamp.revocation_reason or ''}"
    elif seal_check is None or not seal_check.passed:
        code = seal_check.code if seal_check else "UNKNOWN_KEY"
        why = " · ".join(MESSAGES.get(code, (code, code)))
    else:
        why = ""
    return render_template(
        "stamp.html",
        stamp=stamp,
        valid=not why,
        why=why,
        seal_name=(seal.name if seal else None) or stamp.seal_kid,
        checked_at=utcnow().strftime("%Y-%m-%d %H:%M"),
        issuer=svc.config["REGISTRY_ISSUER"],
    )
