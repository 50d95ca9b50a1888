"""Online verification: the registry checks a presented certificate with the same library verifiers use
offline, fed with its current keys and status lists, and logs the verification for the holder to see."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuers.signing import Signer, sign
from registry.accesslog import AccessLog, Event
from registry.keys import KeyService
from registry.models import Certificate, utcnow
from registry.principals import ANONYMOUS
from registry.statuslists import PURPOSES, StatusListPublisher, StatusLists
from registry.vocabulary import Action
from verifiers import (
    Check,
    MalformedToken,
    VerificationFailed,
    VerifiedCertificate,
    VerifiedCopy,
    Verifier,
    formats,
    jose,
)
from verifiers.formats import status_list_url
from verifiers.identifiers import ROOT as IDENTIFIER_ROOT
from verifiers.verify import token_from_presented


@dataclass
class VerificationResult:
    valid: bool
    checks: list[Check]
    claims: dict[str, Any] = field(default_factory=dict)
    disclosed: dict[str, Any] = field(default_factory=dict)


def unverified_claims(token: str) -> dict[str, Any]:
    """The JWT payload, read only to find the status lists and the log's subject; trusted for nothing else."""
    try:
        return jose.unverified_payload(token.split("~")[0])
    except jwt.DecodeError:
        return {}


class VerificationService:
    def __init__(self, session: Session, keys: KeyService, publisher: StatusListPublisher, issuer: str) -> None:
        self.session = session
        self.keys = keys
        self.publisher = publisher
        self.issuer = issuer

    def verify(self, presented: str, annotation: str | None = None, agency: str | None = None) -> VerificationResult:
        """Check a presented signed form (or the URL of a QR code), every check in order; log it for the holder.

        With an annotation, check an annotated copy as used by `agency` (a credit code) as well.
        """
        action = Action.CERTIFICATE_VERIFY if annotation is None else Action.COPY_VERIFY
        try:
            token = token_from_presented(presented)
        except MalformedToken as e:
            result = VerificationResult(False, [Check("format", False, "MALFORMED", str(e))])
            self._log({}, result, action)
            return result
        claims = unverified_claims(token)
        verifier = self.verifier_for(token, claims)
        try:
            if annotation is None:
                verified: VerifiedCertificate | VerifiedCopy = verifier.verify(token)
            else:
                verified = verifier.verify_copy(token, annotation, agency)
            result = VerificationResult(True, verified.checks, verified.claims, verified.disclosed)
        except VerificationFailed as e:
            result = VerificationResult(False, self._superseded(e.checks, e.claims), e.claims)
        except MalformedToken as e:
            result = VerificationResult(False, [Check("format", False, "MALFORMED", str(e))])
        self._log(claims, result, action)
        return result

    def _superseded(self, checks: list[Check], claims: dict[str, Any]) -> list[Check]:
        """Say SUPERSEDED, with the newer version, where a status list can only say revoked."""
        identifier = claims.get("jti")
        if not any(c.code == "REVOKED" for c in checks) or not isinstance(identifier, str):
            return checks
        old = select(Certificate.id).where(Certificate.identifier == identifier).scalar_subquery()
        newer = self.session.scalar(select(Certificate.identifier).where(Certificate.supersedes_id == old))
        if newer is None:
            return checks
        replaced = Check("status", False, "SUPERSEDED", f"superseded by {newer}")
        return [replaced if c.name == "status" else c for c in checks]

    def verifier_for(self, token: str, claims: dict[str, Any] | None = None) -> Verifier:
        """A verifier with the registry's keys now and the signed status lists `token` names."""
        claims = unverified_claims(token) if claims is None else claims
        return Verifier.from_jwks(self.keys.jwks(), self.status_lists_for(claims), self.issuer)

    def status_lists_for(self, claims: dict[str, Any]) -> dict[str, str]:
        """The signed lists the certificate names, when they are this registry's; else none (the check fails)."""
        status, slot = claims.get("status"), claims.get("st")
        prefix = status_list_url(self.issuer, 0)[: -len("0")]
        if isinstance(status, dict) and isinstance(status.get("list"), str) and status["list"].startswith(prefix):
            number = status["list"][len(prefix) :]
        elif isinstance(slot, list) and slot:
            number = str(slot[0])  # the compact form names its list by number
        else:
            return {}
        lists = StatusLists(self.session)
        status_list = lists.find(int(number)) if number.isdigit() else None
        if status_list is None:
            return {}
        url = status_list_url(self.issuer, status_list.id)
        return {f"{url}/{p}": self.publisher.signed(lists, status_list, p, self._registry_signer) for p in PURPOSES}

    def _registry_signer(self) -> Signer:
        return self.keys.signing_key(None)

    def status_list(self, number: int, purpose: str) -> str:
        """Status list `number` for `purpose`, signed by the registry's key; raise NotFound for either unknown."""
        lists = StatusLists(self.session)
        return self.publisher.signed(lists, lists.get(number), purpose, self._registry_signer)

    def bundle(self) -> str:
        """Every published key and every current status list, signed together by the registry's key."""
        status_lists = {
            f"{status_list_url(self.issuer, number)}/{purpose}": self.status_list(number, purpose)
            for number in StatusLists(self.session).numbers()
            for purpose in PURPOSES
        }
        signer = self._registry_signer()
        claims = formats.bundle_claims(
            self.issuer, int(utcnow().timestamp()), self.keys.jwks(), status_lists, self.keys.statements()
        )
        return sign(claims, signer, formats.BUNDLE)

    def _log(self, claims: dict[str, Any], result: VerificationResult, action: Action) -> None:
        identifier = claims.get("jti") if isinstance(claims.get("jti"), str) else None
        if identifier and not identifier.startswith(IDENTIFIER_ROOT + "."):
            identifier = f"{IDENTIFIER_ROOT}.{identifier}"  # the compact form leaves the fixed root out
        # Only the columns the entry needs: the sealed ones would be decrypted for nothing.
        subject = select(Certificate.identifier, Certificate.holder_ref, Certificate.department_id)
        certificate = (
            self.session.execute(subject.where(Certificate.identifier == identifier)).first() if identifier else None
        )
        failed = next((c.code for c in result.checks if not c.passed), None)
        event = Event(
            action,
            certificate=certificate.identifier if certificate else None,
            holder_ref=certificate.holder_ref if certificate else None,
            subject_department_id=certificate.department_id if certificate else None,
            error_code=failed,
        )
        AccessLog(self.session).record(ANONYMOUS, [event])
