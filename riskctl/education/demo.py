"""Demo study: a small library written for the demo, a question bank, and one study task
assigned to the 重点岗位 of the five pilot units a month ago — some completed it, some are
overdue — so that the statistics and the ``education_overdue`` warning show something
true; and a warning-education task (警示教育) that follows the splitting rule.

The seed's 2019 cases (the commission's own report in its 2019 final accounts) are the
warning-education material: its figures are quoted as the report gives them, and nothing
is added about any person.  The PDF is made here (one page, the 廉洁自律准则's eight
norms in brief, in the reader's standard Chinese font, nothing embedded): no file is
downloaded.  No video ships with the demo.

Everything goes through the services, with the clock set to when it happened (like the
demo history).  Loaded once: when the demo task exists, nothing is done.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from riskctl.core.access import SYSTEM_ADMIN, Principal
from riskctl.core.calendar_store import working_calendar
from riskctl.core.clock import running_from, set_clock, utcnow
from riskctl.core.db import DbSession
from riskctl.education import library, services, spec, study
from riskctl.education.models import Assignment, Question, StudyTask
from riskctl.files.storage import FileStore
from riskctl.org.models import Person, Unit

TASK_TITLE = "2026年度重点岗位廉政学习"
FOLLOW_TITLE = "警示教育：化整为零规避公开招标"
PILOT_UNITS = ("czj", "wjj", "nmj", "rsj", "qjz")
# Who completed the study (by unit, the first ones in username order), and who tried.
COMPLETED = {"czj": 4, "wjj": 3, "nmj": 1, "rsj": 5, "qjz": 2}
FAILED_ONCE = {"wjj"}  # the first completer here failed the quiz once, then passed
TRIED_ONLY = {"qjz"}  # the first one not completing here read all and failed the quiz
PACE = spec.Pace(heartbeat_seconds=300)  # the demo's heartbeats: one per five minutes


@dataclass(frozen=True)
class StudyDemo:
    materials: int = 0
    questions: int = 0
    tasks: int = 0
    assignments: int = 0
    completed: int = 0
    skipped: bool = False


# ---------------------------------------------------------------- the library

RULES_BRIEF = (
    "《中国共产党廉洁自律准则》（2015年10月印发，2016年1月1日起施行）",
    [
        "党员廉洁自律规范",
        "一、坚持公私分明，先公后私，克己奉公。",
        "二、坚持崇廉拒腐，清白做人，干净做事。",
        "三、坚持尚俭戒奢，艰苦朴素，勤俭节约。",
        "四、坚持吃苦在前，享受在后，甘于奉献。",
        "党员领导干部廉洁自律规范",
        "五、廉洁从政，自觉保持人民公仆本色。",
        "六、廉洁用权，自觉维护人民根本利益。",
        "七、廉洁修身，自觉提升思想道德境界。",
        "八、廉洁齐家，自觉带头树立良好家风。",
        "说明：本页为学习要点，条文以正式文本为准。",
    ],
)

CONTROLS = """## 为什么要“不相容岗位相互分离”

《行政事业单位内部控制规范（试行）》（财会〔2012〕21号）要求单位合理设置岗位，明确职责权限，
**不相容岗位相互分离、相互制约**。同一个人不能既“申请”又“批准”，既“经手”又“记账”。

本平台按业务流程逐环节记录“谁、在什么岗位、做了什么”，下列岗位组合在同一事项中由同一人办理时，
平台会拦截或发出预警：

| 业务 | 应当分离的岗位或环节 |
| --- | --- |
| 预算 | 预算编制、审批、执行、评价 |
| 收支 | 支出申请与审批；付款审批与付款执行；出纳与稽核、会计档案保管、账目登记 |
| 采购 | 采购需求与其审批；招标文件编制与审核；合同签订与验收；验收与保管 |
| 合同 | 起草与审核；审批与签订；履行与付款 |

> 岗位分离不是不信任，而是对经办人的保护：每一步都有人复核，出了问题也说得清。

