"""Single machine, SQLite, scheduler in the web process: what `make run` uses."""

from __future__ import annotations

from config.default import Settings


class DevelopmentSettings(Settings):
    ENV: str = "development"  # type: ignore[assignment]
    SCHEDULER_IN_PROCESS: bool = True
    LOG_LEVEL: str = "INFO"  # type: ignore[assignment]
