"""The ``meeting`` node kind: what a definition says about it, how a meeting is counted,
and the check of a meeting record — plain Python, no database.

A meeting node (集体决策会议) is handled like a task by the post that keeps the meeting's
record (``post``: the secretary), but it is completed only by recording the meeting:

    - key: decide
      kind: meeting
      name: 领导班子集体决策会议
      post: archivist            # the secretary who records the meeting
      members: [head, leader]    # 应到会成员: everyone holding one of these posts that day
      chair: head                # 主持人, one of the members: speaks last (末位表态)
      observer: discipline_leader  # 列席监督, not a voter (optional)
      quorum: half               # half (more than half present) | two_thirds (干部任免)
      decisions: [approve, reject, return]

Counting (《中国共产党党组工作条例》第二十七条: “赞成票超过应到会党组成员半数为通过”):
the denominator of both the quorum and the vote is the members *expected*, never those
present.  ``half``: more than half of them take part; ``two_thirds``: two thirds or more
(“三分之二以上”, the number itself included).  Members who recuse themselves (回避) do not
take part and do not vote, but stay in the denominator.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from riskctl.core.errors import Text
from riskctl.core.inputs import NOT_TEXT, InputProblem, text_problem
from riskctl.core.inputs import day as parse_day

QUORUMS = ("half", "two_thirds")
QUORUM_LABELS = {"half": "过半数成员到会", "two_thirds": "三分之二以上成员到会"}
VIEWS = ("agree", "disagree", "defer")
VIEW_LABELS = {"agree": "同意", "disagree": "不同意", "defer": "缓议"}
MEETING_KEYS = frozenset({"members", "chair", "observer", "quorum"})
# Outcomes of a recorded meeting: more than half of the members expected agreed, or not.
APPROVED = "approved"
NOT_APPROVED = "not_approved"
OUTCOME_LABELS = {APPROVED: "通过", NOT_APPROVED: "未通过"}


_POST_CODE = _l("must be a post code")


@dataclass(frozen=True)
class MeetingSpec:
    members: tuple[str, ...]  # post codes
    chair: str
    observer: str | None = None
    quorum: str = "half"

    @property
    def posts(self) -> frozenset[str]:
        return frozenset({*self.members, self.chair, *([self.observer] if self.observer else [])})


def parse_meeting(
    raw: Mapping[str, Any], path: str, problem: Callable[[str, Any], None]
) -> MeetingSpec | None:
    """The meeting part of a node mapping; problems reported at ``{path}.{key}``."""
    members: list[str] = []
    raw_members = raw.get("members")
    if not isinstance(raw_members, list) or not raw_members:
        problem(f"{path}.members", _l("a meeting needs the posts of its members"))
    else:
        for j, post in enumerate(raw_members):
            if not isinstance(post, str) or not post:
                problem(f"{path}.members[{j}]", _POST_CODE)
            elif post in members:
                problem(f"{path}.members[{j}]", _l("post '%(post)s' is named twice", post=post))
            else:
                members.append(post)
    chair = raw.get("chair")
    if chair is None:
        problem(f"{path}.chair", _l("a meeting needs the post of its chair (who speaks last)"))
    elif not isinstance(chair, str) or not chair:
        problem(f"{path}.chair", _POST_CODE)
        chair = None
    elif members and chair not in members:
        problem(
            f"{path}.chair", _l("the chair '%(chair)s' must be one of the members", chair=chair)
        )
    observer = raw.get("observer")
    if observer is not None and (not isinstance(observer, str) or not observer):
        problem(f"{path}.observer", _POST_CODE)
        observer = None
    elif observer is not None and observer in members:
        problem(f"{path}.observer",
                _l("'%(post)s' observes and cannot also be a member", post=observer))  # fmt: skip
    quorum = raw.get("quorum", "half")
    if quorum not in QUORUMS:
        problem(f"{path}.quorum", _l("must be one of %(choices)s", choices=", ".join(QUORUMS)))
        quorum = "half"
    if not members or not isinstance(chair, str):
        return None
    return MeetingSpec(tuple(members), chair, observer, str(quorum))


# ---------------------------------------------------------------- counting


def quorum_met(rule: str, taking_part: int, expected: int) -> bool:
    """Whether enough members take part: ``half`` more than half of those expected,
    ``two_thirds`` two thirds or more."""
    if expected <= 0:
        return False
    if rule == "two_thirds":
        return taking_part * 3 >= expected * 2
    return taking_part * 2 > expected


def quorum_needed(rule: str, expected: int) -> int:
    """The fewest members taking part that make the quorum."""
    return next(n for n in range(expected + 1) if quorum_met(rule, n, expected)) if expected else 1


def passes(agree: int, expected: int) -> bool:
    """赞成票超过应到会成员半数: counted on the members expected, not those present."""
    return expected > 0 and agree * 2 > expected


@dataclass(frozen=True)
class Tally:
    quorum: str
    expected: int
    present: int  # members at the meeting, recused ones included
    taking_part: int  # present and not recused
    agree: int
    disagree: int
    defer: int

    @property
    def quorum_met(self) -> bool:
        return quorum_met(self.quorum, self.taking_part, self.expected)

    @property
    def passed(self) -> bool:
        return passes(self.agree, self.expected)

    @property
    def outcome(self) -> str:
        # The quorum does not change the count: a meeting short of it is recorded as it
        # happened and judged by the risk rule ``meeting_quorum_missing``.
        return APPROVED if self.passed else NOT_APPROVED


# ---------------------------------------------------------------- the record


@dataclass(frozen=True)
class Person:
    id: int
    username: str
    name: str


@dataclass(frozen=True)
class Roster:
    """Who the meeting concerns on its day, as the unit's posts say."""

    members: tuple[Person, ...]  # expected, in a stable order
    chairs: frozenset[int]  # members holding the chair post
    observers: tuple[Person, ...] = ()

    def by_username(self) -> dict[str, Person]:
        return {p.username: p for p in (*self.members, *self.observers)}


