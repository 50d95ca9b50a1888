"""Electronic seals on documents: stamped PDFs checked by tools that are not ours (pyHanko's validator,
poppler's pdfsig and pdftoppm, zbar), detached stamps for any file, revocation and compromised seals."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography import x509
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer

from issuers.pdfseal import read_stamps
from registry.models import Stamp, db
from tests.factories import World, pdf_document, system_tool
from verifiers import VerificationFailed, Verifier

PDFSIG, PDFTOPPM = system_tool("pdfsig", "poppler-utils"), system_tool("pdftoppm", "poppler-utils")
ZBARIMG = system_tool("zbarimg", "zbar-tools")


def stamp(client: FlaskClient, world: World, data: bytes | None, who: str = "issuer_a", **form: Any) -> Any:
    body: dict[str, Any] = {k: str(v) for k, v in form.items()}
    if data is not None:
        body["file"] = (io.BytesIO(data), form.pop("filename", "decision.pdf"))
    body.pop("filename", None)
    return client.post("/api/v1/stamps", data=body, headers=world.headers(who), content_type="multipart/form-data")


def stamped_pdf(client: FlaskClient, world: World, pages: int = 1, **form: Any) -> tuple[bytes, str]:
    response = stamp(client, world, pdf_document(pages), **form)
    assert response.status_code == 201, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    return response.get_data(), response.headers["X-Stamp-Reference"]


def verify(client: FlaskClient, data: bytes | None = None, **form: Any) -> dict[str, Any]:
    body: dict[str, Any] = dict(form)
    if data is not None:
        body["file"] = (io.BytesIO(data), "document")
    response = client.post("/api/v1/stamps/verify", data=body, content_type="multipart/form-data")
    assert response.status_code == 200, response.json
    return dict(response.json)


def codes(result: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["code"] for c in result["checks"]}


def root_certificate(client: FlaskClient) -> x509.Certificate:
    return x509.load_pem_x509_certificate(client.get("/api/v1/ca.pem").get_data())


def flip_signed_byte(pdf: bytes) -> bytes:
    """Change one byte of the signed content (the first page's text), keeping every offset in place."""
    at = pdf.index(b"Administrative decision") + 3
    return pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]


