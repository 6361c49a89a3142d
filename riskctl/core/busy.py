"""A busy database is a 503 with Retry-After, never a 500.

SQLite lets one writer at a time; a writer that waits longer than the busy timeout (a
long import holds the lock) gets "database is locked".  PostgreSQL can time out on a
lock or pick a deadlock victim.  Nothing is wrong with the request: the client is told
to try again in a few seconds — in the api.md envelope for the API, a page for pages —
and the transaction is rolled back, so nothing half-done remains.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import make_response, render_template, request
from flask_babel import gettext as _

from riskctl.core.db import is_busy

RETRY_AFTER_SECONDS = 5
log = logging.getLogger(__name__)


def handle_database_error(error: Exception) -> Any:
    if not is_busy(error):
        raise error
    from riskctl.extensions import db

    db.session.rollback()
    log.warning("database busy on %s %s: %s", request.method, request.path, error)
    if request.path.startswith("/api/"):
        from riskctl.api import error_response

        response = error_response(
            503, "busy", "the database is busy with other work; try again in a few seconds"
        )
    else:
        page = render_template(
            "error.html", status=503,
            message=_("The system is busy; please try again in a few seconds."),
        )  # fmt: skip
        response = make_response(page, 503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
