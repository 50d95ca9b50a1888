"""Archival packages made as the registry's exporter makes them (`registry-archive-package/1`), from real
signed materials and nothing of the registry's database: a CA with a department's seal certificate and a
time-stamping authority, the registry's key, a Merkle access log, SD-JWTs, compact forms, PAdES-stamped
PDFs and detached stamps. A builder here reads as the format's description; the tests change one thing.

    <export>/<dept>-<service item>-<year>/certificate-<identifier>/   (or document-<reference>/)
      bagit.txt  bag-info.txt  manifest-sha256.txt  manifest-sha512.txt  tagmanifest-sha256.txt  tagmanifest-sha512.txt
      data/metadata.json
      data/record/certificate.sd-jwt  certificate-compact.jwt  rendition.pdf   (a certificate)
      data/record/document.pdf  stamp.jwt                                        (a document)
      data/evidence/log.json  bundle.jwt  ca.pem  ca.crl  seal-chain.pem (when a seal signed the record)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bagit
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from issuers import sdjwt
from issuers.compact import issue_compact
from issuers.pdfseal import LongTerm, Placement, stamp_pdf
from issuers.sealimage import draw_seal
from issuers.signing import SoftwareSigner, generate_private_key, jws_encode, sign
from issuers.tsa import TimeStampAuthority
from issuers.x509ca import issue_seal_certificate, issue_tsa_certificate, make_crl, make_root, to_pem
from tests.factories import pdf_document
from verifiers import formats
from verifiers.identifiers import CertificateId, new_serial
from verifiers.keychain import KEY_STATEMENT_TYP, statement_claims
from verifiers.logentry import entry_bytes
from verifiers.merkle import inclusion_proof, leaf_hash, root_hash

ISSUER = "https://registry.example"
ORIGIN = "registry.example/access-log"
DEPT, DEPT_NAME = "11310000002418230T", "上海市市场监督管理局"
DEPT_ON_STAMP = "Shanghai Administration for Market Regulation"  # the stamp's text is drawn in a Latin font
TYPE, TYPE_NAME = "11310000002418230T001", "营业执照"
SERVICE_ITEM, SERVICE_ITEM_NAME = "SI-0042", "企业开办"
HOLDER_ID, HOLDER_NAME = "91310000MA1FL7XJ50", "上海示例科技有限公司"
FIELDS = {"company_name": HOLDER_NAME, "legal_representative": "张三", "registered_capital": 1000000}
CATEGORY = "WS·2026·永久"
CHECKSUMS = ["sha256", "sha512"]


def iso(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat()


@dataclass
class Log:
    """The registry's access log: every entry's stored fields, as leaves of one Merkle tree (RFC 9162)."""

    entries: list[dict[str, Any]] = field(default_factory=list)

    def append(self, action: str, at: int, certificate: str | None = None, **values: Any) -> dict[str, Any]:
        entry = {
            "idx": len(self.entries),
            "at": iso(at),
            "actor_kind": "client",
            "actor_id": "market-issuer",
            "actor_department_id": 1,
            "action": action,
            "certificate": certificate,
            "holder_ref": "h-" + secrets.token_hex(8) if certificate else None,
            "subject_department_id": 1,
            "service_item": SERVICE_ITEM,
            "reason": None,
            "outcome": "ok",
            "error_code": None,
            "leaf_format": 2,
            **values,
        }
        self.entries.append(entry)
        return entry

    def evidence(self, ours: list[dict[str, Any]], registry: SoftwareSigner, at: int) -> dict[str, Any]:
        """log.json: a checkpoint of the log as it stands, and our entries with their inclusion proofs."""
        leaves = [leaf_hash(entry_bytes(e)) for e in self.entries]
        claims = formats.checkpoint_claims(ORIGIN, len(leaves), root_hash(leaves), at)
        return {
            "origin": ORIGIN,
            "checkpoint": sign(claims, registry, formats.CHECKPOINT),
            "entries": [{**e, "proof": [h.hex() for h in inclusion_proof(e["idx"], leaves)]} for e in ours],
        }


@dataclass
class Materials:
    """One registry: its CA (root, revocation list, a time-stamping authority), its own key, one department's
    seal with a certificate from the CA, and its access log."""

    now: int
    ca_key: Any
    root: x509.Certificate
    seal: SoftwareSigner
    seal_certificate: x509.Certificate
    registry: SoftwareSigner
    tsa: TimeStampAuthority
    crl: x509.CertificateRevocationList
    log: Log = field(default_factory=Log)

    def published(self, signer: SoftwareSigner, purpose: str, **extra: Any) -> dict[str, Any]:
        jwk = {**signer.public_jwk(), "purpose": purpose, "status": "active", "nbf": self.now - 30 * 86400}
        return {**jwk, "exp": self.now + 3650 * 86400, **extra}

    def bundle(self, signer: SoftwareSigner | None = None, **seal: Any) -> str:
        """The registry's signed verifier bundle; `seal` adds to the seal's published JWK (compromised_at...)."""
        signer = signer or self.registry
        jwks = {
            "keys": [
                self.published(self.seal, formats.SEAL, dept=DEPT, **seal),
                self.published(self.registry, formats.REGISTRY),
                *([self.published(signer, formats.REGISTRY)] if signer is not self.registry else []),
            ]
        }
        first = jws_encode(statement_claims(self.now, signer.public_jwk(), signer.kid), signer, KEY_STATEMENT_TYP)
        return sign(formats.bundle_claims(ISSUER, self.now, jwks, {}, [first]), signer, formats.BUNDLE)

    def stamp(
        self, pdf: bytes, reference: str, long_term: bool, seal: tuple[SoftwareSigner, x509.Certificate] | None = None
    ) -> bytes:
        """The PDF with a visible stamp and a PAdES signature by the seal, or by `seal` (a signer and its
        certificate). B-LTA when `long_term`, as the registry stamps with a time-stamping authority; pyHanko then
        takes up to 5 s for one stamp in four, re-encoding ASN.1 as it packs the signature, so the tests make
        most of their packages without."""
        signer, certificate = seal or (self.seal, self.seal_certificate)
        return stamp_pdf(
            pdf,
            signer,
            certificate,
            [certificate, self.root],
            picture=draw_seal(DEPT),
            url=f"{ISSUER}/s/{reference}",
            reference=reference,
            department=DEPT_ON_STAMP,
            placement=Placement(),
            seal_name="Seal of the Administration",
            long_term=LongTerm(self.tsa.respond, self.root, [self.crl]) if long_term else None,
        )

    def evidence(self, ours: list[dict[str, Any]], sealed: bool = True) -> dict[str, bytes]:
        """The evidence folder: with the seal's certificate when a seal signed the record (`sealed`)."""
        files = {
            "evidence/log.json": dump(self.log.evidence(ours, self.registry, self.now)),
            "evidence/bundle.jwt": self.bundle().encode("ascii"),
            "evidence/ca.pem": to_pem(self.root).encode("ascii"),
            "evidence/ca.crl": self.crl.public_bytes(serialization.Encoding.DER),
        }
        if sealed:
            files["evidence/seal-chain.pem"] = to_pem(self.seal_certificate).encode("ascii")
        return files


