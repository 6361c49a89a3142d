"""The working-day calendar and time limits (pure: no database, no Flask).

Working days follow the State Council's yearly arrangement: weekends and public holidays
are off, and 调休 make-up days (weekend days worked in exchange for a longer holiday) are
working days.  The ``holidays`` package knows both for the years it has been released
with, through ``China.is_working_day``; only its ``public`` category counts — its
``half_day`` category holds group holidays (Women's Day, Youth Day …) when most staff
work.  The arrangement for the next year is published late in the year before, sometimes
after a package release, so administrators add overrides that win over the package.

Time limits are written ``Nwd`` (working days), ``Nd`` (calendar days) or ``Nh`` (hours).
Days are counted as the Civil Code counts periods (《民法典》第二百零一条、第二百零三条):
the day the task opens is not counted, the period ends at 24:00 of its last day, and a
calendar-day period whose last day is a day off ends on the next working day instead.
Hours are exact elapsed hours.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

import holidays
from flask_babel import lazy_gettext as _l
from holidays.countries.china import China, ChinaStaticHolidays

LimitUnit = Literal["wd", "d", "h"]
_LIMIT_RE = re.compile(r"^\s*(\d{1,4})\s*(wd|d|h)\s*$")
_MAX = {"wd": 365, "d": 1000, "h": 24 * 366}


@dataclass(frozen=True)
class TimeLimit:
    amount: int
    unit: LimitUnit

    @classmethod
    def parse(cls, text: object) -> TimeLimit:
        """``"3wd"`` → ``TimeLimit(3, "wd")``; ``ValueError`` with a message in the
        reader's words."""
        match = _LIMIT_RE.match(text) if isinstance(text, str) else None
        if match is None:
            raise ValueError(
                _l("'%(text)s' is not a time limit; write e.g. 3wd (working days), 20d "
                   "(calendar days) or 48h (hours)", text=text)
            )  # fmt: skip
        amount, unit = int(match.group(1)), match.group(2)
        if not 1 <= amount <= _MAX[unit]:
            raise ValueError(
                _l("'%(text)s': the amount must be between 1 and %(max)s",
                   text=text, max=f"{_MAX[unit]}{unit}")
            )  # fmt: skip
        return cls(amount, unit)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


@lru_cache(maxsize=64)
def _china(year: int) -> holidays.HolidayBase:
    # One instance per year, fully populated before it is shared between threads.
    return China(years=year, categories=("public",))  # type: ignore[no-untyped-call]


def last_published_year() -> int:
    """The last year whose State Council arrangement (国务院办公厅关于部分节假日安排的
    通知, with its 调休 days) the installed ``holidays`` package carries.  Later years are
    its guess from the statutory holidays alone."""
    return max(ChinaStaticHolidays.special_public_holidays)


# How many answers a calendar remembers (dates are small; a scan needs hundreds).
_REMEMBERED = 50_000


class WorkingCalendar:
    """Working days in one time zone, with administrators' overrides on top of the
    package's arrangement.  Immutable; build a new one when the overrides change."""

    def __init__(
        self, overrides: Mapping[date, bool] | None = None, *, timezone: str = "Asia/Shanghai"
    ) -> None:
        self._overrides = dict(overrides or {})
        self.zone = ZoneInfo(timezone)
        self._years: dict[int, tuple[list[bool], list[int]]] = {}
        self._added: dict[tuple[date, int], date] = {}
        self._between: dict[tuple[date, date], int] = {}
        self._on_or_after: dict[date, date] = {}

    def is_working_day(self, day: date) -> bool:
        return self._year(day.year)[0][day.timetuple().tm_yday - 1]

    def is_provisional(self, year: int) -> bool:
        """No published arrangement for ``year`` is known — not in the package, and no
        administrator has entered one (any override of that year): its working days are
        a guess, and due times in it may move once the notice is out."""
        return year > last_published_year() and not any(d.year == year for d in self._overrides)

    def _year(self, year: int) -> tuple[list[bool], list[int]]:
        """The year's working days as flags, and their running count (``counts[i]``:
        working days among its first ``i`` days) — so that counting working days between
        two dates is a subtraction, not a walk (the risk scan counts for every open item)."""
        found = self._years.get(year)
        if found is None:
            first = date(year, 1, 1)
            flags = []
            for n in range((date(year + 1, 1, 1) - first).days):
                day = first + timedelta(days=n)
                override = self._overrides.get(day)
                flags.append(
                    override if override is not None else bool(_china(year).is_working_day(day))
                )
            counts = [0]
            for flag in flags:
                counts.append(counts[-1] + flag)
            found = self._years[year] = (flags, counts)
        return found

    def _working_days_in_year_to(self, day: date) -> int:
        """Working days from 1 January to ``day`` inclusive."""
        return self._year(day.year)[1][day.timetuple().tm_yday]

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def working_day_on_or_after(self, day: date) -> date:
        """``day`` if it is a working day, else the next one (a period's last day)."""
        # Remembered as add_working_days is: a scan asks for every awarded contract.
        found = self._on_or_after.get(day)
        if found is None:
            found = day if self.is_working_day(day) else self.next_working_day(day)
            if len(self._on_or_after) > _REMEMBERED:
                self._on_or_after.clear()
            self._on_or_after[day] = found
        return found

    def add_working_days(self, day: date, count: int) -> date:
        """The ``count``-th working day after ``day`` (``day`` itself is not counted)."""
        # Remembered: a scan asks this for every signed contract, from a few hundred
        # distinct days, and the walk is day by day.
        found = self._added.get((day, count))
        if found is None:
            found = day
            for _ in range(count):
                found = self.next_working_day(found)
            if len(self._added) > _REMEMBERED:
                self._added.clear()
            self._added[(day, count)] = found
        return found

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in ``(start, end]``; negative when ``end`` is before ``start``."""
        found = self._between.get((start, end))
        if found is not None:  # a scan asks for a few hundred pairs, tens of thousands of times
            return found
        if end < start:
            return -self.working_days_between(end, start)
        total = self._working_days_in_year_to(end) - self._working_days_in_year_to(start)
        for year in range(start.year, end.year):
            total += self._year(year)[1][-1]
        if len(self._between) > _REMEMBERED:  # a long-lived process: bounded
            self._between.clear()
        self._between[(start, end)] = total
        return total

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def end_of_day(self, day: date) -> datetime:
        """24:00 local time of ``day``, in UTC."""
        midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone)
        return midnight.astimezone(UTC)

    def due_at(self, start: datetime, limit: TimeLimit) -> datetime:
        """When a task opened at ``start`` with ``limit`` falls due (UTC)."""
        if limit.unit == "h":
            return start + timedelta(hours=limit.amount)
        first = self.local_date(start)
        if limit.unit == "wd":
            return self.end_of_day(self.add_working_days(first, limit.amount))
        last = first + timedelta(days=limit.amount)
        if not self.is_working_day(last):
            last = self.next_working_day(last)
        return self.end_of_day(last)
