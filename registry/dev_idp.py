"""A development stand-in for the platform's unified identity provider: it mints holders' ID tokens.

It keeps its key in the keystore and writes its JWKS to the instance folder, where the registry's
development configuration trusts it. A production deployment points REGISTRY_IDP_JWKS at the real one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from issuers.keystore import Keystore
from issuers.signing import SoftwareSigner, jws_encode
from registry.models import utcnow
from registry.tokens import ID_TOKEN_TYP


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

    def mint(self, id_number: str, name: str, *, kind: str = "person", ttl: int = 3600) -> str:
        """Return an ID token for a holder, as the platform's identity provider would issue it."""
        now = utcnow()
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": id_number,
            "name": name,
            "holder_kind": kind,
            "iat": int(now.timestamp()),
            "exp": int((now + dt.timedelta(seconds=ttl)).timestamp()),
        }
        return jws_encode(claims, self._signer(), ID_TOKEN_TYP)
