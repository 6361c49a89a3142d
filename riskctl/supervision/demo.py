"""Demo talks and ledger findings in the pilot units, true to the clock they are loaded
under (each one is made through the services with the clock set to when it happened):

- 区财政局 (czj): a 谈话提醒 held late — due twenty days ago, held twelve days ago, and
  confirmed by the person talked to; the year's plan of 集体廉政谈话 with its next talk;
  an audit finding rectified and verified (销号) in time;
- 区农牧局 (nmj, the unit that is chronically late): a patrol finding past its deadline,
  with one progress report and no request for 销号 — the scan raises
  ``rectification_overdue`` about it;
- 区卫计局 (wjj): a 约谈函询 planned for next week;
- 区人社局 (rsj): a 任前廉政谈话 for the 分管领导;
- 前进镇 (qjz): a special inspection's finding awaiting verification.

The posts 主要负责人 and 分管领导 are marked leading (领导职务) in every unit.  Loaded once:
a database that holds any talk or finding is left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

import sqlalchemy as sa

from riskctl.core.access import SYSTEM_ADMIN, Principal
from riskctl.core.calendar_store import working_calendar
from riskctl.core.clock import set_clock, utcnow
from riskctl.core.db import DbSession
from riskctl.org import services as org
from riskctl.org.models import Person, Post, Unit
from riskctl.supervision import ledger, talks
from riskctl.supervision.models import Finding, Talk

T = TypeVar("T")
LEADING = ("head", "leader")


@dataclass
class DemoResult:
    talks: int = 0
    findings: int = 0
    leading_posts: int = 0


def load_demo(session: DbSession, *, now: datetime | None = None) -> DemoResult:
    """Plant the demo's talks and findings (see the module docstring); the caller commits."""
    result = DemoResult()
    if session.scalar(sa.select(Talk.id).limit(1)) or session.scalar(
        sa.select(Finding.id).limit(1)
    ):
        return result
    units = {u.code: u for u in session.scalars(sa.select(Unit))}
    if not {"czj", "nmj", "wjj", "rsj", "qjz"} <= set(units):
        return result
    now = now or utcnow()
    calendar = working_calendar(session)
    today = calendar.local_date(now)
    result.leading_posts = _mark_leading(session)
    people = {p.username: p for p in session.scalars(sa.select(Person))}

    def who(username: str) -> Principal:
        return people[username].principal()

    def at(days_ago: int, act: Callable[[], T]) -> T:
        """``act`` run at 10:00 local time ``days_ago`` days before today."""
        day = today - timedelta(days=days_ago)
        moment = calendar.end_of_day(day) - timedelta(hours=14)
        set_clock(lambda: moment)
        return act()

    try:
        # 区财政局: a reminder talk held late, confirmed by the person talked to.
        late = at(30, lambda: talks.plan_talk(
            session, who("jw.liuhong"), kind="reminder_talk", unit="czj", talker="jw.liuhong",
            subjects=["czj.wangfang"], due_on=today - timedelta(days=20),
            topic="采购需求论证不充分，进行谈话提醒", place="区纪委谈话室",
        ))  # fmt: skip
        at(12, lambda: talks.record_talk(
            session, who("jw.liuhong"), late.id, held_on=today - timedelta(days=12),
            record="指出其在办公设备采购中需求论证不充分、分次询价的问题，本人表示认识到问题，"
                   "今后严格执行采购制度。",
            follow_up_on=today + timedelta(days=30),
        ))  # fmt: skip
        at(11, lambda: talks.confirm_talk(session, who("czj.wangfang"), late.id))
        # The year's plan of collective talks, its next talk three weeks ahead.
        next_talk = min(today + timedelta(days=21), date(today.year, 12, 31))
        talks.create_plan(
            session, who("czj.zhoujie"), unit="czj", year=today.year,
            sessions=[talks.Session_(next_talk, "年度集体廉政谈话：守纪律、讲规矩", "czj.huangwei",
                                     "局机关会议室")],
            note="按照区纪委要求，每年至少开展一次集体廉政谈话。",
        )  # fmt: skip
        # An audit finding rectified and closed in time.
        audited = at(50, lambda: ledger.create_finding(
            session, who("jw.liuhong"), unit="czj", source="audit",
            description="部分报销凭证附件不全，差旅费报销未附审批单",
            measures="逐笔补齐附件，修订报销审核清单", responsible="czj.chenli",
            deadline=today - timedelta(days=20),
        ))  # fmt: skip
        at(
            35,
            lambda: ledger.record_progress(
                session,
                who("czj.chenli"),
                audited.id,
                text="已补齐全部凭证附件，审核清单已修订印发",
            ),
        )
        at(30, lambda: ledger.submit(session, who("czj.chenli"), audited.id, "整改完成"))
        at(28, lambda: ledger.verify(session, who("jw.liuhong"), audited.id, "经抽查，整改到位"))
        # 区农牧局: a patrol finding past its deadline.
        overdue = at(40, lambda: ledger.create_finding(
            session, who("jw.sunwei"), unit="nmj", source="patrol",
            description="项目资金拨付审批流程不规范，部分环节长期超时办理",
            measures="梳理审批流程，明确各环节办理时限，建立超时通报制度",
            responsible="nmj.luoxia", deadline=today - timedelta(days=10),
        ))  # fmt: skip
        at(
            20,
            lambda: ledger.record_progress(
                session, who("nmj.luoxia"), overdue.id, text="已完成流程梳理，时限制度正在起草"
            ),
        )
        # 区卫计局: an inquiry talk next week.
        at(2, lambda: talks.plan_talk(
            session, who("wjj.hexue"), kind="letter_inquiry", unit="wjj", talker="wjj.hexue",
            subjects=["wjj.sunli"], due_on=today + timedelta(days=7),
            topic="财务审核中存在审核不严的反映，进行约谈函询",
        ))  # fmt: skip
        # 区人社局: the pre-appointment talk of the 分管领导.
        post = session.scalar(
            sa.select(Post).where(Post.unit_id == units["rsj"].id, Post.code == "leader")
        )
        if post is not None:
            at(5, lambda: talks.plan_pre_appointment(
                session, person_id=people["rsj.yuanhua"].id, post_id=post.id,
                unit_id=units["rsj"].id, valid_from=today - timedelta(days=5), within_days=30,
            ))  # fmt: skip
        # 前进镇: a special inspection's finding awaiting verification.
        waiting = at(15, lambda: ledger.create_finding(
            session, who("jw.sunwei"), unit="qjz", source="special_check",
            description="惠民资金发放公示不及时", measures="按月公示，建立公示台账",
            responsible="qjz.jiangtao", deadline=today + timedelta(days=10),
        ))  # fmt: skip
        at(1, lambda: ledger.submit(session, who("qjz.jiangtao"), waiting.id, "已按月公示"))
    finally:
        set_clock(None)
    result.talks = session.scalar(sa.select(sa.func.count()).select_from(Talk)) or 0
    result.findings = session.scalar(sa.select(sa.func.count()).select_from(Finding)) or 0
    return result


def _mark_leading(session: DbSession) -> int:
    """主要负责人 and 分管领导 are leading posts (领导职务), through the org service."""
    marked = 0
    for post in session.scalars(
        sa.select(Post).where(Post.code.in_(LEADING), Post.is_leading.is_(False))
    ).all():
        unit = session.get(Unit, post.unit_id)
        assert unit is not None
        org.save_post(session, SYSTEM_ADMIN, unit.code,
                      {"code": post.code, "name": post.name, "risk": post.risk,
                       "is_leading": True}, upsert=True)  # fmt: skip
        marked += 1
    return marked
