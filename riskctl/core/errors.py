"""Domain errors.  Services raise these; the API and pages map them to responses.

Each carries the stable ``code`` of api.md, an HTTP status, a human message and, for
validation problems, ``details`` of the form ``{"path": ..., "message": ...}``.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "bad_request"
    keeps_writes = False  # see Refused

    def __init__(
        self, message: str, *, code: str | None = None, details: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or []


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
    def at(cls, path: str, message: str) -> ValidationFailed:
        return cls(f"{path}: {message}", details=[{"path": path, "message": message}])


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
    with paths such as ``posts[1].code``."""
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
        if all(isinstance(m, str) for m in messages):
            return [{"path": path, "message": m} for m in messages]
        return [d for m in messages for d in flatten_messages(m, path)]
    return [{"path": path, "message": str(messages)}]
