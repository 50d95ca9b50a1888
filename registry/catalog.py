"""Departments and certificate types, and the marshmallow schema each type's fields are validated with."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from marshmallow import RAISE, Schema, fields
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accesslog import AccessLog, Event
from registry.errors import Conflict, Forbidden, NotFound, ValidationFailed
from registry.models import CertificateType, Department
from registry.principals import Principal
from registry.vocabulary import Action
from verifiers.identifiers import validate_type_code


class JsonNumber(fields.Field[int | float]):
    """A JSON number kept as it came: an integer stays an integer (1000000, never 1000000.0)."""

    default_error_messages = {"invalid": "Not a valid number."}  # noqa: RUF012 (marshmallow's own convention)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int | float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value or value in _INFINITIES:
            raise self.make_error("invalid")
        return value


class DecimalString(fields.Field[str]):
    """A decimal number signed as text with every digit it was given ("1000000.50" stays "1000000.50"),
    where a binary float would round. Accepts the text, or a JSON integer."""

    default_error_messages = {"invalid": 'Not a decimal number: write it as text, such as "1000000.50".'}  # noqa: RUF012

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
            raise self.make_error("invalid")
        return value


_INFINITIES = (float("inf"), float("-inf"))
_DECIMAL = re.compile(r"-?(0|[1-9][0-9]{0,30})(\.[0-9]{1,18})?")

FIELD_TYPES: dict[str, type[fields.Field[Any]]] = {
    "string": fields.String,
    "integer": functools.partial(fields.Integer, strict=True),  # type: ignore[dict-item]
    "number": JsonNumber,
    "decimal": DecimalString,
    "date": fields.Date,
    "boolean": fields.Boolean,
}
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Claim names of the signed form that a type's field may not take, so a disclosure never shadows one.
RESERVED_NAMES = frozenset(
    {"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "vct", "ver", "dept", "dept_name", "type_name"}
    | {"holder_id", "holder_name", "holder_kind", "holder_id_masked", "status", "cnf"}
)


class CatalogService:
    def __init__(self, session: Session) -> None:
        self.session = session

    def create_department(self, credit_code: str, name: str, *, actor: Principal) -> Department:
        if self.find_department(credit_code) is not None:
            raise Conflict(f"department {credit_code} exists", code="DEPARTMENT_EXISTS")
        department = Department(credit_code=credit_code, name=name)
        self.session.add(department)
        self.session.flush()
        AccessLog(self.session).record(actor, [Event(Action.DEPARTMENT_CREATE, subject_department_id=department.id)])
        return department

    def find_department(self, credit_code: str) -> Department | None:
        """Return the department with this credit code, or None."""
        return self.session.scalar(select(Department).where(Department.credit_code == credit_code))

    def get_department(self, credit_code: str) -> Department:
        """Return the department with this credit code; raise NotFound."""
        department = self.find_department(credit_code)
        if department is None:
            raise NotFound(f"no department {credit_code}", code="DEPARTMENT_NOT_FOUND")
        return department

    def get_department_of(self, client: Principal) -> Department:
        """Return the department the calling client belongs to; raise Forbidden for a caller of none."""
        if client.department_id is None or client.client_id is None:
            raise Forbidden("the client belongs to no department", code="ROLE_NOT_PERMITTED")
        return self.session.get_one(Department, client.department_id)

    def list_departments(self) -> list[Department]:
        return list(self.session.scalars(select(Department).order_by(Department.credit_code)))

    def create_type(
        self,
        code: str,
        name: str,
        field_specs: list[dict[str, Any]],
        issuer_codes: list[str],
        *,
        default_validity_days: int | None,
        retention_years: int,
        actor: Principal,
    ) -> CertificateType:
        validate_type_code(code)
        if self.find_type(code) is not None:
            raise Conflict(f"certificate type {code} exists", code="TYPE_EXISTS")
        _check_field_specs(field_specs)
        issuers = []
        for index, credit_code in enumerate(issuer_codes):
            department = self.find_department(credit_code)
            if department is None:
                raise ValidationFailed(
                    f"no department {credit_code}", errors={"issuers": {index: ["unknown department"]}}
                )
            issuers.append(department)
        ctype = CertificateType(
            code=code,
            name=name,
            defining_authority=code[:18],
            fields=field_specs,
            default_validity_days=default_validity_days,
            retention_years=retention_years,
            issuers=issuers,
        )
        self.session.add(ctype)
        self.session.flush()
        AccessLog(self.session).record(actor, [Event(Action.TYPE_CREATE, reason=f"type {code}")])
        return ctype

    def find_type(self, code: str) -> CertificateType | None:
        """Return the certificate type with this code, or None."""
        return self.session.scalar(select(CertificateType).where(CertificateType.code == code))

    def get_type(self, code: str) -> CertificateType:
        """Return the certificate type with this code; raise NotFound."""
        ctype = self.find_type(code)
        if ctype is None:
            raise NotFound(f"no certificate type {code}", code="TYPE_NOT_FOUND")
        return ctype

    def list_types(self) -> list[CertificateType]:
        return list(self.session.scalars(select(CertificateType).order_by(CertificateType.code)))


def _check_field_specs(specs: list[dict[str, Any]]) -> None:
    errors: dict[int, list[str]] = {}
    seen: set[str] = set()
    for index, spec in enumerate(specs):
        name = spec["name"]
        if not FIELD_NAME.match(name):
            errors[index] = ["name must be lower-case letters, digits and _, starting with a letter"]
        elif name in RESERVED_NAMES:
            errors[index] = [f"{name} is a reserved claim name"]
        elif name in seen:
            errors[index] = [f"{name} appears twice"]
        elif spec["type"] not in FIELD_TYPES:
            errors[index] = [f"type must be one of {sorted(FIELD_TYPES)}"]
        seen.add(name)
    if errors:
        raise ValidationFailed("the type's fields are not valid", errors={"fields": errors})


def field_schema(ctype: CertificateType) -> Schema:
    """The marshmallow schema a certificate's field values must pass, derived field by field from its type."""
    return _schema_for(json.dumps(ctype.fields, sort_keys=True))


@functools.lru_cache(maxsize=256)
def _schema_for(specs_json: str) -> Schema:
    declared = {
        spec["name"]: FIELD_TYPES[spec["type"]](required=spec.get("required", False), allow_none=False)
        for spec in json.loads(specs_json)
    }
    return Schema.from_dict(declared, name="CertificateFields")(unknown=RAISE)


def to_claims(values: dict[str, Any]) -> dict[str, Any]:
    """Field values as they go into a signed form and into JSON: dates as ISO 8601 text."""
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in values.items()}
