"""The HTTP API: flask-smorest blueprints over the domain services, described at /openapi.json."""

from __future__ import annotations

import http
from typing import Any

from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from registry.api import problems
from registry.api.documents import Problem
from registry.problem import PROBLEM_JSON


class RegistryApi(Api):  # type: ignore[misc]
    """flask-smorest's Api, with every error answer documented as what it is: RFC 9457 problem JSON."""

    ERROR_SCHEMA = Problem

    def handle_http_exception(self, error: HTTPException) -> Any:
        return problems.from_http_exception(error)

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "a problem (RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


api = RegistryApi()


def init_app(app: Flask) -> None:
    from registry.api import (
        archive,
        catalog,
        certificates,
        clients,
        log,
        oauth,
        publication,
        serviceitems,
        sharing,
        stamps,
        tsa,
        verify,
    )

    app.config.update(
        API_TITLE="Electronic certificate and license registry",
        API_VERSION="1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/",
        API_SPEC_OPTIONS={
            "components": {
                "securitySchemes": {
                    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                }
            },
            "security": [{"bearer": []}],
        },
    )
    api.init_app(app)
    problems.init_app(app)
    blueprints = (
        oauth.blp,
        publication.blp,
        verify.blp,
        catalog.blp,
        clients.blp,
        certificates.blp,
        log.blp,
        serviceitems.blp,
        sharing.blp,
        stamps.blp,
        tsa.blp,
        archive.blp,
    )
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
