"""Trusted time: the registry's RFC 3161 authority answers over HTTP and time-stamps every checkpoint;
with REGISTRY_TSA_URL an external authority does. Checked with `openssl ts`, which we did not write."""

from __future__ import annotations

import base64
import datetime as dt
import io
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from issuers.tsa import QUERY_TYPE, REPLY_TYPE, TimeStampAuthority
from issuers.x509ca import to_pem
from tests.factories import World, system_tool, time_stamping_authority
from tests.registry.test_access_log import issue

OPENSSL = system_tool("openssl", "openssl")


def openssl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([OPENSSL, "ts", *args], cwd=cwd, capture_output=True, text=True, check=False)


def test_the_registrys_tsa_answers_a_query_openssl_made_and_openssl_verifies_it(
    client: FlaskClient, world: World, tmp_path: Path
) -> None:
    (tmp_path / "ca.pem").write_bytes(client.get("/api/v1/ca.pem").get_data())
    chain = client.get("/api/v1/tsa.pem").get_data(as_text=True)
    assert "BEGIN CERTIFICATE" in chain
    (tmp_path / "minutes.txt").write_text("Minutes of the licensing committee, 30 November 2026\n")
    openssl("-query", "-data", "minutes.txt", "-sha256", "-cert", "-out", "q.tsq", cwd=tmp_path)
    response = client.post("/api/v1/tsa", data=(tmp_path / "q.tsq").read_bytes(), headers={"Content-Type": QUERY_TYPE})
    assert response.status_code == 200 and response.mimetype == REPLY_TYPE
    (tmp_path / "r.tsr").write_bytes(response.get_data())
    checked = openssl("-verify", "-in", "r.tsr", "-queryfile", "q.tsq", "-CAfile", "ca.pem", cwd=tmp_path)
    assert "Verification: OK" in checked.stdout, checked.stdout + checked.stderr


def test_garbage_gets_a_rejection_not_an_error(client: FlaskClient, world: World, tmp_path: Path) -> None:
    response = client.post("/api/v1/tsa", data=b"\x30\x82garbage", headers={"Content-Type": QUERY_TYPE})
    assert response.status_code == 200
    (tmp_path / "r.tsr").write_bytes(response.get_data())
    assert "Status: Rejected." in openssl("-reply", "-in", "r.tsr", "-text", cwd=tmp_path).stdout


def verify_checkpoint_token(document: dict[str, Any], ca_pem: bytes, folder: Path) -> subprocess.CompletedProcess[str]:
    (folder / "checkpoint.jws").write_text(document["signed"])
    (folder / "checkpoint.tst").write_bytes(base64.b64decode(document["timestamp_token"]))
    (folder / "root.pem").write_bytes(ca_pem)
    return openssl(
        "-verify", "-data", "checkpoint.jws", "-in", "checkpoint.tst", "-token_in", "-CAfile", "root.pem", cwd=folder
    )


def test_every_checkpoint_carries_a_token_over_its_signed_bytes(
    client: FlaskClient, world: World, tmp_path: Path
) -> None:
    issue(client, world, 2)
    document = client.get("/api/v1/log/checkpoint").json
    assert document["timestamp_token"]
    checked = verify_checkpoint_token(document, client.get("/api/v1/ca.pem").get_data(), tmp_path)
    assert "Verification: OK" in checked.stdout, checked.stdout + checked.stderr
    # The token is for these bytes: one changed character and OpenSSL refuses it.
    changed = dict(document, signed=document["signed"][:-2] + ("A" if document["signed"][-2] != "A" else "B") + "x")
    assert (
        "Verification: OK"
        not in verify_checkpoint_token(changed, client.get("/api/v1/ca.pem").get_data(), tmp_path).stdout
    )


class _Authority(BaseHTTPRequestHandler):
    tsa: TimeStampAuthority

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        reply = self.tsa.respond(body)
        self.send_response(200)
        self.send_header("Content-Type", REPLY_TYPE)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def external_tsa(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Another authority, with its own root, served over HTTP on a loopback port."""
    tsa, root = time_stamping_authority("City TSA", dt.datetime.now(dt.UTC))
    (tmp_path / "external-root.pem").write_text(to_pem(root))
    handler = type("Handler", (_Authority,), {"tsa": tsa})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/tsa", tmp_path / "external-root.pem"
    finally:
        server.shutdown()
        server.server_close()


def test_with_an_external_tsa_configured_checkpoints_carry_its_tokens(
    app: Flask, client: FlaskClient, world: World, tmp_path: Path, external_tsa: tuple[str, Path]
) -> None:
    url, external_root = external_tsa
    app.config["REGISTRY_TSA_URL"] = url
    issue(client, world, 1)
    document = client.get("/api/v1/log/checkpoint").json
    checked = verify_checkpoint_token(document, external_root.read_bytes(), tmp_path)
    assert "Verification: OK" in checked.stdout, checked.stdout + checked.stderr


def test_an_unreachable_tsa_leaves_the_checkpoint_without_a_token_not_failing(
    app: Flask, client: FlaskClient, world: World
) -> None:
    app.config["REGISTRY_TSA_URL"] = "http://127.0.0.1:9/tsa"  # the discard port: nothing answers
    issue(client, world, 1)
    response = client.get("/api/v1/log/checkpoint")
    assert response.status_code == 200
    assert response.json["timestamp_token"] is None and response.json["signed"]


def test_a_detached_stamp_carries_a_token_over_its_bytes(client: FlaskClient, world: World, tmp_path: Path) -> None:
    response = client.post(
        "/api/v1/stamps",
        data={"file": (io.BytesIO(b"Licence register extract, 30 November 2026\n"), "extract.txt")},
        headers=world.headers("issuer_a"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.json
    document = {"signed": response.json["stamp"], "timestamp_token": response.json["timestamp_token"]}
    checked = verify_checkpoint_token(document, client.get("/api/v1/ca.pem").get_data(), tmp_path)
    assert "Verification: OK" in checked.stdout, checked.stdout + checked.stderr
    shown = client.get(f"/api/v1/stamps/{response.json['reference']}", headers=world.headers("issuer_a"))
    assert shown.json["timestamp_token"] == response.json["timestamp_token"]


def test_a_request_must_be_a_timestamp_query_with_a_body(client: FlaskClient, world: World) -> None:
    assert client.post("/api/v1/tsa").status_code == 415
    empty = client.post("/api/v1/tsa", data=b"", headers={"Content-Type": QUERY_TYPE})
    assert empty.status_code == 422 and empty.json["code"] == "TSA_REQUEST_REQUIRED"
    as_json = client.post("/api/v1/tsa", json={"hash": "00"})
    assert as_json.status_code == 415 and as_json.json["code"] == "UNSUPPORTED_MEDIA_TYPE"
