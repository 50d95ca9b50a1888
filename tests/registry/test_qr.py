"""QR codes: read back by zbar (a reader that is not ours) to the same text, verified offline, version <= 15."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from PIL import Image

from registry import qr
from tests.factories import World, certificate_body, system_tool
from verifiers import VerificationFailed, Verifier

ZBARIMG = system_tool("zbarimg", "zbar-tools")


def issue(client: FlaskClient, world: World, kind: str = "person", name: str = "张三", **fields: Any) -> dict[str, Any]:
    body = certificate_body(world.type_a, holder_id=world.holder_id, **fields)
    body["holder"]["name"] = name
    response = client.post("/api/v1/certificates", json=body, headers=world.headers("issuer_a"))
    assert response.status_code == 201
    return dict(response.json)


def zbar(png: bytes, tmp_path: Path) -> str:
    path = tmp_path / "qr.png"
    path.write_bytes(png)
    # QR only: with every symbology on, zbar now and then also "finds" a linear barcode in the pattern.
    decoded = subprocess.run(
        [ZBARIMG, "--raw", "-q", "-Sdisable", "-Sqrcode.enable", str(path)], capture_output=True, timeout=30
    )
    assert decoded.returncode == 0, decoded.stderr
    return decoded.stdout.decode("utf-8").rstrip("\n")


def bundle_verifier(client: FlaskClient) -> Verifier:
    return Verifier.from_bundle(client.get("/api/v1/verifier-bundle").get_data(as_text=True))


@pytest.mark.parametrize("name", ["张三", "上海浦东新区某某某某国际贸易有限责任公司"])
def test_the_qr_reads_back_with_zbar_and_verifies_offline(
    client: FlaskClient, world: World, tmp_path: Path, name: str
) -> None:
    cert = issue(client, world, name=name)
    response = client.get(f"/api/v1/certificates/{cert['identifier']}/qr.png", headers=world.headers("holder"))
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert int(response.headers["X-QR-Version"]) <= 15
    text = zbar(response.data, tmp_path)
    assert text == f"https://registry.test/v/{text.split('/v/', 1)[1]}"
    verifier = bundle_verifier(client)  # only the bundle from here on: no registry involved
    result = verifier.verify(text)
    assert result.claims["jti"] == cert["identifier"]
    assert result.claims["holder_name"] == (name if len(name) <= 12 else name[:11] + "…")
    assert [c.code for c in result.checks] == ["OK"] * 7


def test_a_revoked_certificates_qr_fails_offline(client: FlaskClient, world: World, tmp_path: Path) -> None:
    cert = issue(client, world)
    png = client.get(f"/api/v1/certificates/{cert['identifier']}/qr.png", headers=world.headers("holder")).data
    client.post(
        f"/api/v1/certificates/{cert['identifier']}/revoke",
        json={"reason": "license_withdrawn"},
        headers=world.headers("issuer_a"),
    )
    with pytest.raises(VerificationFailed) as failed:
        bundle_verifier(client).verify(zbar(png, tmp_path))
    assert failed.value.code == "REVOKED"


def test_the_holder_can_choose_disclosures(client: FlaskClient, world: World, tmp_path: Path) -> None:
    cert = issue(client, world)
    response = client.get(
        f"/api/v1/certificates/{cert['identifier']}/qr.png?disclose=company_name", headers=world.headers("holder")
    )
    result = bundle_verifier(client).verify(zbar(response.data, tmp_path))
    assert result.disclosed == {"company_name": "示例有限公司"}
    bad = client.get(f"/api/v1/certificates/{cert['identifier']}/qr.png?disclose=nope", headers=world.headers("holder"))
    assert bad.status_code == 422


def test_svg_too(client: FlaskClient, world: World) -> None:
    cert = issue(client, world)
    response = client.get(f"/api/v1/certificates/{cert['identifier']}/qr.svg", headers=world.headers("issuer_a"))
    assert response.mimetype == "image/svg+xml" and b"<svg" in response.data
    assert (
        client.get(f"/api/v1/certificates/{cert['identifier']}/qr.gif", headers=world.headers("holder")).status_code
        == 404
    )


def test_a_repeated_request_costs_no_rendering(client: FlaskClient, world: World) -> None:
    cert = issue(client, world)
    url = f"/api/v1/certificates/{cert['identifier']}/qr.png"
    client.get(url, headers=world.headers("holder"))
    before = qr.render.cache_info()
    again = client.get(url, headers=world.headers("holder"))
    after = qr.render.cache_info()
    assert again.status_code == 200
    assert (after.hits, after.misses) == (before.hits + 1, before.misses)


@pytest.mark.parametrize(("who", "status"), [("other_holder", 404), ("issuer_b", 404), ("agency", 403)])
def test_only_the_holder_the_issuer_and_the_admin_get_the_qr(
    client: FlaskClient, world: World, who: str, status: int
) -> None:
    cert = issue(client, world)
    assert (
        client.get(f"/api/v1/certificates/{cert['identifier']}/qr.png", headers=world.headers(who)).status_code
        == status
    )


def test_issuance_renders_no_qr(client: FlaskClient, world: World) -> None:
    before = qr.render.cache_info()
    issue(client, world)
    assert qr.render.cache_info() == before


def test_certverify_reads_a_qr_image_itself(client: FlaskClient, world: World, served: str, tmp_path: Path) -> None:
    """`certverify check code.png`: the verifier's own QR reading (pyzbar, the `qr` extra) end to end."""
    from verifiers.cli import main as certverify

    cert = issue(client, world)
    image = tmp_path / "code.png"
    image.write_bytes(
        client.get(f"/api/v1/certificates/{cert['identifier']}/qr.png", headers=world.headers("holder")).data
    )
    bundle = tmp_path / "bundle.json"
    assert certverify(["bundle", "fetch", served, "-o", str(bundle)]) == 0
    assert certverify(["check", str(image), "--bundle", str(bundle)]) == 0
    blank = tmp_path / "blank.png"
    blank.write_bytes(_blank_png())
    assert certverify(["check", str(blank), "--bundle", str(bundle)]) == 2  # no QR code in it: cannot check


def _blank_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 200), "white").save(out, format="PNG")
    return out.getvalue()
