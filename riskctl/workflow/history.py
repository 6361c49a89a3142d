"""Demo history: a few months of real work in the five pilot units, with planted problems.

Every item is started and moved on by the workflow engine itself, by the people who hold
the posts, with the clock set to the moment each step happened — so timelines, tasks,
control hits and due times are exactly what the platform would have recorded.  Then the
risk scan finds what a supervisor should see:

- 区财政局 (czj): one office-equipment budget bought in three 询价 purchases that together
  pass the open-tender threshold (化整为零);
- 区卫计局 (wjj): a purchase budgeted just under the 4,000,000 open-tender threshold;
- 前进镇 (qjz): the township's purchaser also accepted the goods he asked for (the
  procurement's flag-mode pair 需求提出与验收宜分离; in a township one person often holds
  several posts);
- 区农牧局 (nmj): chronic lateness — its steps take longer than their limits, and some of
  its open tasks are overdue now;
- 区财政局 (czj): at the 三重一大 meeting on an IT project the head spoke first, before the
  members (主持人末位表态 not kept); 区卫计局 (wjj) decides its project by the book.

Everything else is done on time and by the book, so that the monitor shows no false red.
Deterministic (a seeded generator); loaded once — a unit that has items is left alone.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from riskctl.core.access import Principal
from riskctl.core.calendar import WorkingCalendar
from riskctl.core.calendar_store import working_calendar
from riskctl.core.clock import set_clock, utcnow
from riskctl.core.db import DbSession
from riskctl.meetings.spec import MeetingSpec
from riskctl.org.models import Person, Post, PostAssignment, Unit
from riskctl.process.definition import NodeSpec
from riskctl.process.services import published_by_id
from riskctl.workflow import services
from riskctl.workflow.models import Item, Task, TaskStatus

UNITS = ("czj", "wjj", "nmj", "rsj", "qjz")
LATE_UNIT = "nmj"
DAYS = 90
SUPPLIERS = ("华信办公设备有限公司", "金桥科技有限公司", "恒达商贸有限公司", "远景信息技术有限公司",
             "新元建设工程有限公司")  # fmt: skip


@dataclass
class Plan:
    """One item to make: its process, title, start, starting fields, and how to run it."""

    unit: str
    process: str
    title: str
    start: datetime
    fields: dict[str, Any]
    method: str | None = None
    late: bool = False
    # node → username: who must do it (a planted problem), instead of the usual holder
    doers: dict[str, str] = field(default_factory=dict)
    # node → days the step takes (calendar days), instead of the usual short delay
    takes: dict[str, float] = field(default_factory=dict)
    returns_at: str | None = None  # one return at this node, as happens
    head_first: bool = False  # at a meeting the chair speaks first (a planted problem)


@dataclass
class HistoryResult:
    items: int = 0
    steps: int = 0
    open_tasks: int = 0
    skipped_units: list[str] = field(default_factory=list)


class _Staff:
    """Who holds which post in each unit, by username."""

    def __init__(self, session: DbSession) -> None:
        rows = session.execute(
            sa.select(Unit.code, Post.code, Person.username, Person.id)
            .join(Post, Post.unit_id == Unit.id)
            .join(PostAssignment, PostAssignment.post_id == Post.id)
            .join(Person, Person.id == PostAssignment.person_id)
            .order_by(Person.username)
        )
        self.holders: dict[tuple[str, str], list[str]] = {}
        for unit, post, username, _id in rows:
            self.holders.setdefault((unit, post), []).append(username)
        self.principals = {p.username: p.principal() for p in session.scalars(sa.select(Person))}


def load_history(
    session: DbSession, *, now: datetime | None = None, seed: int = 2026
) -> HistoryResult:
    """Make the history (see the module docstring); the caller commits."""
    now = now or utcnow()
    calendar = working_calendar(session)
    result = HistoryResult()
    units = {u.code: u for u in session.scalars(sa.select(Unit).where(Unit.code.in_(UNITS)))}
    busy = set(session.scalars(sa.select(Unit.code).join(Item, Item.unit_id == Unit.id).distinct()))
    wanted = [code for code in UNITS if code in units and code not in busy]
    result.skipped_units = [code for code in UNITS if code not in wanted]
    if not wanted:
        return result
    first_day = calendar.local_date(now) - timedelta(days=DAYS)
    _backdate_posts(session, [units[c].id for c in wanted], first_day)
    staff = _Staff(session)
    rng = random.Random(seed)
    plans = [p for p in _plans(rng, calendar, now, first_day) if p.unit in wanted]
    plans.sort(key=lambda p: p.start)
    try:
        for plan in plans:
            _run(session, staff, calendar, plan, now, rng, result)
    finally:
        set_clock(None)
    return result


def _backdate_posts(session: DbSession, unit_ids: list[int], first_day: date) -> None:
    """The demo's staff have held their posts since before the history begins."""
    posts = sa.select(Post.id).where(Post.unit_id.in_(unit_ids))
    for assignment in session.scalars(
        sa.select(PostAssignment).where(
            PostAssignment.post_id.in_(posts), PostAssignment.valid_from > first_day
        )
    ):
        assignment.valid_from = first_day - timedelta(days=30)
    session.flush()


