"""Public keys from published JWKs, for the algorithms the registry signs with, pinned per key."""

from __future__ import annotations

import functools
import json
from typing import Any

import jwt
from jwt.algorithms import Algorithm, ECAlgorithm, OKPAlgorithm

ALGORITHMS: dict[str, Algorithm] = {"ES256": ECAlgorithm(ECAlgorithm.SHA256), "EdDSA": OKPAlgorithm()}


class UnusableKey(ValueError):
    """A JWK of an algorithm the registry does not use, or one that does not parse."""


def public_key(jwk: dict[str, Any]) -> Any:
    """The public key of a JWK whose `alg` is one of ALGORITHMS; raise UnusableKey otherwise.

    Parsed keys are kept by the JWK's content, so verifiers built again and again cost no parsing.
    """
    return _parse(json.dumps(jwk, sort_keys=True))


@functools.lru_cache(maxsize=1024)
def _parse(jwk_json: str) -> Any:
    jwk = json.loads(jwk_json)
    algorithm = ALGORITHMS.get(str(jwk.get("alg")))
    if algorithm is None:
        raise UnusableKey(f"algorithm {jwk.get('alg')!r} is not used by the registry")
    try:
        return algorithm.from_jwk(jwk_json)
    except (jwt.InvalidKeyError, ValueError, KeyError) as e:
        raise UnusableKey(f"the key {jwk.get('kid')!r} does not parse") from e
