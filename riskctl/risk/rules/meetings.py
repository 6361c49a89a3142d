"""三重一大 meetings: how the collective decision was taken, as its record shows.

The facts come from the meeting records (``riskctl.meetings.services.meeting_facts``),
read once per scan and shared by these rules.  A record never changes, so every rule
here is sticky: its findings are facts of the record and never close by themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import sqlalchemy as sa

from riskctl.meetings import spec
from riskctl.meetings.services import MeetingFact, items_with_meetings, meeting_facts
from riskctl.risk.evidence import Explanation, Part, Words, say
from riskctl.risk.facts import ItemFact, ScanData
from riskctl.risk.rules.base import UNIT_RULE, Context, Material, Param, Rule, Signal

# Verified in docs/legal_basis.md §14; 重大行政决策程序暂行条例 binds only 县级以上地方人民
# 政府, so for other units it is cited as 参照; the 2019 选拔任用条例's article is unverified.
LAST_SPEAKER = (
    "《中国共产党党组工作条例》第二十七条（表决实行主持人末位表态制）；参照《重大行政决策程序"
    "暂行条例》第三十条第二款（行政首长最后发表意见）；干部任免：《党政领导干部选拔任用工作"
    "条例》（党委（党组）主要负责人应当最后表态，2019年版条号未核实）"
)
QUORUM = (
    "干部任免：《党政领导干部选拔任用工作条例》（必须有三分之二以上成员到会，2019年版条号"
    "未核实）；其他事项过半数到会为单位内部管理规定（党组会议法定人数的条款原文未找到）"
)
COLLECTIVE = (
    "《中国共产党党组工作条例》第二十七条（赞成票超过应到会党组成员半数为通过）；参照《重大"
    "行政决策程序暂行条例》第三十条第一款、第三款（集体讨论，如实记录，不同意见如实载明）"
)


def meetings(data: ScanData) -> list[MeetingFact]:
    """The meetings recorded on the items in scope up to the scan's time (once per scan)."""
    scope = data.scope
    return data._once(  # the scan's shared cache: one read for every rule here
        "meetings", lambda: meeting_facts(data.session, scope.at, scope.item_ids)
    )


def _signal(rule: Rule, m: MeetingFact, severity: int, evidence: Mapping[str, Any],
            person: int | None = None, subject: str | None = None) -> Signal:  # fmt: skip
    return Signal(
        rule.code, m.unit_id, severity,
        {"meeting": m.id, "held_on": m.held_on.isoformat(), **evidence},
        item_id=m.item_id, definition_id=m.definition_id, node=m.node,
        person_id=person if person is not None else m.recorded_by_id,
        subject=subject or f"meeting:{m.id}",
    )  # fmt: skip


def _at(evidence: Mapping[str, Any], w: Words) -> tuple[Part, ...]:
    """Where it happened: 2026年11月3日召开的「集体决策」会议上."""
    held = w.date(evidence.get("held_on"))
    return say(
        w.t(f"{held}召开的", f"At the meeting of {held} ("),
        w.meeting(evidence.get("meeting")),
        w.t("上，", "), "),
    )


def _subject(evidence: Mapping[str, Any], w: Words) -> str:
    held = w.date(evidence.get("held_on"))
    return w.t(f"{held}的会议", f"meeting of {held}")


_VIEWS = {"agree": ("同意", "agreed"), "disagree": ("不同意", "disagreed"),
          "defer": ("缓议", "asked to defer")}  # fmt: skip
_QUORUMS = {"half": ("过半数", "more than half"), "two_thirds": ("三分之二以上", "two thirds")}


class _MeetingRule(Rule):
    def subject_text(self, subject: str | None, evidence: Mapping[str, Any], words: Words) -> str:
        return _subject(evidence, words)


