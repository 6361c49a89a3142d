"""不相容岗位: control hits scored, and the cross-item pair no single check can see."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import sqlalchemy as sa

from riskctl.core import inputs
from riskctl.risk.evidence import Explanation, Words, say
from riskctl.risk.facts import HitFact, ItemFact, ScanData, StepFact
from riskctl.risk.rules.base import INTERNAL_CONTROL, Context, Material, Param, Rule, Signal
from riskctl.workflow import rule_fields
from riskctl.workflow.models import Item

_SEVERITY = {"dynamic": "severity_dynamic", "static": "severity_static",
             "conflict_of_interest": "severity_conflict"}  # fmt: skip


class IncompatiblePosts(Rule):
    code = "incompatible_posts"
    basis = INTERNAL_CONTROL
    material = (Material("control_hit", "new", "控制记录", "control record"),)
    name = "不相容岗位未分离"
    name_en = "Incompatible duties not separated"
    description = (
        "同一人办理了同一事项中不相容的两个环节、同时在岗两个不相容岗位，或与事项相对方存在"
        "申报的利害关系（标记模式放行的控制命中）。已有缓释措施的命中只留痕、不计分。"
    )
    description_en = (
        "One person did two incompatible steps of an item, holds two incompatible posts, or "
        "declared a relation to the item's counterparty (hits let through in flag mode). "
        "Hits under a valid mitigation stay visible but score nothing."
    )
    params: ClassVar[Mapping[str, Param]] = {
        "severity_dynamic": Param(70, "int", "same person on both nodes of one item"),
        "severity_static": Param(60, "int", "one person holding two incompatible posts"),
        "severity_conflict": Param(80, "int", "declared relation to the counterparty"),
    }
    can_freeze = True

    def collect(self, data: ScanData) -> list[HitFact]:
        hits = data.control_hits()
        return with_pair_basis(hits, _pair_bases(data, hits))

    def evaluate(self, facts: Sequence[HitFact], ctx: Context) -> list[Signal]:
        signals = []
        for hit in facts:
            mitigated = hit.outcome == "mitigated"
            params = ctx.params(hit.unit_id, ctx.calendar.local_date(hit.at))
            severity = 0 if mitigated else int(params[_SEVERITY[hit.kind]])
            signals.append(
                Signal(
                    self.code, hit.unit_id, severity,
                    {"control_hit": hit.id, "kind": hit.kind, "control_rule": hit.rule,
                     "control_rule_name": hit.rule_name, "outcome": hit.outcome,
                     "mitigated": mitigated, "at": hit.at.isoformat(), **hit.evidence},
                    item_id=hit.item_id, definition_id=hit.definition_id, node=hit.node,
                    person_id=hit.person_id, subject=hit.rule,
                )
            )  # fmt: skip
        return signals

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w, kind = words, evidence.get("kind")
        name = str(evidence.get("control_rule_name") or "")
        named = w.t(f"（{name}）", f" ({name})") if name else ""
        sentences = []
        if kind == "dynamic":
            nodes = [n for n in evidence.get("nodes") or [] if isinstance(n, str)]
            pair = w.t("与", " and ").join(w.node(n) for n in nodes) or w.t("两个环节", "two steps")
            sentences.append(say(w.t(f"同一人办理了本事项中不相容的两个环节：{pair}{named}。",
                                     f"One person completed two incompatible steps of this "
                                     f"item: {pair}{named}.")))  # fmt: skip
            if evidence.get("earlier_step") is not None:
                sentences.append(
                    say(
                        w.t("此前办理的步骤：", "The earlier step: "),
                        w.step(evidence.get("earlier_step")),
                        w.t("。", "."),
                    )
                )
        elif kind == "static":
            posts = w.t("与", " and ").join(f"「{w.post(p)}」" for p in evidence.get("posts") or [])
            sentences.append(
                say(
                    w.t(
                        f"同一人同时在岗两个不相容岗位：{posts}{named}。",
                        f"One person holds two incompatible posts: {posts}{named}.",
                    )
                )
            )
        elif kind == "conflict_of_interest":
            declared, relation = evidence.get("declared"), evidence.get("relation")
            value = evidence.get("item_value")
            sentences.append(say(w.t(
                f"办理人申报与「{declared}」存在{relation}关系，本事项的相对方为「{value}」，"
                "仍办理了本环节。",
                f"The person who did this step declared a relation ({relation}) to "
                f"{declared}; the item's counterparty is {value}.")))  # fmt: skip
        else:
            sentences.append(say(w.t(f"控制规则命中{named}。", f"A control rule was hit{named}.")))
        at = w.moment(evidence.get("at"))
        outcome = evidence.get("outcome")
        if evidence.get("mitigated") or outcome == "mitigated":
            sentences.append(say(w.t(f"该命中（{at}）有有效的缓释措施，只留痕、不计分。",
                                     f"The hit ({at}) is under a valid mitigation: it stays "
                                     "on record and scores nothing.")))  # fmt: skip
        elif outcome == "refused":
            sentences.append(say(w.t(f"{at}的办理被拒绝。", f"Refused at {at}.")))
        else:
            sentences.append(say(w.t(f"控制规则为标记模式，{at}的办理被放行并留痕。",
                                     f"The control is in flag mode: let through at {at} "
                                     "and recorded.")))  # fmt: skip
        return Explanation(tuple(sentences))

    def subject_text(self, subject: str | None, evidence: Mapping[str, Any], words: Words) -> str:
        return str(evidence.get("control_rule_name") or "")


def _pair_bases(data: ScanData, hits: Sequence[HitFact]) -> dict[tuple[int, str], str]:
    """(definition id, pair code) → the pair's own basis, for the versions the dynamic
    hits were made under (a version published before pairs had a basis gives none)."""
    from riskctl.process.services import published_by_id

    bases: dict[tuple[int, str], str] = {}
    versions = {h.definition_id for h in hits if h.kind == "dynamic" and h.definition_id}
    for definition_id in sorted(versions):
        for rule in published_by_id(data.session, definition_id).definition.rules:
            if rule.basis:
                bases[(definition_id, rule.code)] = rule.basis
    return bases


def with_pair_basis(hits: Sequence[HitFact], bases: Mapping[tuple[int, str], str]) -> list[HitFact]:
    """Dynamic hits with ``pair_basis`` in their evidence: the warning cites the pair's
    own basis (a law and article, or 单位内部管理规定（良好实践）) rather than the rule's."""
    found = []
    for hit in hits:
        basis = bases.get((hit.definition_id or 0, str(hit.evidence.get("rule", ""))))
        found.append(replace(hit, evidence={**hit.evidence, "pair_basis": basis}) if basis else hit)
    return found