# ---------------------------------------------------------------- what happens


def _morning(calendar: WorkingCalendar, day: date, rng: random.Random) -> datetime:
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, time(9, rng.randrange(0, 60)), tzinfo=calendar.zone)


def _plans(
    rng: random.Random, calendar: WorkingCalendar, now: datetime, first_day: date
) -> list[Plan]:
    today = calendar.local_date(now)
    plans: list[Plan] = []
    supplier = iter(SUPPLIERS * 100)
    for unit in UNITS:
        late = unit == LATE_UNIT
        day = first_day
        n = 0
        while day < today:
            n += 1
            amount = f"{rng.randrange(300, 9000)}.00"
            plans.append(Plan(
                unit, "expense_reimbursement", f"{_MONTHS[day.month]}差旅及办公费报销（{n}）",
                _morning(calendar, day, rng),
                {"purpose": rng.choice(("差旅费", "办公用品", "会议费", "培训费")),
                 "budget_line": rng.choice(("公用经费", "专项业务费")), "amount": amount,
                 "payee": "本单位职工"},
                late=late, returns_at="review" if n % 7 == 0 else None,
            ))  # fmt: skip
            if n % 4 == 0:
                amount = f"{rng.randrange(60, 480) * 1000}.00"
                plans.append(_procurement(unit, rng, calendar, day, amount, next(supplier), late))
            day += timedelta(days=rng.choice((3, 4, 5)))

    def planted_day(days_ago: int) -> date:
        # Back to a working day, never forward: a planted item starts before today
        # whatever today is (a holiday week included), so it is never left out.
        day = today - timedelta(days=days_ago)
        while not calendar.is_working_day(day):
            day -= timedelta(days=1)
        return day

    # 化整为零: one budget project, three 询价 purchases, together over 4,000,000, in one
    # fiscal year (the rule adds up a year's purchases).  Early in a year the three would
    # straddle New Year, so they go to the last weeks of the year before.
    split = ((62, "1450000.00"), (41, "1380000.00"), (20, "1320000.00"))
    back, last = 0, today - timedelta(days=split[-1][0])
    if planted_day(split[0][0]).year != planted_day(split[-1][0]).year:
        back = (last - date(last.year, 1, 1)).days + 1
    for days_ago, amount in split:
        plan = _procurement(
            "czj", rng, calendar, planted_day(days_ago + back), amount, next(supplier), False
        )
        plan.title = "办公设备购置（分批）"
        plan.fields["budget_project"] = "办公设备购置"
        plans.append(plan)
    # 贴近限额: budgeted just under the open-tender threshold; still being approved.
    plan = _procurement("wjj", rng, calendar, planted_day(6), "3920000.00", next(supplier), False)
    plan.title = "医疗信息系统升级采购"
    plan.fields.update({"method": "竞争性磋商", "budget_project": "卫生信息化建设"})
    plans.append(plan)
    # 三重一大: two collective decisions in meetings; in czj the head speaks first.
    for unit, title, head_first in (("czj", "2027年政务信息化平台建设项目立项", True),
                                    ("wjj", "乡镇卫生院设备更新项目立项", False)):  # fmt: skip
        plans.append(Plan(
            unit, "major_decision", title, _morning(calendar, planted_day(24), rng),
            {"topic": title, "decision_type": "重大项目安排", "amount": "2600000.00"},
            head_first=head_first,
        ))  # fmt: skip
    # 需求提出与验收宜分离 (flag): the township's purchaser accepts his own purchase.
    plan = _procurement("qjz", rng, calendar, planted_day(30), "86000.00", next(supplier), False)
    plan.title = "镇政府会议室设备采购"
    plan.doers = {"sign": "qjz.weina", "accept": "qjz.jiangtao"}
    plans.append(plan)
    return plans


