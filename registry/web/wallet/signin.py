"""The holder's sign-in to the wallet: OpenID Connect's authorization code flow with PKCE (S256), the registry
being a public client of the configured identity provider, and the signed-in holder kept in the session.

The session cookie is signed, not encrypted, so it holds the holder's keyed reference, display name and
document kind, never the ID number. The ID token is checked as every holder's token is
(`IdentityProviderTrust.verify`: signature by a published key, `iss`, `aud`, `exp`, `iat`, `typ`, a valid
subject), and then for what a sign-in adds: the state this browser was given, the client, the nonce.
"""

from __future__ import annotations

import functools
import hmac
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import unquote, urlencode, urlparse

import jwt
from flask import current_app, g, redirect, request, session, url_for
from flask_babel import gettext as _

from registry.dev_idp import s256
from registry.errors import Forbidden, Unauthorized, Unavailable
from registry.principals import HOLDER_ROLE, Principal, holder_ref
from registry.tokens import unverified_header
from registry.vocabulary import Action
from registry.wiring import services

SESSION_HOLDER = "wallet_holder"  # {"ref", "name", "kind"} of the signed-in holder
SESSION_PENDING = "wallet_sign_in"  # {"state", "nonce", "verifier", "next"} of a sign-in under way
# app.extensions key: how the token request is sent, `(url, form) -> (status, JSON body)`; tests replace it.
TOKEN_POST = "registry.wallet.token_post"  # noqa: S105 (an extensions key, not a secret)
TOKEN_TIMEOUT = 10  # seconds
F = TypeVar("F", bound=Callable[..., Any])
TokenPost = Callable[[str, Mapping[str, str]], tuple[int, dict[str, Any]]]


