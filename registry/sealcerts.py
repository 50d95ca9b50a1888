"""The registry's certificate authority and its seal certificates, kept on the seals' rows.

The CA is a key in the keystore like any other (purpose `ca`), with a self-signed root; every
department seal gets an X.509 certificate for its key, a name and a picture when it is made.
"""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuers.keystore import Keystore
from issuers.sealimage import draw_seal
from issuers.signing import SoftwareSigner, public_jwk
from issuers.tsa import TimeStampAuthority
from issuers.x509ca import from_pem, issue_seal_certificate, issue_tsa_certificate, make_crl, make_root, to_pem
from registry.accesslog import AccessLog, Event
from registry.errors import Unavailable, ValidationFailed
from registry.models import Seal, utcnow
from registry.principals import Principal
from registry.vocabulary import Action, KeyPurpose, KeyStatus

CA_YEARS = 20
TSA_YEARS = 5  # evidence must be re-stamped (a newer token over it) before a TSA certificate expires


_AUTHORITIES: dict[tuple[str, str, str], TimeStampAuthority] = {}
_GENUINE: set[tuple[str, str]] = set()  # (kid, certificate) pairs found to match

CRL_DAYS = 1  # a published revocation list is valid for a day; readers fetch the next one after that


class SealCertificates:
    def __init__(self, session: Session, keystore: Keystore, crl_url: str | None = None) -> None:
        self.session = session
        self.keystore = keystore
        self.crl_url = crl_url  # named in every seal certificate, where readers fetch the revocation list

    def _own(self, row: Seal) -> bool:
        """A CA or TSA row is the registry's own when its key is in the keystore and its certificate is for
        that key: a row or a certificate written into the database by anyone else is no root."""
        if not self.keystore.has(row.kid):
            return False
        if row.certificate_pem is None or (row.kid, row.certificate_pem) in _GENUINE:
            return True
        try:
            public = from_pem(row.certificate_pem).public_key()
            genuine = public_jwk(public, row.alg)["kid"] == row.kid  # type: ignore[arg-type]
        except (ValueError, TypeError, KeyError):
            return False
        if genuine:
            _GENUINE.add((row.kid, row.certificate_pem))  # a certificate for a key stays one
        return genuine

    def _newest(self, purpose: KeyPurpose, *, active: bool) -> Seal | None:
        query = select(Seal).where(Seal.purpose == purpose)
        if active:
            query = query.where(Seal.status == KeyStatus.ACTIVE)
        return next((row for row in self.session.scalars(query.order_by(Seal.id.desc())) if self._own(row)), None)

    def _newest_ca(self, *, active: bool) -> Seal | None:
        return self._newest(KeyPurpose.CA, active=active)

    def find_ca(self) -> Seal | None:
        """The registry's active CA, or None before `flask setup` made it."""
        return self._newest_ca(active=True)

    def find_tsa(self) -> Seal | None:
        """The registry's active time-stamping key with its certificate, or None before `flask setup`."""
        tsa = self._newest(KeyPurpose.TSA, active=True)
        return tsa if tsa is not None and tsa.certificate_pem is not None else None

    def ensure_tsa(self, *, actor: Principal) -> Seal:
        """The registry's time-stamping key, made with its certificate under the CA and logged if none."""
        tsa = self.find_tsa()
        if tsa is not None:
            return tsa
        ca = self.ensure_ca(actor=actor)
        assert ca.certificate_pem is not None
        now = utcnow().replace(microsecond=0)
        signer = self.keystore.create()
        not_after = now.replace(year=now.year + TSA_YEARS)
        certificate = issue_tsa_certificate(
            self.keystore.signer(ca.kid).private_key,
            from_pem(ca.certificate_pem),
            signer.private_key.public_key(),
            name="Registry",
            not_before=now - dt.timedelta(minutes=5),
            not_after=not_after,
            crl_url=self.crl_url,
        )
        return self._own_key(
            signer, KeyPurpose.TSA, "Registry time-stamping authority", certificate, now, not_after, actor=actor
        )

    def authority(self, policy: str) -> TimeStampAuthority:
        """The registry's own TSA; raise Unavailable (503 NO_TSA) before `flask setup` made it."""
        tsa = self.find_tsa()
        if tsa is None or tsa.certificate_pem is None:
            raise Unavailable("the registry has no time-stamping key yet: run `flask setup`", code="NO_TSA")
        key = (tsa.kid, tsa.certificate_pem, policy)
        authority = _AUTHORITIES.get(key)
        if authority is None:  # a process builds each authority once: it encodes what every token repeats
            authority = TimeStampAuthority(self.keystore.signer(tsa.kid), from_pem(tsa.certificate_pem), policy=policy)
            _AUTHORITIES[key] = authority
        return authority

    def get_ca(self) -> Seal:
        """The registry's active CA; raise Unavailable (503 NO_CA) before `flask setup` made it."""
        ca = self.find_ca()
        if ca is None or ca.certificate_pem is None:
            raise Unavailable("the registry has no certificate authority yet: run `flask setup`", code="NO_CA")
        return ca

    def ensure_ca(self, *, actor: Principal) -> Seal:
        """The registry's active CA, made (key and self-signed root) and logged if there is none."""
        ca = self.find_ca()
        if ca is not None:
            return ca
        now = utcnow().replace(microsecond=0)
        signer = self.keystore.create()
        not_after = now.replace(year=now.year + CA_YEARS)
        root = make_root(signer.private_key, now - dt.timedelta(minutes=5), not_after)
        return self._own_key(signer, KeyPurpose.CA, "Registry root CA", root, now, not_after, actor=actor)

    def _own_key(
        self,
        signer: SoftwareSigner,
        purpose: KeyPurpose,
        name: str,
        certificate: x509.Certificate,
        now: dt.datetime,
        not_after: dt.datetime,
        *,
        actor: Principal,
    ) -> Seal:
        """Store and log one of the registry's certified keys (its CA, its TSA)."""
        row = Seal(
            kid=signer.kid,
            alg=signer.alg,
            purpose=purpose,
            department=None,
            public_jwk=signer.public_jwk(),
            status=KeyStatus.ACTIVE,
            not_before=now,
            not_after=not_after,
            created_at=now,
            name=name,
            certificate_pem=to_pem(certificate),
        )
        self.session.add(row)
        self.session.flush()
        AccessLog(self.session).record(actor, [Event(Action.KEY_CREATE, reason=f"key {row.kid} ({name})")])
        return row

    def root(self) -> x509.Certificate:
        """The CA's root certificate; raise Unavailable (NO_CA) if there is no CA."""
        ca = self.get_ca()
        assert ca.certificate_pem is not None
        return from_pem(ca.certificate_pem)

    def certify(self, seal: Seal, signer: SoftwareSigner | None = None, *, actor: Principal) -> Seal:
        """Give a department's seal its X.509 certificate, and a name and picture if it has none."""
        department = seal.department
        if seal.purpose != KeyPurpose.SEAL or department is None:
            raise ValidationFailed("only a department's seal gets a seal certificate", code="NOT_A_SEAL")
        ca = self.ensure_ca(actor=actor)
        ca_signer = self.keystore.signer(ca.kid)
        seal_signer = signer or self.keystore.signer(seal.kid)
        seal.name = seal.name or f"{department.name} 电子印章"
        if seal.picture is None:
            seal.picture = draw_seal(department.credit_code)
        assert ca.certificate_pem is not None
        certificate = issue_seal_certificate(
            ca_signer.private_key,
            from_pem(ca.certificate_pem),
            seal_signer.private_key.public_key(),
            department_name=department.name,
            credit_code=department.credit_code,
            seal_name=seal.name,
            not_before=seal.not_before,
            not_after=seal.not_after,
            crl_url=self.crl_url,
        )
        seal.certificate_pem = to_pem(certificate)
        self.session.flush()
        AccessLog(self.session).record(
            actor, [Event(Action.KEY_CERTIFY, subject_department_id=seal.department_id, reason=f"key {seal.kid}")]
        )
        return seal

    def certify_all(self, *, actor: Principal) -> list[Seal]:
        """Certify every department seal made before seal certificates existed (run by `flask setup`)."""
        uncertified = self.session.scalars(
            select(Seal).where(Seal.purpose == KeyPurpose.SEAL, Seal.certificate_pem.is_(None)).order_by(Seal.id)
        )
        return [self.certify(seal, actor=actor) for seal in uncertified]

    def chain(self, seal: Seal) -> list[x509.Certificate]:
        """The seal's certificate and the root; raise Unavailable for a seal not certified yet (`flask setup`)."""
        if seal.certificate_pem is None:
            raise Unavailable(
                f"the seal {seal.kid} has no certificate yet: run `flask setup`", code="SEAL_NOT_CERTIFIED"
            )
        issuer = self._newest_ca(active=False)  # a seal certificate names its CA; one CA until CA rotation is built
        if issuer is None or issuer.certificate_pem is None:
            raise Unavailable("the registry has no certificate authority", code="NO_CA")
        return [from_pem(seal.certificate_pem), from_pem(issuer.certificate_pem)]

    def crl(self) -> x509.CertificateRevocationList:
        """The CA's revocation list: the certificate of every compromised seal, from its compromise time."""
        ca = self.get_ca()
        assert ca.certificate_pem is not None
        compromised = self.session.scalars(
            select(Seal).where(
                Seal.purpose == KeyPurpose.SEAL,
                Seal.status == KeyStatus.COMPROMISED,
                Seal.certificate_pem.is_not(None),
            )
        )
        entries = [
            (from_pem(seal.certificate_pem).serial_number, seal.compromised_at or utcnow())
            for seal in compromised
            if seal.certificate_pem is not None
        ]
        now = utcnow().replace(microsecond=0)
        return make_crl(
            self.keystore.signer(ca.kid).private_key,
            from_pem(ca.certificate_pem),
            entries,
            now=now,
            next_update=now + dt.timedelta(days=CRL_DAYS),
        )
