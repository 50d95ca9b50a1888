"""What the OpenAPI description says of answers that are not the default JSON: problems and files.

Every error is RFC 9457 problem JSON (`application/problem+json`) with the `Problem` schema; a view that
answers with a file, a PEM, a JWT or an image declares it with `file_response`.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import Schema


class Problem(Schema):
    """RFC 9457 problem details, with the registry's stable machine-readable `code`."""

    type = ma.fields.String(metadata={"example": "about:blank"})
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True, metadata={"description": "the HTTP status code"})
    code = ma.fields.String(required=True, metadata={"description": "stable code, e.g. VALIDATION_FAILED"})
    detail = ma.fields.String()
    errors = ma.fields.Raw(metadata={"description": "per-field messages (validation failures)"})


def file_response(media_type: str, description: str, *, text: bool = False, status: int = 200) -> dict[str, Any]:
    """A `@blp.doc` argument documenting an answer of `media_type` (bytes, or text where `text`)."""
    schema = {"type": "string"} if text else {"type": "string", "format": "binary"}
    return {"responses": {str(status): {"description": description, "content": {media_type: {"schema": schema}}}}}


def json_response(schema: dict[str, Any], description: str, *, status: int = 200) -> dict[str, Any]:
    """A `@blp.doc` argument documenting a JSON answer by a JSON Schema (for views that answer with jsonify)."""
    return {
        "responses": {str(status): {"description": description, "content": {"application/json": {"schema": schema}}}}
    }


JWKS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["keys"],
    "properties": {
        "keys": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["kty", "kid", "alg", "purpose", "status"],
                "properties": {
                    "kid": {"type": "string"},
                    "alg": {"type": "string", "enum": ["ES256", "EdDSA"]},
                    "purpose": {"type": "string", "enum": ["seal", "registry"]},
                    "status": {"type": "string", "enum": ["active", "retired", "compromised"]},
                    "dept": {"type": "string"},
                    "nbf": {"type": "integer"},
                    "exp": {"type": "integer"},
                    "retired_at": {"type": "integer"},
                    "compromised_at": {"type": "integer"},
                },
            },
        }
    },
}


# Codes as JSON Schema can say them: the shape by a pattern; the check character only by the format's
# name (a client or a fuzzer that knows the format can make valid ones: tests/contract/hooks.py).
CREDIT_CODE_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"
TYPE_CODE_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}[0-9]{3}$"
IDENTIFIER_PATTERN = r"^1\.2\.156\.3005\.2\.[0-9A-Z]{21}\.[0-9A-Z]{18}\.[0-9A-Z]{1,32}\.[0-9]{3}\.[0-9A-Z]$"
IDENTIFIER_PARAMETER = {
    "in": "path",
    "name": "identifier",
    "required": True,
    "description": "e-license identifier; the last character is its ISO 7064 MOD 37,36 check",
    "schema": {"type": "string", "format": "e-license-identifier", "pattern": IDENTIFIER_PATTERN},
}
