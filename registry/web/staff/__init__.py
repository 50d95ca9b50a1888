"""Staff sign-in for the department's console and the archivist's desk: a named account (registry.staff),
a password, a session cookie. Pages that need a signed-in staff member use `staff_required`, which sends
anyone else to the sign-in page, and `current_staff()` for the principal the services act as."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlparse

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from registry.errors import Forbidden
from registry.principals import Principal
from registry.staff import staff_principal
from registry.wiring import services

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates")
SESSION_KEY = "staff_id"
EPOCH_KEY = "staff_epoch"  # the account's session epoch at sign-in: signing out bumps it
F = TypeVar("F", bound=Callable[..., Any])


def current_staff() -> Principal | None:
    """The signed-in staff member as a principal (role, department, `staff:<username>`), or None."""
    if "staff" in g:
        return g.staff  # type: ignore[no-any-return]
    account_id = session.get(SESSION_KEY)
    account = services().staff.get(int(account_id)) if account_id is not None else None
    if account is not None and session.get(EPOCH_KEY) != account.session_epoch:
        account = None  # signed out since (this is a copy of a cookie from before)
    g.staff = staff_principal(account) if account is not None else None
    g.staff_name = account.name if account is not None else None
    return g.staff  # type: ignore[no-any-return]


def staff_required(*roles: str) -> Callable[[F], F]:
    """Let a signed-in staff member with one of `roles` through (`g.principal` is then theirs); send anyone
    not signed in to the sign-in page, and refuse a staff member of another role (403 page)."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            staff = current_staff()
            if staff is None:
                return redirect(url_for("staff.sign_in", next=request.full_path.rstrip("?")))
            g.principal = staff
            if staff.role not in roles:
                raise Forbidden(_("Your account may not use these pages."), code="ROLE_NOT_PERMITTED")
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only, never another site (open redirect)."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> str | Response:
    error = None
    if request.method == "POST":
        account = services().staff.authenticate(request.form.get("username", ""), request.form.get("password", ""))
        if account is not None:
            session.clear()  # a new session on sign-in: no fixation
            session[SESSION_KEY] = account.id
            session[EPOCH_KEY] = account.session_epoch
            session.permanent = True
            return redirect(_safe_next(request.form.get("next")))
        error = _("The username or the password is not right.")
    return render_template("staff/sign_in.html", error=error, next=request.values.get("next", ""))


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> Response:
    staff = current_staff()
    if staff is not None:  # every copy of this sign-in's cookie stops working
        services().staff.end_sessions(int(session[SESSION_KEY]))
    session.clear()
    return redirect(url_for("staff.sign_in"))
