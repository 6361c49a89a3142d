"""The rules of study, in plain Python (no database, no app): how reading time is
credited from heartbeats, when a material counts as read, how questions are checked,
drawn and scored, what an audience may say, and how an article is shown.

Reading time: the reading page sends a heartbeat every ``Pace.heartbeat_seconds`` with the
seconds it saw the page visible since its last one.  The server credits the least of what
the page claims, the wall time since the previous heartbeat of the same assignment and
material, and ``Pace.cap`` (1.5 heartbeats): a page that claims an hour, or two tabs
beating at once, gain no more than the time that really passed.  The first heartbeat only
starts the clock.  A material is read once the credited time reaches ``read_share`` of its
expected minutes (80 % by default: the expected minutes are an estimate of a steady
reader, and a quick one should not be held for the last fifth).
"""

from __future__ import annotations

import math
import random
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from markdown_it import MarkdownIt
from markupsafe import Markup

from riskctl.core.inputs import text_problem

# 重点岗位: posts whose risk value is at least this (the demo's 出纳, 采购经办, 验收员,
# 分管领导, 主要负责人).
KEY_POST_RISK = 4
LETTERS = string.ascii_uppercase[:8]  # options A … H
TRUE_FALSE_OPTIONS = ("正确", "错误")
KINDS = ("single", "multiple", "true_false")
ROLES = ("staff", "discipline_leader", "inspector", "admin")
MAX_QUESTION = 2000
MAX_OPTION = 500
MAX_AUDIENCE = 500  # codes or names in one list of an audience


@dataclass(frozen=True)
class Pace:
    """How reading is paced and judged (settings: ``RISKCTL_EDUCATION_*``)."""

    heartbeat_seconds: int = 30
    read_share: float = 0.8

    @property
    def cap(self) -> int:
        """The most one heartbeat can credit."""
        return math.ceil(self.heartbeat_seconds * 1.5)

    def required_seconds(self, expected_minutes: int) -> int:
        return math.ceil(expected_minutes * 60 * self.read_share)


def credit(claimed: int, last_beat: datetime | None, now: datetime, pace: Pace) -> int:
    """The seconds a heartbeat adds: never more than the page claims, than the wall time
    since the previous heartbeat, or than the cap; nothing for the first one."""
    if last_beat is None or claimed <= 0:
        return 0
    elapsed = (now - last_beat).total_seconds()
    if elapsed <= 0:
        return 0
    return max(0, min(int(claimed), int(elapsed), pace.cap))


# ---------------------------------------------------------------- questions


@dataclass(frozen=True)
class Problem:
    path: str
    message: Any  # a lazy translation, put into words when read


def options_for(kind: str, options: Sequence[str]) -> list[str]:
    """The options a question shows: a true/false question always 正确, 错误."""
    return list(TRUE_FALSE_OPTIONS) if kind == "true_false" else list(options)


def _text_problems(path: str, value: Any, limit: int, *, line: bool) -> list[Problem]:
    if not isinstance(value, str) or not value.strip():
        return [Problem(path, _l("write it"))]
    if len(value) > limit:
        return [Problem(path, _l("at most %(n)d characters", n=limit))]
    if (why := text_problem(value, single_line=line)) is not None:
        return [Problem(path, why)]
    return []


def check_question(kind: Any, text: Any, options: Any, answer: Any, at: str = "") -> list[Problem]:
    """What is wrong with a question as written (paths below ``at``); [] when sound.
    ``answer`` is the letters of the right options ("A", "AC", ["A", "C"])."""

    def where(path: str) -> str:
        return f"{at}.{path}" if at else path

    if kind not in KINDS:
        return [Problem(where("kind"), _l("must be single, multiple or true_false"))]
    problems = _text_problems(where("text"), text, MAX_QUESTION, line=False)
    shown = options_for(kind, [])
    if kind != "true_false":
        shown = options if isinstance(options, list) else []
        if not 2 <= len(shown) <= len(LETTERS):
            problems.append(
                Problem(where("options"), _l("give 2 to %(n)d options", n=len(LETTERS)))
            )
            shown = []
        for n, option in enumerate(shown):
            problems += _text_problems(where(f"options[{n}]"), option, MAX_OPTION, line=True)
        if len({o.strip() for o in shown if isinstance(o, str)}) < len(shown):
            problems.append(Problem(where("options"), _l("two options are the same")))
    letters = answer_letters(answer)
    if letters is None:
        problems.append(
            Problem(where("answer"), _l("give the letters of the right options, e.g. A or AC"))
        )
    elif shown and any(LETTERS.index(x) >= len(shown) for x in letters):
        last = LETTERS[len(shown) - 1]
        problems.append(Problem(where("answer"), _l("only options A to %(last)s exist", last=last)))
    elif kind in ("single", "true_false") and len(letters) != 1:
        problems.append(Problem(where("answer"), _l("give exactly one right option")))
    elif kind == "multiple" and len(letters) < 2:
        problems.append(
            Problem(where("answer"), _l("a multiple-choice question has two right options or more"))
        )
    return problems


def answer_letters(value: Any) -> list[str] | None:
    """ "AC", "A,C", "a、c" or ["A", "C"] → ["A", "C"]; None when it is no such thing."""
    if isinstance(value, str):
        value = [c for c in value.upper() if c not in " ,，、;；"]
    if not isinstance(value, list | tuple) or not value:
        return None
    letters = []
    for item in value:
        if not isinstance(item, str) or len(item.strip()) != 1:
            return None
        letter = item.strip().upper()
        if letter not in LETTERS:
            return None
        letters.append(letter)
    if len(set(letters)) != len(letters):
        return None
    return sorted(letters)


