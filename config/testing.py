"""Tests build their own database URL; nothing here touches a real deployment."""

from __future__ import annotations

import tempfile
from pathlib import Path

from config.default import Settings


class TestingSettings(Settings):
    ENV: str = "testing"  # type: ignore[assignment]
    DATABASE_URL: str | None = "sqlite://"
    SCHEDULER_IN_PROCESS: bool = False
    # Never a deployment's files; tests that look at files set their own directory.
    UPLOAD_DIR: str = str(Path(tempfile.gettempdir()) / "riskctl-test-uploads")