class ChairNotLast(_MeetingRule):
    code = "meeting_chair_not_last"
    basis = LAST_SPEAKER
    name = "主持人未末位表态"
    name_en = "Chair did not speak last"
    description = "集体决策会议上，主持人（主要负责人）没有最后发表意见；率先表态的情形更重。"
    description_en = (
        "At a collective-decision meeting the chair (the head) did not speak last; speaking "
        "first, before the members, weighs more."
    )
    params: ClassVar[Mapping[str, Param]] = {
        "severity": Param(60, "int", "the chair spoke, but not last"),
        "severity_first": Param(75, "int", "the chair spoke first, before other members"),
    }
    sticky = True

    def collect(self, data: ScanData) -> list[MeetingFact]:
        return meetings(data)

    def evaluate(self, facts: Sequence[MeetingFact], ctx: Context) -> list[Signal]:
        signals = []
        for m in facts:
            order = [s.person_id for s in m.speakers]
            spoke = [n for n, s in enumerate(m.speakers) if s.is_chair]
            if not spoke or len(order) < 2 or m.speakers[-1].is_chair:
                continue
            params = ctx.params(m.unit_id, m.held_on)
            first = spoke[0] == 0
            severity = int(params["severity_first" if first else "severity"])
            chair = m.speakers[spoke[0]].person_id
            signals.append(
                _signal(self, m, severity,
                        {"chair_position": spoke[0] + 1, "speakers": len(order),
                         "spoke_first": first}, person=chair)
            )  # fmt: skip
        return signals

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w = words
        n, of = evidence.get("chair_position"), evidence.get("speakers")
        first = evidence.get("spoke_first")
        return Explanation(
            (
                say(
                    _at(evidence, w),
                    w.t(
                        f"主持人在{of}位表态成员中第{n}位发言{'，率先表态' if first else ''}，"
                        "没有最后发表意见。",
                        f"the chair spoke {'first' if first else f'as number {n}'} of {of}, "
                        "not last.",
                    ),
                ),
            )
        )


class QuorumMissing(_MeetingRule):
    code = "meeting_quorum_missing"
    basis = QUORUM
    name = "会议未达到法定人数"
    name_en = "Meeting without a quorum"
    description = (
        "参加讨论的成员（到会且未回避）未达到会议节点规定的人数：过半数，或干部任免的三分之二以上；"
        "以应到会成员计。"
    )
    description_en = (
        "Fewer members took part (present, not recused) than the node's quorum: more than "
        "half, or two thirds for cadre appointments — counted on the members expected."
    )
    params: ClassVar[Mapping[str, Param]] = {
        "severity": Param(70, "int"),
        "severity_decided": Param(85, "int", "the meeting approved all the same"),
    }
    sticky = True

    def collect(self, data: ScanData) -> list[MeetingFact]:
        return meetings(data)

    def evaluate(self, facts: Sequence[MeetingFact], ctx: Context) -> list[Signal]:
        signals = []
        for m in facts:
            if spec.quorum_met(m.quorum, m.taking_part, m.expected):
                continue
            params = ctx.params(m.unit_id, m.held_on)
            decided = m.outcome == spec.APPROVED
            signals.append(
                _signal(self, m, int(params["severity_decided" if decided else "severity"]),
                        {"quorum": m.quorum, "expected": m.expected, "present": m.present,
                         "taking_part": m.taking_part,
                         "needed": spec.quorum_needed(m.quorum, m.expected),
                         "outcome": m.outcome})
            )  # fmt: skip
        return signals

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w = words
        rule = w.t(*_QUORUMS.get(str(evidence.get("quorum")), ("法定人数", "the quorum")))
        expected, present = evidence.get("expected"), evidence.get("present")
        taking, needed = evidence.get("taking_part"), evidence.get("needed")
        decided = evidence.get("outcome") == spec.APPROVED
        return Explanation((
            say(_at(evidence, w), w.t(
                f"应到会{expected}人，实到{present}人，参加讨论（未回避）{taking}人，未达到{rule}的"
                f"法定人数（至少{needed}人）{'，会议仍作出通过的决定' if decided else ''}。",
                f"{expected} members expected, {present} present, {taking} taking part (not "
                f"recused): short of the quorum of {rule} (at least {needed})"
                f"{'; the meeting approved all the same' if decided else ''}.")),
        ))  # fmt: skip