@dataclass(frozen=True)
class LinkedItems:
    procurements: dict[int, ItemFact]
    contracts: list[ItemFact]
    steps: dict[int, list[StepFact]]


class CrossItemIncompatible(Rule):
    code = "cross_item_incompatible"
    basis = INTERNAL_CONTROL
    material = (Material("requirement_step", "new", "需求步骤", "requirement step"),)
    name = "跨事项不相容岗位"
    name_en = "Incompatible duties across linked items"
    description = (
        "同一人提出了采购需求，又在关联的合同事项中验收了该采购的货物或服务"
        "（事项通过合同的“关联采购事项”相连）。"
    )
    description_en = (
        "The same person wrote a procurement requirement and accepted the goods or services "
        "of that procurement's contract in another item (linked by the contract's "
        "procurement reference)."
    )
    params: ClassVar[Mapping[str, Param]] = {
        "requirement_nodes": Param(
            ["request"], "text_list", "procurement nodes that write the requirement"
        ),
        "acceptance_nodes": Param(["perform"], "text_list", "contract nodes that accept the goods"),
        "link_field": Param(
            ["procurement_ref"], "text_list", "contract fields naming the procurement item"
        ),
        "severity": Param(70, "int"),
    }  # fmt: skip
    can_freeze = True
    reads = ("contract", "procurement")
    fields = ("procurement_ref",)  # the default link field; another is read from the JSON

    def collect(self, data: ScanData) -> LinkedItems:
        # The acceptance on the contract comes after the requirement on the procurement,
        # so the contract's change is the one to judge (item reach).
        links = sorted({f for fs in data.values(self.code, "link_field") for f in fs})
        # A link field that is not kept typed (a policy naming another) needs the JSON.
        raw = not set(links) <= rule_fields.FIELDS.keys()
        read = data.items("contract", raw=True) if raw else data.items_for(self, "contract")
        contracts = [c for c in read if _refs(c, links)]
        if not contracts:
            return LinkedItems({}, [], {})
        named = sorted({r for c in contracts for r in _refs(c, links)})
        procurements: dict[int, ItemFact] = {}
        for n in range(0, len(named), 5000):  # the procurements they name, by id
            chunk = named[n : n + 5000]
            found = data.items(
                "procurement", where=Item.id.in_(chunk), name=f"{self.code}:{n}:{chunk}",
                narrow=False,
            )  # fmt: skip
            procurements.update((p.id, p) for p in found)
        refs = {c.id: _refs(c, links) & procurements.keys() for c in contracts}
        wanted = {cid for cid, found in refs.items() if found} | set().union(*refs.values())
        return LinkedItems(procurements, contracts, data.steps(wanted) if wanted else {})

    def candidates(self, data: ScanData) -> Any:
        links = sorted({f for fs in data.values(self.code, "link_field") for f in fs})
        if not set(links) <= rule_fields.FIELDS.keys():
            return None  # a link field kept only in the JSON: read it all
        return sa.or_(sa.false(), *[getattr(Item, f"f_{f}").is_not(None) for f in links])

    def evaluate(self, facts: LinkedItems, ctx: Context) -> list[Signal]:
        signals = []
        for contract in facts.contracts:
            params = ctx.params(contract.unit_id, contract.started_day)
            for ref in sorted(_refs(contract, params["link_field"])):
                procurement = facts.procurements.get(ref)
                if procurement is None:
                    continue
                wrote = {
                    s.person_id: s for s in facts.steps.get(ref, [])
                    if s.kind == "complete" and s.node in params["requirement_nodes"]
                }  # fmt: skip
                for step in facts.steps.get(contract.id, []):
                    if step.kind != "complete" or step.node not in params["acceptance_nodes"]:
                        continue
                    requirement = wrote.get(step.person_id)
                    if requirement is None:
                        continue
                    signals.append(
                        Signal(
                            self.code, contract.unit_id, int(params["severity"]),
                            {"procurement_item": ref, "requirement_step": requirement.id,
                             "requirement_node": requirement.node,
                             "requirement_at": requirement.at.isoformat(),
                             "acceptance_step": step.id, "acceptance_at": step.at.isoformat()},
                            item_id=contract.id, definition_id=contract.definition_id,
                            node=step.node, person_id=step.person_id, subject=f"item:{ref}",
                        )
                    )  # fmt: skip
        return signals

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w = words
        return Explanation((
            say(w.t("同一人在采购事项", "The same person wrote the requirement of procurement "),
                w.item(evidence.get("procurement_item")),
                w.t(f"中提出了采购需求（{w.moment(evidence.get('requirement_at'))}，",
                    f" ({w.moment(evidence.get('requirement_at'))}, "),
                w.step(evidence.get("requirement_step")),
                w.t("），又在本合同事项中验收了该采购的货物或服务（",
                    ") and accepted the goods or services of its contract in this item ("),
                w.moment(evidence.get("acceptance_at")), w.t("，", ", "),
                w.step(evidence.get("acceptance_step")), w.t("）。", ").")),
        ))  # fmt: skip

    def subject_text(self, subject: str | None, evidence: Mapping[str, Any], words: Words) -> str:
        ref = evidence.get("procurement_item")
        return words.t(f"关联采购事项 #{ref}", f"linked procurement #{ref}") if ref else ""


def _refs(item: ItemFact, names: Any) -> set[int]:
    """The item ids a reference field names; a value stored before references were
    checked ("²", 20 digits) is no reference, and never stops the scan."""
    refs = set()
    for name in names:
        value = item.fields.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool):
            try:
                refs.add(inputs.whole_number(str(value), minimum=1, maximum=inputs.ID_MAX))
            except inputs.InputProblem:
                continue
    return refs
