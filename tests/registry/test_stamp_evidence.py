"""Stamps nobody can repaint: a later revision that changes what a page shows fails, in our check and in
pyHanko's (the first stamp certifies the document); co-stamping by two departments stays valid; damaged
signatures get a code, never a 500."""

from __future__ import annotations

import io
import random
from collections import Counter

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from flask.testing import FlaskClient
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.stamp import TextStamp, TextStampStyle
from pyhanko_certvalidator import ValidationContext

from tests.factories import World
from tests.registry.test_stamps import codes, root_certificate, stamp, stamped_pdf, verify

TITLE_BOX = (60, 740, 560, 800)  # over the first page's title line


def overlay(pdf: bytes, text: str = "Decision No. 9999-FAKE") -> bytes:
    """The attack: a later revision adds an unsigned signature field whose appearance paints over the title."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    fields.append_signature_field(writer, fields.SigFieldSpec("Overlay", on_page=0, box=TITLE_BOX))
    field = writer.root["/AcroForm"]["/Fields"][-1].get_object()
    painted = TextStamp(writer, style=TextStampStyle(stamp_text=text, border_width=0))
    painted.box = BoxConstraints(width=TITLE_BOX[2] - TITLE_BOX[0], height=TITLE_BOX[3] - TITLE_BOX[1])
    field["/AP"] = generic.DictionaryObject({generic.NameObject("/N"): painted.register()})
    writer.update_container(field)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pyhanko_says(pdf: bytes, client: FlaskClient) -> list[bool]:
    """pyHanko's own verdict (its default policy) per signature, with our root as the trust anchor."""
    root = asn1_x509.Certificate.load(root_certificate(client).public_bytes(serialization.Encoding.DER))
    context = ValidationContext(trust_roots=[root], allow_fetching=False)
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    return [validate_pdf_signature(s, context).bottom_line for s in reader.embedded_regular_signatures]


def test_a_stamped_pdf_is_certified_and_pyhanko_finds_it_valid(client: FlaskClient, world: World) -> None:
    pdf, _ = stamped_pdf(client, world)
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    [signature] = reader.embedded_regular_signatures
    assert signature.docmdp_level is not None  # a certification signature with DocMDP permissions
    assert pyhanko_says(pdf, client) == [True]


def test_an_overlay_painted_by_a_later_revision_fails_here_and_in_pyhanko(client: FlaskClient, world: World) -> None:
    pdf, _ = stamped_pdf(client, world)
    forged = overlay(pdf)
    result = verify(client, forged)
    assert result["valid"] is False
    assert codes(result)["document"] == "DOCUMENT_MODIFIED"
    assert pyhanko_says(forged, client) == [False]


def test_an_overlay_over_a_co_stamped_document_fails_too(client: FlaskClient, world: World) -> None:
    pdf, _ = stamped_pdf(client, world)
    response = stamp(client, world, pdf, who="issuer_b", x=100)
    assert response.status_code == 201, response.json
    result = verify(client, overlay(response.get_data()))
    assert [codes(s)["document"] for s in result["stamps"]] == ["DOCUMENT_MODIFIED", "DOCUMENT_MODIFIED"]


def test_two_departments_co_stamping_one_decision_stays_valid(client: FlaskClient, world: World) -> None:
    pdf, _ = stamped_pdf(client, world)
    response = stamp(client, world, pdf, who="issuer_b", x=100)
    assert response.status_code == 201, response.json
    result = verify(client, response.get_data())
    assert result["valid"] is True, result
    assert [s["stamp"]["department"]["credit_code"] for s in result["stamps"]] == [world.dept_a, world.dept_b]


def test_a_foreign_signature_added_later_is_a_modification(client: FlaskClient, world: World) -> None:
    """A signature field signed by a key that is not a seal of this registry may paint what it likes."""
    pdf, _ = stamped_pdf(client, world)
    forged = overlay(pdf, text="Approved by the Mayor")
    assert codes(verify(client, forged))["document"] == "DOCUMENT_MODIFIED"


def test_a_malformed_signature_gets_a_code_when_stamping_and_verifying(client: FlaskClient, world: World) -> None:
    pdf, _ = stamped_pdf(client, world)
    start = pdf.index(b"/Contents <") + len(b"/Contents <")
    damaged = pdf[:start] + b"zz" + pdf[start + 2 :]  # not hexadecimal
    result = verify(client, damaged)
    assert result["valid"] is False
    assert codes(result)["format"] == "SIGNATURE_MALFORMED"
    response = stamp(client, world, damaged)
    assert response.status_code == 422
    assert response.json["code"] == "SIGNATURE_MALFORMED"


def test_a_hundred_random_mutations_never_get_a_500(client: FlaskClient, world: World) -> None:
    fuzz(client, world, 100, seed=1)


@pytest.mark.slow
def test_a_thousand_random_mutations_never_get_a_500(client: FlaskClient, world: World) -> None:
    fuzz(client, world, 1000, seed=20261130)


def fuzz(client: FlaskClient, world: World, count: int, seed: int) -> None:
    """Random bytes changed in a stamped PDF, then verified and stamped again (each from its own address, as
    the public verification's rate limit is per address)."""
    pdf, _ = stamped_pdf(client, world)
    rng = random.Random(seed)
    answers: Counter[tuple[str, int]] = Counter()
    for i in range(count):
        mutated = bytearray(pdf)
        for _ in range(rng.choice((1, 1, 2, 8))):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        address = {"REMOTE_ADDR": f"10.{i // 65536}.{i // 256 % 256}.{i % 256}"}
        for path, headers in (("/api/v1/stamps/verify", {}), ("/api/v1/stamps", world.headers("issuer_a"))):
            body = {"file": (io.BytesIO(bytes(mutated)), "document.pdf")}
            answer = client.post(
                path, data=body, headers=headers, content_type="multipart/form-data", environ_base=address
            )
            answers[(path, answer.status_code)] += 1
            assert answer.status_code < 500, (path, answer.get_data(as_text=True)[:300])
    assert answers[("/api/v1/stamps/verify", 200)] == count, answers  # each answered check by check
    assert answers[("/api/v1/stamps", 201)] + answers[("/api/v1/stamps", 422)] == count, answers


def test_a_number_pyhanko_cannot_parse_gets_a_code_not_a_500(client: FlaskClient, world: World) -> None:
    """Found by the fuzz test: a mangled number in the signature dictionary raised decimal.InvalidOperation."""
    pdf, _ = stamped_pdf(client, world)
    assert b"/ByteRange [0 " in pdf
    mangled = pdf.replace(b"/ByteRange [0 ", b"/ByteRange [-. ", 1)  # same length: every offset stays
    result = verify(client, mangled)
    assert result["valid"] is False and codes(result)["format"] in ("SIGNATURE_MALFORMED", "PDF_DAMAGED")
    assert stamp(client, world, mangled).status_code == 422
