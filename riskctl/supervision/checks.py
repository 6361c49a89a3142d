"""Every problem of an input at once: each field is checked, the 422 names them all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from riskctl.core.errors import ValidationFailed

T = TypeVar("T")


class Problems:
    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix  # e.g. "follow_up.": where the input sits in a larger body
        self.found: list[dict[str, Any]] = []

    def check(self, check: Callable[[], T]) -> T | None:
        """The value ``check`` returns, or None and its problem noted."""
        try:
            return check()
        except ValidationFailed as exc:
            self.found += [{**d, "path": self.prefix + d["path"]} for d in exc.details]
            return None

    def add(self, path: str, message: Any) -> None:
        self.found.append({"path": self.prefix + path, "message": message})

    def __bool__(self) -> bool:
        return bool(self.found)

    def raise_any(self) -> None:
        if self.found:
            raise ValidationFailed(
                "; ".join(f"{p['path']}: {p['message']}" for p in self.found),
                details=self.found,
            )
