"""Seals and the registry's own keys: create, rotate, retire, mark compromised, publish as a JWKS."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from issuers.errors import KeyNotFound
from issuers.keystore import Keystore
from issuers.sealimage import check_picture
from issuers.signing import DEFAULT_ALGORITHM, Signer, jws_encode, thumbprint
from registry.accesslog import AccessLog, Event
from registry.errors import Conflict, NotFound, Unavailable, ValidationFailed
from registry.models import Department, Seal, utcnow
from registry.principals import Principal
from registry.sealcerts import SealCertificates
from registry.vocabulary import Action, KeyPurpose, KeyStatus
from verifiers.keychain import KEY_STATEMENT_TYP, statement_claims

DEFAULT_SEAL_DAYS = 3 * 365
DEFAULT_REGISTRY_KEY_DAYS = 365


class KeyService:
    """Keys are rows in `seals` (public half, status) and files in the keystore (private half)."""

    def __init__(self, session: Session, keystore: Keystore, crl_url: str | None = None) -> None:
        self.session = session
        self.keystore = keystore
        self.certs = SealCertificates(session, keystore, crl_url)

    def create(
        self,
        department: Department | None,
        *,
        actor: Principal,
        alg: str = DEFAULT_ALGORITHM,
        valid_days: int | None = None,
        now: dt.datetime | None = None,
    ) -> Seal:
        """Create a key for a department's seal, or for the registry itself when department is None."""
        now = now or utcnow()
        if valid_days is None:
            valid_days = DEFAULT_SEAL_DAYS if department else DEFAULT_REGISTRY_KEY_DAYS
        predecessor = None if department else self._predecessor()
        signer = self.keystore.create(alg)
        seal = Seal(
            kid=signer.kid,
            alg=signer.alg,
            purpose=KeyPurpose.SEAL if department else KeyPurpose.REGISTRY,
            department=department,
            public_jwk=signer.public_jwk(),
            status=KeyStatus.ACTIVE,
            not_before=now,
            not_after=now + dt.timedelta(days=valid_days),
            created_at=now,
        )
        self.session.add(seal)
        self.session.flush()
        self._log(actor, Action.KEY_CREATE, seal)
        if department is not None:
            self.certs.certify(seal, signer, actor=actor)
        else:
            seal.statement = self._statement(seal, predecessor, now)
            self.certs.ensure_tsa(actor=actor)  # the registry's own keys: its TSA comes with the first
        return seal

    def _predecessor(self) -> Seal | None:
        """The registry key that announces the next one: the newest of its own keys not compromised."""
        query = select(Seal).where(Seal.purpose == KeyPurpose.REGISTRY, Seal.status != KeyStatus.COMPROMISED)
        found = self.session.scalars(query.order_by(Seal.id.desc()))
        return next((s for s in found if self.genuine(s) and s.statement is not None), None)

    def _statement(self, seal: Seal, predecessor: Seal | None, now: dt.datetime) -> str:
        """The key chain's link for a new registry key: signed by its predecessor, or by itself if first."""
        signer = self.keystore.signer(predecessor.kid if predecessor else seal.kid)
        claims = statement_claims(int(now.timestamp()), seal.public_jwk, signer.kid)
        return jws_encode(claims, signer, KEY_STATEMENT_TYP)

    def ensure_statements(self) -> list[Seal]:
        """Give registry keys made before the key chain their statements, oldest first (`flask setup`)."""
        query = select(Seal).where(Seal.purpose == KeyPurpose.REGISTRY).order_by(Seal.id)
        done = []
        for seal in self.session.scalars(query):
            if seal.statement is None and self.genuine(seal):
                seal.statement = self._statement(seal, self._predecessor(), seal.created_at)
                self.session.flush()
                done.append(seal)
        return done

    def statements(self) -> list[str]:
        """The key chain: every registry key's statement, oldest first, for verifiers to follow."""
        query = select(Seal).where(Seal.purpose == KeyPurpose.REGISTRY, Seal.statement.is_not(None))
        return [s.statement for s in self.session.scalars(query.order_by(Seal.id)) if s.statement and self.genuine(s)]

    def rotate(self, department: Department | None, *, actor: Principal, alg: str = DEFAULT_ALGORITHM) -> Seal:
        """Create a new active key and retire the owner's previous active ones (they keep verifying)."""
        now = utcnow()
        previous = self._active(department)
        seal = self.create(department, actor=actor, alg=alg, now=now)
        for old in previous:
            old.status = KeyStatus.RETIRED
            old.retired_at = now
            self._log(actor, Action.KEY_RETIRE, old)
        self.session.flush()
        return seal

    def retire(self, kid: str, *, actor: Principal) -> Seal:
        seal = self.get(kid)
        if seal.status != KeyStatus.ACTIVE:
            raise Conflict(f"key {kid} is {seal.status}, not active", code="KEY_NOT_ACTIVE")
        seal.status = KeyStatus.RETIRED
        seal.retired_at = utcnow()
        self.session.flush()
        self._log(actor, Action.KEY_RETIRE, seal)
        return seal

    def compromise(self, kid: str, at: dt.datetime, *, actor: Principal) -> Seal:
        """Mark a key compromised from `at` on: whatever it signed from then on is not to be trusted."""
        seal = self.get(kid)
        seal.status = KeyStatus.COMPROMISED
        seal.compromised_at = at
        self.session.flush()
        self._log(actor, Action.KEY_COMPROMISE, seal)
        return seal

    def set_picture(self, kid: str, png: bytes, *, actor: Principal) -> Seal:
        """Give a department's seal its picture (a checked PNG), shown on every PDF it stamps from now on."""
        seal = self.get(kid)
        if seal.purpose != KeyPurpose.SEAL:
            raise ValidationFailed(f"{kid} is not a department's seal", code="NOT_A_SEAL")
        seal.picture = check_picture(png)
        self.session.flush()
        self._log(actor, Action.KEY_PICTURE, seal)
        return seal

    def _log(self, actor: Principal, action: Action, seal: Seal) -> None:
        event = Event(action, subject_department_id=seal.department_id, reason=f"key {seal.kid}")
        AccessLog(self.session).record(actor, [event])

    def genuine(self, seal: Seal) -> bool:
        """Whether a key row is one of the registry's own: its private half is in the keystore, and its
        public key is the one its kid names (RFC 7638 thumbprint). A row written into the database by
        anyone else (a new key, or another public key under a real kid) is neither published nor
        trusted: no JWKS, bundle, access token, status list or stamp check counts it."""
        try:
            return self.keystore.has(seal.kid) and thumbprint(seal.public_jwk) == seal.kid
        except (KeyError, TypeError, AttributeError):
            return False

    def find(self, kid: str) -> Seal | None:
        """Return the registry's key with this kid, or None (also for a row that is not genuine)."""
        seal = self.session.scalar(select(Seal).where(Seal.kid == kid))
        return seal if seal is not None and self.genuine(seal) else None

    def get(self, kid: str) -> Seal:
        """Return the key with this kid; raise NotFound."""
        seal = self.find(kid)
        if seal is None:
            raise NotFound(f"no key with id {kid}", code="KEY_NOT_FOUND")
        return seal

    def _active(self, department: Department | None, now: dt.datetime | None = None) -> list[Seal]:
        query = select(Seal).where(Seal.status == KeyStatus.ACTIVE)
        if department is None:
            query = query.where(Seal.purpose == KeyPurpose.REGISTRY)
        else:
            query = query.where(Seal.purpose == KeyPurpose.SEAL, Seal.department_id == department.id)
        if now is not None:
            query = query.where(Seal.not_before <= now, Seal.not_after > now)
        found = self.session.scalars(query.order_by(Seal.created_at.desc(), Seal.id.desc()))
        return [seal for seal in found if self.genuine(seal)]

    def signing_key(self, department: Department | None) -> Signer:
        """The signer of the newest active, currently valid key of a department (or of the registry)."""
        active = self._active(department, utcnow())
        if not active:
            owner = f"department {department.credit_code}" if department else "the registry"
            raise Unavailable(f"{owner} has no active signing key", code="NO_ACTIVE_KEY")
        seal = active[0]
        try:
            return self.keystore.signer(seal.kid)
        except KeyNotFound as e:
            raise Unavailable(f"the private key {seal.kid} is missing from the keystore", code="KEY_MISSING") from e

    def list(self, department: Department | None = None) -> list[Seal]:
        query = select(Seal).options(joinedload(Seal.department)).order_by(Seal.id)
        if department is not None:
            query = query.where(Seal.department_id == department.id)
        return [seal for seal in self.session.scalars(query) if self.genuine(seal)]

    def jwks(self) -> dict[str, Any]:
        """Every key ever used, with its status and validity window, so old signatures still verify."""
        published = [s for s in self.list() if s.purpose not in (KeyPurpose.CA, KeyPurpose.TSA)]
        return {"keys": [published_jwk(seal) for seal in published]}


def _epoch(value: dt.datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def published_jwk(seal: Seal) -> dict[str, Any]:
    jwk: dict[str, Any] = {
        **seal.public_jwk,
        "status": seal.status,
        "purpose": seal.purpose,
        "nbf": _epoch(seal.not_before),
        "exp": _epoch(seal.not_after),
    }
    if seal.department is not None:
        jwk["dept"] = seal.department.credit_code
    for name, value in (("retired_at", seal.retired_at), ("compromised_at", seal.compromised_at)):
        if value is not None:
            jwk[name] = _epoch(value)
    return jwk
