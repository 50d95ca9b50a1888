"""An RFC 3161 time-stamping authority, and a client for an external one, with nothing of Flask.

A time-stamp token is a CMS SignedData over a TSTInfo: the hash of the data (the message imprint),
the time, a serial number, the policy and the caller's nonce. It is signed by a key whose certificate
(under the registry's CA) has the critical extended key usage timeStamping, with the ESSCertIDv2 of
that certificate among the signed attributes (RFC 5816), so that `openssl ts -verify` and PDF readers
check it with nothing of ours. The private key stays behind its `Signer`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import urllib.request
from collections.abc import Callable
from typing import ClassVar

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import utils as ec_utils

from issuers.signing import Signer

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
HASHES = {"sha256": 32, "sha384": 48, "sha512": 64}
# The policy under which this registry's TSA stamps. There is no registered arc for it yet: this OID is
# a placeholder under the registry's identifier root (configure REGISTRY_TSA_POLICY once one is assigned).
DEFAULT_POLICY = "1.2.156.3005.2.99.1"


class TimestampError(ValueError):
    """A time-stamp that could not be had or does not hold, with a stable code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


class TimeStampReply(core.Sequence):  # type: ignore[misc]  # asn1crypto is untyped
    """TimeStampResp as RFC 3161 defines it: the token is optional (absent from a rejection), which
    asn1crypto's own class does not allow."""

    _fields: ClassVar = [("status", tsp.PKIStatusInfo), ("time_stamp_token", cms.ContentInfo, {"optional": True})]


def _rejection(failure: str, text: str) -> bytes:
    status = tsp.PKIStatusInfo(
        {"status": "rejection", "status_string": [text], "fail_info": tsp.PKIFailureInfo({failure})}
    )
    return bytes(TimeStampReply({"status": status}).dump())


class TimeStampAuthority:
    """Answers time-stamp requests (DER TimeStampReq in, DER TimeStampResp out), one token per request."""

    def __init__(
        self,
        signer: Signer,
        certificate: x509.Certificate,
        *,
        policy: str = DEFAULT_POLICY,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        if signer.alg != "ES256":
            raise ValueError("the time-stamping key signs with ES256")
        self.signer = signer
        self.certificate = _asn1(certificate)
        self.policy = policy
        self.clock = clock
        # What every token repeats, encoded once and parsed afresh per token: asn1crypto re-encodes a reused,
        # already nested object at great cost (a token took 14 ms, most of it re-encoding the ESS id).
        self._ess = self._ess_cert_id().dump()
        self._tsa_name = asn1_x509.GeneralName(name="directory_name", value=self.certificate.subject).dump()
        self._sid = cms.SignerIdentifier(
            {
                "issuer_and_serial_number": {
                    "issuer": self.certificate.issuer,
                    "serial_number": self.certificate.serial_number,
                }
            }
        ).dump()
        self._certificate = self.certificate.dump()

    def respond(self, request_der: bytes) -> bytes:
        """A TimeStampResp: granted with a token, or a rejection naming what is wrong (never an exception)."""
        try:
            request = tsp.TimeStampReq.load(request_der, strict=True)
            version = request["version"].native
            imprint = request["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            digest = imprint["hashed_message"].native
            policy = request["req_policy"].native
            extensions = request["extensions"].native
            nonce = request["nonce"].native
            cert_req = bool(request["cert_req"].native)
        except (ValueError, TypeError, KeyError):
            return _rejection("bad_data_format", "not a DER TimeStampReq (RFC 3161)")
        if version != "v1":
            return _rejection("bad_request", "only version 1 requests")
        if algorithm not in HASHES:
            return _rejection("bad_alg", f"the imprint's hash must be one of {', '.join(HASHES)}")
        if not isinstance(digest, bytes) or len(digest) != HASHES[algorithm]:
            return _rejection("bad_data_format", f"a {algorithm} imprint has {HASHES[algorithm]} bytes")
        if policy is not None and policy != self.policy:
            return _rejection("unaccepted_policy", f"this authority stamps under policy {self.policy} only")
        if extensions:
            return _rejection("unaccepted_extension", "no request extensions are supported")
        return self._granted(algorithm, digest, nonce, cert_req)

    def stamp(self, data: bytes) -> bytes:
        """A token (DER ContentInfo) for `data`, in process: what the registry's own evidence uses."""
        return bytes(self._token("sha256", hashlib.sha256(data).digest(), secrets.randbits(64), True).dump())

    def _granted(self, algorithm: str, digest: bytes, nonce: int | None, cert_req: bool) -> bytes:
        status = tsp.PKIStatusInfo({"status": "granted"})
        token = self._token(algorithm, digest, nonce, cert_req)
        return bytes(tsp.TimeStampResp({"status": status, "time_stamp_token": token}).dump())

    def _token(self, algorithm: str, digest: bytes, nonce: int | None, cert_req: bool) -> cms.ContentInfo:
        now = self.clock().astimezone(dt.UTC).replace(microsecond=0)
        info: dict[str, object] = {
            "version": "v1",
            "policy": self.policy,
            "message_imprint": {"hash_algorithm": {"algorithm": algorithm}, "hashed_message": digest},
            "serial_number": secrets.randbits(127),  # unique in practice; RFC 3161 allows up to 160 bits
            "gen_time": now,
            "accuracy": {"seconds": 1},
            "ordering": False,
            "tsa": asn1_x509.GeneralName.load(self._tsa_name),
        }
        if nonce is not None:
            info["nonce"] = nonce
        encoded = tsp.TSTInfo(info).dump()
        signed_attrs = cms.CMSAttributes(
            [
                cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
                cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": core.UTCTime(now)})]}),
                cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(encoded).digest()]}),
                cms.CMSAttribute(
                    {"type": "signing_certificate_v2", "values": [tsp.SigningCertificateV2.load(self._ess)]}
                ),
            ]
        )
        raw = self.signer.sign(signed_attrs.dump())  # ES256: SHA-256 and ECDSA, as JWS r || s
        half = len(raw) // 2
        signature = ec_utils.encode_dss_signature(int.from_bytes(raw[:half]), int.from_bytes(raw[half:]))
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier.load(self._sid),
                "digest_algorithm": {"algorithm": "sha256"},
                "signed_attrs": signed_attrs,
                "signature_algorithm": {"algorithm": "sha256_ecdsa"},
                "signature": signature,
            }
        )
        signed_data = cms.SignedData(
            {
                "version": "v3",
                "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
                "encap_content_info": {"content_type": "tst_info", "content": cms.ParsableOctetString(encoded)},
                "certificates": [asn1_x509.Certificate.load(self._certificate)] if cert_req else [],
                "signer_infos": [signer_info],
            }
        )
        return cms.ContentInfo({"content_type": "signed_data", "content": signed_data})

    def _ess_cert_id(self) -> tsp.SigningCertificateV2:
        return tsp.SigningCertificateV2(
            {
                "certs": [
                    {
                        "hash_algorithm": {"algorithm": "sha256"},
                        "cert_hash": hashlib.sha256(self.certificate.dump()).digest(),
                        "issuer_serial": {
                            "issuer": [asn1_x509.GeneralName(name="directory_name", value=self.certificate.issuer)],
                            "serial_number": self.certificate.serial_number,
                        },
                    }
                ]
            }
        )