@dataclass(frozen=True)
class View:
    person_id: int
    view: str
    text: str


@dataclass(frozen=True)
class Record:
    held_on: date
    topics_sent_on: date | None
    present: frozenset[int]
    recused: Mapping[int, str]  # person → reason
    views: tuple[View, ...]  # in speaking order
    observers_present: frozenset[int]
    minutes: str
    decision: str | None  # asked for when the meeting did not approve

    def tally(self, quorum: str, expected: int) -> Tally:
        counts = {v: sum(1 for x in self.views if x.view == v) for v in VIEWS}
        taking_part = len(self.present - set(self.recused))
        return Tally(quorum, expected, len(self.present), taking_part, counts["agree"],
                     counts["disagree"], counts["defer"])  # fmt: skip


@dataclass(frozen=True)
class Problem:
    path: str
    message: Text  # put into words when read (riskctl.core.errors)


_RECORD_KEYS = frozenset({"held_on", "topics_sent_on", "present", "recused", "views",
                          "observers_present", "minutes", "decision"})  # fmt: skip


def read_record(
    raw: Any, roster: Roster, *, today: date, started_on: date | None = None
) -> tuple[Record | None, list[Problem]]:
    """A submitted meeting record checked against the roster; every problem with its
    path.  People are named by username."""
    problems: list[Problem] = []

    def bad(path: str, message: Any) -> None:
        problems.append(Problem(path, message))

    if not isinstance(raw, Mapping):
        return None, [Problem("meeting", _l("a meeting record is a mapping"))]
    for key in raw:
        if key not in _RECORD_KEYS:
            choices = ", ".join(sorted(_RECORD_KEYS))
            bad(f"meeting.{key}", _l("unknown key; expected one of %(choices)s", choices=choices))
    people = roster.by_username()
    members = {p.id for p in roster.members}
    observers = {p.id for p in roster.observers}

    def when(key: str, required: bool) -> date | None:
        value = raw.get(key)
        if value in (None, ""):
            if required:
                bad(f"meeting.{key}", _l("is required"))
            return None
        try:
            found = parse_day(value)
        except InputProblem as exc:
            bad(f"meeting.{key}", exc.message)
            return None
        if found > today:
            bad(f"meeting.{key}", _l("cannot be after today"))
        return found

    held_on = when("held_on", True)
    sent_on = when("topics_sent_on", False)
    if held_on and sent_on and sent_on > held_on:
        bad("meeting.topics_sent_on", _l("the topics cannot be sent after the meeting"))
    if held_on and started_on and held_on < started_on:
        bad("meeting.held_on", _l("the meeting cannot be before the item started"))

    def person(value: Any, path: str, among: set[int], what: Any) -> int | None:
        found = people.get(value) if isinstance(value, str) else None
        if found is None or found.id not in among:
            bad(path, _l("%(value)s is not %(what)s", value=repr(value), what=what))
            return None
        return found.id

    def names(key: str, among: set[int], what: Any) -> list[int]:
        value = raw.get(key, [])
        if not isinstance(value, list):
            bad(f"meeting.{key}", _l("must be a list of usernames"))
            return []
        found: list[int] = []
        for j, name in enumerate(value):
            pid = person(name, f"meeting.{key}[{j}]", among, what)
            if pid is not None and pid in found:
                bad(f"meeting.{key}[{j}]", _l("%(name)s is named twice", name=repr(name)))
            elif pid is not None:
                found.append(pid)
        return found

    present = names("present", members, _l("a member expected at this meeting"))
    if "present" not in raw:
        bad("meeting.present", _l("name the members present"))
    watching = names("observers_present", observers, _l("the meeting's observer"))
    recused: dict[int, str] = {}
    raw_recused = raw.get("recused", [])
    if not isinstance(raw_recused, list):
        bad("meeting.recused", _l("must be a list of {person, reason}"))
        raw_recused = []
    for j, entry in enumerate(raw_recused):
        path = f"meeting.recused[{j}]"
        if not isinstance(entry, Mapping):
            bad(path, _l("must be {person, reason}"))
            continue
        pid = person(entry.get("person"), f"{path}.person", members,
                     _l("a member of this meeting"))  # fmt: skip
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            bad(f"{path}.reason", _l("say why the member recuses"))
            reason = ""
        elif problem := text_problem(reason, single_line=True):
            bad(f"{path}.reason", problem)
        if pid is not None:
            if pid in recused:
                bad(f"{path}.person", _l("recused twice"))
            recused[pid] = str(reason).strip()[:200]
    views: list[View] = []
    raw_views = raw.get("views", [])
    if not isinstance(raw_views, list):
        bad("meeting.views", _l("must be a list of {person, view, text} in speaking order"))
        raw_views = []
    spoke: set[int] = set()
    for j, entry in enumerate(raw_views):
        path = f"meeting.views[{j}]"
        if not isinstance(entry, Mapping):
            bad(path, _l("must be {person, view, text}"))
            continue
        pid = person(entry.get("person"), f"{path}.person", set(present),
                     _l("a member present"))  # fmt: skip
        view = entry.get("view")
        if view not in VIEWS:
            bad(f"{path}.view", _l("must be agree, disagree or defer"))
        text = entry.get("text") or ""
        if not isinstance(text, str):
            bad(f"{path}.text", NOT_TEXT)
            text = ""
        elif problem := text_problem(text):
            bad(f"{path}.text", problem)
        if pid is None:
            continue
        if pid in recused:
            bad(f"{path}.person", _l("a member who recused does not state a view"))
        elif pid in spoke:
            bad(f"{path}.person", _l("one view per member"))
        elif view in VIEWS:
            spoke.add(pid)
            views.append(View(pid, str(view), text.strip()[:2000]))
    by_id = {p.id: p for p in roster.members}
    for pid in present:
        if pid not in spoke and pid not in recused:
            who = by_id[pid]
            bad("meeting.views", _l(
                "%(name)s (%(username)s) was present but stated no view: each member present "
                "states a clear view", name=who.name, username=who.username))  # fmt: skip
    minutes = raw.get("minutes")
    if not isinstance(minutes, str) or not minutes.strip():
        bad("meeting.minutes", _l("the minutes are required; dissent is stated in them"))
        minutes = ""
    elif problem := text_problem(minutes):
        bad("meeting.minutes", problem)
    decision = raw.get("decision")
    if decision is not None and not isinstance(decision, str):
        bad("meeting.decision", _l("must be a decision key"))
        decision = None
    if problems or held_on is None:
        return None, problems
    record = Record(
        held_on, sent_on, frozenset(present), recused, tuple(views), frozenset(watching),
        minutes.strip()[:20000], decision,
    )  # fmt: skip
    return record, problems


def decision_for(outcome: str, offered: Sequence[str], asked: str | None) -> tuple[str | None, Any]:
    """The node's decision that follows from a meeting's outcome, or a problem.

    Approved: ``approve``.  Not approved: the secretary's choice among the others
    (default ``return``, 缓议 — brought back later, else ``reject``)."""
    others = [d for d in offered if d != "approve"]
    if outcome == APPROVED:
        if asked not in (None, "approve"):
            return None, _l("the meeting approved: the node's decision is approve")
        return ("approve" if "approve" in offered else None), None
    if asked == "approve":
        return None, _l("the meeting did not approve: it cannot complete as approve")
    if asked is not None and asked not in others:
        return None, _l("choose one of: %(choices)s", choices=", ".join(others))
    if asked is None:
        asked = "return" if "return" in others else (others[0] if others else None)
    if asked is None:
        return None, _l("the meeting did not approve and this node offers no other way out")
    return asked, None
