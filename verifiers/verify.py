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

from verifiers import jose
from verifiers.bundle import Bundle, StaleBundle, read_bundle
from verifiers.copies import ANNOTATION_CLAIMS, ANNOTATION_TYP, Annotation, b64_sha256, form_digest
from verifiers.errors import MalformedToken, VerificationFailed
from verifiers.jwk import UnusableKey, public_key
from verifiers.status import PURPOSES, InvalidStatusList, StatusList, read_status_list

CERTIFICATE_TYP = "dc+sd-jwt"
COMPACT_TYP = "qr+jwt"
STAMP_TYP = "stamp+jwt"
IDENTIFIER_ROOT = "1.2.156.3005.2."
STATUS_LISTS_PATH = "/api/v1/status-lists/"


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
class Check:
    name: str
    passed: bool
    code: str
    detail: str = ""


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


@dataclass(frozen=True, slots=True)
class _Key:
    jwk: dict[str, Any]
    public_key: Any


def _signed_claims(token: str, key: _Key, required: tuple[str, ...]) -> dict[str, Any]:
    """The claims once the signature holds and the required ones are there, as integers where times."""
    claims = jose.verified_claims(token, key.jwk, key.public_key)
    missing = [name for name in required if name not in claims]
    if missing:
        raise jwt.MissingRequiredClaimError(missing[0])
    for name in ("iat", "nbf", "exp"):
        if name in claims and (not isinstance(claims[name], int) or isinstance(claims[name], bool)):
            raise jwt.DecodeError(f"{name} must be an integer")
    return claims


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_digest = b64_sha256


def key_status(jwk: dict[str, Any], signed_at: int) -> Check:
    """The key-status check of something signed at `signed_at` (epoch seconds) by the published key `jwk`."""
    compromised_at = jwk.get("compromised_at")
    if compromised_at is not None and signed_at >= compromised_at:
        return Check("key_status", False, "KEY_COMPROMISED", "signed after the key was compromised")
    if not jwk.get("nbf", signed_at) <= signed_at <= jwk.get("exp", signed_at):
        return Check("key_status", False, "KEY_NOT_VALID_AT_SIGNING", "signed outside the key's validity")
    if compromised_at is not None:
        # Passes, flagged: signed before the compromise, yet the key's holder may want it re-issued.
        return Check("key_status", True, "KEY_COMPROMISED_LATER", "signed before the key was compromised")
    return Check("key_status", True, "OK")


