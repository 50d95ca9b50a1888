"""certverify: fetch a signed bundle from a running registry, then check certificates with no registry at all."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

import jwt
import pytest
from flask.testing import FlaskClient

from issuers.signing import SoftwareSigner, generate_private_key, jws_encode
from tests.factories import World, certificate_body
from tests.verifiers.test_identifiers import REAL as REAL_IDENTIFIERS
from verifiers import InvalidBundle, read_bundle
from verifiers.cli import main

PROJECT = Path(__file__).resolve().parents[2]


def issue(client: FlaskClient, world: World) -> dict[str, Any]:
    response = client.post(
        "/api/v1/certificates", json=certificate_body(world.type_a), headers=world.headers("issuer_a")
    )
    assert response.status_code == 201
    return dict(response.json)


@pytest.fixture
def offline(client: FlaskClient, world: World, served: str, tmp_path: Path) -> dict[str, Any]:
    """A valid and a revoked certificate, and a bundle fetched over HTTP afterwards."""
    good, revoked = issue(client, world), issue(client, world)
    client.post(
        f"/api/v1/certificates/{revoked['identifier']}/revoke",
        json={"reason": "license_withdrawn"},
        headers=world.headers("issuer_a"),
    )
    bundle = tmp_path / "bundle.json"
    assert main(["bundle", "fetch", served, "-o", str(bundle)]) == 0
    return {"good": good["signed_form"], "revoked": revoked["signed_form"], "bundle": bundle}


def run(*args: str) -> int:
    return main(list(args))


def test_a_valid_certificate_checks_offline(offline: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert run("check", offline["good"], "--bundle", str(offline["bundle"])) == 0
    out = capsys.readouterr().out
    for name in ("format", "signature", "issuer", "key_status", "validity", "status", "disclosures"):
        assert f"{name:12} PASS" in out
    assert "company_name: 示例有限公司" in out and out.strip().endswith("VALID")


def test_a_revoked_certificate_fails_offline(offline: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert run("check", offline["revoked"], "--bundle", str(offline["bundle"])) == 1
    out = capsys.readouterr().out
    assert "status       FAIL  REVOKED" in out and "NOT VALID: REVOKED" in out


def test_urls_and_files_are_read_as_presented(offline: dict[str, Any], tmp_path: Path) -> None:
    assert run("check", f"https://registry.test/v/{offline['good']}", "--bundle", str(offline["bundle"])) == 0
    held = tmp_path / "token.txt"
    held.write_text(offline["good"] + "\n")
    assert run("check", str(held), "--bundle", str(offline["bundle"])) == 0


def test_a_stale_bundle_fails_with_max_age_and_warns_without(
    offline: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("check", offline["good"], "--bundle", str(offline["bundle"]), "--max-age", "0") == 1
    assert "STALE_BUNDLE" in capsys.readouterr().out
    monkeypatch.setattr("verifiers.cli.WARN_AGE", -1)
    assert run("check", offline["good"], "--bundle", str(offline["bundle"])) == 0
    assert "warning: the bundle is" in capsys.readouterr().err


def test_bundles_that_cannot_be_trusted_stop_the_check(offline: dict[str, Any], tmp_path: Path) -> None:
    assert run("check", offline["good"], "--bundle", str(tmp_path / "missing.json")) == 2
    assert run("check", offline["good"], "--bundle", str(offline["bundle"]), "--trust-kid", "someone-else") == 2
    claims = jwt.decode(offline["bundle"].read_text(), options={"verify_signature": False})
    forger = SoftwareSigner(generate_private_key())
    forged_keys = {"keys": [*claims["jwks"]["keys"], {**forger.public_jwk(), "purpose": "registry"}]}
    forged = tmp_path / "forged.json"
    forged.write_text(jws_encode({**claims, "jwks": forged_keys}, forger, "verifier-bundle+jwt"))
    real_kid = jwt.get_unverified_header(offline["bundle"].read_text())["kid"]
    with pytest.raises(InvalidBundle):
        read_bundle(forged.read_text(), trusted_kids=[real_kid])
    assert (
        run("check", offline["good"], "--bundle", str(forged), f"--trust-kid={real_kid}") == 2
    )  # a kid may start with "-"
    tampered = tmp_path / "tampered.json"
    head, payload, signature = offline["bundle"].read_text().split(".")
    tampered.write_text(f"{head}.{payload[:-8]}AAAAAAAA.{signature}")
    assert run("check", offline["good"], "--bundle", str(tampered)) == 2


def test_the_verifier_installs_and_runs_on_its_own(offline: dict[str, Any], tmp_path: Path) -> None:
    env_dir = tmp_path / "standalone"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    # Install from a copy: a build leaves build/ and egg-info behind in the folder it builds.
    source = shutil.copytree(
        PROJECT / "verifiers", tmp_path / "verifiers-source", ignore=shutil.ignore_patterns("__pycache__")
    )
    pip = subprocess.run(
        [env_dir / "bin" / "python", "-m", "pip", "install", "--quiet", str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert pip.returncode == 0, pip.stderr
    # Run from an empty folder, so nothing of this repository can be imported by accident.
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    checked = subprocess.run(
        [env_dir / "bin" / "certverify", "check", offline["good"], "--bundle", str(offline["bundle"])],
        capture_output=True,
        text=True,
        cwd=workdir,
        env=env,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.strip().endswith("VALID")
    isolated = subprocess.run(
        [env_dir / "bin" / "python", "-c", "import registry"], capture_output=True, cwd=workdir, env=env, timeout=60
    )
    assert isolated.returncode != 0  # the registry is not there, and not needed
    assert sys.prefix != str(env_dir)


@pytest.mark.parametrize("identifier", REAL_IDENTIFIERS)
def test_certverify_id_prints_the_parts_of_a_real_identifier(
    identifier: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["id", identifier]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "VALID"
    assert f"serial        {identifier.split('.')[-3]}" in out


@pytest.mark.parametrize("identifier", REAL_IDENTIFIERS)
def test_certverify_id_refuses_one_changed_character_with_the_reason(
    identifier: str, capsys: pytest.CaptureFixture[str]
) -> None:
    changed = identifier[:-3] + ("1" if identifier[-3] != "1" else "2") + identifier[-2:]
    assert main(["id", changed]) == 1
    assert capsys.readouterr().out.startswith("NOT VALID: check character is")
    wrong_unit = identifier.replace("1143", "1144").replace("1122", "1123")
    assert main(["id", wrong_unit]) == 1
    assert "issuing unit code: check character does not match" in capsys.readouterr().out


def test_certverify_id_as_a_command(tmp_path: Path) -> None:
    ok = subprocess.run([sys.executable, "-m", "verifiers.cli", "id", REAL_IDENTIFIERS[0]], capture_output=True)
    bad = subprocess.run([sys.executable, "-m", "verifiers.cli", "id", "1.2.156.3005.2.X"], capture_output=True)
    assert ok.returncode == 0 and bad.returncode == 1
    assert b"must have type, issuer, serial, version and check" in bad.stdout


def test_certverify_witness_cosigns_a_served_registrys_log_and_refuses_a_rewritten_one(
    app: Any, client: FlaskClient, world: World, served: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key, state, bundle = tmp_path / "witness.pem", tmp_path / "witness.json", tmp_path / "bundle.json"
    assert run("witness", "init", "--key", str(key), "--name", "witness.example/w1") == 0
    configured = capsys.readouterr().out.strip()
    assert configured.startswith("witness.example/w1=")
    app.config["REGISTRY_WITNESSES"] = configured  # the operator adds the line the witness printed
    assert run("bundle", "fetch", served, "-o", str(bundle)) == 0
    witness = ["witness", "run", served, "--key", str(key), "--name", "witness.example/w1", "--state", str(state)]
    issue(client, world)
    assert run(*witness, "--bundle", str(bundle)) == 0
    issue(client, world)
    assert run(*witness, "--bundle", str(bundle)) == 0
    out = capsys.readouterr().out
    size = int(out.split("at size ")[-1].split()[0])
    assert client.get(f"/api/v1/log/checkpoints/{size}").json["cosignatures"] == [out.strip().splitlines()[-1]]
    # The witness remembers a tree the registry then forgets (say, a database restored from a backup,
    # re-grown differently): its state claims a bigger tree than the log has now.
    remembered = state.read_text()
    state.write_text(remembered.replace(f'"size": {size}', f'"size": {size + 100}'))
    assert run(*witness, "--bundle", str(bundle)) == 1
    assert "REFUSED: the log shrank" in capsys.readouterr().out
