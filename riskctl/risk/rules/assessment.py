"""Performance evaluations that lost points where money is controlled: a unit signal.

The facts come from the assessment's own service (``riskctl.assessment.services.
points_lost``): for every unit's latest final evaluation, the indicators its framework
marks ``signal: true`` (公用经费控制率, "三公经费"控制率, 资金使用合规性 in the seed's
framework) that scored below their maximum, and a deduction applied (重大资金违纪).  The
rule judges them like any other: severity grows with the share of the points lost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from riskctl.assessment.services import PointsLost, points_lost
from riskctl.risk.evidence import Explanation, Words, say
from riskctl.risk.facts import ScanData
from riskctl.risk.rules.base import Context, Material, Param, Rule, Signal, grow


class AssessmentPointsLost(Rule):
    code = "assessment_points_lost"
    basis = (
        "《预算法》第十三条（经人民代表大会批准的预算，非经法定程序，不得调整）；绩效评价指标体系"
    )
    material = (Material("score", "changed", "得分", "score"),)
    name = "绩效评价失分"
    name_en = "Points lost in a performance evaluation"
    description = (
        "单位最近一次部门整体支出绩效评价中，控制资金的指标（如“三公经费”控制率、公用经费控制率）"
        "失分，或有重大资金违纪扣分。"
    )
    description_en = (
        "A unit's latest performance evaluation lost points on an indicator that controls "
        "money (三公 spending, public funds against their budget), or was deducted for a "
        "major breach of funds discipline."
    )
    params: ClassVar[Mapping[str, Param]] = {
        "severity": Param(30, "int", "a point lost"),
        "per_percent_lost": Param(0.4, "number", "per percent of the indicator's points"),
        "deduction_severity": Param(90, "int", "a deduction applied (重大资金违纪)"),
    }
    reach = "unit"
    incremental = False  # judged in full scans: an evaluation changes seldom

    def collect(self, data: ScanData) -> list[PointsLost]:
        return points_lost(data.session, data.scope.at)

    def evaluate(self, facts: Sequence[PointsLost], ctx: Context) -> list[Signal]:
        signals = []
        for f in facts:
            params = ctx.params(f.unit_id)
            deducted = f.deduction
            lost = f.max - f.score
            share = float(lost / f.max * 100) if f.max else 100.0
            severity = (
                int(params["deduction_severity"])
                if deducted
                else grow(params["severity"], params["per_percent_lost"], share)
            )
            signals.append(
                Signal(
                    self.code,
                    f.unit_id,
                    severity,
                    {
                        "evaluation_id": f.evaluation_id,
                        "year": f.year,
                        "indicator": f.indicator,
                        "indicator_name": f.name,
                        "max": _text(f.max),
                        "score": _text(f.score),
                        "rate": f.rate,
                        "deduction": deducted,
                    },
                    subject=f"{f.framework}:{f.year}:{f.indicator}",
                )
            )
        return signals

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w = words
        year, name = evidence.get("year"), evidence.get("indicator_name")
        if evidence.get("deduction"):
            return Explanation(
                (
                    say(
                        w.t(
                            f"{year}年度部门整体支出绩效评价因“{name}”扣减{evidence.get('max')}分。",
                            f"The {year} performance evaluation deducted {evidence.get('max')} "
                            f"points for {name}.",
                        ),
                    ),
                )
            )
        rate = evidence.get("rate")
        at = w.t(f"（比率{rate}%）", f" (rate {rate}%)") if rate else ""
        return Explanation(
            (
                say(
                    w.t(
                        f"{year}年度部门整体支出绩效评价中，“{name}”{at}得{evidence.get('score')}分，"
                        f"满分{evidence.get('max')}分。",
                        f"In the {year} performance evaluation, {name}{at} scored "
                        f"{evidence.get('score')} of {evidence.get('max')} points.",
                    )
                ),
            )
        )

    def subject_text(self, subject: str | None, evidence: Mapping[str, Any], words: Words) -> str:
        year, name = evidence.get("year"), evidence.get("indicator_name")
        return words.t(f"{year}年度·{name}", f"{year} · {name}")


def _text(value: Any) -> str:
    text = f"{float(value):.2f}"
    return text[:-3] if text.endswith(".00") else text
