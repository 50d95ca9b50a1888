"""verifiers/status.py, bundle.py and checkpoint.py on damaged input: every refusal has its code."""

from __future__ import annotations

import pytest

from tests import assets
from verifiers.bundle import read_bundle
from verifiers.checkpoint import verify_checkpoint
from verifiers.errors import InvalidBundle, InvalidCheckpoint, InvalidStatusList
from verifiers.status import decode_bits, read_status_list


def test_a_status_list_past_its_expiry_is_refused() -> None:
    with pytest.raises(InvalidStatusList) as caught:
        read_status_list(assets.text("status-revocation.jwt"), assets.jwks(), assets.T0 + 2 * 86400)
    assert caught.value.code == "STATUS_LIST_EXPIRED"


def test_a_status_list_is_not_a_bundle_nor_a_checkpoint() -> None:
    with pytest.raises(InvalidBundle):
        read_bundle(assets.text("status-revocation.jwt"))
    with pytest.raises(InvalidCheckpoint) as caught:
        verify_checkpoint(assets.text("status-revocation.jwt"), assets.jwks())
    assert caught.value.code == "WRONG_TYPE"


@pytest.mark.parametrize("encoded", ["", "zAAAA", "u!!!", "uAAAA"])
def test_an_undecodable_list_is_refused(encoded: str) -> None:
    with pytest.raises(InvalidStatusList):
        decode_bits(encoded)


def test_the_golden_lists_bits() -> None:
    revocation = read_status_list(assets.text("status-revocation.jwt"), assets.jwks(), assets.NOW)
    assert revocation.is_set(17) and not revocation.is_set(4711)
    with pytest.raises(InvalidStatusList):
        revocation.is_set(131_072)


def test_a_bundle_pinned_to_another_key_is_refused() -> None:
    with pytest.raises(InvalidBundle) as caught:
        read_bundle(assets.text("bundle.jwt"), trusted_kids=["someone-else"])
    assert caught.value.code == "UNTRUSTED_KEY"


def test_a_bundle_with_a_changed_payload_is_refused() -> None:
    head, _, signature = assets.text("bundle.jwt").split(".")
    other = assets.text("checkpoint.jwt").split(".")[1]
    with pytest.raises(InvalidBundle):
        read_bundle(f"{head}.{other}.{signature}")


def test_a_checkpoint_not_signed_by_a_published_key_is_refused_even_with_its_key_alongside() -> None:
    with pytest.raises(InvalidCheckpoint):
        verify_checkpoint(assets.text("checkpoint-unknown-key.jwt"), {"keys": []})
