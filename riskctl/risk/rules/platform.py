"""Platform use: the seed's reported failure was pilot units that did not log in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from riskctl.risk.evidence import Explanation, Words, say
from riskctl.risk.facts import ScanData
from riskctl.risk.rules.base import Context, Material, Param, Rule, Signal, grow


@dataclass(frozen=True)
class UnitActivity:
    last_step: Mapping[int, datetime | None]
    opened: Mapping[int, datetime]


class PlatformUnused(Rule):
    code = "platform_unused"
    material = (Material("last_activity", "changed", "最近使用时间", "last activity"),)
    name = "平台未使用"
    name_en = "Platform not used"
    description = "单位连续若干个工作日没有在平台上办理任何事项（业务可能在线下办理）。"
    description_en = "A unit with no item processed in the platform for N working days."
    params: ClassVar[Mapping[str, Param]] = {
        "max_idle_working_days": Param(10, "int"),
        "severity": Param(30, "int", "one working day over"),
        "per_working_day": Param(3, "number"),
    }
    reach = "unit"
    daily = True
    # Idleness is counted in working days: judged once a day, in the full scan.
    incremental = False

    def collect(self, data: ScanData) -> UnitActivity:
        return UnitActivity(data.last_activity(), data.unit_opened())

    def evaluate(self, facts: UnitActivity, ctx: Context) -> list[Signal]:
        signals = []
        for unit_id, last in facts.last_step.items():
            since = last or facts.opened.get(unit_id)
            if since is None:
                continue
            params = ctx.params(unit_id)
            idle = ctx.calendar.working_days_between(ctx.calendar.local_date(since), ctx.today)
            over = idle - int(params["max_idle_working_days"])
            if over > 0:
                signals.append(
                    Signal(
                        self.code, unit_id,
                        grow(params["severity"], params["per_working_day"], over - 1),
                        {"last_activity": last.isoformat() if last else None,
                         "idle_working_days": idle,
                         "max_idle_working_days": params["max_idle_working_days"]},
                    )
                )  # fmt: skip
        return signals

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w = words
        idle = w.days(evidence.get("idle_working_days"), working=True)
        limit = w.days(evidence.get("max_idle_working_days"), working=True)
        last = evidence.get("last_activity")
        if last:
            first = w.t(
                f"本单位最近一次在平台上办理事项是{w.moment(last)}，",
                f"The unit last processed an item in the platform at {w.moment(last)}; ",
            )
        else:
            first = w.t(
                "本单位开通以来没有在平台上办理过任何事项，",
                "The unit has processed no item in the platform since it was opened; ",
            )
        return Explanation((
            say(first, w.t(f"已连续{idle}未使用平台，超过{limit}的上限（业务可能在线下办理）。",
                           f"{idle} without use, more than the {limit} allowed (the work may "
                           "be done offline).")),
        ))  # fmt: skip
