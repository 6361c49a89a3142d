"""The demo history's plan on any day it may be loaded: `make run` on a New Year's week,
in a holiday or on a 29 February plants the same problems, all before "now"."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

import pytest

from riskctl.core.calendar import WorkingCalendar
from riskctl.workflow.history import DAYS, _plans

CAL = WorkingCalendar()


def plans_on(day: date) -> list:
    now = datetime.combine(day, time(10), tzinfo=CAL.zone)
    return _plans(random.Random(2026), CAL, now, day - timedelta(days=DAYS))


def every_day(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]


@pytest.mark.parametrize("year", [2027, 2028])
def test_the_planted_problems_are_in_the_past_and_the_split_in_one_fiscal_year(year):
    for day in every_day(year):
        now = datetime.combine(day, time(10), tzinfo=CAL.zone)
        plans = plans_on(day)
        split = [p for p in plans if p.title == "办公设备购置（分批）"]
        near = [p for p in plans if p.title == "医疗信息系统升级采购"]
        own = [p for p in plans if p.title == "镇政府会议室设备采购"]
        assert len(split) == 3 and len(near) == 1 and len(own) == 1, day
        assert all(p.start < now for p in split + near + own), day
        assert len({p.start.year for p in split}) == 1, day
        # still being approved "now": started within the last two weeks
        assert now - near[0].start < timedelta(days=14), day
        # inside the staff's backdated post holdings (30 days before the history starts)
        earliest = day - timedelta(days=DAYS + 30)
        assert all(CAL.local_date(p.start) >= earliest for p in plans), day


def test_a_history_loaded_in_january_puts_the_split_purchases_in_december():
    split = [p for p in plans_on(date(2027, 1, 15)) if p.title == "办公设备购置（分批）"]
    assert {CAL.local_date(p.start).year for p in split} == {2026}
    split = [p for p in plans_on(date(2027, 2, 10)) if p.title == "办公设备购置（分批）"]
    assert {CAL.local_date(p.start).year for p in split} == {2026}
    split = [p for p in plans_on(date(2027, 4, 1)) if p.title == "办公设备购置（分批）"]
    assert {CAL.local_date(p.start).year for p in split} == {2027}
