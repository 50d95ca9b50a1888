"""Signatures that outlive their keys: PDF stamps are PAdES B-LTA, and pyHanko's own AdES validator (the
`pyhanko` command, which we did not write) judges them as of their time-stamp: a stamp made before its
seal was compromised stays valid after `flask stamps renew` records the compromise; one made after does not."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import World
from tests.registry.test_stamps import compromise_seal, stamped_pdf, verify

PYHANKO = str(Path(sys.executable).parent / "pyhanko")


def adesverify(pdf: bytes, root: bytes, folder: Path) -> tuple[int, str]:
    (folder / "ca.pem").write_bytes(root)
    (folder / "stamped.pdf").write_bytes(pdf)
    done = subprocess.run(
        [PYHANKO, "sign", "adesverify", "--pretty-print", "--trust-replace", "--trust", "ca.pem", "stamped.pdf"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout


def test_a_stamp_is_time_stamped_and_carries_its_validation_data(
    client: FlaskClient, world: World, tmp_path: Path
) -> None:
    pdf, _ = stamped_pdf(client, world)
    status, report = adesverify(pdf, client.get("/api/v1/ca.pem").get_data(), tmp_path)
    assert status == 0, report
    assert "The signature is judged VALID." in report
    assert "The signer's certificate is trusted." in report
    assert "This timestamp is backed by a time stamping authority." in report
    assert "The TSA certificate is trusted." in report
    assert "All modifications relate to signature maintenance" in report  # validation data, document time-stamp


def test_a_stamp_made_before_a_compromise_outlives_it_and_one_made_after_does_not(
    client: FlaskClient, world: World, app: Flask, tmp_path: Path
) -> None:
    before, _ = stamped_pdf(client, world)
    time.sleep(2.2)  # time-stamps and revocation times are in whole seconds
    after, _ = stamped_pdf(client, world)
    # The key is found to have leaked between the two stamps, and marked compromised since then.
    compromise_seal(app, world, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1.1))
    renewed = {}
    for name, pdf in (("before", before), ("after", after)):
        (tmp_path / f"{name}.pdf").write_bytes(pdf)
        result = app.test_cli_runner().invoke(args=["stamps", "renew", str(tmp_path / f"{name}.pdf")])
        assert result.exit_code == 0, result.output
        renewed[name] = (tmp_path / f"{name}.pdf").read_bytes()
        assert renewed[name].startswith(pdf)  # incremental: the stamped bytes stay as they were
    root = client.get("/api/v1/ca.pem").get_data()
    status, report = adesverify(renewed["before"], root, tmp_path)
    assert status == 0 and "The signature is judged VALID." in report, report
    status, report = adesverify(renewed["after"], root, tmp_path)
    assert status != 0 and "The signer's certificate is revoked." in report, report
    # The registry's own check agrees, and a renewal adds nothing it counts as a change of content.
    assert verify(client, renewed["before"])["valid"] is True
    assert verify(client, renewed["after"])["valid"] is False