def request_for(data: bytes) -> tuple[bytes, int]:
    """A DER TimeStampReq for the SHA-256 of `data` asking for the certificate, and its nonce."""
    nonce = secrets.randbits(63)
    request = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": hashlib.sha256(data).digest(),
            },
            "nonce": nonce,
            "cert_req": True,
        }
    )
    return request.dump(), nonce


def token_from_reply(reply_der: bytes, data: bytes, nonce: int) -> bytes:
    """The token of a granted reply for `data` (DER ContentInfo); TimestampError for anything else."""
    try:
        reply = TimeStampReply.load(reply_der)
        status = reply["status"]["status"].native
        token = reply["time_stamp_token"]
        granted = status in ("granted", "granted_with_mods")
        info = token["content"]["encap_content_info"]["content"].parsed if granted else None
    except (ValueError, TypeError, KeyError) as e:
        raise TimestampError("TSA_REPLY_MALFORMED", f"the authority's reply cannot be read: {e}") from None
    if info is None:
        raise TimestampError("TSA_REFUSED", f"the time-stamping authority answered {status}")
    imprint = info["message_imprint"]["hashed_message"].native
    if info["nonce"].native != nonce or imprint != hashlib.sha256(data).digest():
        raise TimestampError("TSA_REPLY_MISMATCH", "the token is not for this request")
    return bytes(token.dump())


def timestamp_with(reply: Callable[[bytes], bytes], data: bytes) -> bytes:
    """A token for `data` from the authority that `reply` reaches (DER request in, DER reply out)."""
    request_der, nonce = request_for(data)
    return token_from_reply(reply(request_der), data, nonce)


def http_reply(url: str, request_der: bytes, timeout: float = 10.0) -> bytes:
    """An external RFC 3161 authority's reply (DER TimeStampResp) to a request, over HTTP(S)."""
    if not url.startswith(("https://", "http://")):
        raise TimestampError("TSA_URL", f"a time-stamping authority is reached over HTTP(S), not {url[:40]!r}")
    headers = {"Content-Type": QUERY_TYPE}
    http_request = urllib.request.Request(url, data=request_der, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(http_request, timeout=timeout) as response:  # noqa: S310 (checked above)
            reply = response.read(1 << 20)
    except OSError as e:
        raise TimestampError("TSA_UNREACHABLE", f"the authority at {url} cannot be reached: {e}") from None
    return bytes(reply)