def seal_of(ca_key: Any, root: x509.Certificate, credit_code: str, now: int) -> tuple[SoftwareSigner, x509.Certificate]:
    """A department's seal and its certificate from the CA of `root`, valid for a month either side of `now`."""
    seal, at = SoftwareSigner(generate_private_key()), dt.datetime.fromtimestamp(now, dt.UTC)
    certificate = issue_seal_certificate(
        ca_key, root, seal.private_key.public_key(), department_name=DEPT_ON_STAMP, credit_code=credit_code,
        seal_name="Seal of the Administration", not_before=at - dt.timedelta(days=30),
        not_after=at + dt.timedelta(days=730), crl_url=f"{ISSUER}/api/v1/ca.crl",
    )  # fmt: skip
    return seal, certificate


def make_materials() -> Materials:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    ca_key = generate_private_key()
    root = make_root(ca_key, now - dt.timedelta(days=30), now + dt.timedelta(days=3650))
    seal, seal_certificate = seal_of(ca_key, root, DEPT, int(now.timestamp()))
    tsa_key = SoftwareSigner(generate_private_key())
    tsa_certificate = issue_tsa_certificate(
        ca_key, root, tsa_key.private_key.public_key(), name="Registry", not_before=now - dt.timedelta(days=30),
        not_after=now + dt.timedelta(days=730),
    )  # fmt: skip
    crl = make_crl(ca_key, root, [], now=now, next_update=now + dt.timedelta(days=7))
    return Materials(
        int(now.timestamp()),
        ca_key,
        root,
        seal,
        seal_certificate,
        SoftwareSigner(generate_private_key()),
        TimeStampAuthority(tsa_key, tsa_certificate),
        crl,
    )


def dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1).encode("utf-8")


def series_name(year: int = 2026) -> str:
    return f"{DEPT}-{SERVICE_ITEM}-{year}"


def archival(m: Materials, ordinal: int, retention: dict[str, Any], year: int) -> dict[str, Any]:
    return {
        "category": CATEGORY,
        "retention": retention,
        "filing_date": iso(m.now),
        "series": series_name(year),
        "ordinal": ordinal,
        "department": DEPT,
        "service_item": SERVICE_ITEM,
        "filing_deadline": iso(m.now + 30 * 86400),
    }


def bag(folder: Path, files: dict[str, bytes], info: dict[str, str]) -> Path:
    """Write the payload and make it a bag as the exporter does: bagit, SHA-256 and SHA-512."""
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    bagit.make_bag(str(folder), info, processes=1, checksums=CHECKSUMS)
    return folder


def bag_info(kind: str, identifier: str, ordinal: int, total: int | None, retention: str, year: int) -> dict[str, str]:
    return {
        "Source-Organization": DEPT_NAME,
        "External-Identifier": identifier,
        "Bag-Group-Identifier": series_name(year),
        "Bag-Count": f"{ordinal} of {total or '?'}",
        "Record-Kind": kind,
        "Archive-Category": CATEGORY,
        "Retention-Period": retention,
    }


def certificate_package(
    m: Materials,
    export: Path,
    *,
    ordinal: int = 1,
    total: int | None = None,
    year: int = 2026,
    valid_until: int | None = None,
    status: str = "valid",
    long_term: bool = True,
) -> Path:
    """A certificate's package: the SD-JWT with every disclosure, its compact form, a PAdES rendition (B-LTA,
    with a signature time-stamp and a document time-stamp, unless `long_term` is False: see `Materials.stamp`)."""
    issued_at = m.now - 2 * 86400
    valid_until = issued_at + 5 * 365 * 86400 if valid_until is None else valid_until
    serial = new_serial()
    identifier = str(CertificateId(TYPE, DEPT, serial, 1))
    claims = formats.certificate_claims(
        issuer=ISSUER, identifier=identifier, type_code=TYPE, type_name=TYPE_NAME, dept=DEPT, dept_name=DEPT_NAME,
        holder_kind="organization", holder_name=HOLDER_NAME, holder_id_masked="9131**********XJ50", version=1,
        status_list=formats.status_list_url(ISSUER, 1), status_idx=ordinal, issued_at=issued_at,
        valid_from=issued_at, valid_until=valid_until,
    )  # fmt: skip
    signed = sdjwt.issue(claims, {"holder_id": HOLDER_ID, **FIELDS}, m.seal)
    compact = issue_compact(identifier, HOLDER_NAME, issued_at, issued_at, valid_until, (1, ordinal), m.seal)
    ours = [
        m.log.append("certificate:issue", issued_at, identifier),
        m.log.append("certificate:read", issued_at + 60, identifier, actor_kind="holder"),
    ]
    m.log.append("certificate:issue", issued_at + 120, "1.2.156.3005.2.another")  # not ours: in the tree only
    record = {
        "kind": "certificate",
        "identifier": identifier,
        "type": {"code": TYPE, "name": TYPE_NAME},
        "licence_number": serial,
        "version": 1,
        "issuing_authority": {"credit_code": DEPT, "name": DEPT_NAME},
        "defining_authority": TYPE[:18],
        "holder": {"kind": "organization", "name": HOLDER_NAME, "id_masked": "9131**********XJ50"},
        "issued_at": iso(issued_at),
        "valid_from": iso(issued_at),
        "valid_until": iso(valid_until),
        "area_code": "310115",
        "service_item": {"code": SERVICE_ITEM, "name": SERVICE_ITEM_NAME},
        "status": status,
        "status_history": [{"at": iso(issued_at), "action": "certificate:issue", "reason": "application approved"}],
        "fields": FIELDS,
    }
    retention = {"years": 30, "event": "issue", "until": iso(issued_at + 30 * 365 * 86400)}
    metadata = {
        "format": "registry-archive-package/1",
        "record": record,
        "archival": archival(m, ordinal, retention, year),
    }
    files = {
        "metadata.json": dump(metadata),
        "record/certificate.sd-jwt": signed.encode("ascii"),
        "record/certificate-compact.jwt": compact.encode("ascii"),
        "record/rendition.pdf": m.stamp(pdf_document(1, f"Business licence {serial}"), serial, long_term),
        **m.evidence(ours),
    }
    info = bag_info("certificate", identifier, ordinal, total, "30 years", year)
    return bag(export / series_name(year) / f"certificate-{identifier}", files, info)