def _procurement(unit: str, rng: random.Random, calendar: WorkingCalendar, day: date,
                 amount: str, supplier: str, late: bool) -> Plan:  # fmt: skip
    plan = Plan(
        unit, "procurement", f"{rng.choice(_GOODS)}采购", _morning(calendar, day, rng),
        {"budget_project": rng.choice(("日常办公", "信息化运维", "业务专项")),
         "item_category": "货物", "method": "询价", "amount": amount},
        late=late,
    )  # fmt: skip
    plan.fields["_supplier"] = supplier
    return plan


_MONTHS = {m: f"{m}月" for m in range(1, 13)}
_GOODS = ("办公电脑", "打印复印设备", "办公家具", "网络设备", "档案柜", "会议音响", "空调")


def _values(plan: Plan, node: NodeSpec, moment: datetime, calendar: WorkingCalendar,
            fields: Mapping[str, Any]) -> dict[str, Any]:  # fmt: skip
    """Field values a node's step writes, as its handler would."""
    today = calendar.local_date(moment).isoformat()
    amount = plan.fields.get("amount", "0")
    supplier = plan.fields.get("_supplier", SUPPLIERS[0])
    by_field: dict[str, Callable[[], Any]] = {
        "tender_start": lambda: (calendar.local_date(moment) - timedelta(days=15)).isoformat(),
        "tender_end": lambda: today,
        "bidders": lambda: 3,
        "supplier": lambda: supplier,
        "awarded_on": lambda: today,
        "contract_no": lambda: f"HT-{plan.unit.upper()}-{calendar.local_date(moment):%Y%m%d}",
        "contract_amount": lambda: amount,
        "signed_on": lambda: today,
        "published_on": lambda: today,
        "filed_on": lambda: today,
        "delivered_on": lambda: today,
        "accepted_on": lambda: today,
        "paid_on": lambda: today,
        "paid_amount": lambda: fields.get("contract_amount") or amount,
        "voucher_no": lambda: f"记-{calendar.local_date(moment):%m%d}-{len(today)}",
    }
    return {k: by_field[k]() for k in node.edits if k in by_field and k not in plan.fields}


def _delay(plan: Plan, node: NodeSpec, calendar: WorkingCalendar, start: datetime,
           rng: random.Random) -> datetime:  # fmt: skip
    """When the step on ``node`` opened at ``start`` is done: well within its limit,
    or (the late unit, working-day limits) one to three working days past it."""
    if node.key in plan.takes:
        return start + timedelta(days=plan.takes[node.key])
    limit = node.limit
    if limit is not None and limit.unit == "d":
        # Calendar-day limits (bidding, signing): a sensible share of the limit.
        return start + timedelta(days=min(limit.amount * 0.5, 15), hours=rng.randrange(1, 5))
    if plan.late and limit is not None and limit.unit == "wd":
        due = calendar.due_at(start, limit)
        day = calendar.add_working_days(
            calendar.local_date(due - timedelta(seconds=1)), rng.randrange(1, 4)
        )
        return _at_hour(calendar, day, rng.randrange(9, 17))
    hours = rng.randrange(2, 20)
    moment = start + timedelta(hours=hours)
    day = calendar.local_date(moment)
    if not calendar.is_working_day(day) or moment.astimezone(calendar.zone).hour >= 18:
        moment = _at_hour(calendar, calendar.next_working_day(day), rng.randrange(9, 12))
    return moment


