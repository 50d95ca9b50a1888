"""One unit of work per request, as warehouse's transaction manager does: a request's changes commit
together when it succeeds and roll back when it fails, here and in no view or page.

A refused request (a `RegistryError`) is recorded after its own work was rolled back, in a transaction
of its own, on the record of the holder or department it concerns (see `registry.refusals`).
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g, request
from sqlalchemy.exc import SQLAlchemyError

from registry.errors import RegistryError
from registry.models import db
from registry.principals import ANONYMOUS
from registry.problem import problem
from registry.refusals import RefusalCounter, record_refusal
from registry.vocabulary import Action

log = logging.getLogger(__name__)


def refuse(error: RegistryError) -> None:
    """Note that this request is refused with `error`; the refusal is recorded when the request ends."""
    g.refused = error


def init_app(app: Flask) -> None:
    counter = app.extensions.setdefault("registry.refusals", RefusalCounter())

    @app.after_request
    def end_unit_of_work(response: Response) -> Response:
        refused: RegistryError | None = g.pop("refused", None)
        if response.status_code < 400:
            try:
                db.session.commit()
            except SQLAlchemyError:
                db.session.rollback()
                log.exception("the request's changes could not be committed")
                return problem(500, "INTERNAL_ERROR", "Internal server error", "nothing of the request was kept")
            return response
        db.session.rollback()
        if refused is not None:
            try:
                action = g.get("action") or Action.API_REQUEST
                principal = g.get("principal") or ANONYMOUS
                path = request.view_args or {}
                if record_refusal(db.session(), principal, refused, action=action, path=path, counter=counter):
                    db.session.commit()
            except SQLAlchemyError:
                db.session.rollback()
                log.exception("could not record a refused request in the access log")
        return response
