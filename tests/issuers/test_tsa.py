"""The RFC 3161 time-stamping authority, checked by OpenSSL (`openssl ts`), a tool we did not write."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from asn1crypto import tsp

from issuers.tsa import TimeStampAuthority, TimestampError, request_for, token_from_reply
from issuers.x509ca import to_pem
from tests.factories import system_tool, time_stamping_authority

OPENSSL = system_tool("openssl", "openssl")
NOW = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> tuple[TimeStampAuthority, Path]:
    folder = tmp_path_factory.mktemp("tsa")
    tsa, root = time_stamping_authority("Registry", NOW)
    (folder / "ca.pem").write_text(to_pem(root))
    return tsa, folder


def openssl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([OPENSSL, "ts", *args], cwd=cwd, capture_output=True, text=True, check=False)


def test_openssl_verifies_a_token_for_its_own_query(authority: tuple[TimeStampAuthority, Path]) -> None:
    tsa, folder = authority
    (folder / "decision.txt").write_text("Administrative decision No. 2026-0042\n")
    made = openssl("-query", "-data", "decision.txt", "-sha256", "-cert", "-out", "q.tsq", cwd=folder)
    assert made.returncode == 0, made.stderr
    (folder / "r.tsr").write_bytes(tsa.respond((folder / "q.tsq").read_bytes()))
    checked = openssl("-verify", "-in", "r.tsr", "-queryfile", "q.tsq", "-CAfile", "ca.pem", cwd=folder)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Verification: OK" in checked.stdout
    shown = openssl("-reply", "-in", "r.tsr", "-text", cwd=folder).stdout
    assert "Status: Granted." in shown and "Policy OID: 1.2.156.3005.2.99.1" in shown
    assert "Nonce: 0x" in shown and "Accuracy: 0x01 seconds" in shown
    # The same token checked against the data itself, and against other data.
    by_data = openssl("-verify", "-in", "r.tsr", "-data", "decision.txt", "-CAfile", "ca.pem", cwd=folder)
    assert "Verification: OK" in by_data.stdout
    (folder / "other.txt").write_text("Administrative decision No. 9999-FAKE\n")
    forged = openssl("-verify", "-in", "r.tsr", "-data", "other.txt", "-CAfile", "ca.pem", cwd=folder)
    assert forged.returncode != 0 and "Verification: OK" not in forged.stdout


def test_a_token_made_in_process_verifies_with_openssl_as_a_token(authority: tuple[TimeStampAuthority, Path]) -> None:
    tsa, folder = authority
    data = b'{"size": 12, "root": "..."}'
    (folder / "checkpoint.jws").write_bytes(data)
    (folder / "token.der").write_bytes(tsa.stamp(data))
    checked = openssl(
        "-verify", "-data", "checkpoint.jws", "-in", "token.der", "-token_in", "-CAfile", "ca.pem", cwd=folder
    )
    assert "Verification: OK" in checked.stdout, checked.stdout + checked.stderr


def test_the_client_takes_a_granted_reply_and_refuses_another(authority: tuple[TimeStampAuthority, Path]) -> None:
    tsa, _ = authority
    request, nonce = request_for(b"data")
    token = token_from_reply(tsa.respond(request), b"data", nonce)
    assert token.startswith(b"0")  # a DER SEQUENCE
    with pytest.raises(TimestampError) as mismatch:
        token_from_reply(tsa.respond(request), b"other data", nonce)
    assert mismatch.value.code == "TSA_REPLY_MISMATCH"


def imprint_request(algorithm: str, length: int, **extra: object) -> bytes:
    imprint = {"hash_algorithm": {"algorithm": algorithm}, "hashed_message": b"\0" * length}
    return bytes(tsp.TimeStampReq({"version": "v1", "message_imprint": imprint, **extra}).dump())


@pytest.mark.parametrize(
    ("request_der", "failure"),
    [
        (b"not DER at all", "the data submitted has the wrong format"),
        (imprint_request("md5", 16), "unrecognized or unsupported algorithm identifier"),
        (imprint_request("sha256", 20), "the data submitted has the wrong format"),
        (imprint_request("sha256", 32, req_policy="1.2.3.4"), "the requested TSA policy is not supported"),
    ],
)
def test_bad_requests_are_rejected_with_a_reason_openssl_reads(
    authority: tuple[TimeStampAuthority, Path], request_der: bytes, failure: str
) -> None:
    tsa, folder = authority
    (folder / "rejected.tsr").write_bytes(tsa.respond(request_der))
    shown = openssl("-reply", "-in", "rejected.tsr", "-text", cwd=folder).stdout
    assert "Status: Rejected." in shown and failure in shown, shown
