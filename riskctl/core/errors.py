"""Domain errors.  Services raise these; the API and pages map them to responses.

Each carries the stable ``code`` of api.md, an HTTP status, a human message and, for
validation problems, ``details`` of the form ``{"path": ..., "message": ...}``.

Messages are written in English and marked for translation with ``lazy_gettext`` (``_l``),
with named values (``_l("no item %(id)s", id=item_id)``): they are put into words when
read — in the caller's language at the API and on the pages (``riskctl.web.select_locale``),
in Chinese (the default language) in the CLI and the scheduler's jobs, and in English
outside an application (unit tests).  ``error.message`` and ``error.details`` give them
in the language of the moment; the ``code`` never changes with the language.
``tests/unit/test_messages_translated.py`` fails on a plain string literal raised as a
message.
"""

from __future__ import annotations

from typing import Any

from riskctl.core.schema_words import in_words

# A message: plain text, or a lazy translation (flask_babel.lazy_gettext) put into words
# when it is read.
Text = Any


class DomainError(Exception):
    status = 400
    code = "bad_request"
    keeps_writes = False  # see Refused

    def __init__(
        self, message: Text, *, code: str | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:  # fmt: skip
        super().__init__(message)
        self._message = message
        if code:
            self.code = code
        self._details = details or []

    @property
    def message(self) -> str:
        return str(self._message)

    @property
    def details(self) -> list[dict[str, Any]]:
        return [
            {k: (str(v) if k == "message" else v) for k, v in detail.items()}
            for detail in self._details
        ]

    def __str__(self) -> str:
        return self.message


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"

    @classmethod
    def at(cls, path: str, message: Text) -> ValidationFailed:
        return cls(_PathMessage(path, message), details=[{"path": path, "message": message}])

    @classmethod
    def listing(cls, details: list[dict[str, Any]], *, code: str | None = None) -> ValidationFailed:
        """Several problems: the message lists them (``path: message; …``)."""
        return cls(
            Joined([_PathMessage(d.get("path") or "", d["message"]) for d in details]),
            code=code, details=details,
        )  # fmt: skip


class Refused(ValidationFailed):
    """An action refused by an internal control.  The refusal is evidence: the hit and
    audit record written before raising are committed (``keeps_writes``) even though the
    action itself did not happen."""

    code = "incompatible_posts"
    keeps_writes = True


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"


def flatten_messages(messages: Any, path: str = "") -> list[dict[str, Any]]:
    """marshmallow nests messages by field and index; api.md wants ``[{path, message}]``
    with paths such as ``posts[1].code``.  marshmallow's own English messages become
    lazy translations here (``riskctl.core.schema_words``)."""
    if isinstance(messages, dict):
        found: list[dict[str, Any]] = []
        for key, value in messages.items():
            if key == "_schema":
                found += flatten_messages(value, path)
            elif isinstance(key, int) or str(key).isdigit():
                found += flatten_messages(value, f"{path}[{key}]")
            else:
                found += flatten_messages(value, f"{path}.{key}" if path else str(key))
        return found
    if isinstance(messages, list):
        if not any(isinstance(m, dict | list) for m in messages):
            return [{"path": path, "message": in_words(m)} for m in messages]
        return [d for m in messages for d in flatten_messages(m, path)]
    return [{"path": path, "message": in_words(messages)}]


def message_of(exc: BaseException) -> Text:
    """The message an exception was raised with (a lazy translation stays lazy)."""
    return exc.args[0] if len(exc.args) == 1 else str(exc)


class Joined:
    """Messages joined by ``separator``, each put into words when the whole is read."""

    def __init__(self, parts: list[Text], separator: str = "; ") -> None:
        self.parts, self.separator = parts, separator

    def __str__(self) -> str:
        return self.separator.join(str(part) for part in self.parts)


class _PathMessage:
    """``path: message``, the message put into words when read."""

    def __init__(self, path: str, message: Text) -> None:
        self.path, self.message = path, message

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else str(self.message)