def _at_hour(calendar: WorkingCalendar, day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=calendar.zone)


def _choose(staff: _Staff, plan: Plan, node: NodeSpec, acted: list[str]) -> str | None:
    """The planted doer; else whoever started the item does its first task; else a
    holder of the post who has not yet acted on the item (separation, as it should be)."""
    if node.key in plan.doers:
        return plan.doers[node.key]
    holders = staff.holders.get((plan.unit, node.post or ""), [])
    if not holders:
        return None
    if len(acted) == 1 and acted[0] in holders:
        return acted[0]
    fresh = [h for h in holders if h not in acted]
    return (fresh or holders)[0]


def _run(session: DbSession, staff: _Staff, calendar: WorkingCalendar, plan: Plan,
         now: datetime, rng: random.Random, result: HistoryResult) -> None:  # fmt: skip
    if plan.start >= now:
        return
    starter = staff.holders.get(
        (plan.unit, "purchaser" if plan.process == "procurement" else "handler")
    )
    if not starter:
        return
    username = starter[0]
    _clock_at(plan.start)
    values = {k: v for k, v in plan.fields.items() if not k.startswith("_")}
    outcome = services.start_item(
        session, staff.principals[username], plan.process, plan.title, values
    )
    result.items += 1
    item_id = outcome.item_id
    acted = [username]
    returned = False
    moment = plan.start
    while True:
        tasks = session.scalars(
            sa.select(Task)
            .where(Task.item_id == item_id, Task.status == TaskStatus.OPEN)
            .order_by(Task.id)
        ).all()
        if not tasks:
            return
        task = tasks[0]
        item = session.get(Item, item_id)
        assert item is not None
        node = published_by_id(session, item.definition_id).definition.node_map[task.node]
        done_at = _delay(plan, node, calendar, max(moment, task.opened_at), rng)
        if done_at >= now:
            result.open_tasks += len(tasks)
            return
        who = _choose(staff, plan, node, acted)
        if who is None:
            return
        decision = node.decision_keys[0] if node.decision_keys else None
        if plan.returns_at == node.key and not returned and "return" in node.decision_keys:
            decision, returned = "return", True
        _clock_at(done_at)
        if node.meeting is not None:
            _record_meeting(session, staff, plan, task.id, node.meeting, who, done_at, calendar)
            acted.append(who)
            result.steps += 1
            moment = done_at
            continue
        services.complete_task(
            session, _principal(staff, who), task.id, decision=decision,
            values=_values(plan, node, done_at, calendar, item.fields),
            comment="退回补充材料" if decision == "return" else None,
        )  # fmt: skip
        acted.append(who)
        result.steps += 1
        moment = done_at


def _record_meeting(
    session: DbSession, staff: _Staff, plan: Plan, task_id: int, meeting: MeetingSpec,
    secretary: str, moment: datetime, calendar: WorkingCalendar,
) -> None:  # fmt: skip
    """The secretary records the meeting: every member present, each agrees in turn, the
    chair last (or, planted, first)."""
    from riskctl.meetings.services import record_meeting

    def holders(post: str | None) -> list[str]:
        return staff.holders.get((plan.unit, post or ""), [])

    chairs = holders(meeting.chair)
    members = sorted(
        {u for p in meeting.members for u in holders(p)} - set(holders(meeting.observer))
    )
    order = [u for u in members if u not in chairs] + [u for u in members if u in chairs]
    if plan.head_first:
        order = [u for u in members if u in chairs] + [u for u in members if u not in chairs]
    held_on = calendar.local_date(moment)
    raw = {
        "held_on": held_on, "topics_sent_on": held_on - timedelta(days=2), "present": members,
        "views": [{"person": u, "view": "agree", "text": "同意。"} for u in order],
        "observers_present": holders(meeting.observer),
        "minutes": f"会议审议了「{plan.title}」，与会成员逐一发表意见，一致同意。",
    }  # fmt: skip
    record_meeting(session, _principal(staff, secretary), task_id, raw)


def _clock_at(moment: datetime) -> None:
    set_clock(lambda: moment)


def _principal(staff: _Staff, username: str) -> Principal:
    return staff.principals[username]
