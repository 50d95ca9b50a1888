"""Schemas of the oauth blueprint: the client-credentials token request and its answer."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import Schema, validate


class TokenRequest(Schema):
    grant_type = ma.fields.String(required=True, validate=validate.Equal("client_credentials"))
    client_id = ma.fields.String()
    client_secret = ma.fields.String()
    scope = ma.fields.String()


class TokenResponse(Schema):
    access_token = ma.fields.String()
    token_type = ma.fields.String()
    expires_in = ma.fields.Integer()