平台“电脑盯人、制度盯人”：规则和系统盯住权力运行的每一步，而不是人盯人。
"""

CASES_2019 = "\n".join(
    (
        "## 2019年全区查处的典型问题",
        "",
        "以下数字摘自区纪委监委2019年度部门决算中的工作情况说明：",
        "",
        "- 全年共立案查处违纪违法案件 **89件89人**，其中违纪和职务违法案件81件81人、"
        "职务犯罪案件8件8人；采取留置措施9人。",
        "- 严肃查处了**高速公路建设、追逃追赃、医疗卫生行业、津补贴发放**等领域一批重大典型案件，"
        "共收缴违纪违法款1634万余元。",
        "- 查处群众身边“微腐败”案件 **33件33人**。",
        "- 查处**公款旅游、违规发放津补贴**等违反中央八项规定精神问题5件5人；"
        "对公务接待中违规消费烟酒等问题，约谈、通报7人。",
        "- 开展“赌博敛财”等专项整治，查处参与赌博的党员干部4件4人。",
        "- 拍摄本地区征地拆迁领域严重违纪违法案例警示教育片《从“能人”到“阶下囚”》，"
        "通报省市区典型案例81件次，组织400余名党员干部旁听典型案件庭审。",
        "",
        "## 警示",
        "",
        "问题多发生在资金密集、审批集中的环节：工程建设、采购、补贴发放。",
        "经办人要守住三条底线：**不拆分、不越权、不经手自己审批的钱**。"
        "发现异常，向本单位纪检组长报告。",
        "",
    )
)

CULTURE = """## 廉洁文化在身边

2019年，全区把廉洁文化建设作为反腐倡廉的一项基础性工作：

- 打造“七个一”廉洁文化教育基地，挖掘培育苴却砚博物馆廉洁文化、迤沙拉家风文化示范精品；
- 与28家企业签订廉洁文化共建协议，推动构建亲清新型政商关系；
- 评选廉洁家庭示范户104户，弘扬廉洁家风。

**廉洁齐家**：家风是作风的起点。管好自己，也要管好家属和身边工作人员，
不让亲情成为利益输送的通道。
"""

QUESTIONS: list[dict[str, Any]] = [
    {"kind": "single", "text": "《中国共产党廉洁自律准则》中，党员领导干部“廉洁齐家”的要求是：",
     "options": ["自觉保持人民公仆本色", "自觉带头树立良好家风", "自觉提升思想道德境界",
                 "自觉维护人民根本利益"], "answer": "B",
     "explanation": "准则第八条规范：廉洁齐家，自觉带头树立良好家风。"},
    {"kind": "single", "text": "党员廉洁自律规范中，“坚持公私分明”后面的要求是：",
     "options": ["先公后私，克己奉公", "清白做人，干净做事", "艰苦朴素，勤俭节约"],
     "answer": "A"},
    {"kind": "multiple", "text": "下列哪些属于收支业务中应当分离的岗位或环节？",
     "options": ["支出申请与审批", "付款审批与付款执行", "出纳与会计档案保管",
                 "出纳与采购需求提出"],
     "answer": "ABC",
     "explanation": "出纳不得兼任稽核、会计档案保管和收入、支出、费用、债权债务账目的登记。"},
    {"kind": "multiple", "text": "采购业务中，下列哪些环节应当由不同的人办理？",
     "options": ["采购需求与其审批", "合同签订与验收", "验收与保管", "查看通知与阅读文件"],
     "answer": "ABC"},
    {"kind": "true_false", "text": "为了赶进度，可以把一笔超过公开招标限额的采购拆成几笔分别询价。",
     "answer": "B", "explanation": "这是化整为零规避公开招标，平台会发出预警。"},
    {"kind": "true_false",
     "text": "同一人在同一事项中既提出采购需求又审批该需求，平台会拦截或预警。", "answer": "A"},
    {"kind": "single", "text": "2019年全区查处群众身边“微腐败”案件多少件？",
     "options": ["8件", "33件", "89件", "104件"], "answer": "B"},
    {"kind": "true_false", "text": "岗位分离的目的之一是保护经办人：每一步都有人复核。",
     "answer": "A"},
    {"kind": "single", "text": "发现业务办理中的异常，经办人应当首先向谁报告？",
     "options": ["供应商", "本单位纪检组长", "自媒体"], "answer": "B"},
    {"kind": "multiple", "text": "警示教育材料提到的经办人“三条底线”包括：",
     "options": ["不拆分", "不越权", "不经手自己审批的钱", "不请假"], "answer": "ABC"},
]  # fmt: skip


def rules_pdf() -> bytes:
    """The 准则's norms in brief as a one-page PDF (A4), written here: text in the
    standard Chinese font STSong-Light (Adobe-GB1, not embedded: every reader has it)."""
    title, lines = RULES_BRIEF
    return simple_pdf(title, lines)


def simple_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF of a title and lines (wrapped), in STSong-Light."""

    def width(text: str, size: float) -> float:
        return sum(size * (0.5 if ord(c) < 128 else 1.0) for c in text)

    def wrap(text: str, size: float, limit: float) -> list[str]:
        out, line = [], ""
        for char in text:
            if width(line + char, size) > limit:
                out.append(line)
                line = ""
            line += char
        return [*out, line] if line else out

    def hex_text(text: str) -> str:
        return "<" + text.encode("utf-16-be").hex().upper() + ">"

    ops = ["BT", "/F1 18 Tf", "60 770 Td", "22 TL"]
    for part in wrap(title, 18, 475):
        ops += [f"{hex_text(part)} Tj", "T*"]
    ops += ["/F1 13 Tf", "20 TL", "T*"]
    for text in lines:
        for part in wrap(text, 13, 475):
            ops += [f"{hex_text(part)} Tj", "T*"]
        ops.append("T*" if not text.startswith(("一", "二", "三", "五", "六", "七")) else "")
    ops.append("ET")
    stream = "\n".join(op for op in ops if op).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        b"/DescendantFonts [6 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> "
        b"/FontDescriptor 7 0 R /DW 1000 /W [1 95 500] >>",
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 "
        b"/FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 "
        b"/CapHeight 880 /StemV 93 >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, xref))  # fmt: skip
    return out.getvalue()


