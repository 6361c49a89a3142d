"""Time periods of the monitor (风险分时间段查询): 今日/本周/本月/本季度/本年/自定义, as
local calendar days turned into the UTC bounds ``[start, end)`` the queries take."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from riskctl.core import inputs
from riskctl.core.errors import ValidationFailed

PRESETS = ("today", "week", "month", "quarter", "year", "custom")
LONGEST = timedelta(days=366 * 5)  # a custom period; longer asks for an export per year


@dataclass(frozen=True)
class Period:
    preset: str
    first: date  # local, inclusive
    last: date  # local, inclusive

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """UTC ``[start, end)`` of the local days ``first`` … ``last``."""
        start = datetime.combine(self.first, time(0), tzinfo=zone).astimezone(UTC)
        end = datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=zone)
        return start, end.astimezone(UTC)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def period(
    preset: str | None, today: date, first: str | None = None, last: str | None = None
) -> Period:
    """The period a preset names on ``today`` (local); ``custom`` takes ``first`` and
    ``last`` as ISO dates.  No preset: this month.  Problems are 422 with their paths."""
    preset = preset or ("custom" if first or last else "month")
    if preset == "today":
        return Period(preset, today, today)
    if preset == "week":  # the Chinese week starts on Monday
        return Period(preset, today - timedelta(days=today.weekday()), today)
    if preset == "month":
        return Period(preset, today.replace(day=1), today)
    if preset == "quarter":
        month = (today.month - 1) // 3 * 3 + 1
        return Period(preset, date(today.year, month, 1), today)
    if preset == "year":
        return Period(preset, date(today.year, 1, 1), today)
    if preset != "custom":
        raise ValidationFailed.at(
            "period", _l("must be one of %(choices)s", choices=", ".join(PRESETS))
        )
    problems = []
    days: dict[str, date] = {}
    for path, value in (("from", first), ("to", last)):
        try:
            days[path] = inputs.day(value or "")
        except inputs.InputProblem as exc:
            problems.append({"path": path, "message": exc.message})
    if not problems and days["to"] < days["from"]:
        problems.append({"path": "to", "message": _l("must not be before from")})
    if not problems and days["to"] - days["from"] > LONGEST:
        problems.append({"path": "to", "message": _l("a period is at most five years")})
    if problems:
        raise ValidationFailed.listing(problems)
    return Period(preset, days["from"], days["to"])
