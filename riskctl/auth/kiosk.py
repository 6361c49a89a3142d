"""A big screen's kiosk token: taken from the address once, then kept in a cookie, and
never written to a log.

A kiosk is set up by opening ``/screen?token=…`` once.  The answer stores the token in an
HttpOnly cookie and sends the browser to ``/screen`` without it, so the token is not left
in the address bar, the history, the page itself, or the address of every request the
page makes: the page's snapshot and its Socket.IO connection carry the cookie (the whole
site is its path; the page's script never sees the token).  That one request's log line
still holds it: the loggers of the servers that write access logs (werkzeug's,
gunicorn's) redact ``token=…`` values.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from flask import current_app, request
from werkzeug.wrappers import Response

COOKIE = "riskctl_screen"
COOKIE_PATH = "/"
# Where kiosks set up before the cookie covered the snapshot and the socket kept it.
OLD_COOKIE_PATH = "/screen"
# Browsers keep a cookie at most 400 days; a kiosk is set up again after that.
COOKIE_AGE = timedelta(days=400)
# The loggers that write one line per request, request line (and referrer) included.
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access")
_TOKEN_IN_URL = re.compile(r"([?&](?:token|access_token)=)[^&#\s\"']+", re.IGNORECASE)


def cookie_token() -> str | None:
    return request.cookies.get(COOKIE) or None


def remember(response: Response, token: str) -> Response:
    """Keep ``token`` in the kiosk's cookie.  A screen framed by another site (see
    ``RISKCTL_SCREEN_FRAME_ANCESTORS``) gets it only as a third-party cookie, which needs
    HTTPS: then ``SameSite=None; Secure; Partitioned``, else ``SameSite=Lax``."""
    settings = current_app.config["RISKCTL"]
    if request.cookies.get(COOKIE) is not None:
        response.delete_cookie(COOKIE, path=OLD_COOKIE_PATH)
    framed = bool(settings.SCREEN_FRAME_ANCESTORS.split()) and request.is_secure
    response.set_cookie(
        COOKIE,
        token,
        max_age=COOKIE_AGE,
        path=COOKIE_PATH,
        secure=framed or settings.SESSION_COOKIE_SECURE or request.is_secure,
        httponly=True,
        samesite="None" if framed else "Lax",
        partitioned=framed,
    )
    return response


def forget(response: Response) -> Response:
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    response.delete_cookie(COOKIE, path=OLD_COOKIE_PATH)
    return response


def redact(text: str) -> str:
    return _TOKEN_IN_URL.sub(r"\1[redacted]", text)


class RedactTokens(logging.Filter):
    """Rewrites a record whose message holds ``token=…`` in a URL."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler to report
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def redact_access_logs() -> None:
    """Install the filter on the access loggers (once per process)."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
