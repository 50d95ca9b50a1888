"""Who is calling: bearer tokens checked once per request, and the role rule each view declares."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, request

from registry.errors import Forbidden, Unauthorized
from registry.principals import HOLDER_ROLE, Principal, holder_ref
from registry.tokens import ACCESS_TOKEN_TYP, ID_TOKEN_TYP, unverified_header
from registry.vocabulary import Action
from registry.wiring import services

F = TypeVar("F", bound=Callable[..., Any])


def bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send a bearer token in the Authorization header", code="MISSING_TOKEN")
    return token.strip()


def authenticate() -> Principal:
    """Check the request's bearer token: the registry's access token, or a holder's ID token."""
    token = bearer_token()
    header = unverified_header(token)
    svc = services()
    if header.get("typ") == ACCESS_TOKEN_TYP:
        principal, _ = svc.access_tokens.verify(token, header)
        return principal
    if header.get("typ") == ID_TOKEN_TYP:
        holder = svc.idp_trust.verify(token, header)
        ref = holder_ref(svc.config["REGISTRY_HOLDER_KEY"], holder.kind, holder.id_number)
        return Principal(role=HOLDER_ROLE, holder_ref=ref, holder_name=holder.name)
    raise Unauthorized(f"a token of type {header.get('typ')!r} is not accepted here")


def requires(*roles: str, action: Action) -> Callable[[F], F]:
    """Let only a caller with one of `roles` through; the principal is then `g.principal`.

    `action` names what the view does in the access log, where refusals are recorded too.
    """

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            g.action = action
            principal = authenticate()
            g.principal = principal
            if principal.role not in roles:
                raise Forbidden(f"the role {principal.role} may not do this", code="ROLE_NOT_PERMITTED")
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def principal() -> Principal:
    return g.principal  # type: ignore[no-any-return]
