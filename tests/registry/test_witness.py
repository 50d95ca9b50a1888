"""Witnesses: a witness cosigns a checkpoint only when it is consistent with the last one it saw, the
registry keeps cosignatures only from the witnesses it is configured with, and readers require k of n."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskClient

from issuers.signing import sign
from registry.wiring import services
from tests.factories import World
from tests.registry.test_access_log import issue
from verifiers import formats
from verifiers.witness import Witness, WitnessRefused, public_text, require_cosignatures, verify_cosignature


def consistency_from(client: FlaskClient) -> Any:
    def fetch(old: int, new: int) -> list[bytes]:
        proof = client.get(f"/api/v1/log/proof/consistency?old={old}&new={new}").json
        return [bytes.fromhex(h) for h in proof["consistency_path"]]

    return fetch


@pytest.fixture
def witnesses(app: Flask, tmp_path: Path) -> dict[str, Ed25519PrivateKey]:
    keys = {"witness.city.example/w1": Ed25519PrivateKey.generate(), "archive.example/w2": Ed25519PrivateKey.generate()}
    app.config["REGISTRY_WITNESSES"] = ",".join(f"{n}={public_text(k.public_key())}" for n, k in keys.items())
    return keys


def witness(client: FlaskClient, tmp_path: Path, name: str, key: Ed25519PrivateKey) -> Witness:
    jwks = client.get("/.well-known/jwks.json").json
    return Witness(name, key, tmp_path / f"{name.replace('/', '_')}.json", jwks)


def test_a_witness_cosigns_a_growing_log_and_the_registry_publishes_it(
    client: FlaskClient, world: World, tmp_path: Path, witnesses: dict[str, Ed25519PrivateKey]
) -> None:
    name, key = next(iter(witnesses.items()))
    w = witness(client, tmp_path, name, key)
    issue(client, world, 2)
    first = client.get("/api/v1/log/checkpoint").json
    w.observe(first["signed"], consistency_from(client))
    issue(client, world, 3)
    second = client.get("/api/v1/log/checkpoint").json
    line = w.observe(second["signed"], consistency_from(client))
    handed_in = client.post("/api/v1/log/cosignatures", json={"size": second["size"], "cosignature": line})
    assert handed_in.status_code == 201 and handed_in.json["witness"] == name
    published = client.get(f"/api/v1/log/checkpoints/{second['size']}").json
    assert published["cosignatures"] == [line] and published["signed"] == second["signed"]
    # A reader who knows both witnesses and requires one is satisfied; one who requires two is not.
    known = {n: k.public_key() for n, k in witnesses.items()}
    assert require_cosignatures(published["checkpoint"], published["cosignatures"], known, 1) == [name]
    with pytest.raises(WitnessRefused):
        require_cosignatures(published["checkpoint"], published["cosignatures"], known, 2)


def test_a_witness_refuses_a_fork_and_a_shrunk_log(
    client: FlaskClient, world: World, app: Flask, tmp_path: Path, witnesses: dict[str, Ed25519PrivateKey]
) -> None:
    name, key = next(iter(witnesses.items()))
    w = witness(client, tmp_path, name, key)
    issue(client, world, 3)
    seen = client.get("/api/v1/log/checkpoint").json
    w.observe(seen["signed"], consistency_from(client))
    # The registry's own key signs other trees (a forked log, shown to this witness only).
    with app.app_context():
        signer = services().keys.signing_key(None)
    origin = seen["origin"]

    def forked(size: int, root: bytes) -> str:
        return sign(formats.checkpoint_claims(origin, size, root, 1_800_000_000), signer, formats.CHECKPOINT)

    with pytest.raises(WitnessRefused, match="forked"):
        w.observe(forked(seen["size"], b"\x07" * 32), consistency_from(client))
    issue(client, world, 2)
    grown = client.get("/api/v1/log/checkpoint").json
    with pytest.raises(WitnessRefused, match="does not extend"):
        w.observe(forked(grown["size"], b"\x07" * 32), consistency_from(client))
    with pytest.raises(WitnessRefused, match="shrank"):
        w.observe(forked(seen["size"] - 1, b"\x07" * 32), consistency_from(client))
    # It still cosigns the real, consistent one: the refusals did not move what it remembers.
    w.observe(grown["signed"], consistency_from(client))


def test_the_registry_keeps_only_known_witnesses_cosignatures(
    client: FlaskClient, world: World, tmp_path: Path, witnesses: dict[str, Ed25519PrivateKey]
) -> None:
    issue(client, world, 1)
    checkpoint = client.get("/api/v1/log/checkpoint").json
    stranger = witness(client, tmp_path, "stranger.example/w", Ed25519PrivateKey.generate())
    line = stranger.observe(checkpoint["signed"], consistency_from(client))
    refused = client.post("/api/v1/log/cosignatures", json={"size": checkpoint["size"], "cosignature": line})
    assert refused.status_code == 422 and refused.json["code"] == "COSIGNATURE_INVALID"
    name, key = next(iter(witnesses.items()))
    good = witness(client, tmp_path, name, key).observe(checkpoint["signed"], consistency_from(client))
    missing = client.post("/api/v1/log/cosignatures", json={"size": checkpoint["size"] + 50, "cosignature": good})
    assert missing.status_code == 404
    assert client.get(f"/api/v1/log/checkpoints/{checkpoint['size'] + 50}").status_code == 404


def test_a_cosignature_verifies_only_for_its_own_checkpoint_body() -> None:
    key = Ed25519PrivateKey.generate()
    body = "registry.example/log\n12\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    from verifiers.witness import cosign

    line = cosign("w.example", key, body, 1_796_000_000)
    assert verify_cosignature(line, body, "w.example", key.public_key()) == 1_796_000_000
    with pytest.raises(WitnessRefused):
        verify_cosignature(line, body.replace("12", "13"), "w.example", key.public_key())
    with pytest.raises(WitnessRefused):
        verify_cosignature(line, body, "other.example", key.public_key())
