"""Tests build their own database URL; nothing here touches a real deployment."""

from __future__ import annotations

from config.default import Settings


class TestingSettings(Settings):
    ENV: str = "testing"  # type: ignore[assignment]
    DATABASE_URL: str | None = "sqlite://"
    SCHEDULER_IN_PROCESS: bool = False
