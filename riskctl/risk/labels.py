"""What the levels are called (the policy's ``labels`` section) and whether orange is used.

Many 电子监察 systems grade in two steps, 黄牌警告 and 红牌督办, with no orange.  The
stored levels stay ``red``/``orange``/``yellow`` (the API's values); only the words a
person reads change.  Each level has a name in Chinese and in English, the name of a
warning of that level as a sentence uses it ("升级为红色预警", "红牌督办"):

    "labels": {"red": {"zh": "红色预警", "en": "Red warning"},
               "orange": {"zh": "橙色预警", "en": "Orange warning", "used": true},
               "yellow": {"zh": "黄色预警", "en": "Yellow warning"}}

Where a level is a column or a badge the pages show its short name: today's 红色/橙色/黄色
(Red/Orange/Yellow) while the label is the default, else the label itself — so nothing a
reader sees changes until a label is configured.

Orange off: a score in the orange band is graded yellow (``Policy.level``), with yellow's
routing.  It is not graded red, because red pages the commission's inspectors, lights the
big screen and waits for an inspector's disposition: the whole orange band (usually the
larger) would land on the commission.  Nothing escalates by ``escalation.explain_within``
then, since that wait is orange's; a yellow still becomes red when its score reaches the
red threshold (overdue severity grows with the overdue time).  A unit that wants a
must-explain step under two names keeps orange on and names it (e.g. orange 黄牌警告,
yellow 提示).  The orange threshold is still given and checked, so turning orange back
on restores the three bands as they were.  Orange events raised before orange was turned
off keep their level (and escalation) until a scan re-scores them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskctl.core import formatting
from riskctl.core.db import DbSession
from riskctl.core.errors import Text
from riskctl.risk.models import Level, RiskPolicy

LEVELS = ("red", "orange", "yellow")
LANGS = ("zh", "en")
MAX_LENGTH = {"zh": 10, "en": 40}  # ten characters keep an SMS within one segment
# The short names the pages have always used (formatting.LEVELS translates the English).
SHORT = {
    "red": {"zh": "红色", "en": "Red"},
    "orange": {"zh": "橙色", "en": "Orange"},
    "yellow": {"zh": "黄色", "en": "Yellow"},
}


def default_labels() -> dict[str, Any]:
    return {
        "red": {"zh": "红色预警", "en": "Red warning"},
        "orange": {"zh": "橙色预警", "en": "Orange warning", "used": True},
        "yellow": {"zh": "黄色预警", "en": "Yellow warning"},
    }


class Problems(Protocol):
    def add(self, path: str, message: Text) -> None: ...


def merged_labels(current: Any, change: Any, problems: Problems) -> Any:
    """``current`` with what ``change`` gives, per level and per key (so that turning
    orange off is ``{"orange": {"used": false}}``)."""
    if not isinstance(change, dict):
        problems.add("labels", _l("must be an object of level → {zh, en}"))
        return current
    body = {lv: dict(v) for lv, v in (current or default_labels()).items()}
    for level, given in change.items():
        if level not in LEVELS:
            problems.add(f"labels.{level}", _l("unknown level; expected red, orange or yellow"))
        elif not isinstance(given, dict):
            problems.add(f"labels.{level}", _l("must be an object {zh, en}"))
        else:
            body[level] = {**body.get(level, {}), **given}
    return body


def check_labels(labels: Any, problems: Problems) -> None:
    if not isinstance(labels, dict) or set(labels) != set(LEVELS):
        problems.add("labels", _l("must give red, orange and yellow"))
        return
    seen: dict[tuple[str, str], str] = {}
    for level in LEVELS:
        entry, path = labels[level], f"labels.{level}"
        if not isinstance(entry, dict):
            problems.add(path, _l("must be an object {zh, en}"))
            continue
        allowed = {"zh", "en", "used"} if level == "orange" else {"zh", "en"}
        for key in entry:
            if key not in allowed:
                why = (
                    _l("only orange can be turned off") if key == "used" else _l("unknown setting")
                )
                problems.add(f"{path}.{key}", why)
        if level == "orange" and not isinstance(entry.get("used"), bool):
            problems.add(f"{path}.used", _l("must be true or false"))
        used = level != "orange" or entry.get("used") is not False
        for lang in LANGS:
            text = entry.get(lang)
            if not isinstance(text, str) or not text.strip():
                problems.add(f"{path}.{lang}", _l("must not be empty"))
            elif text != text.strip() or any(unicodedata.category(c)[0] == "C" for c in text):
                problems.add(f"{path}.{lang}", _l("no spaces at the ends, no line breaks"))
            elif len(text) > MAX_LENGTH[lang]:
                problems.add(
                    f"{path}.{lang}", _l("at most %(max)s characters", max=MAX_LENGTH[lang])
                )
            elif used:
                other = seen.setdefault((lang, text), level)
                if other != level:
                    problems.add(f"{path}.{lang}", _l("the same as %(level)s's label",
                                                      level=formatting.LEVELS[other]))  # fmt: skip


@dataclass(frozen=True)
class LevelLabels:
    """The labels of one policy, for the pages, the texts and the exports."""

    names: Mapping[str, Mapping[str, Any]]

    @classmethod
    def of(cls, body: Mapping[str, Any] | None) -> LevelLabels:
        """A policy body's labels; a policy written before labels existed has the defaults."""
        section = (body or {}).get("labels")
        defaults = default_labels()
        if not isinstance(section, dict):
            return cls(defaults)
        return cls({lv: {**defaults[lv], **(section.get(lv) or {})} for lv in LEVELS})

    @property
    def orange_used(self) -> bool:
        return self.names["orange"].get("used", True) is not False

    @property
    def levels(self) -> tuple[Level, ...]:
        """The levels in use, gravest first."""
        return tuple(Level(lv) for lv in LEVELS if lv != "orange" or self.orange_used)

    def name(self, level: Level | str, lang: str = "zh") -> str:
        """A warning of this level, as a sentence names it: 红色预警, 红牌督办."""
        return str(self.names[str(getattr(level, "value", level))][_lang(lang)])

    def is_default(self, level: Level | str, lang: str = "zh") -> bool:
        key = str(getattr(level, "value", level))
        return bool(self.name(key, lang) == default_labels()[key][_lang(lang)])

    def short(self, level: Level | str, lang: str = "zh") -> str:
        """The level in a badge or a column: 红色 while the label is the default."""
        key = str(getattr(level, "value", level))
        return SHORT[key][_lang(lang)] if self.is_default(key, lang) else self.name(key, lang)

    def abbreviation(self, level: Level | str) -> str:
        """One character where the levels' short names start differently (红2橙1), else
        the short name."""
        firsts = {self.short(lv)[0] for lv in LEVELS}
        short = self.short(level)
        return short[0] if len(firsts) == len(LEVELS) else short

    def as_dict(self) -> dict[str, Any]:
        return {lv: dict(self.names[lv]) for lv in LEVELS}


def _lang(lang: str) -> str:
    return "zh" if lang.lower().startswith("zh") else "en"


def in_force(session: DbSession) -> LevelLabels:
    """The labels of the policy in force (one small read: no rules, no unit lists)."""
    body = session.scalars(
        sa.select(RiskPolicy.body).order_by(RiskPolicy.version.desc()).limit(1)
    ).first()
    return LevelLabels.of(body)
