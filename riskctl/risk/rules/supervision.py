"""Talks and the supervision ledger: a talk not held by its day (谈话逾期未开展), a
rectification not verified by its deadline (整改逾期未销号).

The facts come from the supervision module (``riskctl.supervision.facts``), read once per
scan.  Lateness is counted in working days, so both rules are judged once a day, in the
day's first (full) scan; a talk held or a finding verified meanwhile closes its warning
there (a red waits for its disposition, as every red does).

A talk or a finding that follows a disposition through names the warning it came from
and who disposed it (``disposed_by``): its own warning is told to them as well
(``notify_also``), so that whoever ordered the talk learns that it was not held.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from riskctl.risk.evidence import Explanation, Words, citations, say
from riskctl.risk.facts import ScanData
from riskctl.risk.rules.base import Context, Material, Param, Rule, Signal, grow
from riskctl.supervision.facts import FindingFact, TalkFact, open_findings, open_talks

KINDS = {
    "collective": ("集体廉政谈话", "collective integrity talk"),
    "pre_appointment": ("任前廉政谈话", "pre-appointment integrity talk"),
    "reminder_talk": ("谈话提醒", "reminder talk"),
    "letter_inquiry": ("约谈函询", "talk or letter of inquiry"),
    "admonishment": ("诫勉谈话", "admonishment talk"),
}
SOURCES = {
    "patrol": ("巡察", "patrol"),
    "inspection": ("督查", "supervision check"),
    "audit": ("审计", "audit"),
    "special_check": ("专项检查", "special inspection"),
    "risk_warning": ("风险预警", "risk warning"),
}
DISPOSITIONS = {
    "reminder_talk": ("谈话提醒", "a reminder talk"),
    "letter_inquiry": ("约谈函询", "a talk or letter of inquiry"),
    "admonishment": ("诫勉", "admonishment"),
    "rectification": ("责令整改／督办", "an order to rectify"),
}


def _people(*values: Any) -> set[int]:
    found: set[int] = set()
    for value in values:
        for one in value if isinstance(value, list | tuple) else [value]:
            if isinstance(one, int) and not isinstance(one, bool):
                found.add(one)
    return found


def _ordered_by(evidence: Mapping[str, Any], w: Words) -> str:
    """…（预警 #12 处置为谈话提醒，处置人：刘红（区纪委·监察员））"""
    event, disposition = evidence.get("risk_event"), evidence.get("disposition")
    if not isinstance(event, int) or isinstance(event, bool):
        return ""
    what = DISPOSITIONS.get(str(disposition))
    by = w.person(evidence.get("disposed_by"))
    if w.zh:
        how = f"{what[0]}；" if what else ""
        return f"此项系落实预警 #{event} 的处置（{how}处置人：{by}）。"
    how = f" with {what[1]}" if what else ""
    return f"It follows through the disposition of warning #{event}{how}, made by {by}."


class _FollowUpRule(Rule):
    # Whoever disposed the warning a follow-up came from is told of its lateness too.
    notify_also = ("disposed_by",)
    # Lateness grows by days: judged in the day's first (full) scan.
    daily = True
    incremental = False
    reach = "unit"

    def cites(self, evidence: Mapping[str, Any]) -> dict[str, set[int]]:
        found = citations(evidence)
        found["people"] |= _people(
            evidence.get("talker"), evidence.get("subjects"), evidence.get("responsible"),
            evidence.get("disposed_by"),
        )  # fmt: skip
        return found


class TalkOverdue(_FollowUpRule):
    code = "talk_overdue"
    name = "谈话逾期未开展"
    name_en = "Talk not held by its day"
    description = (
        "计划的谈话（集体廉政谈话、任前廉政谈话、谈话提醒、约谈函询、诫勉谈话）过了应谈日期仍未开展；"
        "严重程度随逾期的工作日数增加，落实预警处置的谈话更重。"
    )
    description_en = (
        "A planned talk (collective, pre-appointment, reminder, inquiry, admonishment) not "
        "held by its day; severity grows with working days late, and weighs more for a talk "
        "a warning's disposition ordered."
    )
    params: ClassVar[Mapping[str, Param]] = {
        "base": Param(30, "int", "severity on its first working day late"),
        "per_working_day": Param(5, "number", "added for each working day late"),
        "follow_up_extra": Param(10, "int", "added when a warning's disposition ordered it"),
    }
    material = (Material("due_on", "changed", "应谈日期", "due day"),)

    def collect(self, data: ScanData) -> list[TalkFact]:
        return data._once("talks_open", lambda: open_talks(data.session, data.scope.at, data.today))

    def evaluate(self, facts: Sequence[TalkFact], ctx: Context) -> list[Signal]:
        signals = []
        for talk in facts:
            if talk.due_on >= ctx.today:
                continue
            params = ctx.params(talk.unit_id)
            late = max(ctx.calendar.working_days_between(talk.due_on, ctx.today), 0)
            extra = int(params["follow_up_extra"]) if talk.risk_event_id else 0
            evidence: dict[str, Any] = {
                "talk": talk.id, "kind": talk.kind, "due_on": talk.due_on.isoformat(),
                "days_late": (ctx.today - talk.due_on).days, "working_days_late": late,
                "talker": talk.talker_id, "subjects": list(talk.subject_ids),
            }  # fmt: skip
            if talk.risk_event_id is not None:
                evidence |= {"risk_event": talk.risk_event_id, "disposition": talk.disposition,
                             "disposed_by": talk.disposed_by_id}  # fmt: skip
            signals.append(
                Signal(
                    self.code, talk.unit_id,
                    grow(int(params["base"]) + extra, params["per_working_day"], max(late, 1) - 1),
                    evidence, person_id=talk.talker_id, subject=f"talk:{talk.id}",
                )
            )  # fmt: skip
        return signals

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w = words
        kind = KINDS.get(str(evidence.get("kind")), ("谈话", "talk"))
        due = w.date(evidence.get("due_on"))
        days, late = evidence.get("days_late"), evidence.get("working_days_late")
        subjects = [w.person(p) for p in evidence.get("subjects") or []]
        first = say(w.t(
            f"「{kind[0]}」应于{due}前开展，已逾期{w.days(days)}（{w.days(late, working=True)}）"
            "仍未开展。",
            f"The {kind[1]} was due by {due}; it is {w.days(days)} late "
            f"({w.days(late, working=True)}) and still not held.",
        ))  # fmt: skip
        second = say(w.t(
            f"谈话人：{w.person(evidence.get('talker'))}；谈话对象：{'、'.join(subjects) or '—'}。",
            f"Talker: {w.person(evidence.get('talker'))}; talked to: "
            f"{', '.join(subjects) or '—'}.",
        ))  # fmt: skip
        sentences = [first, second]
        if ordered := _ordered_by(evidence, w):
            sentences.append(say(ordered))
        return Explanation(tuple(sentences))

    def subject_text(self, subject: str | None, evidence: Mapping[str, Any], words: Words) -> str:
        kind = KINDS.get(str(evidence.get("kind")), ("谈话", "talk"))
        due = words.date(evidence.get("due_on"))
        return words.t(f"{kind[0]}（应于{due}前）", f"{kind[1]} (due {due})")