class TopicsLate(_MeetingRule):
    code = "meeting_topics_late"
    name = "会议议题未提前送达"
    name_en = "Topics not sent in advance"
    description = "集体决策会议的议题和材料没有按规定提前送达与会成员（或没有送达记录）。"
    description_en = (
        "The topics and papers of a collective-decision meeting reached the members fewer "
        "than N days before it (or no date is recorded)."
    )
    params: ClassVar[Mapping[str, Param]] = {
        "days": Param(1, "int", "calendar days between sending the topics and the meeting"),
        "severity": Param(30, "int", "sent late"),
        "severity_unrecorded": Param(40, "int", "no date recorded"),
    }
    sticky = True

    def collect(self, data: ScanData) -> list[MeetingFact]:
        return meetings(data)

    def evaluate(self, facts: Sequence[MeetingFact], ctx: Context) -> list[Signal]:
        signals = []
        for m in facts:
            params = ctx.params(m.unit_id, m.held_on)
            days = int(params["days"])
            if m.topics_sent_on is None:
                signals.append(
                    _signal(self, m, int(params["severity_unrecorded"]),
                            {"topics_sent_on": None, "days": days})
                )  # fmt: skip
                continue
            ahead = (m.held_on - m.topics_sent_on).days
            if ahead < days:
                signals.append(
                    _signal(self, m, int(params["severity"]),
                            {"topics_sent_on": m.topics_sent_on.isoformat(), "days_ahead": ahead,
                             "days": days})
                )  # fmt: skip
        return signals

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w = words
        days = w.days(evidence.get("days"))
        sent = evidence.get("topics_sent_on")
        if sent is None:
            what = w.t(f"没有议题和材料送达与会成员的记录（应至少提前{days}送达）。",
                       f"no record of the topics and papers reaching the members (due {days} "
                       "ahead).")  # fmt: skip
        else:
            ahead = w.days(evidence.get("days_ahead"))
            what = w.t(f"议题和材料于{w.date(sent)}送达，仅提前{ahead}，少于规定的{days}。",
                       f"the topics and papers reached the members {w.date(sent)}, {ahead} "
                       f"ahead, fewer than the {days} required.")  # fmt: skip
        return Explanation((say(_at(evidence, w), what),))


@dataclass(frozen=True)
class Interests:
    meetings: list[MeetingFact]
    # item → the values of its counterparty fields (涉及单位或人员)
    counterparties: dict[int, list[str]] = field(default_factory=dict)
    # person → their declarations (counterparty, relation)
    declared: dict[int, list[tuple[str, str]]] = field(default_factory=dict)


