"""A warning's evidence in words: sentences and tables a reader understands.

Each rule knows what its evidence means, so each rule says it (``Rule.explain``); this
module gives it the words: the reader's language, money in 元/万元, days, dates and local
moments, and links to the items, steps, meetings and people the evidence cites.  It is
plain Python — no Flask, no database: the caller resolves the cited ids to names and
addresses first (``Names``), and a rule that cites an id nobody resolved still reads
(事项 #12), never as a key or a JSON fragment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
Lang = Literal["zh", "en"]


@dataclass(frozen=True)
class Link:
    """Something the evidence cites: an item, a step, a meeting, a task."""

    text: str
    kind: str
    id: int
    href: str | None = None

    def __str__(self) -> str:
        return self.text


Part = str | Link
Sentence = tuple[Part, ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[Part, ...], ...]
    title: str | None = None


@dataclass(frozen=True)
class Explanation:
    """What the evidence says: sentences (each a run of text and links) and tables."""

    sentences: tuple[Sentence, ...]
    tables: tuple[Table, ...] = ()

    def text(self) -> str:
        """Everything a reader sees, as plain text (tests, exports)."""
        lines = ["".join(str(p) for p in s) for s in self.sentences]
        for table in self.tables:
            lines += [table.title or "", " | ".join(table.header)]
            lines += [" | ".join(str(c) for c in row) for row in table.rows]
        return "\n".join(line for line in lines if line)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sentences": ["".join(str(p) for p in s) for s in self.sentences],
            "links": [_link(p) for s in self.sentences for p in s if isinstance(p, Link)],
            "tables": [
                {"title": t.title, "header": list(t.header),
                 "rows": [[_link(c) if isinstance(c, Link) else c for c in row]
                          for row in t.rows]}
                for t in self.tables
            ],
        }  # fmt: skip


def _link(link: Link) -> dict[str, Any]:
    return {"text": link.text, "kind": link.kind, "id": link.id, "href": link.href}


@dataclass(frozen=True)
class Ref:
    text: str
    href: str | None = None


@dataclass(frozen=True)
class Names:
    """The cited ids, resolved by the caller: items, steps, meetings and tasks with their
    names and addresses; people as 王芳（区财政局·经办人）; node and post names by key."""

    items: Mapping[int, Ref] = field(default_factory=dict)
    steps: Mapping[int, Ref] = field(default_factory=dict)
    meetings: Mapping[int, Ref] = field(default_factory=dict)
    tasks: Mapping[int, Ref] = field(default_factory=dict)
    people: Mapping[int, str] = field(default_factory=dict)
    nodes: Mapping[str, str] = field(default_factory=dict)
    posts: Mapping[str, str] = field(default_factory=dict)


# Where ids sit in evidence: (kind, key).  ``items`` may be a list of ids or of rows.
_CITED = {
    "items": ("item", "procurement_item", "items", "exempt"),
    "steps": ("requirement_step", "acceptance_step", "payment_step", "execution_step",
              "earlier_step"),
    "meetings": ("meeting",),
    "tasks": ("task",),
    "people": ("member",),
}  # fmt: skip


def citations(evidence: Mapping[str, Any]) -> dict[str, set[int]]:
    """The ids an evidence cites, by kind (items, steps, meetings, tasks, people)."""
    found: dict[str, set[int]] = {kind: set() for kind in _CITED}
    for kind, keys in _CITED.items():
        for key in keys:
            for value in _as_list(evidence.get(key)):
                if isinstance(value, Mapping):
                    value = value.get("item")
                if isinstance(value, int) and not isinstance(value, bool):
                    found[kind].add(value)
    return found


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


# Words for evidence keys no rule explains (an older event's, or a new key): a reader
# never sees a key.  Keys a rule's ``material`` names take its label first.
KEY_WORDS: Mapping[str, tuple[str, str]] = {
    "amount": ("金额", "amount"), "threshold": ("限额", "threshold"),
    "total": ("累计金额", "total"), "category": ("类别", "category"),
    "item_category": ("品目类别", "category"), "fiscal_year": ("财政年度", "fiscal year"),
    "budget_project": ("预算项目", "budget project"), "items": ("事项", "items"),
    "item": ("事项", "item"), "method": ("采购方式", "method"),
    "bidders": ("投标人数", "bidders"), "days": ("天数", "days"),
    "deadline": ("期限", "deadline"), "days_late": ("逾期天数", "days late"),
    "working_days_late": ("逾期工作日", "working days late"), "share": ("占比", "share"),
    "supplier": ("供应商", "supplier"), "meeting": ("会议", "meeting"),
    "held_on": ("会议日期", "held on"), "task": ("待办任务", "task"),
    "due_at": ("办理时限", "due"), "note": ("说明", "note"), "kind": ("类型", "kind"),
    "steps": ("步骤数", "steps"), "returns": ("退回次数", "returns"),
    "process": ("流程", "process"), "budget": ("预算额度", "budget"),
    "budget_line": ("预算指标", "budget line"), "cumulative": ("累计支付", "cumulative"),
    "late_working_days": ("逾期工作日", "working days late"), "limit": ("时限", "limit"),
}  # fmt: skip
METHODS_EN = {
    "公开招标": "open tender",
    "邀请招标": "invited tender",
    "竞争性谈判": "competitive negotiation",
    "询价": "request for quotations",
    "竞争性磋商": "competitive consultation",
    "单一来源": "single source",
    "工程招标": "works tender",
    "框架协议": "framework agreement",
}
CATEGORIES_EN = {"货物": "goods", "服务": "services", "工程": "works"}
_SNAKE = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)+")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Missing(ValueError):
    """Evidence without a value its rule writes (an older shape): say it generically."""


class Words:
    """The words of one reader: Chinese or English, and the names the caller resolved."""

    def __init__(
        self, lang: str = "zh", names: Names | None = None, zone: tzinfo = SHANGHAI,
        *, strict: bool = False,
    ) -> None:  # fmt: skip
        self.lang: Lang = "en" if lang.lower().startswith("en") else "zh"
        self.names = names or Names()
        self.zone = zone
        # Strict: a day, date, moment or share that is missing raises ``Missing`` (the
        # evidence is not of the shape the rule writes today) instead of reading "—".
        self.strict = strict

    def _need(self, value: Any) -> None:
        if self.strict and (value is None or value == ""):
            raise Missing("a value the rule writes is missing from the evidence")

    @property
    def zh(self) -> bool:
        return self.lang == "zh"

    def t(self, zh: str, en: str) -> str:
        return zh if self.zh else en

    # ------------------------------------------------------------ values

    def money(self, value: Any) -> str:
        """万元 from ten thousand where it is exact (whole hundreds: 392万元), else 元 to the
        fen (3,999,999.50元) — never rounded up to the threshold it is just under; in
        English ¥ with separators."""
        amount = _decimal(value)
        if amount is None:
            return "—" if value in (None, "") else str(value)
        if not self.zh:
            return f"¥{amount:,.2f}"
        if abs(amount) >= 10000 and amount % 100 == 0:
            return f"{(amount / 10000).normalize():,f}万元"
        if amount == amount.to_integral():
            return f"{amount.to_integral():,f}元"
        return f"{amount:,.2f}元"

    def percent(self, share: Any) -> str:
        self._need(share)
        number = _decimal(share)
        if number is None:
            return "—"
        return f"{(number * 100).quantize(Decimal('0.1')).normalize():f}%"

    def number(self, value: Any) -> str:
        return "—" if value is None else str(value)

    def days(self, n: Any, *, working: bool = False) -> str:
        self._need(n)
        if working:
            return self.t(f"{n}个工作日", f"{n} working day{'' if n == 1 else 's'}")
        return self.t(f"{n}日", f"{n} day{'' if n == 1 else 's'}")

    def months(self, n: Any) -> str:
        self._need(n)
        return self.t(f"{n}个月", f"{n} month{'' if n == 1 else 's'}")

    def date(self, value: Any) -> str:
        """A day: 2026年11月3日, 3 Nov 2026."""
        self._need(value)
        found = _day(value)
        if found is None:
            return "—" if value in (None, "") else str(value)
        return self.t(f"{found.year}年{found.month}月{found.day}日", found.strftime("%-d %b %Y"))

    def moment(self, value: Any) -> str:
        """A moment at the platform's local time (Asia/Shanghai)."""
        found = _moment(value)
        if found is None:
            return self.date(value)
        local = found.astimezone(self.zone)
        return self.t(f"{self.date(local.date())} {local:%H:%M}", f"{local:%Y-%m-%d %H:%M}")

    def yes(self, value: Any) -> str:
        return self.t("是", "yes") if value else self.t("否", "no")

    def due(self, value: Any) -> str:
        """A due moment; midnight is 24:00 of the day before (the limit's last day)."""
        found = _moment(value)
        if found is None:
            return self.date(value)
        local = found.astimezone(self.zone)
        if (local.hour, local.minute, local.second) == (0, 0, 0):
            return f"{self.date(local.date() - timedelta(days=1))} 24:00"
        return self.moment(found)

    def method(self, value: Any) -> str:
        """A procurement method (政府采购法 第二十六条 names them)."""
        text = "—" if not value else str(value)
        return text if self.zh else METHODS_EN.get(text, text)

    def category(self, value: Any) -> str:
        """货物、服务、工程."""
        text = "—" if not value else str(value)
        return text if self.zh else CATEGORIES_EN.get(text, text)

    # ------------------------------------------------------------ citations

    def item(self, item_id: Any) -> Part:
        return self._link("item", self.names.items, item_id, "事项", "item")

    def step(self, step_id: Any) -> Part:
        return self._link("step", self.names.steps, step_id, "步骤", "step")

    def meeting(self, meeting_id: Any) -> Part:
        return self._link("meeting", self.names.meetings, meeting_id, "会议", "meeting")

    def task(self, task_id: Any) -> Part:
        return self._link("task", self.names.tasks, task_id, "待办任务", "task")

    def _link(self, kind: str, refs: Mapping[int, Ref], key: Any, zh: str, en: str) -> Part:
        if not isinstance(key, int) or isinstance(key, bool):
            return "—"
        ref = refs.get(key)
        if ref is None:
            return Link(self.t(f"{zh} #{key}", f"{en} #{key}"), kind, key)
        return Link(ref.text, kind, key, ref.href)

    def person(self, person_id: Any) -> str:
        if not isinstance(person_id, int) or isinstance(person_id, bool):
            return self.t("（未记录）", "(not recorded)")
        return self.names.people.get(person_id) or self.t(
            f"人员 #{person_id}", f"person #{person_id}"
        )

    def node(self, key: Any) -> str:
        if not key:
            return "—"
        return f"「{self.names.nodes.get(str(key), str(key))}」"

    def post(self, code: Any) -> str:
        return self.names.posts.get(str(code), str(code))

    # ------------------------------------------------------------ the generic fallback

    def key(self, key: str, labels: Mapping[str, tuple[str, str]] | None = None) -> str:
        """A key as a reader names it; an unknown key is never shown as it is."""
        found = (labels or {}).get(key) or KEY_WORDS.get(key)
        if found:
            return self.t(*found)
        return self.t("其他记录", key.replace("_", " ").strip() or "other")

    def value(self, key: str, value: Any) -> str | Link | Sentence:
        """A value of unknown meaning: money, dates and moments by their shape."""
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return self.yes(value)
        if key in ("item", "procurement_item"):
            return self.item(value)
        if key.endswith("_step"):
            return self.step(value)
        if key == "meeting":
            return self.meeting(value)
        if key == "task":
            return self.task(value)
        if isinstance(value, str):
            if _ISO_MOMENT.match(value):
                return self.moment(value)
            if _ISO_DATE.match(value):
                return self.date(value)
            if key in (
                "amount",
                "total",
                "threshold",
                "budget",
                "cumulative",
                "floor",
                "cap",
                "proceeds",
            ) or key.endswith(("_amount", "_value")):
                return self.money(value)
            return _readable(value)
        if isinstance(value, list | tuple):
            parts: list[Part] = []
            for n, entry in enumerate(value):
                if n:
                    parts.append(self.t("、", ", "))
                if isinstance(entry, Mapping) and "item" in entry:
                    parts.append(self.item(entry["item"]))
                elif isinstance(entry, int) and key in ("items",):
                    parts.append(self.item(entry))
                elif isinstance(entry, Mapping):
                    parts.append(self.t(f"{len(entry)}项记录", f"{len(entry)} fields"))
                else:
                    parts.append(_readable(str(entry)))
            return tuple(parts) or "—"
        if isinstance(value, Mapping):
            return self.t(f"{len(value)}项记录", f"{len(value)} fields")
        return str(value)

    def generic(
        self, evidence: Mapping[str, Any], labels: Mapping[str, tuple[str, str]] | None = None,
        skip: Iterable[str] = (),
    ) -> Explanation:  # fmt: skip
        """Evidence no rule explains: one row per value, each key in words."""
        skipped = set(skip)
        rows = []
        for key, value in evidence.items():
            if key in skipped:
                continue
            shown = self.value(key, value)
            cells: tuple[Part, ...] = (self.key(key, labels),)
            if isinstance(shown, tuple):
                cells += ("".join(str(p) for p in shown),)
            else:
                cells += (shown,)
            rows.append(cells)
        table = Table((self.t("记录", "Record"), self.t("内容", "Value")), tuple(rows))
        return Explanation((), (table,) if rows else ())


def _readable(text: str) -> str:
    """A stored text that is a code is not shown as one."""
    return "—" if _SNAKE.fullmatch(text) else text


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        found = value
    elif isinstance(value, str) and "T" in value:
        try:
            found = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return found if found.tzinfo is not None else found.replace(tzinfo=ZoneInfo("UTC"))


def say(*parts: Part | Sentence | None) -> Sentence:
    """A sentence from its parts (a part may itself be a run of parts; None is left out)."""
    found: list[Part] = []
    for part in parts:
        if part is None:
            continue
        if isinstance(part, tuple):
            found.extend(part)
        else:
            found.append(part)
    return tuple(found)
