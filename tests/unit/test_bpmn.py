"""BPMN 2.0 in and out (issue 22): every shipped template survives the way out and back,
other tools' files map to riskctl's nodes, what riskctl cannot run is refused element by
element, and hostile files are refused before anything is read.  No database, no app."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from riskctl.process import bpmn, expressions
from riskctl.process.compare import compare
from riskctl.process.definition import parse
from riskctl.process.layout import Layout, Link, Shape, automatic
from riskctl.process.services import templates
from riskctl.process.validation import validate

CORPUS = Path(__file__).parents[1] / "bpmn"
POSTS = {"purchaser": "采购经办", "leader": "分管领导", "finance_reviewer": "财务审核",
         "section_chief": "科室负责人", "cashier": "出纳", "handler": "经办人",
         "asset_keeper": "资产管理"}  # fmt: skip
NS = {"bpmn": bpmn.BPMN, "bpmndi": bpmn.BPMNDI, "riskctl": bpmn.RISKCTL}


def corpus(name: str) -> bpmn.Imported:
    return bpmn.import_bpmn((CORPUS / name).read_bytes(), posts=POSTS)


def refused(imported: bpmn.Imported) -> dict[str, str]:
    return {f.element: str(f.message) for f in imported.refused}


# ---------------------------------------------------------------- riskctl's own, both ways


@pytest.mark.parametrize("template", templates(), ids=lambda t: t.key)
def test_every_template_comes_back_from_bpmn_as_the_same_definition(template):
    text = bpmn.export_bpmn(template.raw)
    imported = bpmn.import_bpmn(text)
    assert imported.refused == () and imported.notes == ()
    before, problems_before = parse(template.raw)
    after, problems_after = parse(imported.raw)
    assert problems_before == problems_after == []
    assert after == before
    assert validate(imported.raw).ok


@pytest.mark.parametrize("template", templates(), ids=lambda t: t.key)
def test_an_export_draws_every_node_edge_and_pair(template):
    root = ET.fromstring(bpmn.export_bpmn(template.raw))
    raw = template.raw
    drawn = {e.get("bpmnElement") for e in root.iter(f"{{{bpmn.BPMNDI}}}BPMNShape")}
    assert drawn == {n["key"] for n in raw["nodes"]}
    lines = {e.get("bpmnElement") for e in root.iter(f"{{{bpmn.BPMNDI}}}BPMNEdge")}
    assert lines == {f"Flow_{i}" for i in range(len(raw["edges"]))} | {
        f"Pair_{i}" for i in range(len(raw.get("incompatible", [])))
    }
    process = root.find("bpmn:process", NS)
    assert process.get(f"{{{bpmn.RISKCTL}}}key") == raw["key"]


def test_the_attributes_are_written_in_riskctls_namespace():
    raw = next(t for t in templates() if t.key == "major_decision").raw
    root = ET.fromstring(bpmn.export_bpmn(raw))
    meeting = root.find(".//bpmn:userTask[@id='meeting']", NS)
    assert meeting.get(f"{{{bpmn.RISKCTL}}}post") == "archivist"
    assert meeting.get(f"{{{bpmn.RISKCTL}}}limit") == "10wd"
    settings = meeting.find("bpmn:extensionElements/riskctl:meeting", NS)
    assert settings.get("members") == "head leader" and settings.get("chair") == "head"
    assert [d.get("key") for d in meeting.iterfind(".//riskctl:decision", NS)] == [
        "approve", "reject", "return",
    ]  # fmt: skip
    pair = root.find(".//bpmn:association", NS)
    assert pair.get(f"{{{bpmn.RISKCTL}}}mode") in ("block", "flag")


def test_a_layout_goes_out_and_comes_back_with_the_definition():
    raw = next(t for t in templates() if t.key == "contract").raw
    drawn = bpmn.import_bpmn(bpmn.export_bpmn(raw)).layout
    moved = Layout(
        {k: (x + 17, y + 3, w, h) for k, (x, y, w, h) in drawn.nodes.items()},
        {i: [(x + 1, y) for x, y in points] for i, points in drawn.edges.items()},
    )
    again = bpmn.import_bpmn(bpmn.export_bpmn(raw, moved)).layout
    assert again.nodes == moved.nodes and again.edges == moved.edges
    assert Layout.from_json(again.as_json()).nodes == moved.nodes


def test_a_layout_that_misses_a_node_is_drawn_anew():
    raw = next(t for t in templates() if t.key == "contract").raw
    partial = Layout({raw["nodes"][0]["key"]: (0.0, 0.0, 36.0, 36.0)})
    text = bpmn.export_bpmn(raw, partial)
    assert bpmn.import_bpmn(text).layout.nodes.keys() == {n["key"] for n in raw["nodes"]}


def test_a_draft_with_problems_is_exported_as_it_stands():
    raw = copy.deepcopy(next(t for t in templates() if t.key == "contract").raw)
    raw["nodes"][1]["post"] = "nobody"
    raw["nodes"].append({"key": "orphan", "name": "孤立环节"})
    back = bpmn.import_bpmn(bpmn.export_bpmn(raw)).raw
    assert back["nodes"][1]["post"] == "nobody"
    assert back["nodes"][-1] == {"key": "orphan", "name": "孤立环节"}


def test_a_custom_decision_without_a_label_stays_without_one():
    raw = yaml.safe_load("""
