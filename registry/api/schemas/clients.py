"""Schemas of the clients blueprint: API clients and the secret shown once."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import Schema, validate

from registry.api.schemas.common import CreditCode
from registry.vocabulary import Role, values


class ClientIn(Schema):
    name = ma.fields.String(required=True, validate=validate.Length(1, 200))
    role = ma.fields.String(required=True, validate=validate.OneOf(values(Role)))
    department = CreditCode(load_default=None, allow_none=True)


class ClientOut(Schema):
    client_id = ma.fields.String()
    name = ma.fields.String()
    role = ma.fields.String()
    department = ma.fields.Function(lambda c: c.department.credit_code if c.department else None)
    active = ma.fields.Boolean()


class ClientCreated(ClientOut):
    """A new client as dumped by ClientOut, with its secret, which is shown this once."""

    department = ma.fields.String(allow_none=True)  # type: ignore[assignment]
    client_secret = ma.fields.String()
