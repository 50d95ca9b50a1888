"""The development identity provider's sign-in, so that the wallet's demo works end to end (development only):
a page where the holder says who they are, which answers the wallet with a one-time code, and a token
endpoint where the wallet redeems the code, with its PKCE verifier, for an ID token.

The page is a page (CSRF-checked, translated); the token endpoint is server to server, so it is a blueprint
of its own that is not a page, and answers as OAuth 2.0 token endpoints do (RFC 6749 5.1, 5.2).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from flask import Blueprint, Flask, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from issuers.holders import HolderKind, holder_document
from registry import web
from registry.demo import HOLDERS as DEMO_HOLDERS
from registry.dev_idp import AuthorizationCodes, AuthorizationRequest, GrantRefused
from registry.errors import ValidationFailed
from registry.web.wallet.display import HOLDER_KIND_LABELS
from registry.wiring import services
from verifiers.errors import InvalidCode

bp = Blueprint("devidp", __name__, url_prefix="/dev-idp", template_folder="templates")
token_bp = Blueprint("devidp_token", __name__, url_prefix="/dev-idp")
CODES = "registry.dev_idp.codes"  # app.extensions key: the AuthorizationCodes of this process
ID_TOKEN_TTL = 300  # seconds: the wallet reads the token once, at sign-in
NAME_MAX = 100


def register(app: Flask) -> None:
    web.page_blueprint(app, bp)
    app.register_blueprint(token_bp)
    app.extensions[CODES] = AuthorizationCodes()


def _authorization_request(values: Mapping[str, str]) -> AuthorizationRequest:
    """The sign-in request as the wallet sent it; refused (a page, never a redirect) unless it comes from the
    registry's own wallet, back to its own callback, with PKCE S256, a state and a nonce."""
    if values.get("response_type") != "code":
        raise ValidationFailed(_("Only the authorization code flow is offered."), code="UNSUPPORTED_RESPONSE_TYPE")
    if values.get("client_id") != current_app.config["REGISTRY_IDP_CLIENT_ID"]:
        raise ValidationFailed(_("This application is not known here."), code="UNKNOWN_CLIENT")
    if values.get("redirect_uri") != url_for("wallet.callback", _external=True):
        raise ValidationFailed(
            _("Signing in may only lead back to this registry's wallet."), code="REDIRECT_URI_REFUSED"
        )
    if values.get("code_challenge_method") != "S256" or not values.get("code_challenge"):
        raise ValidationFailed(_("The request needs a PKCE code challenge (S256)."), code="PKCE_REQUIRED")
    if not values.get("state") or not values.get("nonce"):
        raise ValidationFailed(_("The request needs a state and a nonce."), code="STATE_REQUIRED")
    return AuthorizationRequest(values["client_id"], values["redirect_uri"], values["code_challenge"], values["nonce"])


@bp.route("/authorize", methods=["GET", "POST"])
def authorize() -> str | Response:
    values = request.form if request.method == "POST" else request.args
    asked = _authorization_request(values)
    errors: dict[str, str] = {}
    kind, number, name = values.get("kind", HolderKind.PERSON), values.get("number", "").strip(), ""
    if request.method == "POST":
        name = values.get("name", "").strip()
        try:
            document = holder_document(kind, number.upper())
        except InvalidCode as e:
            errors["number"] = _("This is not a valid number of the document chosen (%(reason)s).", reason=e.reason)
        if not name or len(name) > NAME_MAX:
            errors["name"] = _("Give the holder's name, up to %(n)d characters.", n=NAME_MAX)
        if not errors:
            codes: AuthorizationCodes = current_app.extensions[CODES]
            code = codes.issue(asked, document.kind, document.number, name)
            return redirect(f"{asked.redirect_uri}?{urlencode({'code': code, 'state': values['state']})}")
    return render_template(
        "wallet/dev_idp.html",
        asked={k: values.get(k, "") for k in ("response_type", "client_id", "redirect_uri", "state", "nonce")}
        | {"code_challenge": asked.code_challenge, "code_challenge_method": "S256"},
        kinds=HOLDER_KIND_LABELS,
        kind=kind,
        number=number,
        name=name,
        errors=errors,
        demo=DEMO_HOLDERS,
    )


@token_bp.post("/token")
def token() -> Response:
    """Redeem a code for an ID token (server to server: the wallet, never a browser)."""
    form = request.form
    if form.get("grant_type") != "authorization_code":
        return _token_error("unsupported_grant_type", "only authorization_code")
    codes: AuthorizationCodes = current_app.extensions[CODES]
    try:
        grant = codes.redeem(
            form.get("code", ""),
            client_id=form.get("client_id", ""),
            redirect_uri=form.get("redirect_uri", ""),
            code_verifier=form.get("code_verifier", ""),
        )
    except GrantRefused as e:
        return _token_error(e.error, e.description)
    id_token = (
        services()
        .dev_idp()
        .mint(
            grant.id_number,
            grant.name,
            kind=grant.kind,
            ttl=ID_TOKEN_TTL,
            nonce=grant.request.nonce,
            client_id=grant.request.client_id,
        )
    )
    return _no_store(jsonify(id_token=id_token, token_type="Bearer"))  # noqa: S106 (a token type, not a secret)


def _token_error(error: str, description: str) -> Response:
    response = _no_store(jsonify(error=error, error_description=description))
    response.status_code = 400
    return response


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"  # RFC 6749 5.1: tokens are not cached
    return response
