"""Write the golden files of tests/assets: known-good and known-bad tokens of every signed format.

Run only when a wire format changes on purpose (`python -m tests.assets.make_assets`), and say so in
the commit: the tests read these files, so a format that drifts by accident shows as a failing test.
The keys are made fresh and thrown away; only their public halves are kept (jwks.json).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from issuers import sdjwt
from issuers.compact import issue_compact
from issuers.signing import SoftwareSigner, generate_private_key, jws_encode, sign
from registry.statuslists import encode_bits
from verifiers import formats
from verifiers.copies import b64_sha256, form_digest
from verifiers.identifiers import CertificateId

HERE = Path(__file__).parent
ISSUER = "https://registry.example"
T0 = 1_764_460_800  # 2025-11-30T00:00:00Z: every token here is signed at T0 + a few seconds
NOW = T0 + 3600  # the time the tests check at
COMPROMISED_AT = T0 + 100
DEPT, DEPT_NAME = "11310000002418230T", "上海市市场监督管理局"
TYPE = "11310000002418230T001"
HOLDER_ID = "11010519491231002X"  # GB 11643's own example
INDEX, LIST_NUMBER = 4711, 1
REVOKED_INDEX, SUSPENDED_INDEX = 17, 23


def published(signer: SoftwareSigner, purpose: str, **extra: Any) -> dict[str, Any]:
    return {
        **signer.public_jwk(),
        "purpose": purpose,
        "status": "active",
        "nbf": T0 - 86400,
        "exp": T0 + 10**8,
        **extra,
    }


def status_list(signer: SoftwareSigner, purpose: str, indexes: list[int], at: int) -> str:
    url = f"{formats.status_list_url(ISSUER, LIST_NUMBER)}/{purpose}"
    issued = dt.datetime.fromtimestamp(at, dt.UTC)
    claims = formats.status_list_claims(
        issuer=ISSUER,
        url=url,
        purpose=purpose,
        encoded_list=encode_bits(indexes),
        issued_at=issued,
        expires=issued + dt.timedelta(days=1),
    )
    return sign(claims, signer, formats.STATUS_LIST)


def main() -> None:
    registry, compromised, seal, stranger = (SoftwareSigner(generate_private_key()) for _ in range(4))
    jwks = {
        "keys": [
            published(seal, "seal", dept=DEPT),
            published(registry, "registry"),
            published(compromised, "registry", status="compromised", compromised_at=COMPROMISED_AT),
        ]
    }
    files: dict[str, str] = {"jwks.json": json.dumps(jwks, indent=2, ensure_ascii=False)}

    identifier = str(CertificateId(TYPE, DEPT, "20251130000000004711", 1))
    claims = formats.certificate_claims(
        issuer=ISSUER,
        identifier=identifier,
        type_code=TYPE,
        type_name="营业执照 Business licence",
        dept=DEPT,
        dept_name=DEPT_NAME,
        holder_kind="person",
        holder_name="张三",
        holder_id_masked="110105********002X",
        version=1,
        status_list=formats.status_list_url(ISSUER, LIST_NUMBER),
        status_idx=INDEX,
        issued_at=T0 + 10,
        valid_from=T0 + 10,
        valid_until=T0 + 365 * 86400,
    )
    values = {"holder_id": HOLDER_ID, "company_name": "示例有限公司", "registered_capital": 1000000}
    certificate = sdjwt.issue(claims, values, seal)
    files["certificate.sdjwt"] = certificate
    files["compact.jwt"] = issue_compact(identifier, "张三", T0 + 10, T0 + 10, T0 + 365 * 86400, (1, INDEX), seal)
    revoked_claims = {**claims, "status": {"list": claims["status"]["list"], "idx": REVOKED_INDEX}}
    files["certificate-revoked.sdjwt"] = sdjwt.issue(revoked_claims, values, seal)
    jws, *disclosures, _ = certificate.split("~")
    forged = sdjwt.make_disclosure("company_name", "伪造有限公司")
    files["certificate-forged-disclosure.sdjwt"] = "~".join([jws, forged, *disclosures[1:], ""])

    lists = {
        f"{formats.status_list_url(ISSUER, LIST_NUMBER)}/revocation": status_list(
            registry, "revocation", [REVOKED_INDEX], T0 + 20
        ),
        f"{formats.status_list_url(ISSUER, LIST_NUMBER)}/suspension": status_list(
            registry, "suspension", [SUSPENDED_INDEX], T0 + 20
        ),
    }
    files["status-revocation.jwt"] = lists[f"{formats.status_list_url(ISSUER, LIST_NUMBER)}/revocation"]
    files["status-suspension.jwt"] = lists[f"{formats.status_list_url(ISSUER, LIST_NUMBER)}/suspension"]
    files["status-revocation-signed-after-compromise.jwt"] = status_list(compromised, "revocation", [], T0 + 200)
    files["status-revocation-signed-before-compromise.jwt"] = status_list(compromised, "revocation", [], T0 + 50)

    files["bundle.jwt"] = sign(formats.bundle_claims(ISSUER, T0 + 30, jwks, lists), registry, formats.BUNDLE)
    files["bundle-signed-by-compromised-key.jwt"] = sign(
        formats.bundle_claims(ISSUER, T0 + 200, jwks, lists), compromised, formats.BUNDLE
    )
    root = hashlib.sha256(b"golden").digest()
    files["checkpoint.jwt"] = sign(formats.checkpoint_claims(ISSUER, 42, root, T0 + 40), registry, formats.CHECKPOINT)
    files["checkpoint-unknown-key.jwt"] = sign(
        formats.checkpoint_claims(ISSUER, 42, root, T0 + 40), stranger, formats.CHECKPOINT
    )
    files["checkpoint-wrong-typ.jwt"] = jws_encode(
        formats.checkpoint_claims(ISSUER, 42, root, T0 + 40), registry, "JWT"
    )

    shared = sdjwt.present(certificate, {"company_name"})
    annotation = formats.annotation_claims(
        issuer=ISSUER,
        reference="5a0c1e9e-2f4b-4d53-9c38-2d6f0f1b7a11",
        certificate=identifier,
        agency="11310000MB2F05744N",
        agency_name="上海市税务局",
        service_item="310100-000-001",
        service_item_name="企业开办",
        reason="企业开办 enterprise establishment",
        fields=["company_name"],
        cert_hash=form_digest(shared),
        sd_digests=[b64_sha256(d) for d in shared.split("~")[1:-1]],
        issued_at=T0 + 50,
        expires_at=T0 + 72 * 3600,
    )
    files["copy.sdjwt"] = shared
    files["annotation.jwt"] = sign(annotation, registry, formats.ANNOTATION)
    files["copy-extra-disclosure.sdjwt"] = sdjwt.present(certificate, {"company_name", "holder_id"})

    document = "行政许可决定书 No. 2025-0042\n".encode()
    files["stamped-document.txt"] = document.decode()
    stamp = formats.stamp_claims(
        issuer=ISSUER,
        reference="c6a7f3d2-8e1b-4b7e-9f0a-3d2e1c0b9a87",
        dept=DEPT,
        dept_name=DEPT_NAME,
        seal_name="行政审批专用章",
        document_name="decision.txt",
        document_sha256=hashlib.sha256(document).hexdigest(),
        status_list=formats.status_list_url(ISSUER, LIST_NUMBER),
        status_idx=INDEX + 1,
        url=f"{ISSUER}/s/c6a7f3d2-8e1b-4b7e-9f0a-3d2e1c0b9a87",
        issued_at=T0 + 60,
    )
    files["stamp.jwt"] = sign(stamp, seal, formats.STAMP)
    for name, text in files.items():
        (HERE / name).write_text(text if text.endswith("\n") or name.endswith(".json") else text + "\n")
    print(f"wrote {len(files)} files to {HERE}; check at {NOW} ({base64.b64encode(root).decode()})")


if __name__ == "__main__":
    main()
