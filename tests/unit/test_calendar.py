"""The Chinese working-day calendar and time limits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from riskctl.core.calendar import TimeLimit, WorkingCalendar

CAL = WorkingCalendar()


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize("day", ["2026-01-04", "2026-02-14", "2026-02-28", "2026-09-20",
                                 "2026-10-10", "2025-01-26", "2025-02-08", "2025-09-28",
                                 "2025-10-11"])  # fmt: skip
def test_make_up_weekend_days_are_working_days(day: str) -> None:
    assert d(day).weekday() >= 5  # a Saturday or Sunday …
    assert CAL.is_working_day(d(day))  # … worked under the State Council's arrangement


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("2025-01-28", "2025-02-04"),  # Spring Festival 2025: 8 days off
        ("2025-10-01", "2025-10-08"),  # National Day + Mid-Autumn 2025
        ("2026-02-15", "2026-02-23"),  # Spring Festival 2026: 9 days off
        ("2026-10-01", "2026-10-07"),  # National Day 2026
    ],
)
def test_golden_weeks_are_off_and_bounded_by_working_days(first: str, last: str) -> None:
    start, end = d(first), d(last)
    days = [start + timedelta(n) for n in range((end - start).days + 1)]
    assert not any(CAL.is_working_day(day) for day in days)
    assert CAL.next_working_day(end) == end + timedelta(1)
    assert CAL.working_days_between(start - timedelta(1), end) == 0


def test_half_day_group_holidays_are_working_days() -> None:
    assert CAL.is_working_day(d("2026-03-09"))  # Monday after Women's Day: ordinary
    assert CAL.is_working_day(d("2025-03-07"))  # a Friday; never a half day off
    assert CAL.is_working_day(d("2025-05-04")) is False  # Sunday, inside Labour Day week
    assert CAL.is_working_day(d("2026-05-04")) is False  # Labour Day 2026 holiday


def test_working_days_skip_a_golden_week() -> None:
    # A task opened on Friday 2026-02-13 with 3wd: 2/14 (make-up Saturday) counts, then
    # the festival, then 2/24 and 2/25.
    assert CAL.add_working_days(d("2026-02-13"), 3) == d("2026-02-25")
    assert CAL.working_days_between(d("2026-02-13"), d("2026-02-25")) == 3
    assert CAL.working_days_between(d("2026-02-25"), d("2026-02-13")) == -3


def test_overrides_win_over_the_package() -> None:
    cal = WorkingCalendar({d("2026-02-14"): False, d("2027-02-06"): True})
    assert not cal.is_working_day(d("2026-02-14"))
    assert cal.is_working_day(d("2027-02-06"))  # a Saturday declared a make-up day
    assert not CAL.is_working_day(d("2027-02-06"))


def test_due_at_working_days_ends_at_local_midnight() -> None:
    opened = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # 10:00 in Beijing, Wednesday
    due = CAL.due_at(opened, TimeLimit.parse("2wd"))
    # 10/1–10/7 off; 10/8 (Thu) and 10/9 (Fri) are the two working days: due 24:00 on 10/9.
    assert due == datetime(2026, 10, 9, 16, 0, tzinfo=UTC)


def test_due_at_calendar_days_moves_off_a_day_off() -> None:
    opened = datetime(2026, 9, 21, 1, 0, tzinfo=UTC)  # Monday 9/21
    assert CAL.due_at(opened, TimeLimit.parse("10d")) == datetime(2026, 10, 8, 16, 0, tzinfo=UTC)
    assert CAL.due_at(opened, TimeLimit.parse("3d")) == datetime(2026, 9, 24, 16, 0, tzinfo=UTC)


def test_due_at_hours_is_exact() -> None:
    opened = datetime(2026, 10, 1, 3, 30, tzinfo=UTC)
    assert CAL.due_at(opened, TimeLimit.parse("48h")) == opened + timedelta(hours=48)


def test_local_date_uses_the_configured_zone() -> None:
    late = datetime(2026, 2, 13, 17, 0, tzinfo=UTC)  # already Saturday 2/14 01:00 in Beijing
    assert CAL.local_date(late) == d("2026-02-14")


@pytest.mark.parametrize("text", ["3wd", "20d", "48h", " 1wd "])
def test_time_limits_parse(text: str) -> None:
    assert str(TimeLimit.parse(text)) == text.strip()


@pytest.mark.parametrize("text", ["", "3", "3w", "0d", "-1d", "2.5d", "9999wd", 3, None])
def test_bad_time_limits_are_refused_with_help(text: object) -> None:
    with pytest.raises(ValueError, match=r"time limit|between"):
        TimeLimit.parse(text)


def test_counting_working_days_by_running_totals_matches_walking_the_days():
    import random

    calendar = WorkingCalendar({date(2026, 10, 10): False, date(2026, 10, 11): True})
    rng = random.Random(3)
    for _ in range(300):
        start = date(2024, 1, 1) + timedelta(days=rng.randrange(0, 1100))
        end = start + timedelta(days=rng.randrange(-40, 800))
        walked = sum(
            1 for n in range(1, (end - start).days + 1)
            if calendar.is_working_day(start + timedelta(days=n))
        ) if end >= start else -sum(
            1 for n in range(1, (start - end).days + 1)
            if calendar.is_working_day(end + timedelta(days=n))
        )  # fmt: skip
        assert calendar.working_days_between(start, end) == walked, (start, end)


# 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04): the days off beyond weekends, and
# the weekend days worked in exchange.
NOTICE_2026_OFF = [
    ("2026-01-01", "2026-01-03"), ("2026-02-15", "2026-02-23"), ("2026-04-04", "2026-04-06"),
    ("2026-05-01", "2026-05-05"), ("2026-06-19", "2026-06-21"), ("2026-09-25", "2026-09-27"),
    ("2026-10-01", "2026-10-07"),
]  # fmt: skip
NOTICE_2026_WORKED = {"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20",
                      "2026-10-10"}  # fmt: skip


def test_every_day_of_2026_is_as_the_state_councils_notice_says():
    off = {
        d(first) + timedelta(days=n)
        for first, last in NOTICE_2026_OFF
        for n in range((d(last) - d(first)).days + 1)
    }
    wrong = []
    day = date(2026, 1, 1)
    while day.year == 2026:
        working = day.isoformat() in NOTICE_2026_WORKED or (day.weekday() < 5 and day not in off)
        if CAL.is_working_day(day) != working:
            wrong.append(day.isoformat())
        day += timedelta(days=1)
    assert wrong == []
    # 261 weekdays, 19 of them off, 6 weekend days worked
    assert sum(CAL.is_working_day(date(2026, 1, 1) + timedelta(days=n)) for n in range(365)) == 248


def test_a_year_without_a_published_notice_is_provisional_until_an_admin_enters_it():
    from riskctl.core.calendar import last_published_year

    assert last_published_year() >= 2026
    assert not CAL.is_provisional(2026)
    later = last_published_year() + 1
    assert CAL.is_provisional(later)
    entered = WorkingCalendar({date(later, 2, 6): True})
    assert not entered.is_provisional(later)