key: tiny
name: 小流程
nodes:
  - {key: s, kind: start}
  - {key: t, name: 办理, post: handler, decisions: [approve, escalate]}
  - {key: e, kind: end}
edges: [[s, t], [t, e]]
""")
    back = bpmn.import_bpmn(bpmn.export_bpmn(raw)).raw
    assert back["nodes"][1]["decisions"] == ["approve", "escalate"]
    assert [p.path for p in validate(back).problems] == ["nodes[1].decisions[1]"]


# ---------------------------------------------------------------- conditions


@pytest.mark.parametrize(
    ("when", "text"),
    [
        ({"field": "amount", "op": ">=", "value": "1000000"}, 'amount >= "1000000"'),
        ({"field": "method", "op": "in", "value": ["询价", "单一来源"]},
         'method in ["询价", "单一来源"]'),
        ({"field": "method", "op": "not_in", "value": ["询价"]}, 'method not in ["询价"]'),
        ({"decision": "approve"}, 'decision == "approve"'),
        ({"decision": ["reject", "return"]}, 'decision in ["reject", "return"]'),
        ({"field": "urgent", "op": "==", "value": True}, "urgent == true"),
        ({"all": [{"field": "n", "op": ">", "value": 3},
                  {"any": [{"decision": "pass"}, {"field": "ok", "op": "!=", "value": False}]}]},
         'n > 3 and (decision == "pass" or ok != false)'),
    ],
)  # fmt: skip
def test_a_condition_is_written_as_an_expression_and_read_back(when, text):
    assert expressions.render(when) == text
    types = {"amount": "money", "method": "choice", "urgent": "bool", "n": "int", "ok": "bool"}
    assert expressions.read(text, types) == when


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("${amount >= 100000 && urgent}", {"all": [
            {"field": "amount", "op": ">=", "value": "100000"},
            {"field": "urgent", "op": "==", "value": True}]}),
        ("${amount ge 100000 or !urgent}", {"any": [
            {"field": "amount", "op": ">=", "value": "100000"},
            {"field": "urgent", "op": "!=", "value": True}]}),
        ('=method = "询价" and amount > 5000.5', {"all": [
            {"field": "method", "op": "==", "value": "询价"},
            {"field": "amount", "op": ">", "value": "5000.5"}]}),
        ("1000 <= amount", {"field": "amount", "op": ">=", "value": "1000"}),
        ("0 < n < 10", {"all": [{"field": "n", "op": ">", "value": 0},
                                {"field": "n", "op": "<", "value": 10}]}),
        ("not (method in ['询价'])", {"field": "method", "op": "not_in", "value": ["询价"]}),
        ("", None),
    ],
)  # fmt: skip
def test_other_tools_conditions_are_translated(text, when):
    assert expressions.read(text, {"amount": "money", "method": "choice", "n": "int"}) == when


@pytest.mark.parametrize(
    "text",
    [
        "${approvalService.check(execution)}",
        "amount * 2 > 10",
        "x.y == 1",
        "decision != 'a'",
        "__import__('os')",
        "amount >= other",
        "true",
        "(" * 300 + "a" + ")" * 300,
        "a ==",
        "method in 3",
    ],
)
def test_a_condition_that_cannot_be_translated_says_so(text):
    with pytest.raises(expressions.ExpressionProblem):
        expressions.read(text, {"amount": "money"})


# ---------------------------------------------------------------- other tools' files


def test_a_camunda_7_file_maps_tasks_gateways_groups_and_conditions():
    imported = corpus("camunda7_purchase.bpmn")
    assert imported.refused == ()
    raw = imported.raw
    assert raw["key"] == "purchase_request" and raw["name"] == "小额采购"
    assert raw["description"] == "采购申请、审批、会签、付款"
    kinds = {n["key"]: (n.get("kind", "task"), n.get("post")) for n in raw["nodes"]}
    assert kinds == {
        "startevent_1": ("start", None), "task_request": ("task", "purchaser"),
        "gateway_amount": ("exclusive", None), "task_leader": ("task", "leader"),
        "gateway_split": ("parallel", None), "task_finance": ("task", "finance_reviewer"),
        "task_chief": ("task", "section_chief"), "gateway_join": ("join", None),
        "task_pay": ("task", "cashier"), "endevent_1": ("end", None),
    }  # fmt: skip
    edges = {(e["from"], e["to"]): e for e in raw["edges"]}
    # The merging gateway is gone: its ways in lead straight on, and a note says so.
    assert ("gateway_amount", "gateway_split") in edges and edges[
        ("gateway_amount", "gateway_split")]["default"] is True  # fmt: skip
    assert ("task_leader", "gateway_split") in edges
    assert [n.element for n in imported.notes] == ["Gateway_Merge"]
    assert edges[("gateway_amount", "task_leader")]["when"] == {"all": [
        {"field": "amount", "op": ">=", "value": 100000},
        {"field": "urgent", "op": "==", "value": True}]}  # fmt: skip
    assert imported.layout.nodes["task_pay"] == (1120.0, 80.0, 100.0, 80.0)
    # Nothing is silent: the fields the conditions test are not declared, said on the way.
    problems = validate(raw, POSTS).problems
    assert {imported.element_of(p.path) for p in problems} == {"Flow_Large"}


def test_a_camunda_8_file_reads_zeebe_groups_and_feel():
    imported = corpus("camunda8_review.bpmn")
    raw = imported.raw
    assert raw["key"] == "contract-review"
    assert [n.get("post") for n in raw["nodes"]] == [None, "handler", None, "section_chief",
                                                     "section_chief", None]  # fmt: skip
    assert raw["edges"][2]["when"] == {
        "any": [
            {"field": "kind", "op": "==", "value": "工程"},
            {"field": "amount", "op": ">", "value": 500000},
        ]
    }
    assert raw["edges"][3]["default"] is True


def test_lanes_name_posts_by_name_and_an_unknown_lane_is_a_problem_at_its_task():
    imported = corpus("bpmnio_lanes.bpmn")
    raw = imported.raw
    assert raw["name"] == "差旅报销"  # the pool's name
    assert [n.get("post") for n in raw["nodes"] if "kind" not in n] == [
        "handler", "finance_reviewer", "后勤保障组"]  # fmt: skip
    assert [(n.element, n.name) for n in imported.notes] == [("Note_1", "")]
    problems = validate(raw, POSTS).problems
    assert [(p.path, imported.element_of(p.path)) for p in problems] == [
        ("nodes[3].post", "Ledger")]  # fmt: skip
    assert "后勤保障组" in str(problems[0].message)


def test_a_spiffworkflow_file_reads_python_conditions_and_refuses_its_script():
    imported = corpus("spiff_approval.bpmn")
    assert refused(imported).keys() == {"notify"}
    assert [n.get("post") for n in imported.raw["nodes"] if "kind" not in n] == [
        "handler", "asset_keeper"]  # fmt: skip


def test_every_element_riskctl_cannot_run_is_listed_with_what_to_do():
    imported = corpus("refused.bpmn")
    found = refused(imported)
    assert set(found) == {
        "msg_start", "deadline", "wait", "tell", "script", "service", "send", "receive",
        "rules", "inclusive", "events", "complex", "sub", "call", "each", "again",
        "error_end", "f2",
    }  # fmt: skip
    assert "time limit" in found["deadline"] and "time limit" in found["wait"]
    assert "user task" in found["script"] and "exclusive gateway" in found["inclusive"]
    assert "parallel split" in found["each"]
    names = {f.element: f.name for f in imported.refused}
    assert names["deadline"] == "三天未办" and names["call"] == "调用采购流程"
    assert all(f.as_dict()["path"] == f.element for f in imported.refused)


@pytest.mark.parametrize(
    ("name", "said"),
    [("billion_laughs.bpmn", "DTD"), ("external_entity.bpmn", "DTD")],
)
def test_hostile_files_are_refused_before_anything_is_read(name, said):
    with pytest.raises(bpmn.Unreadable) as refusal:
        bpmn.import_bpmn((CORPUS / name).read_bytes())
    assert refusal.value.status == 422 and said in str(refusal.value.message)


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"this is not xml", 422),
        (b"<html><body>not bpmn</body></html>", 422),
        (b"", 422),
        (b"<x>" + b"a" * 3000 + b"</x>", 413),
        ('<?xml version="1.0"?><bpmn:definitions xmlns:bpmn="' + bpmn.BPMN + '">'
         + "<bpmn:process id='a'><bpmn:task id='t'/></bpmn:process>"
         + "<bpmn:process id='b'><bpmn:task id='u'/></bpmn:process></bpmn:definitions>", 422),
    ],
)  # fmt: skip
def test_a_file_that_is_not_one_bpmn_process_is_refused_clearly(data, status):
    with pytest.raises(bpmn.Unreadable) as refusal:
        bpmn.import_bpmn(data, max_bytes=2048)
    assert refusal.value.status == status and str(refusal.value.message)


# ---------------------------------------------------------------- layout and comparison


def test_the_automatic_layout_goes_left_to_right_with_the_default_way_straight_on():
    raw = next(t for t in templates() if t.key == "procurement").raw
    layout = bpmn.import_bpmn(bpmn.export_bpmn(raw)).layout
    boxes = layout.nodes

    def centre(key):
        x, y, w, h = boxes[key]
        return x + w / 2, y + h / 2

    assert centre("request")[0] < centre("review")[0] < centre("budget_check")[0]
    # by_method's default way (tender_docs) goes straight on; the others go below.
    assert centre("tender_docs")[1] == centre("by_method")[1] == centre("start")[1]
    assert centre("inquiry")[1] > centre("by_method")[1]
    cells = {(round(centre(k)[0]), round(centre(k)[1])) for k in boxes}
    assert len(cells) == len(boxes)  # no two boxes drawn on one another


def test_a_join_is_placed_after_every_branch_it_waits_for():
    layout = automatic(
        [Shape("s", "start"), Shape("p", "parallel"), Shape("a", "task"), Shape("b", "task"),
         Shape("b2", "task"), Shape("j", "join"), Shape("e", "end")],
        [Link("s", "p"), Link("p", "a"), Link("p", "b"), Link("b", "b2"), Link("a", "j"),
         Link("b2", "j"), Link("j", "e")],
    )  # fmt: skip
    x = {k: b[0] for k, b in layout.nodes.items()}
    assert x["j"] > x["b2"] > x["b"] and x["e"] > x["j"]


def test_versions_are_compared_element_by_element():
    old = next(t for t in templates() if t.key == "contract").raw
    new = copy.deepcopy(old)
    new["nodes"][1]["limit"] = "9wd"
    new["nodes"].insert(2, {"key": "extra", "name": "补充审查", "post": "legal"})
    removed = new["nodes"].pop()
    new["edges"] = [e for e in new["edges"] if removed["key"] not in (
        e[1] if isinstance(e, list) else e["to"])]  # fmt: skip
    new["edges"].append(["extra", new["nodes"][3]["key"]])
    changes = compare(old, new)
    assert changes.new[new["nodes"][1]["key"]] == "changed"
    assert changes.new["extra"] == "added"
    assert changes.old[removed["key"]] == "removed"
    assert changes.new[f"Flow_{len(new['edges']) - 1}"] == "added"
    assert compare(old, copy.deepcopy(old)).same