class Verifier:
    """Verifies certificates with a fixed set of published keys and status lists; build it with `from_jwks`."""

    def __init__(
        self, keys: dict[str, _Key], jwks: dict[str, Any], status_lists: dict[str, str], issuer: str | None
    ) -> None:
        self._keys = keys
        self._jwks = jwks
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
        keys: dict[str, _Key] = {}
        for jwk in jwks.get("keys", []):
            if "kid" not in jwk:
                continue
            try:
                keys[jwk["kid"]] = _Key(jwk, public_key(jwk))
            except UnusableKey:
                continue
        return cls(keys, jwks, dict(status_lists or {}), issuer)

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
        if header.get("typ") == COMPACT_TYP and "~" not in sd_jwt:
            return self._verify_compact(sd_jwt, now, checks)
        jws, disclosures = self._split(sd_jwt)
        # 1.-4. Format, signature, issuer, key status at signing time.
        key, claims = self._seal_checks(jws, header, CERTIFICATE_TYP, ("iat",), checks)
        # 5. Validity period.
        checks.append(self._validity(claims, now))
        # 6. Status: the certificate's bits in the signed revocation and suspension lists.
        checks.append(self._status(claims, now))
        # 7. Disclosures: each must be referenced by a digest in _sd.
        disclosed, check = self._disclosures(claims, disclosures)
        checks.append(check)
        if not all(c.passed for c in checks):
            raise VerificationFailed(checks, claims)
        return VerifiedCertificate(claims, disclosed, key.jwk["kid"], checks)

    def _seal_checks(
        self, jws: str, header: dict[str, Any], typ: str, required: tuple[str, ...], checks: list[Check]
    ) -> tuple[_Key, dict[str, Any]]:
        """Checks 1 to 4 of anything a department's seal signs: format (typ), signature (with the algorithm
        the published key is pinned to, never the header's), issuer (the key is the named department's),
        key status at signing time. Append them to `checks`; raise VerificationFailed where one cannot go on."""
        if header.get("typ") != typ:
            checks.append(Check("format", False, "WRONG_TYPE", f"typ is {header.get('typ')!r}"))
            raise VerificationFailed(checks)
        checks.append(Check("format", True, "OK"))
        key = self._keys.get(header.get("kid", ""))
        if key is None:
            checks.append(Check("signature", False, "UNKNOWN_KEY", "no published key has this kid"))
            raise VerificationFailed(checks)
        try:
            claims = _signed_claims(jws, key, required)
        except jwt.InvalidTokenError as e:
            checks.append(Check("signature", False, "BAD_SIGNATURE", str(e)))
            raise VerificationFailed(checks) from e
        checks.append(Check("signature", True, "OK"))
        issuer_ok = key.jwk.get("dept") is not None and key.jwk.get("dept") == claims.get("dept")
        checks.append(Check("issuer", issuer_ok, "OK" if issuer_ok else "ISSUER_MISMATCH"))
        checks.append(key_status(key.jwk, claims["iat"]))
        return key, claims

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
        # 8. The annotation: a JWS of the registry's own key, valid when it was signed.
        try:
            header = jose.header(annotation.strip())
        except jwt.DecodeError:
            return [Check("annotation", False, "MALFORMED_ANNOTATION", "not a JWS")], None
        if header.get("typ") != ANNOTATION_TYP:
            return [Check("annotation", False, "MALFORMED_ANNOTATION", f"typ is {header.get('typ')!r}")], None
        key = self._keys.get(header.get("kid", ""))
        if key is None or key.jwk.get("purpose") != "registry":
            return [Check("annotation", False, "ANNOTATION_UNKNOWN_KEY", "not a published key of the registry")], None
        try:
            claims = _signed_claims(annotation.strip(), key, ANNOTATION_CLAIMS)
            note = Annotation.from_claims(claims)
        except (jwt.InvalidTokenError, ValueError, TypeError) as e:
            return [Check("annotation", False, "BAD_ANNOTATION_SIGNATURE", str(e))], None
        key_check = key_status(key.jwk, note.issued_at)
        if not key_check.passed:
            return [Check("annotation", False, key_check.code, "the registry's key " + key_check.detail)], None
        checks = [Check("annotation", True, "OK")]
        # 9. Binding: this signed form, and no disclosure the annotation does not cover.
        jws, disclosures = token.split("~")[0], token.split("~")[1:-1]
        covered = set(claims["sd_digests"]) if isinstance(claims["sd_digests"], list) else set()
        extra = [d for d in disclosures if _digest(d) not in covered]
        if claims["cert_hash"] != form_digest(jws):
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
            header = jose.header(token)
        except jwt.DecodeError as e:
            raise MalformedToken(str(e)) from e
        key, claims = self._seal_checks(token, header, STAMP_TYP, ("iat", "jti", "dept", "doc"), checks)
        signed_hash = str(claims["doc"].get("sha256", "")) if isinstance(claims["doc"], dict) else ""
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
        return VerifiedStamp(claims, key.jwk["kid"], checks)

    def _verify_compact(self, token: str, now: float, checks: list[Check]) -> VerifiedCertificate:
        """The compact form: no kid, so the seals of the department its identifier names are tried."""
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
            type_code, issuer_code = str(unverified["jti"]).split(".")[:2]
        except (jwt.DecodeError, KeyError, ValueError) as e:
            checks.append(Check("format", False, "MALFORMED", "the compact form has no identifier"))
            raise VerificationFailed(checks) from e
        checks.append(Check("format", True, "OK"))
        # 2. Signature, by one of the issuing department's published seals, algorithm pinned per key.
        claims = None
        for key in (k for k in self._keys.values() if k.jwk.get("dept") == issuer_code):
            try:
                claims = _signed_claims(token, key, ("iat", "jti"))
                break
            except jwt.InvalidTokenError:
                continue
        if claims is None:
            checks.append(Check("signature", False, "BAD_SIGNATURE", "no seal of the issuing department verifies it"))
            raise VerificationFailed(checks)
        checks.append(Check("signature", True, "OK"))
        # 3. Issuer: the seal that verified it belongs to the department the identifier names.
        checks.append(Check("issuer", True, "OK"))
        full: dict[str, Any] = {
            "jti": IDENTIFIER_ROOT + claims["jti"],
            "vct": type_code,
            "dept": issuer_code,
            "holder_name": claims.get("nm"),
            "iat": claims["iat"],
            "nbf": claims.get("nbf", claims["iat"]),
        }
        if "exp" in claims:
            full["exp"] = claims["exp"]
        slot = claims.get("st")
        if self._issuer and isinstance(slot, list) and len(slot) == 2:
            full["status"] = {"list": f"{self._issuer}{STATUS_LISTS_PATH}{slot[0]}", "idx": slot[1]}
        # 4.-6. Key status at signing time, validity, status lists: as for the full form.
        checks.append(key_status(key.jwk, full["iat"]))
        checks.append(self._validity(full, now))
        checks.append(self._status(full, now))
        # 7. Disclosures: the compact form discloses nothing beyond its core claims.
        checks.append(Check("disclosures", True, "OK", "none: the compact form carries the core claims only"))
        if not all(c.passed for c in checks):
            raise VerificationFailed(checks, full)
        return VerifiedCertificate(full, {}, key.jwk["kid"], checks)

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
                    status_list = read_status_list(token, self._jwks, now)
                    if status_list.url != url or status_list.purpose != purpose:
                        raise InvalidStatusList(f"the list at {url} says it is {status_list.url}")
                    self._read_lists[url] = status_list
                elif now >= status_list.expires:
                    raise InvalidStatusList("the status list has expired")
                found[purpose] = status_list.is_set(status["idx"])
            except InvalidStatusList as e:
                return Check("status", False, "STATUS_UNAVAILABLE", str(e))
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
            if _digest(disclosure) not in digests or name in disclosed or name in claims:
                return {}, Check("disclosures", False, "DISCLOSURE_NOT_SIGNED", f"disclosure of {name!r}")
            disclosed[name] = value
        return disclosed, Check("disclosures", True, "OK")
