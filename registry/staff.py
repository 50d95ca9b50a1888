"""Staff accounts: the people who sign in to the department's console and the archivist's desk.

A staff member acts with the role and department of their account, as an API client would; the access
log records them as `staff:<username>`, so that it names the person who issued, revoked or filed.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accesslog import AccessLog, Event
from registry.clients import check_secret, hash_secret
from registry.errors import Conflict, ValidationFailed
from registry.models import Department, StaffAccount
from registry.principals import Principal
from registry.vocabulary import Action, Role, values

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 12
# A hash to check against when the username is unknown, so that both answers take as long.
_UNKNOWN = hash_secret("no such staff member, no such password")


def staff_principal(account: StaffAccount) -> Principal:
    return Principal(role=account.role, client_id=f"staff:{account.username}", department_id=account.department_id)


class StaffService:
    def __init__(self, session: Session) -> None:
        self.session = session

    def create(
        self, username: str, name: str, role: str, department: Department | None, password: str, *, actor: Principal
    ) -> StaffAccount:
        if not USERNAME.match(username):
            raise ValidationFailed("a username is 2-64 lower-case letters, digits, '.', '_', '-'", code="BAD_USERNAME")
        if role not in values(Role):
            raise ValidationFailed(f"role must be one of {values(Role)}", code="BAD_ROLE")
        if role in (Role.ISSUER, Role.AGENCY) and department is None:
            raise ValidationFailed(f"a {role} belongs to a department", code="DEPARTMENT_REQUIRED")
        if len(password) < MIN_PASSWORD:
            raise ValidationFailed(f"a password has at least {MIN_PASSWORD} characters", code="WEAK_PASSWORD")
        if self.session.scalar(select(StaffAccount.id).where(StaffAccount.username == username)) is not None:
            raise Conflict(f"staff member {username} exists", code="STAFF_EXISTS")
        account = StaffAccount(
            username=username,
            name=name,
            role=role,
            department=department if role in (Role.ISSUER, Role.AGENCY) else None,
            password_hash=hash_secret(password),
        )
        self.session.add(account)
        self.session.flush()
        AccessLog(self.session).record(
            actor,
            [Event(Action.CLIENT_CREATE, subject_department_id=account.department_id, reason=f"staff {username}")],
        )
        return account

    def authenticate(self, username: str, password: str) -> StaffAccount | None:
        """The active account with this username and password, or None (in the same time either way)."""
        account = self.session.scalar(select(StaffAccount).where(StaffAccount.username == username))
        if account is None:
            check_secret(password, _UNKNOWN)
            return None
        if not check_secret(password, account.password_hash) or not account.active:
            return None
        return account

    def end_sessions(self, account_id: int) -> None:
        """Sign the account out everywhere: sessions signed in before now stop working."""
        account = self.session.get_one(StaffAccount, account_id)
        account.session_epoch += 1
        self.session.flush()

    def get(self, account_id: int) -> StaffAccount | None:
        account = self.session.get(StaffAccount, account_id)
        return account if account is not None and account.active else None
