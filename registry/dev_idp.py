"""A development stand-in for the platform's unified identity provider: it mints holders' ID tokens, and
signs holders in to the wallet by OpenID Connect's authorization code flow with PKCE.

It keeps its key in the keystore and writes its JWKS to the instance folder, where the registry's
development configuration trusts it. A production deployment points REGISTRY_IDP_JWKS at the real one.
It vouches for whoever its sign-in page is told about: development only (`registry.web.wallet.devidp`).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from issuers.keystore import Keystore
from issuers.signing import SoftwareSigner, jws_encode
from registry.models import utcnow
from registry.tokens import ID_TOKEN_TYP

CODE_TTL = 60  # seconds an authorization code may wait to be redeemed
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")  # RFC 7636 4.1


class DevIdentityProvider:
    def __init__(self, keystore: Keystore, jwks_path: Path, issuer: str, audience: str) -> None:
        self.keystore = keystore
        self.jwks_path = Path(jwks_path)
        self.issuer = issuer
        self.audience = audience

    def _signer(self) -> SoftwareSigner:
        if self.jwks_path.exists():
            kid = json.loads(self.jwks_path.read_text())["keys"][0]["kid"]
            return self.keystore.signer(kid)
        signer = self.keystore.create()
        self.jwks_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.jwks_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"keys": [signer.public_jwk()]}, indent=2))
        os.replace(tmp, self.jwks_path)
        return signer

    def mint(
        self,
        id_number: str,
        name: str,
        *,
        kind: str = "person",
        ttl: int = 3600,
        nonce: str | None = None,
        client_id: str | None = None,
    ) -> str:
        """Return an ID token for a holder, as the platform's identity provider would issue it.

        For a sign-in (OpenID Connect), `client_id` joins the registry's audience and is the authorized
        party (`azp`), and `nonce` is the one the sign-in request carried.
        """
        now = utcnow()
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": id_number,
            "name": name,
            "holder_kind": kind,
            "iat": int(now.timestamp()),
            "exp": int((now + dt.timedelta(seconds=ttl)).timestamp()),
        }
        if client_id is not None and client_id != self.audience:
            claims["aud"], claims["azp"] = [self.audience, client_id], client_id
        if nonce is not None:
            claims["nonce"] = nonce
        return jws_encode(claims, self._signer(), ID_TOKEN_TYP)


def s256(verifier: str) -> str:
    """The PKCE code challenge of a verifier (RFC 7636 4.2, method S256)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """What a relying party asked for when it sent the holder to sign in."""

    client_id: str
    redirect_uri: str
    code_challenge: str  # S256 only: the plain method would hand the verifier to whoever sees the URL
    nonce: str


@dataclass(frozen=True, slots=True)
class Grant:
    """Who signed in, for which request: what an authorization code stands for until it is redeemed."""

    request: AuthorizationRequest
    kind: str
    id_number: str
    name: str
    expires: float  # time.monotonic()


class GrantRefused(ValueError):
    """A token request the identity provider refuses; `error` is the OAuth 2.0 error code (RFC 6749 5.2)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


class AuthorizationCodes:
    """One-time authorization codes, kept in this process's memory for CODE_TTL seconds.

    Memory, not the database: the development server is one process, and a code that outlives a restart
    is no loss (the holder signs in again).
    """

    def __init__(self, ttl: float = CODE_TTL) -> None:
        self.ttl = ttl
        self._grants: dict[str, Grant] = {}
        self._lock = threading.Lock()

    def issue(self, request: AuthorizationRequest, kind: str, id_number: str, name: str) -> str:
        code = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            self._grants = {c: g for c, g in self._grants.items() if g.expires > now}
            self._grants[code] = Grant(request, kind, id_number, name, now + self.ttl)
        return code

    def redeem(self, code: str, *, client_id: str, redirect_uri: str, code_verifier: str) -> Grant:
        """The grant of a code, which is spent whatever the outcome; raise GrantRefused unless the code is
        live and the request matches the one it was issued for, PKCE verifier included."""
        with self._lock:
            grant = self._grants.pop(code, None)
        # 1. a code this provider issued, not redeemed before, not expired
        if grant is None or grant.expires <= time.monotonic():
            raise GrantRefused("invalid_grant", "the code is unknown, used or expired")
        # 2. redeemed by the client it was issued to, for the same redirect URI (RFC 6749 4.1.3)
        if client_id != grant.request.client_id:
            raise GrantRefused("invalid_grant", "the code was issued to another client")
        if redirect_uri != grant.request.redirect_uri:
            raise GrantRefused("invalid_grant", "the redirect URI differs from the authorization request's")
        # 3. the verifier whose S256 challenge the authorization request carried (RFC 7636 4.6)
        if not _VERIFIER.fullmatch(code_verifier) or not hmac.compare_digest(
            s256(code_verifier), grant.request.code_challenge
        ):
            raise GrantRefused("invalid_grant", "the code verifier does not match the code challenge")
        return grant
