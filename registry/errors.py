"""The registry's errors: each has an HTTP status and a stable machine-readable code (RFC 9457 problems)."""

from __future__ import annotations

from typing import Any


class RegistryError(Exception):
    """Base of every error the registry raises on purpose; the web layer turns it into problem JSON."""

    status = 400
    code = "BAD_REQUEST"
    title = "Bad request"

    def __init__(self, detail: str, *, code: str | None = None, errors: Any = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.errors = errors
        # What the refused request was about (an accesslog.Event): whose record the refusal goes on,
        # for the log only, never for the caller (registry.refusals).
        self.subject: Any = None


class Unauthorized(RegistryError):
    status = 401
    code = "INVALID_TOKEN"
    title = "Unauthorized"


class Forbidden(RegistryError):
    status = 403
    code = "FORBIDDEN"
    title = "Forbidden"


class NotFound(RegistryError):
    status = 404
    code = "NOT_FOUND"
    title = "Not found"


class Gone(RegistryError):
    status = 410
    code = "GONE"
    title = "Gone"


class PayloadTooLarge(RegistryError):
    status = 413
    code = "PAYLOAD_TOO_LARGE"
    title = "Payload too large"


class UnsupportedMediaType(RegistryError):
    status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"
    title = "Unsupported media type"


class Conflict(RegistryError):
    status = 409
    code = "CONFLICT"
    title = "Conflict"


class ValidationFailed(RegistryError):
    status = 422
    code = "VALIDATION_FAILED"
    title = "Validation failed"


class Unavailable(RegistryError):
    status = 503
    code = "UNAVAILABLE"
    title = "Service unavailable"
