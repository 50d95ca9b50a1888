"""The certificate form, generated from a certificate type's fields: what each input is, how its text
becomes the value the service validates, and each error message in the reader's language, by input.

The service (registry.certificates, registry.lifecycle) stays the one judge of field values: the form only
turns text into the JSON types the API would send, and passes what it cannot turn on unchanged, so that the
same validator refuses it with the same message.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from issuers.holders import HolderKind, holder_document
from registry.catalog import field_schema
from registry.errors import ValidationFailed
from registry.models import CertificateType
from verifiers.errors import InvalidCode

MAX_NAME = 200
FORM_ERROR = "form"  # the key of an error about the whole form, not one input
# The validators' messages (marshmallow's and the catalog's field types'), in the reader's language.
MESSAGES: dict[str, Any] = {
    "Missing data for required field.": _l("Enter a value: this field is required."),
    "Not a valid integer.": _l("Enter a whole number, such as 12."),
    "Not a valid number.": _l("Enter a number, such as 1000000 or 2.5."),
    'Not a decimal number: write it as text, such as "1000000.50".': _l("Enter a decimal number, such as 1000000.50."),
    "Not a valid date.": _l("Enter a date as year-month-day, such as 2024-05-01."),
    "Not a valid boolean.": _l("Choose yes or no."),
    "Not a valid string.": _l("Enter text."),
    "must be after valid_from": _l("The end of validity must be after its start."),
    "too early": _l("The end of validity must be after its start."),
}


def summary(errors: Mapping[str, str], order: list[str]) -> list[tuple[str, str]]:
    """The errors as the summary above a form lists them: (input id, message), in the form's order."""
    listed = [(key, errors[key]) for key in order if key in errors]
    return listed + [(key, text) for key, text in errors.items() if key not in order]


@dataclass(frozen=True, slots=True)
class FormField:
    """One input of the form for one field of the type."""

    name: str  # the field's name in the type
    label: str
    kind: str  # the field's type: string, integer, number, decimal, date, boolean
    required: bool

    @property
    def input_id(self) -> str:
        return f"f-{self.name}"


def label(spec: Mapping[str, Any]) -> str:
    """A field's label in the reader's language: `label` (Chinese) or `label_en`, else its name."""
    english = spec.get("label_en") or str(spec["name"]).replace("_", " ").capitalize()
    locale = get_locale()
    if locale is None or locale.language == "zh":
        return str(spec.get("label") or english)
    return str(english)


def form_fields(ctype: CertificateType) -> list[FormField]:
    return [
        FormField(spec["name"], label(spec), spec["type"], bool(spec.get("required", False))) for spec in ctype.fields
    ]


def field_values(ctype: CertificateType, form: Mapping[str, str]) -> dict[str, Any]:
    """The type's field values from the form's text, as JSON would carry them; empty inputs left out."""
    values: dict[str, Any] = {}
    for field in form_fields(ctype):
        text = form.get(field.input_id, "").strip()
        if text:
            values[field.name] = _typed(field.kind, text)
    return values


def _typed(kind: str, text: str) -> Any:
    """The value of `text` for a field of `kind`; the text itself where it is not one (the validator says so)."""
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            return text
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            return text
        if not math.isfinite(number):
            return text
        return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    return text


def form_text(ctype: CertificateType, values: Mapping[str, Any]) -> dict[str, str]:
    """A certificate's field values as the form's inputs show them (for amending it)."""
    shown = {}
    for field in form_fields(ctype):
        value = values.get(field.name)
        if value is None:
            continue
        shown[field.input_id] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return shown


def check_fields(ctype: CertificateType, values: dict[str, Any]) -> dict[str, str]:
    """The field errors the service would find, by input id, without issuing anything (for a form that has
    other errors, so that every error shows at once)."""
    try:
        field_schema(ctype).load(values)
    except ValidationError as e:
        return _by_input(e.messages if isinstance(e.messages, dict) else {})
    return {}


def service_errors(error: ValidationFailed) -> dict[str, str]:
    """A ValidationFailed from issuing or amending one certificate, as messages by input id."""
    found = error.errors or {}
    found = found.get("certificates", {}).get(0, found) if isinstance(found, dict) else {}
    messages = _by_input(found.get("fields", {}))
    if "valid_until" in found:
        messages["valid_until"] = _message(found["valid_until"])
    if "type" in found:
        messages["type"] = _message(found["type"])
    return messages


def _by_input(messages: Mapping[str, Any]) -> dict[str, str]:
    # A name the type does not have ("Unknown field.") cannot come from this form's inputs; shown all the same.
    return {f"f-{name}": _message(texts) for name, texts in messages.items()}


def _message(texts: Any) -> str:
    text = texts[0] if isinstance(texts, list) and texts else str(texts)
    return str(MESSAGES.get(text, text))


@dataclass(frozen=True, slots=True)
class Holder:
    kind: str
    id: str  # canonical: as it is signed and hashed
    name: str


def holder_from(form: Mapping[str, str], *, name_required: bool = True) -> tuple[Holder | None, dict[str, str]]:
    """The holder the form names, checked as the API checks it (the number against its kind), or errors by input."""
    kind, number, name = (form.get(k, "").strip() for k in ("holder_kind", "holder_id", "holder_name"))
    errors = {}
    if kind not in HolderKind.__members__.values():
        errors["holder_kind"] = _("Choose the kind of document the holder identifies themselves with.")
    if not number:
        errors["holder_id"] = _("Enter the holder's document number.")
    elif "holder_kind" not in errors:
        try:
            number = holder_document(kind, number.upper()).number
        except InvalidCode:
            errors["holder_id"] = _("This is not a valid number for this kind of document: check it and try again.")
    if name_required and not name:
        errors["holder_name"] = _("Enter the holder's name.")
    elif len(name) > MAX_NAME:
        errors["holder_name"] = _("A name has at most %(count)s characters.", count=MAX_NAME)
    return (None if errors else Holder(kind, number, name)), errors


def day_from(form: Mapping[str, str], name: str, errors: dict[str, str]) -> dt.date | None:
    """The date in input `name` (ISO, as a date input sends it), or None when empty; a bad one adds an error."""
    text = form.get(name, "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors[name] = str(MESSAGES["Not a valid date."])
        return None


def start_of(day: dt.date) -> dt.datetime:
    """The first moment of `day` where the pages' readers are (REGISTRY_TIMEZONE), as an aware datetime."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(str(get_timezone())))


def end_of(day: dt.date) -> dt.datetime:
    """The last second of `day`: a certificate valid until a day is valid through it."""
    return start_of(day) + dt.timedelta(days=1, seconds=-1)
