"""Verifier bundles: the registry's published keys and status lists, signed together, for offline use."""

from __future__ import annotations

import json
from collections.abc import Sequence

import jwt

from verifiers import formats, jose
from verifiers.errors import InvalidBundle
from verifiers.formats import Bundle
from verifiers.keychain import follow, thumbprint


def read_bundle(text: str, trusted_kids: Sequence[str] = ()) -> Bundle:
    """Check a bundle's signature by a registry key it publishes (and, if given, one of `trusted_kids`).

    Without `trusted_kids` the bundle is trusted on its own say, as the first fetch over HTTPS
    from the registry; pin the registry's key id to take that trust from a second channel. Every key
    rule of `jose` applies: a bundle signed by a key its own key set says was compromised is refused.
    """
    try:
        claims = jose.unverified_payload(text)
        kid = jose.header(text).get("kid")
    except jwt.DecodeError as e:
        raise InvalidBundle("not a signed bundle") from e
    jwks = claims.get("jwks")
    if not isinstance(jwks, dict):
        raise InvalidBundle("the bundle carries no key set", "MISSING_CLAIM")
    if trusted_kids and kid not in trusted_kids:
        # A newer registry key is trusted when the key chain leads to it from a pinned one.
        statements = claims.get("key_statements")
        chain = follow(statements if isinstance(statements, list) else [], trusted_kids)
        published = {k.get("kid"): k for k in jwks.get("keys", []) if isinstance(k, dict)}
        if kid not in chain or str(kid) not in published or thumbprint(published[str(kid)]) != kid:
            raise InvalidBundle(
                f"signed by {kid}, which is not a trusted registry key nor one the key chain leads to from a "
                "pinned one",
                "UNTRUSTED_KEY",
            )
    signed = jose.read_trusted(text, formats.BUNDLE, jose.KeyRing(jwks))
    return Bundle.from_claims(signed.claims, signed.key.kid)


def dump_summary(bundle: Bundle) -> str:
    return json.dumps(
        {
            "issuer": bundle.issuer,
            "created_at": bundle.created_at.isoformat(),
            "signed_by": bundle.kid,
            "keys": len(bundle.jwks.get("keys", [])),
            "status_lists": len(bundle.status_lists),
        }
    )
