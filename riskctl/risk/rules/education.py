"""Study overdue (廉政教育): a person whose assigned study is past its due day.

The facts come from the education domain (``riskctl.education.statistics.overdue_facts``).
One warning per overdue assignment, about the person, with no item: its post is the one
that brought the person into the task's audience, so the post's risk value weighs the
score (a 出纳 or a 采购经办 late on the same study scores higher than a 经办人).  It closes
itself once the study is completed (a red waits for its disposition, as every red does).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

from riskctl.education.facts import OverdueStudy, changed_units, overdue_facts
from riskctl.risk.evidence import Explanation, Words, say
from riskctl.risk.facts import ScanData
from riskctl.risk.rules.base import UNIT_RULE, Context, Param, Rule, Signal, grow

PARTY_EDUCATION = (
    "《中国共产党党员教育管理工作条例》（党员应当参加党组织组织的学习教育）；单位廉政教育学习安排"
)


class EducationOverdue(Rule):
    code = "education_overdue"
    name = "廉政学习逾期未完成"
    name_en = "Integrity study overdue"
    description = (
        "被安排的廉政学习（阅读学习资料、通过测验）超过完成期限仍未完成；逾期工作日越多、"
        "所在岗位风险值越高，风险越高。完成学习后预警自动关闭。"
    )
    description_en = (
        "Assigned integrity study (reading the materials, passing the quiz) not completed by "
        "its due day; the more working days overdue and the riskier the post, the higher the "
        "score.  The warning closes itself once the study is completed."
    )
    # The study a unit or the commission assigns is its own arrangement: no article of a
    # law checked against its text (docs/legal_basis.md) says when it must be done.
    basis = UNIT_RULE
    params: ClassVar[Mapping[str, Param]] = {
        "severity": Param(25, "int", "one working day overdue (yellow at a neutral post)"),
        "per_working_day": Param(2, "number", "added per further working day overdue"),
        "max_severity": Param(45, "int", "the most it grows to (orange only at risky posts)"),
    }
    reach = "unit"
    daily = True  # lateness grows by working days: the first scan of each day is full

    def collect(self, data: ScanData) -> list[OverdueStudy]:
        scope = data.scope
        return overdue_facts(data.session, scope.at, data.today, scope.unit_ids)

    def changed_units(self, session: Any, since: datetime) -> frozenset[int]:
        return changed_units(session, since)

    def evaluate(self, facts: Sequence[OverdueStudy], ctx: Context) -> list[Signal]:
        signals = []
        for f in facts:
            late = ctx.calendar.working_days_between(f.due_on, ctx.today)
            if late <= 0:
                continue
            params = ctx.params(f.unit_id)
            severity = min(
                int(params["max_severity"]),
                grow(params["severity"], params["per_working_day"], late - 1),
            )
            signals.append(
                Signal(
                    self.code, f.unit_id, severity,
                    {"study_task": f.task_id, "study_title": f.title,
                     "due_on": f.due_on.isoformat(), "working_days_late": late,
                     "materials": f.materials, "materials_read": f.materials_read,
                     "has_quiz": f.has_quiz, "best_score": f.best_score,
                     "quiz_passed": f.is_passed},
                    person_id=f.person_id, post=f.post, subject=f"study:{f.assignment_id}",
                )
            )  # fmt: skip
        return signals

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w = words
        title = evidence.get("study_title") or w.t("学习任务", "a study task")
        due, late = w.date(evidence.get("due_on")), evidence.get("working_days_late")
        read, total = evidence.get("materials_read"), evidence.get("materials")
        if not evidence.get("has_quiz"):
            quiz = w.t("", "")
        elif evidence.get("quiz_passed"):
            quiz = w.t("测验已通过。", " The quiz is passed.")
        elif evidence.get("best_score") is not None:
            score = evidence.get("best_score")
            quiz = w.t(f"测验尚未通过（最好成绩{score}分）。",
                       f" The quiz is not passed yet (best score {score}).")  # fmt: skip
        else:
            quiz = w.t("尚未参加测验。", " The quiz is not taken yet.")
        return Explanation((
            say(w.t(f"学习任务「{title}」应于{due}前完成，已逾期{w.days(late, working=True)}；"
                    f"学习资料已读{read}份，共{total}份。{quiz}",
                    f"The study task “{title}” was due by {due} and is "
                    f"{w.days(late, working=True)} overdue; {read} of {total} materials "
                    f"read.{quiz}")),
        ))  # fmt: skip

    def subject_text(self, subject: str | None, evidence: Mapping[str, Any], words: Words) -> str:
        title = evidence.get("study_title")
        return words.t(f"学习任务「{title}」", f"study task “{title}”") if title else ""
