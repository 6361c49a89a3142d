"""The one source of "now", so tests and back-testing can move time."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def utcnow() -> datetime:
    return _now()


def set_clock(now: Callable[[], datetime] | None) -> None:
    """Replace the clock (tests); ``None`` restores the wall clock."""
    global _now
    _now = now or (lambda: datetime.now(UTC))


def running_from(start: datetime) -> Callable[[], datetime]:
    """A clock that reads ``start`` now and then runs at the real rate.

    Tests pin their "now" with it without freezing time: durations, ordering by time and
    timeouts behave as on a real server, whatever the real date is.  The monotonic clock
    is used because it is the one a shifted wall clock (faketime) leaves alone.
    """
    if start.tzinfo is None:
        raise ValueError("the start of a clock must be time-zone aware")
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)
