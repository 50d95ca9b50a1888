"""Signing keys behind one small interface, so that software keys, SM2 or a PKCS#11 token can sign alike.

A `Signer` signs raw JWS signing input; `jws_encode` turns it into a compact JWS through PyJWT,
which sees the signer as the key of a registered algorithm and never touches the private key itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any, Protocol, runtime_checkable

from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from jwt import PyJWS
from jwt.algorithms import Algorithm, ECAlgorithm, OKPAlgorithm

from issuers.errors import UnsupportedAlgorithm
from verifiers.formats import Format

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey

DEFAULT_ALGORITHM = "ES256"
# The algorithms a key may be made for, with the PyJWT implementation that signs and verifies them.
ALGORITHMS: dict[str, Algorithm] = {
    "ES256": ECAlgorithm(ECAlgorithm.SHA256),
    "EdDSA": OKPAlgorithm(),
}


@runtime_checkable
class Signer(Protocol):
    """Anything that holds a private key and signs with it: a software key, an HSM slot, an SM2 card."""

    @property
    def kid(self) -> str: ...

    @property
    def alg(self) -> str: ...

    def public_jwk(self) -> dict[str, str]: ...

    def sign(self, signing_input: bytes) -> bytes:
        """Return the JWS signature (raw, not DER) over the signing input."""
        ...


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def public_jwk(key: PublicKey, alg: str) -> dict[str, str]:
    """Return the public JWK of a key with its RFC 7638 thumbprint as kid, its alg and use."""
    jwk: dict[str, Any] = _algorithm(alg).to_jwk(key, as_dict=True)
    jwk = {k: v for k, v in jwk.items() if k in ("kty", "crv", "x", "y")}
    return {**jwk, "kid": thumbprint(jwk), "alg": alg, "use": "sig"}


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint: the required members only, sorted, no whitespace."""
    required = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}[jwk["kty"]]
    canonical = json.dumps({k: jwk[k] for k in required}, separators=(",", ":"), sort_keys=True)
    return _b64(hashlib.sha256(canonical.encode("ascii")).digest())


def generate_private_key(alg: str = DEFAULT_ALGORITHM) -> PrivateKey:
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    raise UnsupportedAlgorithm(alg)


def algorithm_for(key: PrivateKey) -> str:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "EdDSA"
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return "ES256"
    raise UnsupportedAlgorithm(type(key).__name__)


def _algorithm(alg: str) -> Algorithm:
    try:
        return ALGORITHMS[alg]
    except KeyError:
        raise UnsupportedAlgorithm(alg) from None


class SoftwareSigner:
    """A private key held in this process's memory."""

    def __init__(self, private_key: PrivateKey) -> None:
        self._key = private_key
        self._alg = algorithm_for(private_key)
        self._algorithm = _algorithm(self._alg)
        self._jwk = public_jwk(private_key.public_key(), self._alg)

    @property
    def kid(self) -> str:
        return self._jwk["kid"]

    @property
    def alg(self) -> str:
        return self._alg

    @property
    def private_key(self) -> PrivateKey:
        return self._key

    def public_jwk(self) -> dict[str, str]:
        return dict(self._jwk)

    def sign(self, signing_input: bytes) -> bytes:
        return self._algorithm.sign(signing_input, self._key)

    def __repr__(self) -> str:
        return f"SoftwareSigner(kid={self.kid!r}, alg={self.alg!r})"


class _SignerAlgorithm(Algorithm):
    """Lets PyJWT sign with any Signer: PyJWT builds the JWS, the signer makes the signature."""

    def __init__(self, alg: str) -> None:
        self._alg = alg

    def prepare_key(self, key: Any) -> Signer:
        # Not isinstance(key, Signer): a runtime Protocol check costs more than the signature.
        if getattr(key, "alg", None) != self._alg or not callable(getattr(key, "sign", None)):
            raise UnsupportedAlgorithm(self._alg)
        return key  # type: ignore[no-any-return]

    def sign(self, msg: bytes, key: Signer) -> bytes:
        return key.sign(msg)

    def verify(self, msg: bytes, key: Any, sig: bytes) -> bool:
        raise NotImplementedError("signers only sign; verification uses the public key")

    @staticmethod
    def to_jwk(key_obj: Any, as_dict: bool = False) -> Any:
        raise NotImplementedError

    @staticmethod
    def from_jwk(jwk: Any) -> Any:
        raise NotImplementedError


_jws = PyJWS(algorithms=[])
for _name in ALGORITHMS:
    _jws.register_algorithm(_name, _SignerAlgorithm(_name))


# One encoder for the process: json.dumps with non-default options builds a new one on every call.
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def compact_json(value: Any) -> bytes:
    """JSON as the registry signs it: UTF-8, no spaces, so Chinese text stays short."""
    return _COMPACT.encode(value).encode("utf-8")


def jws_encode(payload: dict[str, Any], signer: Signer, typ: str, *, with_kid: bool = True) -> str:
    """Sign a JSON payload as a compact JWS with the signer's alg, the given typ and (normally) its kid.

    Leave the kid out only where every byte counts (QR codes) and the verifier can find the key otherwise.
    """
    # PyJWS hands the signer to _SignerAlgorithm.prepare_key; its annotation knows only key types.
    key: Any = signer
    headers = {"kid": signer.kid, "typ": typ} if with_kid else {"typ": typ}
    return _jws.encode(compact_json(payload), key, algorithm=signer.alg, headers=headers)


def sign(claims: dict[str, Any], signer: Signer, fmt: Format) -> str:
    """Sign the claims of one of the formats of `verifiers.formats` with its typ, and its kid if it has one."""
    return jws_encode(claims, signer, fmt.typ, with_kid=fmt.has_kid)