def draw(question_ids: Sequence[int], count: int, rng: random.Random | None = None) -> list[int]:
    """``count`` questions at random (all of them, shuffled, when the bank has no more)."""
    pool = list(question_ids)
    return (rng or random.SystemRandom()).sample(pool, min(count, len(pool)))


@dataclass(frozen=True)
class Score:
    correct: int
    total: int
    right: dict[int, bool] = field(default_factory=dict)

    @property
    def percent(self) -> int:
        """Out of 100, rounded half up (7 of 9 is 78)."""
        return 0 if not self.total else math.floor(100 * self.correct / self.total + 0.5)

    def passes(self, pass_mark: int) -> bool:
        return self.percent >= pass_mark


def score(keys: Mapping[int, Sequence[str]], answers: Mapping[int, Iterable[str]]) -> Score:
    """The score of ``answers`` (question id → letters given) against the drawn
    questions' ``keys``.  A question is right when exactly its right options are chosen
    (a multiple-choice question gets no part marks); one not answered is wrong."""
    right = {qid: sorted(set(answers.get(qid, ()))) == sorted(key) for qid, key in keys.items()}
    return Score(sum(right.values()), len(keys), right)


# ---------------------------------------------------------------- audiences


@dataclass(frozen=True)
class Audience:
    """Who a task is for.  People of ``units`` (every unit in the author's reach when
    none is given) who hold one of ``posts`` or a key post (``key_posts``: risk value ≥
    ``KEY_POST_RISK``) or have one of ``roles`` — or, when none of these three is given,
    everyone of ``units``; and everyone named in ``people`` (named alone, they are the
    whole audience)."""

    units: tuple[str, ...] = ()
    posts: tuple[str, ...] = ()
    key_posts: bool = False
    roles: tuple[str, ...] = ()
    people: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.units or self.posts or self.key_posts or self.roles or self.people)

    @property
    def selects(self) -> bool:
        """Whether posts, key posts or roles narrow the units."""
        return bool(self.posts or self.key_posts or self.roles)

    def as_dict(self) -> dict[str, Any]:
        return {"units": list(self.units), "posts": list(self.posts),
                "key_posts": self.key_posts, "roles": list(self.roles),
                "people": list(self.people)}  # fmt: skip


def read_audience(raw: Any, at: str = "audience") -> tuple[Audience, list[Problem]]:
    """The shape of an audience (its codes are checked against the database later)."""
    if raw is None:
        return Audience(), []
    if not isinstance(raw, Mapping):
        return Audience(), [Problem(at, _l("must be {units, posts, key_posts, roles, people}"))]
    problems = [Problem(f"{at}.{k}", _l("unknown key")) for k in raw
                if k not in ("units", "posts", "key_posts", "roles", "people")]  # fmt: skip
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("units", "posts", "roles", "people"):
        value = raw.get(key) or []
        if not isinstance(value, list) or len(value) > MAX_AUDIENCE:
            problems.append(
                Problem(f"{at}.{key}", _l("must be a list of at most %(n)d", n=MAX_AUDIENCE))
            )
            value = []
        found: list[str] = []
        for n, code in enumerate(value):
            if (
                not isinstance(code, str)
                or not code.strip()
                or text_problem(code, single_line=True)
            ):
                problems.append(Problem(f"{at}.{key}[{n}]", _l("must be a code")))
            elif key == "roles" and code not in ROLES:
                problems.append(
                    Problem(f"{at}.{key}[{n}]", _l("must be one of %(v)s", v=", ".join(ROLES)))
                )
            elif code.strip() not in found:
                found.append(code.strip())
        lists[key] = tuple(found)
    key_posts = raw.get("key_posts", False)
    if not isinstance(key_posts, bool):
        problems.append(Problem(f"{at}.key_posts", _l("must be true or false")))
        key_posts = False
    return Audience(lists["units"], lists["posts"], key_posts, lists["roles"],
                    lists["people"]), problems  # fmt: skip


def selected(audience: Audience, posts_held: Mapping[str, int], roles: Iterable[str]) -> str | None:
    """Whether a person of the audience's units is selected, and by which post:
    ``posts_held`` maps the codes of the posts they hold to the posts' risk values.
    Returns the post that selected them (their riskiest such post), ``""`` when selected
    by role or as one of the unit's people, None when not selected."""
    by_post = [p for p in posts_held if p in audience.posts
               or (audience.key_posts and posts_held[p] >= KEY_POST_RISK)]  # fmt: skip
    if by_post:
        return max(by_post, key=lambda p: (posts_held[p], p))
    if not audience.selects or set(roles) & set(audience.roles):
        return ""
    return None


# ---------------------------------------------------------------- articles

# CommonMark with raw HTML off (written HTML shows as text), no images (they would be
# fetched from elsewhere, which the CSP refuses anyway) and tables on.  Link targets are
# checked by markdown-it (javascript:, vbscript:, file: and data: are not linked).
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_MARKDOWN.enable("table").disable("image")


def render_article(text: str) -> Markup:
    """An article's Markdown as HTML that carries no HTML of its writer."""
    return Markup(_MARKDOWN.render(text or ""))