def post_form(url: str, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
    """POST a form to the identity provider; its status and JSON body ({} when the body is not JSON)."""
    if urlparse(url).scheme not in ("http", "https"):
        raise Unavailable(_("The identity provider's address is not a web address."), code="IDP_MISCONFIGURED")
    data = urlencode(form).encode("ascii")
    outgoing = urllib.request.Request(url, data=data, method="POST", headers={"Accept": "application/json"})  # noqa: S310 (scheme checked)
    try:
        with urllib.request.urlopen(outgoing, timeout=TOKEN_TIMEOUT) as response:  # noqa: S310 (scheme checked)
            return response.status, _json(response.read())
    except urllib.error.HTTPError as e:
        return e.code, _json(e.read())
    except (urllib.error.URLError, TimeoutError) as e:
        raise Unavailable(_("The identity provider cannot be reached. Try again later."), code="IDP_UNREACHABLE") from e


def _json(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


@dataclass(frozen=True, slots=True)
class Endpoints:
    authorize: str
    token: str
    client_id: str
    redirect_uri: str


def endpoints() -> Endpoints:
    """The identity provider's endpoints; in development, unless set, the registry's own stand-in, at the
    address this request came to (so that a browser on 127.0.0.1 or localhost comes back to its cookie)."""
    config = current_app.config
    authorize, token = config["REGISTRY_IDP_AUTHORIZE_URL"], config["REGISTRY_IDP_TOKEN_URL"]
    if config["REGISTRY_ENV"] == "development":
        authorize = authorize or url_for("devidp.authorize", _external=True)
        token = token or url_for("devidp_token.token", _external=True)
    if not authorize or not token:
        raise Unavailable(_("Signing in to the wallet is not configured here."), code="SIGN_IN_NOT_CONFIGURED")
    return Endpoints(authorize, token, config["REGISTRY_IDP_CLIENT_ID"], url_for("wallet.callback", _external=True))


def wallet_path(target: str | None) -> str:
    """Where to go after signing in: a wallet page, never another site or another part of this one."""
    home = url_for("wallet.certificates")
    if not target or "\\" in target or ".." in unquote(target):  # a browser resolves /wallet/../staff
        return home
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not parsed.path.startswith(home):
        return home
    return target


def start(next_path: str) -> str:
    """Begin a sign-in: remember its state, nonce and PKCE verifier in the session; the URL to send the
    browser to."""
    idp = endpoints()
    pending = {
        "state": secrets.token_urlsafe(32),
        "nonce": secrets.token_urlsafe(32),
        "verifier": secrets.token_urlsafe(64),  # 86 characters of RFC 7636's alphabet
        "next": wallet_path(next_path),
    }
    session[SESSION_PENDING] = pending
    query = {
        "response_type": "code",
        "client_id": idp.client_id,
        "redirect_uri": idp.redirect_uri,
        "scope": "openid",
        "state": pending["state"],
        "nonce": pending["nonce"],
        "code_challenge": s256(pending["verifier"]),
        "code_challenge_method": "S256",
    }
    joiner = "&" if "?" in idp.authorize else "?"
    return f"{idp.authorize}{joiner}{urlencode(query)}"


def finish(args: Mapping[str, str]) -> str:
    """Complete a sign-in from the identity provider's answer; sign the holder in and return where to go.
    Raise Forbidden (a page) when any check fails; the sign-in under way is spent either way."""
    pending = session.pop(SESSION_PENDING, None)
    # 1. a sign-in this browser started (and has not completed yet)
    if not isinstance(pending, dict):
        raise Forbidden(
            _("This sign-in was not started here, or it is over. Sign in again."), code="SIGN_IN_NOT_STARTED"
        )
    # 2. the state it was given: the answer belongs to that sign-in, not to someone else's (RFC 6749 10.12)
    if not hmac.compare_digest(str(args.get("state", "")), str(pending["state"])):
        raise Forbidden(_("The answer does not belong to this sign-in. Sign in again."), code="STATE_MISMATCH")
    # 3. the identity provider signed the holder in
    if args.get("error") or not args.get("code"):
        raise Forbidden(_("The identity provider did not sign you in. Sign in again."), code="SIGN_IN_REFUSED")
    # 4. the code redeemed with the verifier only this session holds (PKCE)
    idp = endpoints()
    form = {
        "grant_type": "authorization_code",
        "code": str(args["code"]),
        "redirect_uri": idp.redirect_uri,
        "client_id": idp.client_id,
        "code_verifier": str(pending["verifier"]),
    }
    post: TokenPost = current_app.extensions[TOKEN_POST]
    status, body = post(idp.token, form)
    id_token = body.get("id_token")
    if status != 200 or not isinstance(id_token, str):
        raise Forbidden(_("The identity provider did not confirm the sign-in. Sign in again."), code="TOKEN_REFUSED")
    # 5. the ID token, as every holder's token is checked
    try:
        identity = services().idp_trust.verify(id_token, unverified_header(id_token))
    except Unauthorized as e:
        raise Forbidden(_("The identity provider's answer could not be verified. Sign in again."), code=e.code) from e
    # The claims a sign-in adds, read from the token whose signature step 5 has just verified.
    claims = jwt.decode(id_token, options={"verify_signature": False})
    # 6. issued to this client (OpenID Connect Core 3.1.3.7, items 3 to 5)
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if idp.client_id not in audiences or (len(audiences) > 1 and claims.get("azp") != idp.client_id):
        raise Forbidden(
            _("The identity provider's answer was meant for someone else. Sign in again."), code="WRONG_CLIENT"
        )
    # 7. for this sign-in: the nonce it sent, so that a token captured elsewhere cannot be replayed here
    if not hmac.compare_digest(str(claims.get("nonce", "")), str(pending["nonce"])):
        raise Forbidden(_("The answer does not belong to this sign-in. Sign in again."), code="NONCE_MISMATCH")
    session.clear()  # a new session on sign-in: no fixation
    session[SESSION_HOLDER] = {
        "ref": holder_ref(current_app.config["REGISTRY_HOLDER_KEY"], identity.kind, identity.id_number),
        "name": identity.name,
        "kind": identity.kind,
    }
    session.permanent = True
    return str(pending["next"])


def current_holder() -> Principal | None:
    """The signed-in holder as a principal, or None."""
    held = session.get(SESSION_HOLDER)
    if not isinstance(held, dict):
        return None
    return Principal(role=HOLDER_ROLE, holder_ref=held["ref"], holder_name=held["name"])


def holder() -> Principal:
    """The holder `holder_required` let through."""
    principal: Principal = g.principal
    return principal


def holder_required(action: Action) -> Callable[[F], F]:
    """Let a signed-in holder through (`g.principal` is then theirs, `g.action` what the page does, for the
    access log's record of a refusal); send anyone else to the wallet's sign-in, coming back here after."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            g.action = action
            principal = current_holder()
            if principal is None:
                back = request.full_path.rstrip("?") if request.method == "GET" else None
                return redirect(url_for("wallet.sign_in", next=back))
            g.principal = principal
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
