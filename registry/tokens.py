"""Bearer tokens: the registry's own access tokens for API clients, and holders' ID tokens from the identity provider.

Every check pins the algorithm to the key it found by kid, requires exp, iat, iss and aud, and
insists on the token's typ, so that an access token, an ID token and a certificate can never stand in
for one another. A key is never taken from the token itself (jku, x5u, jwk headers are ignored).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from sqlalchemy.orm import Session

from issuers.holders import holder_document
from issuers.signing import jws_encode
from registry.clients import ClientService
from registry.errors import Unauthorized
from registry.keys import KeyService, published_jwk
from registry.models import ApiClient, utcnow
from registry.principals import Principal
from registry.vocabulary import KeyPurpose, KeyStatus
from verifiers.errors import InvalidCode
from verifiers.jose import key_status
from verifiers.jwk import UnusableKey, public_key

ACCESS_TOKEN_TYP = "at+jwt"  # noqa: S105 (a media type, not a secret)
ID_TOKEN_TYP = "JWT"  # noqa: S105
_REQUIRED = ["exp", "iat", "iss", "aud", "sub"]


def _public_key(jwk: dict[str, Any]) -> Any:
    try:
        return public_key(jwk)
    except UnusableKey as e:
        raise Unauthorized("the signing key cannot be used") from e


def _decode(token: str, key: Any, alg: str, *, issuer: str, audience: str) -> dict[str, Any]:
    try:
        return jwt.decode(
            token, key, algorithms=[alg], issuer=issuer, audience=audience, options={"require": _REQUIRED}
        )
    except jwt.ExpiredSignatureError as e:
        raise Unauthorized("the token has expired", code="TOKEN_EXPIRED") from e
    except jwt.InvalidTokenError as e:
        raise Unauthorized(f"the token is not valid: {e}") from e


def unverified_header(token: str) -> dict[str, Any]:
    try:
        return jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as e:
        raise Unauthorized("the bearer token is not a JWT") from e


class AccessTokens:
    """Short-lived JWT access tokens (RFC 9068 style) signed with the registry's own key."""

    def __init__(self, session: Session, keys: KeyService, issuer: str, ttl: int) -> None:
        self.session = session
        self.keys = keys
        self.issuer = issuer
        self.audience = f"{issuer}/api"
        self.ttl = ttl

    def issue(self, client: ApiClient) -> str:
        signer = self.keys.signing_key(None)
        now = utcnow()
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": client.client_id,
            "client_id": client.client_id,
            "role": client.role,
            "iat": int(now.timestamp()),
            "exp": int((now + dt.timedelta(seconds=self.ttl)).timestamp()),
            "jti": secrets.token_urlsafe(12),
        }
        if client.department is not None:
            claims["dept"] = client.department.credit_code
        return jws_encode(claims, signer, ACCESS_TOKEN_TYP)

    def verify(self, token: str, header: dict[str, Any]) -> tuple[Principal, ApiClient]:
        """Check an access token and that its client still exists and is active."""
        if header.get("typ") != ACCESS_TOKEN_TYP:
            raise Unauthorized("not an access token")
        seal = self.keys.find(str(header.get("kid", "")))
        if seal is None or seal.purpose != KeyPurpose.REGISTRY:
            raise Unauthorized("the token is signed with an unknown key")
        if seal.status == KeyStatus.COMPROMISED:
            raise Unauthorized("the token is signed with a compromised key")
        claims = _decode(token, _public_key(seal.public_jwk), seal.alg, issuer=self.issuer, audience=self.audience)
        # The key rules of every registry-signed token (verifiers.jose): a retired key vouches only for
        # what it signed before its retirement. And no token lives longer than this registry issues them.
        status = key_status(published_jwk(seal), claims["iat"]) if isinstance(claims["iat"], int) else None
        if status is None or not status.passed:
            raise Unauthorized(f"the token's key: {status.detail if status else 'no signing time'}")
        if claims["exp"] - claims["iat"] > self.ttl:
            raise Unauthorized(f"the token claims a lifetime beyond {self.ttl} seconds", code="TOKEN_TOO_LONG")
        client = ClientService(self.session).find(str(claims["sub"]))
        if client is None or not client.active or client.role != claims.get("role"):
            raise Unauthorized("the client of this token is unknown or disabled")
        return Principal(role=client.role, client_id=client.client_id, department_id=client.department_id), client


@dataclass(frozen=True, slots=True)
class HolderIdentity:
    kind: str  # a HolderKind: the document the identity provider vouches for (issuers.holders)
    id_number: str
    name: str


class IdentityProviderTrust:
    """Trusts ID tokens of one identity provider, whose JWKS is an https URL or a file."""

    def __init__(self, issuer: str, audience: str, jwks_source: str) -> None:
        self.issuer = issuer
        self.audience = audience
        self._source = jwks_source
        self._client = jwt.PyJWKClient(jwks_source, lifespan=300) if "://" in jwks_source else None
        self._file_cache: tuple[float, dict[str, Any]] | None = None
        self._lock = threading.Lock()

    def _jwk(self, kid: str) -> dict[str, Any] | None:
        if self._client is not None:
            try:
                keys = self._client.get_jwk_set().keys
            except jwt.PyJWKClientError as e:
                raise Unauthorized("the identity provider's keys cannot be fetched") from e
            return next((dict(k._jwk_data) for k in keys if k.key_id == kid), None)
        path = Path(self._source)
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            raise Unauthorized("the identity provider's key set is missing") from None
        with self._lock:
            if self._file_cache is None or self._file_cache[0] != mtime:
                self._file_cache = (mtime, json.loads(path.read_text()))
            jwks = self._file_cache[1]
        return next((k for k in jwks.get("keys", []) if k.get("kid") == kid), None)

    def verify(self, token: str, header: dict[str, Any]) -> HolderIdentity:
        if header.get("typ") != ID_TOKEN_TYP:
            raise Unauthorized("not an ID token")
        jwk = self._jwk(str(header.get("kid", "")))
        if jwk is None:
            raise Unauthorized("the token is signed with an unknown key")
        claims = _decode(token, _public_key(jwk), jwk["alg"], issuer=self.issuer, audience=self.audience)
        kind, sub, name = claims.get("holder_kind", "person"), str(claims["sub"]), claims.get("name")
        try:
            document = holder_document(str(kind), sub)
        except InvalidCode as e:
            raise Unauthorized(f"the token's subject is not a valid ID number ({e.kind})") from e
        if not isinstance(name, str) or not name:
            raise Unauthorized("the token has no holder name")
        return HolderIdentity(document.kind, document.number, name)