def document_package(
    m: Materials,
    export: Path,
    *,
    stamp: str | None = "pdf",
    ordinal: int = 1,
    total: int | None = None,
    year: int = 2026,
    pdf: bytes | None = None,
) -> Path:
    """A document's package: stamped in the PDF (`stamp="pdf"`), by a detached stamp, or handed over (None)."""
    reference = "D" + secrets.token_hex(8).upper()
    stamped_at = m.now - 3600
    original = pdf_document(2) if pdf is None else pdf
    document = m.stamp(original, reference, False) if stamp == "pdf" else original
    files: dict[str, bytes] = {"record/document.pdf": document}
    seal: dict[str, Any] | None = None
    if stamp is not None:
        seal = {"reference": reference, "kind": stamp, "seal_kid": m.seal.kid, "stamped_at": iso(stamped_at)}
        seal["status"] = "valid"
    if stamp == "detached":
        claims = formats.stamp_claims(
            issuer=ISSUER, reference=reference, dept=DEPT, dept_name=DEPT_NAME, seal_name="Seal of the Administration",
            document_name="decision.pdf", document_sha256=sha256(document), url=f"{ISSUER}/s/{reference}",
            status_list=formats.status_list_url(ISSUER, 1), status_idx=ordinal, issued_at=stamped_at,
            service_item=SERVICE_ITEM,
        )  # fmt: skip
        files["record/stamp.jwt"] = sign(claims, m.seal, formats.STAMP).encode("ascii")
    ours = [m.log.append("stamp:create", stamped_at, None, reason=reference)]
    record = {
        "kind": "document",
        "reference": reference,
        "name": "decision.pdf",
        "title": "Administrative decision",
        "media_type": "application/pdf",
        "sha256": sha256(document),
        "department": {"credit_code": DEPT, "name": DEPT_NAME},
        "service_item": {"code": SERVICE_ITEM, "name": SERVICE_ITEM_NAME},
        "deposited_at": iso(stamped_at),
        "decided_at": None,
        "stamp": seal,
        "status_history": [{"at": iso(stamped_at), "action": "document:deposit", "reason": "filed"}],
    }
    retention = {"years": None, "event": "decision", "until": None}
    metadata = {
        "format": "registry-archive-package/1",
        "record": record,
        "archival": archival(m, ordinal, retention, year),
    }
    files = {"metadata.json": dump(metadata), **files, **m.evidence(ours, sealed=stamp is not None)}
    info = bag_info("document", reference, ordinal, total, "permanent", year)
    return bag(export / series_name(year) / f"document-{reference}", files, info)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def rebag(package: Path) -> None:
    """What an attacker who changed the payload does next: manifests, Payload-Oxum and tag manifests anew."""
    bagit.Bag(str(package)).save(manifests=True)


def replace(path: Path, old: bytes, new: bytes) -> None:
    """Change the first `old` in the file to `new`."""
    data = path.read_bytes()
    assert old in data, f"{old!r} is not in {path}"
    path.write_bytes(data.replace(old, new, 1))


def flip(path: Path, at: int | None = None) -> None:
    """Change one byte (the middle one unless `at` is given) by one bit."""
    data = bytearray(path.read_bytes())
    at = len(data) // 2 if at is None else at
    data[at] ^= 0x01
    path.write_bytes(bytes(data))