class InterestedMemberVoted(_MeetingRule):
    code = "meeting_interested_member_voted"
    basis = UNIT_RULE
    material = (Material("member", "new", "表态成员", "member"),)
    name = "利害关系成员未回避"
    name_en = "Interested member voted"
    description = "申报了与议题涉及单位或人员存在利害关系的成员，没有回避，仍参加了表态。"
    description_en = (
        "A member who declared a relation to the party the topic concerns stated a view "
        "instead of recusing."
    )
    params: ClassVar[Mapping[str, Param]] = {"severity": Param(80, "int")}
    sticky = True

    def collect(self, data: ScanData) -> Interests:
        from riskctl.org.models import ConflictOfInterest
        from riskctl.process.services import published_by_id

        found = [m for m in meetings(data) if m.speakers]
        if not found:
            return Interests([])
        counterparties: dict[int, list[str]] = {}
        fields_of: dict[int, tuple[str, ...]] = {}
        for m in found:
            if m.definition_id not in fields_of:
                definition = published_by_id(data.session, m.definition_id).definition
                fields_of[m.definition_id] = definition.counterparty_fields
        items = _item_fields(data, {m.item_id for m in found})
        for m in found:
            values = items.get(m.item_id, {})
            counterparties[m.item_id] = [
                str(values[k])
                for k in fields_of[m.definition_id]
                if values.get(k) not in (None, "")
            ]
        voters = sorted({s.person_id for m in found for s in m.speakers})
        declared: dict[int, list[tuple[str, str]]] = {}
        rows = data.session.execute(
            sa.select(ConflictOfInterest.person_id, ConflictOfInterest.counterparty,
                      ConflictOfInterest.relation, ConflictOfInterest.declared_on)
            .where(ConflictOfInterest.person_id.in_(voters or [-1]))
        )  # fmt: skip
        for pid, counterparty, relation, declared_on in rows:
            if declared_on <= data.today:
                declared.setdefault(pid, []).append((counterparty, relation))
        return Interests(found, counterparties, declared)

    def evaluate(self, facts: Interests, ctx: Context) -> list[Signal]:
        from riskctl.controls.services import interest_matches

        signals = []
        for m in facts.meetings:
            values = facts.counterparties.get(m.item_id, [])
            if not values:
                continue
            params = ctx.params(m.unit_id, m.held_on)
            for speaker in m.speakers:
                if speaker.person_id in m.recused:
                    continue
                matches = interest_matches(facts.declared.get(speaker.person_id, []), values)
                if not matches:
                    continue
                counterparty, relation, value = matches[0]
                signals.append(
                    _signal(self, m, int(params["severity"]),
                            {"member": speaker.person_id, "view": speaker.view,
                             "declared": counterparty, "relation": relation,
                             "item_value": value},
                            person=speaker.person_id,
                            subject=f"meeting:{m.id}:{speaker.person_id}")
                )  # fmt: skip
        return signals

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w = words
        member = w.person(evidence.get("member"))
        declared, relation = evidence.get("declared"), evidence.get("relation")
        value = evidence.get("item_value")
        view = w.t(*_VIEWS.get(str(evidence.get("view")), ("表态", "stated a view")))
        return Explanation((
            say(_at(evidence, w), w.t(
                f"成员{member}申报与「{declared}」存在{relation}关系，议题涉及「{value}」，该成员没有"
                f"回避，仍表态{view}。",
                f"member {member}, who declared a relation ({relation}) to {declared}, did "
                f"not recuse on a topic concerning {value} and {view}.")),
        ))  # fmt: skip


def _item_fields(data: ScanData, item_ids: set[int]) -> dict[int, dict[str, Any]]:
    from riskctl.workflow.models import Item

    rows = data.session.execute(
        sa.select(Item.id, Item.fields).where(Item.id.in_(sorted(item_ids) or [-1]))
    )
    return {r[0]: dict(r[1] or {}) for r in rows}


class DecisionWithoutMeeting(Rule):
    code = "major_decision_without_meeting"
    basis = COLLECTIVE
    name = "三重一大事项未经会议决策"
    name_en = "Major decision without a meeting"
    description = "“三重一大”事项已办结，却没有集体决策会议记录（由一人点击或会签办结）。"
    description_en = (
        "A major-decision item completed without any meeting record (decided by one "
        "person's click or a countersign)."
    )
    params: ClassVar[Mapping[str, Param]] = {
        "categories": Param(
            ["major_decision"], "text_list", "process categories decided in a meeting"
        ),
        "severity": Param(80, "int"),
    }  # fmt: skip
    sticky = True
    reads = ("major_decision",)

    def collect(self, data: ScanData) -> list[ItemFact]:
        categories = sorted({c for cs in data.values(self.code, "categories") for c in cs})
        items = [i for c in categories for i in data.items(c) if i.status == "completed"]
        met = items_with_meetings(data.session, (i.id for i in items), data.scope.at)
        return [i for i in items if i.id not in met]

    def evaluate(self, facts: Sequence[ItemFact], ctx: Context) -> list[Signal]:
        signals = []
        for item in facts:
            params = ctx.params(item.unit_id, item.started_day)
            if item.category not in params["categories"] or item.status != "completed":
                continue
            signals.append(
                Signal(
                    self.code, item.unit_id, int(params["severity"]),
                    {"process": item.process, "category": item.category},
                    item_id=item.id, definition_id=item.definition_id,
                    person_id=item.started_by_id,
                )
            )  # fmt: skip
        return signals

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        return Explanation((
            say(words.t("本“三重一大”事项已办结，但没有集体决策会议记录（由一人点击或会签办结）。",
                        "This major-decision item was completed without any meeting record "
                        "(decided by one person's click or a countersign).")),
        ))  # fmt: skip
