"""Irregular handling (不规范办理): what the record shows was not done the normal way."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from riskctl.risk.evidence import Explanation, Words, say
from riskctl.risk.facts import HandlingFact, ScanData
from riskctl.risk.rules.base import Context, Material, Param, Rule, Signal, grow

_KINDS = (
    ("after_end", "severity_after_end", "事项办结后仍有办理记录（办结后修改或重新打开）"),
    ("untasked", "severity_untasked", "环节未经待办任务即被办结（管理员跳过环节）"),
    ("backdated", "severity_backdated", "办理记录的时间早于此前的记录（倒签）"),
)


_KINDS_EN = {
    "after_end": "Steps recorded after the item ended (changed or reopened after it ended)",
    "untasked": "Nodes completed without their task (skipped by an administrator)",
    "backdated": "Steps dated earlier than the record before them (back-dated)",
}
_KIND_SHORT = {
    "returns": ("退回次数过多", "returned too often"),
    "after_end": ("办结后仍有办理", "handled after it ended"),
    "untasked": ("环节被跳过", "node skipped"),
    "backdated": ("倒签", "back-dated"),
}


class IrregularHandling(Rule):
    code = "irregular_handling"
    material = (
        Material("returns", "more", "退回次数", "returns"),
        Material("steps", "more", "步骤数", "steps"),
    )
    name = "不规范办理"
    name_en = "Irregular handling"
    description = "事项被退回次数超过上限；办结后仍有修改或被重新打开；环节被跳过；办理记录被倒签。"
    description_en = (
        "An item returned more than N times; changed or reopened after it ended; a node "
        "completed without its task (skipped by an administrator); a step back-dated."
    )
    params: ClassVar[Mapping[str, Param]] = {
        "max_returns": Param(2, "int", "returns allowed before it is a warning"),
        "severity_returns": Param(30, "int", "at one return over the limit"),
        "per_extra_return": Param(10, "number"),
        "severity_after_end": Param(60, "int"),
        "severity_untasked": Param(60, "int"),
        "severity_backdated": Param(70, "int"),
    }

    # What the record shows does not un-happen: these events never close by themselves,
    # so each scan judges only the items that changed since the one before.
    sticky = True

    def collect(self, data: ScanData) -> list[HandlingFact]:
        return data.handling()

    def evaluate(self, facts: Sequence[HandlingFact], ctx: Context) -> list[Signal]:
        signals = []
        for fact in facts:
            params = ctx.params(fact.unit_id)
            over = fact.returns - int(params["max_returns"])
            if over > 0:
                signals.append(
                    self._signal(
                        fact, "returns",
                        grow(params["severity_returns"], params["per_extra_return"], over - 1),
                        {"returns": fact.returns, "max_returns": params["max_returns"]},
                    )
                )  # fmt: skip
            for kind, severity, what in _KINDS:
                count = getattr(fact, kind)
                if count > 0:
                    signals.append(
                        self._signal(
                            fact, kind, int(params[severity]), {"steps": count, "what": what}
                        )
                    )
        return signals

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w, kind = words, evidence.get("kind")
        if kind == "returns":
            n, limit = evidence.get("returns"), evidence.get("max_returns")
            return Explanation((say(w.t(f"事项被退回{n}次，超过允许的{limit}次。",
                                        f"The item was returned {n} times, more than the "
                                        f"{limit} allowed.")),))  # fmt: skip
        what = dict((k, t) for k, _s, t in _KINDS).get(str(kind), "")
        n = evidence.get("steps")
        if w.zh:
            return Explanation((say(f"{what or '不规范办理'}：共{n}条记录。"),))
        return Explanation((say(f"{_KINDS_EN.get(str(kind), 'Irregular handling')}: {n}."),))

    def subject_text(self, subject: str | None, evidence: Mapping[str, Any], words: Words) -> str:
        short = _KIND_SHORT.get(str(evidence.get("kind")))
        return words.t(*short) if short else ""

    def _signal(self, fact: HandlingFact, kind: str, severity: int, evidence: dict) -> Signal:  # type: ignore[type-arg]
        return Signal(
            self.code, fact.unit_id, severity, {"kind": kind, **evidence},
            item_id=fact.item_id, definition_id=fact.definition_id, subject=kind,
        )  # fmt: skip
