"""API clients of departments' systems: creation, secret hashing, client-credentials authentication."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accesslog import AccessLog, Event
from registry.errors import Unauthorized, ValidationFailed
from registry.models import ApiClient, Department
from registry.principals import Principal
from registry.vocabulary import Action, Role, values

# scrypt with n=2^15, r=8: about 50 ms and 32 MiB per check, so a leaked table resists guessing.
_SCRYPT = {"n": 2**15, "r": 8, "p": 1}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(secret, salt, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${_b64(salt)}${_b64(digest)}"


def check_secret(secret: str, stored: str) -> bool:
    scheme, n, r, p, salt, digest = stored.split("$")
    if scheme != "scrypt":
        return False
    salt_bytes = base64.urlsafe_b64decode(salt + "=" * (-len(salt) % 4))
    return hmac.compare_digest(_b64(_scrypt(secret, salt_bytes, int(n), int(r), int(p))), digest)


@functools.cache
def _dummy_hash() -> str:
    """A hash to check against when the client id is unknown, so both failures take the same time."""
    return hash_secret(secrets.token_urlsafe(32))


class ClientService:
    def __init__(self, session: Session) -> None:
        self.session = session

    def create(
        self,
        name: str,
        role: str,
        department: Department | None,
        *,
        actor: Principal,
        client_id: str | None = None,
        secret: str | None = None,
    ) -> tuple[ApiClient, str]:
        """Register a client; return it with its secret, which is shown this once and stored only hashed."""
        if role not in values(Role):
            raise ValidationFailed(f"unknown role {role!r}", errors={"role": [f"must be one of {values(Role)}"]})
        if role in (Role.ISSUER, Role.AGENCY) and department is None:
            raise ValidationFailed(
                f"a client with role {role} belongs to a department", errors={"department": ["required"]}
            )
        secret = secret or secrets.token_urlsafe(32)
        client = ApiClient(
            client_id=client_id or f"cl_{secrets.token_hex(10)}",
            name=name,
            role=role,
            department=department if role in (Role.ISSUER, Role.AGENCY) else None,
            secret_hash=hash_secret(secret),
        )
        self.session.add(client)
        self.session.flush()
        event = Event(
            Action.CLIENT_CREATE, subject_department_id=client.department_id, reason=f"client {client.client_id}"
        )
        AccessLog(self.session).record(actor, [event])
        return client, secret

    def find(self, client_id: str) -> ApiClient | None:
        """Return the client with this id, or None."""
        return self.session.scalar(select(ApiClient).where(ApiClient.client_id == client_id))

    def authenticate(self, client_id: str, secret: str) -> ApiClient:
        """Return the active client whose secret matches; raise Unauthorized (INVALID_CLIENT) otherwise."""
        client = self.find(client_id)
        ok = check_secret(secret, client.secret_hash if client else _dummy_hash())
        if client is None or not ok or not client.active:
            raise Unauthorized("unknown client or wrong secret", code="INVALID_CLIENT")
        return client

    def list(self) -> list[ApiClient]:
        return list(self.session.scalars(select(ApiClient).order_by(ApiClient.id)))
