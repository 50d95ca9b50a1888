"""Verify an SD-JWT certificate against a JWKS of seal keys, check by check."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import jwt

from verifiers import formats, jose
from verifiers.bundle import read_bundle
from verifiers.copies import b64_sha256, form_digest
from verifiers.errors import (
    Check,
    InvalidSignedForm,
    InvalidStatusList,
    MalformedToken,
    StaleBundle,
    VerificationFailed,
)
from verifiers.formats import Annotation, Bundle
from verifiers.jose import Key, KeyRing, SignatureFailed, Signed
from verifiers.status import PURPOSES, StatusList, read_status_list

# The annotation's own failures, named as the copy checks have always named them.
_ANNOTATION_CODES = {
    "MALFORMED": "MALFORMED_ANNOTATION",
    "WRONG_TYPE": "MALFORMED_ANNOTATION",
    "UNKNOWN_KEY": "ANNOTATION_UNKNOWN_KEY",
    "BAD_SIGNATURE": "BAD_ANNOTATION_SIGNATURE",
    "MISSING_CLAIM": "BAD_ANNOTATION_SIGNATURE",
    "BAD_CLAIM": "BAD_ANNOTATION_SIGNATURE",
}


def token_from_presented(text: str) -> str:
    """The signed form in what a holder presents: the token itself, or a verification URL …/v/<token>."""
    text = text.strip()
    if "://" not in text:
        return text
    path = urllib.parse.urlparse(text).path
    if "/v/" not in path:
        raise MalformedToken("not a verification URL (…/v/<token>)")
    return urllib.parse.unquote(path.split("/v/", 1)[1])


@dataclass(frozen=True, slots=True)
class VerifiedCertificate:
    claims: dict[str, Any]
    disclosed: dict[str, Any]
    kid: str
    checks: list[Check] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class VerifiedCopy:
    """An annotated copy that passed every check: the certificate's claims and what the annotation says."""

    claims: dict[str, Any]
    disclosed: dict[str, Any]
    kid: str
    annotation: Annotation
    checks: list[Check] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class VerifiedStamp:
    """A detached stamp that passed every check: who stamped which document (by SHA-256), when."""

    claims: dict[str, Any]
    kid: str
    checks: list[Check] = field(default_factory=list)


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Verifier:
    """Verifies certificates with a fixed set of published keys and status lists; build it with `from_jwks`."""

    def __init__(self, keys: KeyRing, status_lists: dict[str, str], issuer: str | None) -> None:
        self._keys = keys
        self._status_lists = status_lists
        self._issuer = issuer
        # Each list's signature is checked once per verifier; its lifetime on every use.
        self._read_lists: dict[str, StatusList] = {}

    @classmethod
    def from_jwks(
        cls, jwks: dict[str, Any], status_lists: dict[str, str] | None = None, issuer: str | None = None
    ) -> Verifier:
        """Load a JWKS as the registry publishes it, signed status lists by URL, and the registry's base URL.

        Keys of unknown algorithms are left out. Without the lists a certificate names, its status
        check fails: it never passes unchecked. The base URL resolves compact forms' status slots.
        """
        return cls(KeyRing(jwks), dict(status_lists or {}), issuer)

    @classmethod
    def from_bundle(cls, bundle: Bundle | str, *, max_age: float | None = None, now: float | None = None) -> Verifier:
        """A verifier with a bundle's keys and status lists; raise StaleBundle if it is older than `max_age` s."""
        checked = read_bundle(bundle) if isinstance(bundle, str) else bundle
        if max_age is not None and checked.age(now) > max_age:
            raise StaleBundle(checked.age(now), max_age)
        return cls.from_jwks(checked.jwks, checked.status_lists, checked.issuer)

    def verify(self, sd_jwt: str, now: float | None = None) -> VerifiedCertificate:
        """Return the verified certificate or raise VerificationFailed listing every check.

        A check that cannot run (say, no key to check the signature with) fails; it never passes.
        """
        now = time.time() if now is None else now
        sd_jwt = token_from_presented(sd_jwt)
        checks: list[Check] = []
        # 1. Format: a JWS with the certificate typ (the full SD-JWT, or the compact form of a QR code).
        try:
            header = jose.header(sd_jwt.split("~")[0])
        except jwt.DecodeError as e:
            raise MalformedToken(str(e)) from e
        if header.get("typ") == formats.COMPACT.typ and "~" not in sd_jwt:
            return self._verify_compact(sd_jwt, now, checks)
        jws, disclosures = self._split(sd_jwt)
        # 2.-4. Signature, issuer, key status at signing time.
        signed = self._seal_checks(jws, formats.CERTIFICATE, checks)
        claims = signed.claims
        checks += [self._issuer_check(signed.key, claims), signed.key_check]
        # 5. Validity period.
        checks.append(self._validity(claims, now))
        # 6. Status: the certificate's bits in the signed revocation and suspension lists.
        checks.append(self._status(claims, now))
        # 7. Disclosures: each must be referenced by a digest in _sd.
        disclosed, check = self._disclosures(claims, disclosures)
        checks.append(check)
        if not all(c.passed for c in checks):
            raise VerificationFailed(checks, claims)
        return VerifiedCertificate(claims, disclosed, signed.key.kid, checks)

    def _seal_checks(
        self, token: str, fmt: formats.Format, checks: list[Check], candidates: list[Key] | None = None
    ) -> Signed:
        """Checks 1 and 2 of anything a department's seal signs, by the key rules of `jose`: format (typ),
        signature (by a published seal, with the algorithm the key is pinned to, never the header's).
        Append them to `checks`; raise VerificationFailed where one fails, as nothing after can run."""
        try:
            signed = jose.read_signed(token, fmt, self._keys, candidates)
        except SignatureFailed as e:
            if e.check.name != "format":
                checks.append(Check("format", True, "OK"))
            checks.append(e.check)
            raise VerificationFailed(checks) from e
        checks += [Check("format", True, "OK"), Check("signature", True, "OK")]
        return signed

    @staticmethod
    def _issuer_check(key: Key, claims: dict[str, Any]) -> Check:
        """3. Issuer: the seal that verified it belongs to the department the claims name."""
        issuer_ok = key.jwk.get("dept") is not None and key.jwk.get("dept") == claims.get("dept")
        return Check("issuer", issuer_ok, "OK" if issuer_ok else "ISSUER_MISMATCH")

    def verify_copy(self, sd_jwt: str, annotation: str, agency: str | None, now: float | None = None) -> VerifiedCopy:
        """Verify an annotated copy as used by `agency` (its credit code): the certificate's checks, then
        the annotation's signature, its binding to this signed form and these disclosures, the agency it
        was made for, and its expiry. Return the copy or raise VerificationFailed listing every check.
        """
        now = time.time() if now is None else now
        token = token_from_presented(sd_jwt)
        verified: VerifiedCertificate | None = None
        try:
            verified = self.verify(token, now)
            checks, claims = list(verified.checks), verified.claims
        except VerificationFailed as e:
            checks, claims = list(e.checks), e.claims
        copy_checks, note = self._annotation(token, annotation, agency, now)
        checks += copy_checks
        if verified is None or note is None or not all(c.passed for c in checks):
            raise VerificationFailed(checks, claims)
        return VerifiedCopy(verified.claims, verified.disclosed, verified.kid, note, checks)

    def _annotation(
        self, token: str, annotation: str, agency: str | None, now: float
    ) -> tuple[list[Check], Annotation | None]:
        """Checks 8 to 11, for annotated copies; a check that cannot run is not listed as passed."""
        # 8. The annotation: a JWS of the registry's own key, by every key rule of `jose`.
        try:
            note = Annotation.from_claims(jose.read_trusted(annotation.strip(), formats.ANNOTATION, self._keys).claims)
        except InvalidSignedForm as e:
            return [Check("annotation", False, _ANNOTATION_CODES.get(e.code, e.code), str(e))], None
        checks = [Check("annotation", True, "OK")]
        # 9. Binding: this signed form, and no disclosure the annotation does not cover.
        jws, disclosures = token.split("~")[0], token.split("~")[1:-1]
        extra = [d for d in disclosures if b64_sha256(d) not in note.sd_digests]
        if note.cert_hash != form_digest(jws):
            checks.append(Check("copy_binding", False, "COPY_NOT_BOUND", "the annotation is for another signed form"))
        elif extra:
            checks.append(
                Check("copy_binding", False, "DISCLOSURE_NOT_ANNOTATED", f"{len(extra)} disclosure(s) not covered")
            )
        else:
            checks.append(Check("copy_binding", True, "OK"))
        # 10. The agency using the copy is the one it was made for.
        if not agency:
            checks.append(Check("copy_agency", False, "AGENCY_NOT_GIVEN", "say which agency uses the copy"))
        elif agency != note.agency:
            checks.append(Check("copy_agency", False, "WRONG_AGENCY", f"made for {note.agency}"))
        else:
            checks.append(Check("copy_agency", True, "OK"))
        # 11. The copy's own lifetime.
        if now >= note.expires_at:
            checks.append(Check("copy_validity", False, "COPY_EXPIRED"))
        else:
            checks.append(Check("copy_validity", True, "OK"))
        return checks, note

    def verify_stamp(
        self, stamp: str, document: bytes | None = None, sha256: str | None = None, now: float | None = None
    ) -> VerifiedStamp:
        """Verify a detached stamp against the document (its bytes, or its SHA-256 in hex): format,
        signature, issuer, key status at stamping time, document unchanged, stamp not revoked.
        Return the stamp or raise VerificationFailed listing every check that ran."""
        now = time.time() if now is None else now
        token = token_from_presented(stamp)
        checks: list[Check] = []
        try:
            jose.header(token)
        except jwt.DecodeError as e:
            raise MalformedToken(str(e)) from e
        signed = self._seal_checks(token, formats.STAMP, checks)
        claims = signed.claims
        checks += [self._issuer_check(signed.key, claims), signed.key_check]
        signed_hash = formats.stamped_sha256(claims)
        if document is not None:
            sha256 = hashlib.sha256(document).hexdigest()
        if sha256 is None:
            checks.append(Check("document", False, "DOCUMENT_NOT_GIVEN", "give the document or its SHA-256"))
        elif sha256.lower() != signed_hash:
            checks.append(Check("document", False, "DOCUMENT_CHANGED", "the document is not the one stamped"))
        else:
            checks.append(Check("document", True, "OK"))
        checks.append(self._status(claims, now))
        if not all(c.passed for c in checks):
            raise VerificationFailed(checks, claims)
        return VerifiedStamp(claims, signed.key.kid, checks)

    def _verify_compact(self, token: str, now: float, checks: list[Check]) -> VerifiedCertificate:
        """The compact form: no kid, so the seals of the department its identifier names are tried."""
        try:
            _type_code, issuer_code = formats.compact_issuer_code(jose.unverified_payload(token))
        except (jwt.DecodeError, ValueError) as e:
            checks.append(Check("format", False, "MALFORMED", "the compact form has no identifier"))
            raise VerificationFailed(checks) from e
        # 1.-2. Format and signature, by one of the issuing department's published seals.
        signed = self._seal_checks(token, formats.COMPACT, checks, self._keys.of_department(issuer_code))
        full = formats.read_compact_claims(signed.claims, self._issuer)
        # 3. Issuer: the seal that verified it belongs to the department the identifier names.
        # 4.-6. Key status at signing time, validity, status lists: as for the full form.
        checks += [self._issuer_check(signed.key, full), signed.key_check]
        checks.append(self._validity(full, now))
        checks.append(self._status(full, now))
        # 7. Disclosures: the compact form discloses nothing beyond its core claims.
        checks.append(Check("disclosures", True, "OK", "none: the compact form carries the core claims only"))
        if not all(c.passed for c in checks):
            raise VerificationFailed(checks, full)
        return VerifiedCertificate(full, {}, signed.key.kid, checks)

    @staticmethod
    def _split(sd_jwt: str) -> tuple[str, list[str]]:
        parts = sd_jwt.strip().split("~")
        if len(parts) < 2 or parts[-1] != "":
            raise MalformedToken("an SD-JWT without key binding ends with '~'")
        return parts[0], parts[1:-1]

    @staticmethod
    def _validity(claims: dict[str, Any], now: float) -> Check:
        if "nbf" in claims and now < claims["nbf"]:
            return Check("validity", False, "NOT_YET_VALID")
        if "exp" in claims and now >= claims["exp"]:
            return Check("validity", False, "EXPIRED")
        return Check("validity", True, "OK")

    def _status(self, claims: dict[str, Any], now: float) -> Check:
        status = claims.get("status")
        if not isinstance(status, dict) or not isinstance(status.get("idx"), int) or "list" not in status:
            return Check("status", False, "STATUS_UNAVAILABLE", "the certificate names no status list")
        found: dict[str, bool] = {}
        for purpose in PURPOSES:
            url = f"{status['list']}/{purpose}"
            token = self._status_lists.get(url)
            if token is None:
                return Check("status", False, "STATUS_UNAVAILABLE", f"no {purpose} list {url}")
            try:
                status_list = self._read_lists.get(url)
                if status_list is None:
                    status_list = read_status_list(token, self._keys.jwks, now)
                    if status_list.url != url or status_list.purpose != purpose:
                        raise InvalidStatusList(f"the list at {url} says it is {status_list.url}")
                    self._read_lists[url] = status_list
                elif now >= status_list.expires:
                    raise InvalidStatusList("the status list has expired", "STATUS_LIST_EXPIRED")
                found[purpose] = status_list.is_set(status["idx"])
            except InvalidStatusList as e:
                return Check("status", False, "STATUS_UNAVAILABLE", f"{e.code}: {e}")
        if found["revocation"]:
            return Check("status", False, "REVOKED")
        if found["suspension"]:
            return Check("status", False, "SUSPENDED")
        return Check("status", True, "OK")

    @staticmethod
    def _disclosures(claims: dict[str, Any], disclosures: list[str]) -> tuple[dict[str, Any], Check]:
        if disclosures and claims.get("_sd_alg") != "sha-256":
            return {}, Check("disclosures", False, "UNSUPPORTED_SD_ALG")
        digests = set(claims.get("_sd", []))
        disclosed: dict[str, Any] = {}
        for disclosure in disclosures:
            try:
                _salt, name, value = json.loads(_b64decode(disclosure))
            except (ValueError, binascii.Error, TypeError):
                return {}, Check("disclosures", False, "MALFORMED_DISCLOSURE")
            if b64_sha256(disclosure) not in digests or name in disclosed or name in claims:
                return {}, Check("disclosures", False, "DISCLOSURE_NOT_SIGNED", f"disclosure of {name!r}")
            disclosed[name] = value
        return disclosed, Check("disclosures", True, "OK")
