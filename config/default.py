"""Every riskctl setting, declared once with its default.

Each field can be overridden by an environment variable ``RISKCTL_<NAME>``
(``RISKCTL_DATABASE_URL``, ``RISKCTL_SECRET_KEY`` ...).  Per-environment
modules (``development``, ``testing``, ``production``) only change defaults and
add checks; they never declare new settings.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent

# Known so that production can refuse it; never used outside development/testing.
INSECURE_SECRET_KEY = "riskctl-development-secret-key-not-for-production"
# A CSP frame-ancestors source we accept: 'self' or a scheme with a host (a leading "*."
# allowed) and an optional port.  Nothing that could end the directive or widen it to all.
_FRAME_SOURCE = re.compile(r"'self'|https?://(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?")


def _is_limit(text: str) -> bool:
    from limits import parse_many

    try:
        return bool(parse_many(text))
    except ValueError:
        return False


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="RISKCTL_", case_sensitive=False, extra="ignore", frozen=True
    )

    ENV: Literal["development", "testing", "production"] = "development"
    SECRET_KEY: str = INSECURE_SECRET_KEY
    # None means "not configured": production refuses to start without it.
    DATABASE_URL: str | None = f"sqlite:///{ROOT / 'instance' / 'riskctl.db'}"
    # SQLite only (single-machine mode): WAL journal always; at each commit NORMAL syncs
    # the WAL at checkpoints (a commit survives a crash of riskctl, the last ones may be
    # lost on a power cut, the file never corrupts); FULL syncs every commit (~3x slower).
    SQLITE_SYNCHRONOUS: Literal["NORMAL", "FULL"] = "NORMAL"
    # How long a SQLite writer waits for the write lock before the request is answered
    # 503 busy (Retry-After) — readers never wait (WAL, deferred read transactions).
    SQLITE_BUSY_TIMEOUT_MS: int = Field(default=5000, ge=0, le=600_000)
    # When set: Socket.IO message queue, shared rate-limit counters, readiness check.
    REDIS_URL: str | None = None

    # The Redis channel of the Socket.IO message queue: one per deployment sharing a Redis.
    SOCKETIO_CHANNEL: str = "riskctl-socketio"

    # SMS channel (issue: alerts).  console = log and show in the monitor only.
    SMS_BACKEND: Literal["console", "twilio"] = "console"
    TWILIO_ACCOUNT_SID: str | None = None
    TWILIO_AUTH_TOKEN: str | None = None
    TWILIO_FROM_NUMBER: str | None = None
    # Send the Twilio client's requests here instead of Twilio (a local fake server for
    # demonstrations and tests); unset in production.
    TWILIO_BASE_URL: str | None = None
    # The address Twilio reaches us at, for delivery status callbacks (unset: none asked).
    PUBLIC_BASE_URL: str | None = None
    SMS_TIMEOUT_SECONDS: float = Field(default=15, gt=0, le=120)
    # Requests to the SMS provider in flight at once (each waits for its answer).
    SMS_PARALLEL: int = Field(default=8, ge=1, le=64)
    # An attempt unfinished for this long belongs to a dispatcher that died mid-request:
    # its outcome is unknown and is reconciled before any resend.
    SMS_STALE_ATTEMPT_SECONDS: int = Field(default=90, ge=0)

    TIMEZONE: str = "Asia/Shanghai"
    DEFAULT_LOCALE: Literal["zh_CN", "en"] = "zh_CN"

    # Bearer tokens from POST /api/v1/auth/token.
    API_TOKEN_TTL_HOURS: int = Field(default=12, ge=1, le=24 * 90)
    # Failed logins allowed before 429, in the notation of the `limits` package.  First
    # per username from one address: a guesser at one machine is stopped without locking
    # the account for its owner elsewhere.  Then per address over all usernames.  The
    # account itself (any address) locks only at a much higher count, against guessing
    # spread over many machines: one address, held to 5 per 15 minutes (20 an hour),
    # can never reach 50 an hour alone.  An administrator unlocks (`flask riskctl user
    # unlock`, or the person's admin page); docs/decisions.md has the policy.
    LOGIN_FAILURES_PER_USER_AND_IP: str = "5 per 15 minutes"
    LOGIN_FAILURES_PER_IP: str = "30 per 15 minutes"
    LOGIN_FAILURES_PER_USER: str = "50 per hour"
    # Largest accepted request body (bytes); the org CSV import is the largest legit body.
    MAX_BODY_BYTES: int = Field(default=5 * 1024 * 1024, ge=1024)
    # Attachments (procurement files, contracts, minutes): stored outside the database in
    # this directory, named by their SHA-256; an upload may be this large (its request
    # may exceed MAX_BODY_BYTES by as much).
    UPLOAD_DIR: str = str(ROOT / "instance" / "uploads")
    ATTACHMENT_MAX_BYTES: int = Field(default=20 * 1024 * 1024, ge=1, le=1024 * 1024 * 1024)

    # Talks and the supervision ledger (riskctl.supervision).  A talk record's scan and a
    # finding's evidence (PDF, JPEG, PNG, OFD) may be this large.
    SUPERVISION_FILE_MAX_BYTES: int = Field(default=20 * 1024 * 1024, ge=1, le=1024 * 1024 * 1024)
    # A warning resolved with a talk (谈话提醒, 约谈函询, 诫勉) or a rectification (责令整改)
    # that names no due day: due this many working days after the disposition.
    SUPERVISION_TALK_WITHIN_WORKING_DAYS: int = Field(default=10, ge=0, le=250)
    SUPERVISION_RECTIFY_WITHIN_WORKING_DAYS: int = Field(default=20, ge=0, le=250)
    # 任前廉政谈话: held at the latest this many days after a leading post is taken up; a
    # holding whose day has passed when it is entered (records of the past) plans none.
    SUPERVISION_PRE_APPOINTMENT_DAYS: int = Field(default=30, ge=0, le=366)
    # In-app reminders to the talker and the person responsible for a rectification, from
    # this many working days before the due day.
    SUPERVISION_REMIND_WORKING_DAYS: int = Field(default=3, ge=0, le=30)

    # Run the APScheduler jobs inside the web process (single-machine mode, `make run`).
    # Production runs `flask riskctl scheduler` instead and leaves this off.
    SCHEDULER_IN_PROCESS: bool = False
    SCHEDULER_LOCK_FILE: str = str(ROOT / "instance" / "scheduler.lock")
    # Seconds between runs of a job, overriding its default (JSON: {"risk.scan": 30}).
    SCHEDULER_INTERVALS: dict[str, float] = Field(default_factory=dict)

    # Number of trusted reverse proxies in front of the app (X-Forwarded-* hops).
    PROXY_HOPS: int = Field(default=0, ge=0, le=5)
    SESSION_COOKIE_SECURE: bool = False
    # Where the big screen (/screen) may be shown in a frame: CSP frame-ancestors sources
    # separated by spaces ("https://portal.example.gov.cn 'self'"); empty: nowhere.  Every
    # other page is never framed.
    SCREEN_FRAME_ANCESTORS: str = ""
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    def problems(self) -> list[str]:
        """Settings that make no sense in any environment."""
        found: list[str] = []
        if self.SMS_BACKEND == "twilio":
            for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER"):
                if not getattr(self, name):
                    found.append(f"RISKCTL_{name} is required when RISKCTL_SMS_BACKEND=twilio")
        if not self.DATABASE_URL:
            found.append("RISKCTL_DATABASE_URL is required")
        for name in ("LOGIN_FAILURES_PER_USER_AND_IP", "LOGIN_FAILURES_PER_IP",
                     "LOGIN_FAILURES_PER_USER"):  # fmt: skip
            if not _is_limit(getattr(self, name)):
                found.append(f"RISKCTL_{name} must be like '5 per 15 minutes'")
        for source in self.SCREEN_FRAME_ANCESTORS.split():
            if not _FRAME_SOURCE.fullmatch(source):
                found.append(
                    f"RISKCTL_SCREEN_FRAME_ANCESTORS: {source!r} is not 'self' or an origin "
                    "like https://portal.example.gov.cn"
                )
        return found