# ---------------------------------------------------------------- loading


def _working_day_back(calendar: Any, day: date, n: int) -> date:
    """The ``n``-th working day before ``day``."""
    while n > 0:
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            n -= 1
    return day


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    from riskctl.core.calendar_store import zone

    return datetime.combine(day, time(hour, minute), tzinfo=zone())


def _move(moment: datetime) -> None:
    set_clock(lambda: moment)


def load_demo(session: DbSession, store: FileStore) -> StudyDemo:
    """The demo study (see the module docstring); the caller commits."""
    if session.scalar(sa.select(StudyTask.id).where(StudyTask.title == TASK_TITLE)) is not None:
        return StudyDemo(skipped=True)
    now = utcnow()
    try:
        return _load(session, store, now)
    finally:
        set_clock(running_from(now))


def _load(session: DbSession, store: FileStore, now: datetime) -> StudyDemo:
    calendar = working_calendar(session)
    today = calendar.local_date(now)
    admin = SYSTEM_ADMIN
    start = _working_day_back(calendar, today, 20)
    due = _working_day_back(calendar, today, 3)
    # Published by the commission's inspector on the start day (as an administrator
    # when the demo people are not there).
    inspector = session.scalar(sa.select(Person).where(Person.username == "jw.hexiaoping"))
    author: Principal = inspector.principal() if inspector is not None else admin
    _move(_at(start, 9))
    materials = [
        library.create_material(session, author, store, {
            "title": "《中国共产党廉洁自律准则》八条规范要点", "category": "party_rules",
            "source": RULES_BRIEF[0], "expected_minutes": 5, "tags": "准则,廉洁自律",
        }, io.BytesIO(rules_pdf()), "廉洁自律准则要点.pdf", limit=10 * 1024 * 1024),
        library.create_material(session, author, store, {
            "title": "不相容岗位相互分离：行政事业单位内部控制", "category": "party_rules",
            "source": "《行政事业单位内部控制规范（试行）》（财会〔2012〕21号）",
            "expected_minutes": 6, "tags": "内部控制,岗位分离", "body": CONTROLS,
        }, None, None, limit=0),
        library.create_material(session, author, store, {
            "title": "警示教育：2019年全区查处的典型问题", "category": "warning_case",
            "source": "区纪委监委2019年度部门决算（工作情况说明）", "expected_minutes": 5,
            "tags": "警示教育,2019年", "body": CASES_2019,
        }, None, None, limit=0),
        library.create_material(session, author, store, {
            "title": "廉洁文化在身边：七个一基地与廉洁家风", "category": "integrity_culture",
            "source": "区纪委监委2019年度部门决算（工作情况说明）", "expected_minutes": 3,
            "tags": "廉洁文化,家风", "body": CULTURE,
        }, None, None, limit=0),
    ]  # fmt: skip
    bank = library.create_bank(session, author, "廉政知识题库", "准则、内部控制与警示教育")
    library.add_questions(session, author, bank.id, QUESTIONS)
    units = [c for c in PILOT_UNITS if session.scalar(sa.select(Unit.id).where(Unit.code == c))]
    if not units:
        return StudyDemo(len(materials), len(QUESTIONS))
    task = services.create_task(session, author, {
        "title": TASK_TITLE, "start_on": start.isoformat(), "due_on": due.isoformat(),
        "description": "试点单位重点岗位（风险值4级及以上）人员，学习准则、内部控制与"
                       "警示教育材料，并通过测验。",
        "audience": {"units": units, "key_posts": True},
        "materials": [m.id for m in materials[:3]],
        "quiz": {"bank": bank.id, "questions": 5, "pass_mark": 60, "attempts": 3},
        "sms_digest": True,
    })  # fmt: skip
    # 警示教育: follows the splitting rule from today on (assigned when a red is resolved).
    _move(now)
    services.create_task(session, author, {
        "title": FOLLOW_TITLE, "start_on": _next_working(calendar, today).isoformat(),
        "due_on": calendar.add_working_days(today, 120).isoformat(),
        "description": "对“化整为零规避公开招标”红色预警处置后，该单位采购经办和分管领导"
                       "学习警示教育材料。",
        "audience": {}, "follows": {"rules": ["procurement_splitting",
                                              "procurement_just_under_threshold"],
                                    "posts": ["purchaser", "leader"], "working_days": 10},
        "materials": [materials[2].id, materials[1].id],
    })  # fmt: skip
    completed = _study(session, calendar, task, start, due)
    assigned = session.scalar(
        sa.select(sa.func.count()).select_from(Assignment).where(Assignment.task_id == task.id)
    )
    return StudyDemo(len(materials), len(QUESTIONS), 2, int(assigned or 0), completed)


