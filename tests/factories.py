"""Test data: valid codes drawn at random, departments, types, clients and tokens."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import random
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from cryptography import x509
from sqlalchemy import select

from issuers.signing import SoftwareSigner, generate_private_key
from issuers.tsa import TimeStampAuthority
from issuers.x509ca import issue_tsa_certificate, make_root
from registry.clients import hash_secret
from registry.models import ApiClient, CertificateType, Department, db
from registry.principals import OPERATOR
from registry.vocabulary import Role
from registry.wiring import services
from verifiers import Verifier
from verifiers.codes import citizen_id_check, credit_code_check

_CREDIT_BODY = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CLIENT_SECRET = "test-client-secret"


def credit_code(prefix: str = "11") -> str:
    """A random, valid unified social credit code."""
    body = prefix + "310000" + "".join(random.choice(_CREDIT_BODY) for _ in range(9))
    return body + credit_code_check(body)


def citizen_id() -> str:
    """A random, valid citizen ID of someone born in the 1980s."""
    birth = f"198{random.randint(0, 9)}{random.randint(1, 12):02d}{random.randint(1, 28):02d}"
    body = f"310101{birth}{random.randint(0, 999):03d}"
    return body + citizen_id_check(body)


@functools.cache
def _secret_hash() -> str:
    # One slow hash for the whole run: every test client shares the secret.
    return hash_secret(CLIENT_SECRET)


def make_department(name: str = "Test department") -> Department:
    return services().catalog.create_department(credit_code(), name, actor=OPERATOR)


def make_type(issuers: list[Department], **overrides: Any) -> CertificateType:
    spec = {
        "code": credit_code() + "001",
        "name": "Test license",
        "field_specs": [
            {"name": "company_name", "type": "string", "required": True, "personal": False},
            {"name": "legal_representative", "type": "string", "required": True, "personal": True},
            {"name": "registered_capital", "type": "number", "required": False, "personal": False},
            {"name": "paid_in_capital", "type": "decimal", "required": False, "personal": False},
            {"name": "established_on", "type": "date", "required": True, "personal": False},
            {"name": "employees", "type": "integer", "required": False, "personal": False},
            {"name": "listed", "type": "boolean", "required": False, "personal": False},
        ],
        "default_validity_days": 365,
        "retention_years": 30,
        **overrides,
    }
    return services().catalog.create_type(
        spec["code"],
        spec["name"],
        spec["field_specs"],
        [d.credit_code for d in issuers],
        default_validity_days=spec["default_validity_days"],
        retention_years=spec["retention_years"],
        actor=OPERATOR,
    )


def make_client(role: str, department: Department | None = None) -> ApiClient:
    client = ApiClient(
        client_id=f"cl_{secrets.token_hex(6)}",
        name=f"test {role}",
        role=role,
        department=department,
        secret_hash=_secret_hash(),
    )
    db.session.add(client)
    db.session.flush()
    return client


def access_token(client: ApiClient) -> str:
    return services().access_tokens.issue(client)


def holder_token(id_number: str, name: str = "李四", kind: str = "person", ttl: int = 600) -> str:
    return services().dev_idp().mint(id_number, name, kind=kind, ttl=ttl)


def certificate_body(ctype_code: str, holder_id: str | None = None, **fields: Any) -> dict[str, Any]:
    return {
        "type": ctype_code,
        "holder": {"kind": "person", "id": holder_id or citizen_id(), "name": "王五"},
        "fields": {
            "company_name": "示例有限公司",
            "legal_representative": "王五",
            "established_on": "2021-03-04",
            **fields,
        },
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class World:
    """Plain values only (codes, ids, tokens), so tests use it without holding an app context."""

    dept_a: str
    dept_b: str
    agency: str
    type_a: str
    type_b: str
    client_ids: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)
    holder_id: str = ""

    def headers(self, who: str) -> dict[str, str]:
        return bearer(self.tokens[who])


def make_world() -> World:
    """Two issuing departments with a seal and a type each, an agency, an admin, a holder, and their tokens."""
    svc = services()
    dept_a, dept_b, agency = make_department("市场监管局 A"), make_department("规划局 B"), make_department("税务局")
    for owner in (None, dept_a, dept_b):
        svc.keys.create(owner, actor=OPERATOR)
    type_a, type_b = make_type([dept_a]), make_type([dept_b], name="Property certificate")
    clients = {
        "admin": make_client(Role.ADMIN),
        "issuer_a": make_client(Role.ISSUER, dept_a),
        "issuer_b": make_client(Role.ISSUER, dept_b),
        "agency": make_client(Role.AGENCY, agency),
    }
    db.session.commit()
    world = World(
        dept_a.credit_code,
        dept_b.credit_code,
        agency.credit_code,
        type_a.code,
        type_b.code,
        {name: c.client_id for name, c in clients.items()},
    )
    world.tokens = {name: access_token(c) for name, c in clients.items()}
    world.holder_id = citizen_id()
    world.tokens["holder"] = holder_token(world.holder_id)
    world.tokens["other_holder"] = holder_token(citizen_id(), "赵六")
    return world


def published_verifier(client: Any) -> Verifier:
    """A verifier with what the registry publishes now: its JWKS and every status list, both purposes."""
    from registry.models import StatusList

    with client.application.app_context():
        numbers = list(db.session.scalars(select(StatusList.id)))
    lists = {}
    for number in numbers:
        for purpose in ("revocation", "suspension"):
            response = client.get(f"/api/v1/status-lists/{number}/{purpose}")
            assert response.status_code == 200
            lists[f"{client.application.config['REGISTRY_ISSUER']}/api/v1/status-lists/{number}/{purpose}"] = (
                response.get_data(as_text=True)
            )
    return Verifier.from_jwks(client.get("/.well-known/jwks.json").json, lists)


def pdf_document(pages: int = 1, title: str = "Administrative decision") -> bytes:
    """A small, well-formed PDF of A4 pages with a line of text each, built by hand (classic xref)."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    for number in range(1, pages + 1):
        text = f"BT /F1 18 Tf 72 760 Td ({title}, page {number} of {pages}) Tj ET".encode("ascii")
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text))
        content_id = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>" % content_id
        )
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), pages)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def system_tool(name: str, package: str) -> str:
    """The path of a Debian tool the tests need; `make test` installs it, and without it the suite fails."""
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} is missing: run `make test` (it installs {package}) or apt-get install {package}")
    return found


def with_search_path(url: str, schema: str) -> str:
    """A PostgreSQL URL whose connections use `schema`."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


@contextlib.contextmanager
def scratch_schema(url: str, prefix: str) -> Iterator[str]:
    """A fresh schema in the PostgreSQL database at `url`, dropped with everything in it afterwards."""
    schema = f"{prefix}_{secrets.token_hex(6)}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield schema
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        engine.dispose()


def time_stamping_authority(name: str, now: dt.datetime) -> tuple[TimeStampAuthority, x509.Certificate]:
    """An RFC 3161 authority with a root of its own, valid around `now`: the TSA and the root."""
    ca_key, key = generate_private_key(), SoftwareSigner(generate_private_key())
    root = make_root(ca_key, now - dt.timedelta(days=1), now + dt.timedelta(days=3650))
    certificate = issue_tsa_certificate(
        ca_key, root, key.private_key.public_key(), name=name, not_before=now - dt.timedelta(days=1),
        not_after=now + dt.timedelta(days=365),
    )  # fmt: skip
    return TimeStampAuthority(key, certificate), root
