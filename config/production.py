"""Several web processes, one scheduler process, PostgreSQL, Redis.

Refuses to start on settings that are only safe on a developer's laptop.
"""

from __future__ import annotations

from config.default import INSECURE_SECRET_KEY, Settings


class ProductionSettings(Settings):
    ENV: str = "production"  # type: ignore[assignment]
    DATABASE_URL: str | None = None
    SESSION_COOKIE_SECURE: bool = True
    SCHEDULER_IN_PROCESS: bool = False

    def problems(self) -> list[str]:
        found = super().problems()
        if self.SECRET_KEY == INSECURE_SECRET_KEY or len(self.SECRET_KEY) < 32:
            found.append("RISKCTL_SECRET_KEY must be set to a random value of 32+ characters")
        if self.SMS_BACKEND == "console":
            found.append("RISKCTL_SMS_BACKEND=console only logs messages; use twilio")
        if self.DATABASE_URL and self.DATABASE_URL.startswith("sqlite"):
            found.append("RISKCTL_DATABASE_URL must point at PostgreSQL in production")
        if self.SCHEDULER_IN_PROCESS:
            found.append("RISKCTL_SCHEDULER_IN_PROCESS must be off: run `flask riskctl scheduler`")
        return found