class RectificationOverdue(_FollowUpRule):
    code = "rectification_overdue"
    name = "整改逾期未销号"
    name_en = "Rectification past its deadline"
    description = (
        "督查工作台账中的问题过了整改时限仍未销号（整改完成后按期申请销号、等待核查的除外）；"
        "严重程度随逾期的工作日数增加，落实预警处置的整改更重。"
    )
    description_en = (
        "A finding of the supervision ledger not verified and closed by its deadline (unless "
        "its rectification was reported done in time and awaits verification); severity grows "
        "with working days late, and weighs more for a rectification a disposition ordered."
    )
    params: ClassVar[Mapping[str, Param]] = {
        "base": Param(30, "int", "severity on its first working day late"),
        "per_working_day": Param(3, "number", "added for each working day late"),
        "follow_up_extra": Param(10, "int", "added when a warning's disposition ordered it"),
    }
    material = (Material("deadline", "changed", "整改时限", "deadline"),)

    def collect(self, data: ScanData) -> list[FindingFact]:
        calendar = data.calendar
        day = calendar.local_date if calendar is not None else (lambda m: m.date())
        return data._once(
            "findings_open", lambda: open_findings(data.session, data.scope.at, data.today, day)
        )

    def evaluate(self, facts: Sequence[FindingFact], ctx: Context) -> list[Signal]:
        signals = []
        for finding in facts:
            if finding.deadline >= ctx.today:
                continue
            if finding.submitted_on is not None and finding.submitted_on <= finding.deadline:
                continue  # done in time: the inspectors' verification is awaited
            params = ctx.params(finding.unit_id)
            late = max(ctx.calendar.working_days_between(finding.deadline, ctx.today), 0)
            extra = int(params["follow_up_extra"]) if finding.risk_event_id else 0
            evidence: dict[str, Any] = {
                "finding": finding.id, "source": finding.source,
                "description": finding.description[:200],
                "deadline": finding.deadline.isoformat(),
                "days_late": (ctx.today - finding.deadline).days, "working_days_late": late,
                "responsible": finding.responsible_id,
            }  # fmt: skip
            if finding.risk_event_id is not None:
                evidence |= {"risk_event": finding.risk_event_id,
                             "disposition": finding.disposition,
                             "disposed_by": finding.disposed_by_id}  # fmt: skip
            signals.append(
                Signal(
                    self.code, finding.unit_id,
                    grow(int(params["base"]) + extra, params["per_working_day"], max(late, 1) - 1),
                    evidence, person_id=finding.responsible_id, subject=f"finding:{finding.id}",
                )
            )  # fmt: skip
        return signals

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w = words
        source = SOURCES.get(str(evidence.get("source")), ("督查", "supervision check"))
        deadline = w.date(evidence.get("deadline"))
        days, late = evidence.get("days_late"), evidence.get("working_days_late")
        what = str(evidence.get("description") or "—")
        responsible = evidence.get("responsible")
        who = (
            w.person(responsible)
            if responsible
            else w.t("（未指定，由责任单位负责）", "(the unit)")
        )
        sentences = [
            say(w.t(
                f"督查工作台账的问题「{what}」（来源：{source[0]}）整改时限为{deadline}，"
                f"已逾期{w.days(days)}（{w.days(late, working=True)}）仍未销号。",
                f"The ledger's finding “{what}” (from a {source[1]}) was to be rectified by "
                f"{deadline}; it is {w.days(days)} late ({w.days(late, working=True)}) and "
                "still not closed.",
            )),
            say(w.t(f"责任人：{who}。", f"Responsible: {who}.")),
        ]  # fmt: skip
        if ordered := _ordered_by(evidence, w):
            sentences.append(say(ordered))
        return Explanation(tuple(sentences))

    def subject_text(self, subject: str | None, evidence: Mapping[str, Any], words: Words) -> str:
        what = str(evidence.get("description") or "")
        short = what if len(what) <= 30 else what[:29] + "…"
        deadline = words.date(evidence.get("deadline"))
        return words.t(f"「{short}」（时限{deadline}）", f"“{short}” (deadline {deadline})")
