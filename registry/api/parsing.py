"""How the API reads requests: webargs' Flask parser, with a declared JSON body required to be there."""

from __future__ import annotations

from typing import Any

from flask import Request
from flask_smorest import Blueprint
from marshmallow import ValidationError
from webargs import core
from webargs.flaskparser import FlaskParser


class RegistryParser(FlaskParser):
    """A missing JSON body is a 422 naming it, not an empty object: a POST with nothing is not a request."""

    def load_json(self, req: Request, schema: Any) -> Any:
        data = super().load_json(req, schema)
        if data is core.missing:
            error = ValidationError({"json": ["a JSON body is required (Content-Type: application/json)"]})
            self.handle_error(error, req, schema, error_status_code=422, error_headers=None)
        return data


class RegistryBlueprint(Blueprint):  # type: ignore[misc]
    """flask-smorest's blueprint reading requests with RegistryParser."""

    ARGUMENTS_PARSER = RegistryParser()
