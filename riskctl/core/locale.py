"""The languages riskctl speaks, and the one it speaks outside a request."""

from __future__ import annotations

from contextvars import ContextVar

LANGUAGES = {"zh_CN": "中文", "en": "English"}
# The language outside a request: the CLI (``flask riskctl --lang en …``) and the
# scheduler's jobs.  Chinese unless a command asks otherwise.
OUTSIDE_REQUEST: ContextVar[str] = ContextVar("riskctl_language", default="zh_CN")


def outside_request() -> str:
    """Flask-Babel's choice in a process that serves no request (the scheduler)."""
    return OUTSIDE_REQUEST.get()