def pdfsig(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "stamped.pdf"
    path.write_bytes(pdf)
    return subprocess.run([PDFSIG, str(path)], capture_output=True, text=True, check=False).stdout


# Seal certificates --------------------------------------------------------------------------------


def test_each_seal_has_a_certificate_from_the_registry_ca(client: FlaskClient, world: World, app: Flask) -> None:
    root = root_certificate(client)
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    kid = next(k["kid"] for k in client.get("/.well-known/jwks.json").json["keys"] if k.get("dept") == world.dept_a)
    chain = x509.load_pem_x509_certificates(client.get(f"/api/v1/seals/{kid}/certificate.pem").get_data())
    seal_cert = chain[0]
    seal_cert.verify_directly_issued_by(root)
    assert chain[1] == root
    usage = seal_cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    serial = seal_cert.subject.get_attributes_for_oid(x509.NameOID.SERIAL_NUMBER)[0].value
    assert serial == world.dept_a
    picture = client.get(f"/api/v1/seals/{kid}/picture.png")
    assert picture.status_code == 200 and picture.get_data().startswith(b"\x89PNG")
    # The CA signs seal certificates only: it is not published as a signing key of anything.
    assert all(k["purpose"] != "ca" for k in client.get("/.well-known/jwks.json").json["keys"])


# Stamped PDFs -----------------------------------------------------------------------------------


def test_a_stamped_pdf_passes_pyhankos_validator_and_pdfsig(client: FlaskClient, world: World, tmp_path: Path) -> None:
    pdf, reference = stamped_pdf(client, world)
    [found] = read_stamps(pdf, root_certificate(client))  # pyHanko, with our root as the only trust anchor
    assert (found.intact, found.valid, found.trusted) == (True, True, True)
    # PAdES B-LTA: after the stamp's revision come validation data and a document time-stamp, nothing else.
    assert (found.covers_whole_file, found.later_changes) == (False, "stamps")
    assert found.reference == reference
    report = pdfsig(pdf, tmp_path)
    assert "Signature is Valid" in report, report
    assert "Signer Certificate Common Name: Registry Time-Stamping Authority" in report  # the document time-stamp
    # The original bytes are untouched: the stamp is an incremental update.
    assert pdf.startswith(pdf_document(1))


def test_one_changed_byte_makes_both_report_it_invalid(client: FlaskClient, world: World, tmp_path: Path) -> None:
    pdf, _ = stamped_pdf(client, world)
    tampered = flip_signed_byte(pdf)
    [found] = read_stamps(tampered, root_certificate(client))
    assert not found.intact
    report = pdfsig(tampered, tmp_path)
    assert "Signature is Valid" not in report
    assert "Digest Mismatch" in report or "Invalid" in report, report
    assert codes(verify(client, tampered))["document"] == "DOCUMENT_CHANGED"


def test_the_registry_verifies_a_stamped_pdf_check_by_check(client: FlaskClient, world: World) -> None:
    pdf, reference = stamped_pdf(client, world)
    result = verify(client, pdf)
    assert result["valid"] and result["kind"] == "pdf", result
    assert list(codes(result)) == ["format", "document", "signature", "seal", "key_status", "status"]
    assert result["stamps"][0]["stamp"]["reference"] == reference
    assert result["stamps"][0]["stamp"]["department"]["credit_code"] == world.dept_a


def test_the_visible_stamp_and_qr_are_on_the_requested_page(client: FlaskClient, world: World, tmp_path: Path) -> None:
    pdf, reference = stamped_pdf(client, world, pages=3, page=2, x=60, y=500)
    path = tmp_path / "stamped.pdf"
    path.write_bytes(pdf)
    subprocess.run([PDFTOPPM, "-r", "150", "-png", str(path), str(tmp_path / "page")], check=True)
    found = {}
    for page in (1, 2, 3):
        decoded = subprocess.run(
            [ZBARIMG, "-q", "--raw", "-Sdisable", "-Sqrcode.enable", str(tmp_path / f"page-{page}.png")],
            capture_output=True,
            text=True,
            check=False,
        )
        found[page] = decoded.stdout.strip()
    assert found[1] == "" and found[3] == ""
    assert found[2] == f"{client.application.config['REGISTRY_ISSUER']}/s/{reference}"

    # The seal's red is on page 2 where the box is, and nowhere on page 1.
    def red_pixels(page: int, box: tuple[int, int, int, int] | None = None) -> int:
        image = Image.open(tmp_path / f"page-{page}.png").convert("RGB")
        region = image.crop(box) if box else image
        return sum(1 for r, g, b in region.get_flattened_data() if r > 180 and g < 150 and b < 150)

    scale = 150 / 72
    height = 842 * scale
    box = (int(60 * scale), int(height - (500 + 90) * scale), int(260 * scale), int(height - 500 * scale))
    assert red_pixels(2, box) > 200
    assert red_pixels(1) == 0


def test_the_stamp_page_shows_the_record(client: FlaskClient, world: World) -> None:
    _, reference = stamped_pdf(client, world)
    page = client.get(f"/s/{reference}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<h1>有效</h1>" in text and world.dept_a in text and reference in text
    assert client.get("/s/00000000-0000-0000-0000-000000000000").status_code == 404


# Revocation and compromised seals ----------------------------------------------------------------


def revoke(client: FlaskClient, world: World, reference: str, who: str = "issuer_a") -> Any:
    return client.post(
        f"/api/v1/stamps/{reference}/revoke", json={"reason": "decision withdrawn"}, headers=world.headers(who)
    )


def test_a_revoked_pdf_stamp_fails_every_later_check(client: FlaskClient, world: World) -> None:
    pdf, reference = stamped_pdf(client, world)
    assert revoke(client, world, reference, who="issuer_b").status_code == 404  # not their stamp
    response = revoke(client, world, reference)
    assert response.status_code == 200 and response.json["status"] == "revoked"
    assert revoke(client, world, reference).json["code"] == "INVALID_TRANSITION"
    result = verify(client, pdf)
    assert not result["valid"] and codes(result)["status"] == "REVOKED"
    assert "已撤销" in client.get(f"/s/{reference}").get_data(as_text=True)


def compromise_seal(app: Flask, world: World, at: dt.datetime) -> None:
    runner = app.test_cli_runner()
    with app.app_context():
        from registry.models import Department, Seal

        seal = db.session.scalar(
            sa.select(Seal)
            .join(Department, Seal.department_id == Department.id)
            .where(Department.credit_code == world.dept_a)
        )
        assert seal is not None
        kid = seal.kid
    result = runner.invoke(args=["seal", "compromise", "--kid", kid, "--at", at.isoformat()])
    assert result.exit_code == 0, result.output


def test_a_pdf_stamped_after_the_seal_was_compromised_fails(client: FlaskClient, world: World, app: Flask) -> None:
    pdf, _ = stamped_pdf(client, world)
    compromise_seal(app, world, dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    result = verify(client, pdf)
    assert not result["valid"] and codes(result)["key_status"] == "KEY_COMPROMISED"


# Detached stamps --------------------------------------------------------------------------------

DOCUMENT = "审批决定书 no. 2026-0042\n".encode() * 50


def detached(client: FlaskClient, world: World, data: bytes = DOCUMENT, **form: Any) -> dict[str, Any]:
    response = stamp(client, world, data, filename="decision.txt", **form)
    assert response.status_code == 201, response.json
    return dict(response.json)


def test_a_detached_stamp_for_any_file(client: FlaskClient, world: World) -> None:
    record = detached(client, world)
    assert record["kind"] == "detached"
    assert record["document"] == {"name": "decision.txt", "sha256": hashlib.sha256(DOCUMENT).hexdigest()}
    assert base64.b64decode(record["qr_png"]).startswith(b"\x89PNG")
    assert record["verification_url"].endswith(f"/s/{record['reference']}")
    result = verify(client, DOCUMENT, stamp=record["stamp"])
    assert result["valid"], result
    assert list(codes(result)) == ["format", "signature", "issuer", "key_status", "document", "status"]


def test_a_detached_stamp_of_only_the_hash(client: FlaskClient, world: World) -> None:
    digest = hashlib.sha256(b"a file the registry never sees").hexdigest()
    response = stamp(client, world, None, sha256=digest, name="contract.docx")
    assert response.status_code == 201 and response.json["document"]["sha256"] == digest
    assert verify(client, stamp=response.json["stamp"], sha256=digest)["valid"]


def test_a_changed_file_fails_with_document_changed(client: FlaskClient, world: World) -> None:
    record = detached(client, world)
    result = verify(client, DOCUMENT + b"!", stamp=record["stamp"])
    assert not result["valid"] and codes(result)["document"] == "DOCUMENT_CHANGED"


def test_a_wrong_stamp_fails(client: FlaskClient, world: World) -> None:
    other = detached(client, world, b"another document")
    assert codes(verify(client, DOCUMENT, stamp=other["stamp"]))["document"] == "DOCUMENT_CHANGED"
    header, payload, signature = detached(client, world)["stamp"].split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    assert codes(verify(client, DOCUMENT, stamp=forged))["signature"] == "BAD_SIGNATURE"
    certificate_form = client.post(
        "/api/v1/certificates",
        json={
            "type": world.type_a,
            "holder": {"kind": "person", "id": world.holder_id, "name": "王五"},
            "fields": {"company_name": "x", "legal_representative": "y", "established_on": "2021-01-01"},
        },
        headers=world.headers("issuer_a"),
    ).json["signed_form"]
    assert codes(verify(client, DOCUMENT, stamp=certificate_form.split("~")[0]))["format"] == "WRONG_TYPE"


def test_a_revoked_detached_stamp_fails_online_and_offline(client: FlaskClient, world: World) -> None:
    record = detached(client, world)
    revoke(client, world, record["reference"])
    assert codes(verify(client, DOCUMENT, stamp=record["stamp"]))["status"] == "REVOKED"
    verifier = Verifier.from_bundle(client.get("/api/v1/verifier-bundle").get_data(as_text=True))
    with pytest.raises(VerificationFailed) as failed:
        verifier.verify_stamp(record["stamp"], DOCUMENT)
    assert failed.value.code == "REVOKED"


def test_a_detached_stamp_verifies_offline_with_the_bundle_only(client: FlaskClient, world: World) -> None:
    record = detached(client, world)
    verifier = Verifier.from_bundle(client.get("/api/v1/verifier-bundle").get_data(as_text=True))
    verified = verifier.verify_stamp(record["stamp"], DOCUMENT)
    assert verified.claims["doc"]["name"] == "decision.txt" and verified.claims["dept"] == world.dept_a
    with pytest.raises(VerificationFailed) as failed:
        verifier.verify_stamp(record["stamp"], DOCUMENT + b"x")
    assert failed.value.code == "DOCUMENT_CHANGED"
    with pytest.raises(VerificationFailed) as failed:
        verifier.verify_stamp(record["stamp"])
    assert failed.value.code == "DOCUMENT_NOT_GIVEN"


def test_a_detached_stamp_after_a_compromise_fails(client: FlaskClient, world: World, app: Flask) -> None:
    record = detached(client, world)
    compromise_seal(app, world, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
    result = verify(client, DOCUMENT, stamp=record["stamp"])
    assert not result["valid"] and codes(result)["key_status"] == "KEY_COMPROMISED"


# Bad input, and who may stamp ------------------------------------------------------------------------


def stamp_count(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(Stamp)) or 0)


def encrypted_pdf() -> bytes:
    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(pdf_document(1))))
    writer.encrypt("owner-secret", "user-secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "form", "status", "code"),
    [
        (b"plain text, not a PDF", {"kind": "pdf"}, 422, "NOT_A_PDF"),
        (pdf_document(2)[:300], {}, 422, "PDF_DAMAGED"),
        (b"%PDF-1.7\n" + b"\x00" * 400, {}, 422, "PDF_DAMAGED"),
        (None, {"kind": "pdf", "sha256": "0" * 64}, 422, "FILE_REQUIRED"),
        (pdf_document(2), {"page": 3}, 422, "PAGE_NOT_FOUND"),
        (pdf_document(1), {"x": 500}, 422, "POSITION_OFF_PAGE"),
        (pdf_document(1), {"y": -10}, 422, "POSITION_OFF_PAGE"),
        (pdf_document(1), {"service_item": "NO-SUCH-ITEM"}, 404, "SERVICE_ITEM_NOT_FOUND"),
    ],
)
def test_bad_input_gets_a_clear_code_and_nothing_is_kept(
    client: FlaskClient, world: World, app: Flask, data: bytes | None, form: dict[str, Any], status: int, code: str
) -> None:
    response = stamp(client, world, data, **form)
    assert (response.status_code, response.json["code"]) == (status, code), response.json
    assert stamp_count(app) == 0


def test_an_encrypted_pdf_is_refused(client: FlaskClient, world: World, app: Flask) -> None:
    response = stamp(client, world, encrypted_pdf())
    assert (response.status_code, response.json["code"]) == (422, "PDF_ENCRYPTED")
    assert stamp_count(app) == 0


def test_an_oversized_upload_gets_413(client: FlaskClient, world: World, app: Flask) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    response = stamp(client, world, pdf_document(1) + b"%" + b"x" * 60_000)
    assert response.status_code == 413 and response.json["code"] in ("PAYLOAD_TOO_LARGE", "FILE_TOO_LARGE")
    assert stamp_count(app) == 0


@pytest.mark.parametrize("who", ["agency", "admin", "holder"])
def test_only_an_issuing_department_stamps(client: FlaskClient, world: World, who: str) -> None:
    response = stamp(client, world, pdf_document(1), who=who)
    assert (response.status_code, response.json["code"]) == (403, "ROLE_NOT_PERMITTED")
    anonymous = client.post("/api/v1/stamps", data={"file": (io.BytesIO(pdf_document(1)), "a.pdf")})
    assert anonymous.status_code == 401


def test_stamping_and_verifying_are_in_the_access_log(client: FlaskClient, world: World, app: Flask) -> None:
    pdf, reference = stamped_pdf(client, world)
    verify(client, pdf)
    with app.app_context():
        from registry.models import LogEntry

        actions = list(
            db.session.scalars(sa.select(LogEntry.action).where(LogEntry.reason.like(f"stamp {reference}%")))
        )
    assert actions == ["stamp:create", "stamp:verify"]


def test_certverify_checks_a_document_against_its_detached_stamp(
    client: FlaskClient, world: World, served: str, tmp_path: Path
) -> None:
    from verifiers.cli import main as certverify

    record = detached(client, world)
    bundle, document, stamp_file = tmp_path / "bundle.json", tmp_path / "decision.txt", tmp_path / "stamp.jwt"
    assert certverify(["bundle", "fetch", served, "-o", str(bundle)]) == 0
    document.write_bytes(DOCUMENT)
    stamp_file.write_text(record["stamp"])
    assert certverify(["stamp", str(document), "--stamp", str(stamp_file), "--bundle", str(bundle)]) == 0
    document.write_bytes(DOCUMENT + b"changed")
    assert certverify(["stamp", str(document), "--stamp", str(stamp_file), "--bundle", str(bundle)]) == 1


def revocation_list(client: FlaskClient) -> x509.CertificateRevocationList:
    response = client.get("/api/v1/ca.crl")
    assert response.status_code == 200 and response.mimetype == "application/pkix-crl"
    crl = x509.load_der_x509_crl(response.get_data())
    assert crl.is_signature_valid(root_certificate(client).public_key())  # type: ignore[arg-type]
    return crl


def test_a_pdf_reader_learns_of_a_compromised_seal_from_the_ca_revocation_list(
    client: FlaskClient, world: World, app: Flask
) -> None:
    pdf, _ = stamped_pdf(client, world)
    [found] = read_stamps(pdf, root_certificate(client))
    assert found.signer_certificate is not None
    points = found.signer_certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert points[0].full_name[0].value == f"{app.config['REGISTRY_ISSUER']}/api/v1/ca.crl"
    # Before: the list is empty, and a validator that insists on revocation data trusts the stamp.
    assert len(revocation_list(client)) == 0
    [checked] = read_stamps(pdf, root_certificate(client), crls=[revocation_list(client)])
    assert checked.trusted
    # After the seal is marked compromised, the list names its certificate and the validator refuses it.
    compromise_seal(app, world, dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    crl = revocation_list(client)
    revoked = crl.get_revoked_certificate_by_serial_number(found.signer_certificate.serial_number)
    assert revoked is not None
    assert revoked.extensions.get_extension_for_class(x509.CRLReason).value.reason == x509.ReasonFlags.key_compromise
    [refused] = read_stamps(pdf, root_certificate(client), crls=[crl])
    assert refused.intact and not refused.trusted


@pytest.mark.parametrize("who", ["agency", "admin", "holder"])
def test_only_the_stamping_department_revokes(client: FlaskClient, world: World, who: str) -> None:
    _, reference = stamped_pdf(client, world)
    response = revoke(client, world, reference, who=who)
    assert (response.status_code, response.json["code"]) == (403, "ROLE_NOT_PERMITTED")
    anonymous = client.post(f"/api/v1/stamps/{reference}/revoke", json={"reason": "x"})
    assert anonymous.status_code == 401
    assert client.get(f"/api/v1/stamps/{reference}").json["status"] == "valid"
