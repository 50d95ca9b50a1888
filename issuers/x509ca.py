"""The registry's certificate authority: a self-signed root and X.509 certificates for departments' seals,
so that PDF readers and validators (pyHanko, poppler, Acrobat) can check stamped documents.

The seal keys themselves never change: a seal certificate binds the same public key the JWKS publishes
to the department's name and credit code, for the seal's validity window.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from issuers.signing import PrivateKey, PublicKey

CA_NAME = "Electronic Certificate Registry Root CA"


def _hash_for(key: PrivateKey) -> hashes.SHA256 | None:
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


def _serial(public_key: PublicKey, not_before: dt.datetime) -> int:
    """A positive 159-bit serial, unique per key and start: RFC 5280 allows at most 20 octets."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashlib.sha256(der + not_before.isoformat().encode()).digest()
    return int.from_bytes(digest[:20], "big") >> 1


# What a seal's and the time-stamping key's certificates allow: signatures that commit their signer.
SIGNING_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=True,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


def make_root(
    key: PrivateKey, not_before: dt.datetime, not_after: dt.datetime, name: str = CA_NAME
) -> x509.Certificate:
    """A self-signed root certificate for the registry's CA key: may sign seal certificates only."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Electronic Certificate Registry"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public)
        .serial_number(_serial(public, not_before))
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, _hash_for(key))
    )


def issue_seal_certificate(
    ca_key: PrivateKey,
    ca_certificate: x509.Certificate,
    seal_key: PublicKey,
    *,
    department_name: str,
    credit_code: str,
    seal_name: str,
    not_before: dt.datetime,
    not_after: dt.datetime,
    crl_url: str | None = None,
) -> x509.Certificate:
    """A certificate for a department's seal key: document signing (digital signature, non-repudiation),
    naming the CA's revocation list at `crl_url` so that PDF readers can learn of a compromised seal."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, department_name),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"NTRCN-{credit_code}"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, credit_code),
            x509.NameAttribute(NameOID.COMMON_NAME, seal_name),
        ]
    )
    return _end_entity(ca_key, ca_certificate, seal_key, subject, not_before, not_after, crl_url)


def issue_tsa_certificate(
    ca_key: PrivateKey,
    ca_certificate: x509.Certificate,
    tsa_key: PublicKey,
    *,
    name: str,
    not_before: dt.datetime,
    not_after: dt.datetime,
    crl_url: str | None = None,
) -> x509.Certificate:
    """A certificate for the registry's time-stamping key: the critical extended key usage timeStamping
    and nothing else (RFC 3161 2.3), digital signature and non-repudiation."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{name} Time-Stamping Authority"),
        ]
    )
    time_stamping = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING])
    return _end_entity(ca_key, ca_certificate, tsa_key, subject, not_before, not_after, crl_url, time_stamping)


def _end_entity(
    ca_key: PrivateKey,
    ca_certificate: x509.Certificate,
    key: PublicKey,
    subject: x509.Name,
    not_before: dt.datetime,
    not_after: dt.datetime,
    crl_url: str | None,
    purpose: x509.ExtendedKeyUsage | None = None,
) -> x509.Certificate:
    """A signing certificate under the CA, within the CA's validity, naming its revocation list."""
    ca_validity = (ca_certificate.not_valid_before_utc, ca_certificate.not_valid_after_utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_certificate.subject)
        .public_key(key)
        .serial_number(_serial(key, not_before))
        .not_valid_before(max(not_before, ca_validity[0]))
        .not_valid_after(min(not_after, ca_validity[1]))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(SIGNING_USAGE, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_certificate.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    if purpose is not None:
        builder = builder.add_extension(purpose, critical=True)
    if crl_url:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    return builder.sign(ca_key, _hash_for(ca_key))


def make_crl(
    ca_key: PrivateKey,
    ca_certificate: x509.Certificate,
    compromised: list[tuple[int, dt.datetime]],
    *,
    now: dt.datetime,
    next_update: dt.datetime,
) -> x509.CertificateRevocationList:
    """The CA's revocation list: each (serial, compromise time) as revoked for key compromise."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_certificate.subject)
        .last_update(now)
        .next_update(next_update)
    )
    for serial, at in compromised:
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(at)
            .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
            .build()
        )
        builder = builder.add_revoked_certificate(entry)
    return builder.sign(ca_key, _hash_for(ca_key))


def to_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def from_pem(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode("ascii"))