def _next_working(calendar: Any, day: date) -> date:
    return day if calendar.is_working_day(day) else calendar.next_working_day(day)


def _study(session: DbSession, calendar: Any, task: StudyTask, start: date, due: date) -> int:
    """Some of the people study (their heartbeats, their quiz), the others do not."""
    rows = session.execute(
        sa.select(Assignment, Person.username, Unit.code)
        .join(Person, Person.id == Assignment.person_id)
        .join(Unit, Unit.id == Assignment.unit_id)
        .where(Assignment.task_id == task.id)
        .order_by(Unit.code, Person.username)
    ).all()
    keys = {q.id: q.answer for q in session.scalars(sa.select(Question))}
    days = max(1, calendar.working_days_between(start, due))
    done = 0
    seen: dict[str, int] = {}
    for assignment, username, unit in rows:
        n = seen[unit] = seen.get(unit, 0) + 1
        person = session.scalar(sa.select(Person).where(Person.username == username))
        assert person is not None
        principal = person.principal()
        completes = n <= COMPLETED.get(unit, 0)
        tries = not completes and unit in TRIED_ONLY and n == COMPLETED.get(unit, 0) + 1
        if not (completes or tries):
            continue
        day = calendar.add_working_days(start, min(days - 1, 1 + (n * 3) % days))
        moment = _at(day, 9, 10 * n % 60)
        moment = _read(session, principal, assignment, moment)
        rng = random.Random(assignment.id)
        first_fails = tries or (completes and unit in FAILED_ONCE and n == 1)
        for wrong in (True, False) if first_fails and completes else (first_fails,):
            moment += timedelta(minutes=20)
            _move(moment)
            attempt, _new = study.start_quiz(session, principal, assignment.id, rng)
            answers = [
                {"question": q["id"], "choice": "".join(keys[q["id"]]) if not wrong or i > 2
                 else ("A" if keys[q["id"]] != ["A"] else "B")}
                for i, q in enumerate(attempt["questions"])
            ]  # fmt: skip
            study.submit_answers(session, principal, attempt["id"], answers)
        done += int(completes)
    return done


def _read(session: DbSession, principal: Principal, assignment: Assignment,
          moment: datetime) -> datetime:  # fmt: skip
    """Heartbeats every five minutes until each material is read."""
    view = study.my_assignment(session, principal, assignment.id, PACE)
    for material in view["materials"]:
        while True:
            _move(moment)
            found = study.record_progress(session, principal, assignment.id, material["id"],
                                          PACE.heartbeat_seconds, PACE)  # fmt: skip
            moment += timedelta(seconds=PACE.heartbeat_seconds)
            if found["is_read"]:
                break
        moment += timedelta(minutes=2)
    return moment
