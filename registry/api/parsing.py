"""How the API reads requests: webargs' Flask parser, with a declared JSON body required to be there, and
multipart uploads (fields and files in one schema) with the configured size limit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from flask import Request, current_app
from flask_smorest import Blueprint
from marshmallow import ValidationError
from webargs import core
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict, FileStorage

from registry.errors import PayloadTooLarge


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


class UploadParser(RegistryParser):
    """webargs' Flask parser with one more location: a multipart body's fields and files together."""

    # webargs declares the map as an instance attribute of str-or-callable values; it is read from the class.
    __location_map__: ClassVar[dict[str, str | Callable[..., Any]]] = {  # type: ignore[misc]
        "form_and_files": "load_form_and_files",
        **RegistryParser.__location_map__,
    }

    def load_form_and_files(self, req: Request, schema: Any) -> Any:
        return self._makeproxy(CombinedMultiDict([req.form, req.files]), schema)


class UploadBlueprint(RegistryBlueprint):
    """A blueprint whose multipart endpoints take fields and files in one schema, described as one body."""

    ARGUMENTS_PARSER = UploadParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING: ClassVar[dict[str, str]] = {
        **RegistryBlueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "form_and_files": "multipart/form-data",
    }


def read_upload(upload: FileStorage | None) -> bytes | None:
    """The uploaded file's bytes, refused with 413 above the configured limit."""
    if upload is None:
        return None
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    data: bytes = upload.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"a document is at most {limit} bytes", code="FILE_TOO_LARGE")
    return data
