"""Validation of process definitions: every problem is reported with its path."""

import copy

import pytest
import yaml

from riskctl.process.validation import validate

API_EXAMPLE = yaml.safe_load("""
key: small-purchase
name: 小额采购
category: procurement
risk: 4
fields:
  - {key: amount, label: 金额, type: money, required: true}
  - {key: supplier, label: 供应商, type: text}
  - {key: bidders, label: 投标人数, type: int}
nodes:
  - {key: start, kind: start}
  - {key: request, name: 采购需求, post: purchaser, limit: 2wd, risk: 3, edits: [amount, supplier]}
  - {key: approve, name: 需求审批, post: section_chief, limit: 1wd, decisions: [approve, reject]}
  - {key: route, kind: exclusive}
  - {key: leader, name: 分管领导审批, post: leader, limit: 2wd, risk: 4}
  - {key: sign, name: 合同签订, post: purchaser, limit: 30d}
  - {key: accept, name: 验收, post: acceptor, limit: 5wd}
  - {key: end, kind: end}
edges:
  - [start, request]
  - [request, approve]
  - {from: approve, to: request, when: {decision: reject}}
  - {from: approve, to: route, when: {decision: approve}}
  - {from: route, to: leader, when: {field: amount, op: ">=", value: "100000"}}
  - {from: route, to: sign, default: true}
  - [leader, sign]
  - [sign, accept]
  - [accept, end]
incompatible:
  - {nodes: [request, approve], mode: block}
  - {nodes: [sign, accept], mode: flag}
""")

COUNTERSIGN = yaml.safe_load("""
key: countersign
name: 会签
category: major_decision
fields: [{key: summary, label: 议题, type: text}]
nodes:
  - {key: start, kind: start}
  - {key: propose, name: 议题提出, post: handler}
  - {key: split, kind: parallel}
  - {key: a, name: 分管领导会签, post: leader}
  - {key: b, name: 财务会签, post: finance_reviewer}
  - {key: join, kind: join}
  - {key: decide, name: 集体决策, post: head, decisions: [approve, reject]}
  - {key: done, kind: end}
  - {key: refused, kind: end, result: rejected}
edges:
  - [start, propose]
  - [propose, split]
  - [split, a]
  - [split, b]
  - [a, join]
  - [b, join]
  - [join, decide]
  - {from: decide, to: done, when: {decision: approve}}
  - {from: decide, to: refused, when: {decision: reject}}
incompatible:
  - {nodes: [a, b], mode: block}
""")

POSTS = {"purchaser", "section_chief", "leader", "acceptor", "handler", "finance_reviewer", "head"}


def problems(raw, posts=POSTS):
    return {(p.path, p.message) for p in validate(raw, posts).problems}


def paths(raw, posts=POSTS):
    return {path for path, _ in problems(raw, posts)}


def edited(base, change):
    raw = copy.deepcopy(base)
    change(raw)
    return raw


def test_the_api_example_is_valid():
    result = validate(API_EXAMPLE, POSTS)
    assert result.ok, result.problems
    assert result.definition.node_map["sign"].limit.unit == "d"


def test_a_countersign_is_valid_and_its_join_waits_for_both_branches():
    result = validate(COUNTERSIGN, POSTS)
    assert result.ok, result.problems
    assert result.definition.join_width == {"join": 2}


def test_every_problem_is_reported_at_once_with_its_path():
    def break_it(raw):
        raw["nodes"][1]["post"] = "nobody"  # unknown post
        raw["nodes"][2]["limit"] = "3 weeks"  # bad limit
        raw["nodes"].append({"key": "request", "name": "重复", "post": "leader"})  # duplicate
        raw["edges"][4]["when"]["op"] = "≈"  # bad operator
        raw["incompatible"][1]["nodes"] = ["sign", "ghost"]  # unknown node

    found = paths(edited(API_EXAMPLE, break_it))
    assert {
        "nodes[1].post",
        "nodes[2].limit",
        "nodes[8].key",
        "edges[4].when.op",
        "incompatible[1].nodes[1]",
    } <= found


def test_unknown_post_names_the_post():
    raw = edited(API_EXAMPLE, lambda r: r["nodes"][4].update(post="mayor"))
    assert ("nodes[4].post", "unknown post 'mayor'") in problems(raw)


def test_posts_are_not_checked_when_no_unit_is_given():
    raw = edited(API_EXAMPLE, lambda r: r["nodes"][4].update(post="mayor"))
    assert validate(raw, None).ok


def test_unreachable_node():
    def orphan(raw):
        raw["nodes"].append({"key": "orphan", "name": "孤立", "post": "leader"})
        raw["edges"].append(["orphan", "end"])

    raw = edited(API_EXAMPLE, orphan)
    assert any("unreachable" in m for p, m in problems(raw) if p == "nodes[8]")


def test_node_with_no_path_to_an_end():
    def trap(raw):
        raw["nodes"].append({"key": "trap", "name": "死循环", "post": "leader"})
        raw["edges"][6] = ["leader", "trap"]
        raw["edges"].append(["trap", "leader"])

    found = problems(edited(API_EXAMPLE, trap))
    assert any(p == "nodes[4]" and "no path to an end" in m for p, m in found)
    assert any(p == "nodes[8]" and "no path to an end" in m for p, m in found)


def test_exclusive_gateway_without_a_default_branch():
    below = {"field": "amount", "op": "<", "value": "100000"}
    raw = edited(API_EXAMPLE, lambda r: r["edges"].__setitem__(
        5, {"from": "route", "to": "sign", "when": below}))  # fmt: skip
    assert ("nodes[3]", "exclusive gateway without a default branch") in problems(raw)


def test_condition_on_an_unknown_field():
    raw = edited(API_EXAMPLE, lambda r: r["edges"][4]["when"].update(field="price"))
    assert ("edges[4].when.field", "unknown field 'price'") in problems(raw)


@pytest.mark.parametrize(
    ("when", "path"),
    [
        ({"field": "supplier", "op": ">", "value": "x"}, "edges[4].when.op"),
        ({"field": "amount", "op": ">=", "value": "lots"}, "edges[4].when.value"),
        ({"field": "amount", "op": "in", "value": "100"}, "edges[4].when.value"),
        ({"field": "amount", "op": ">="}, "edges[4].when.value"),
        ({"any": []}, "edges[4].when.any"),
        ({"all": [{"field": "amount", "op": "~", "value": "1"}]}, "edges[4].when.all[0].op"),
        ({"field": "amount", "op": ">=", "value": "1", "extra": 1}, "edges[4].when.extra"),
        ({"decision": "maybe"}, "edges[4].when"),
    ],
)
def test_bad_conditions_are_named(when, path):
    raw = edited(API_EXAMPLE, lambda r: r["edges"][4].update(when=when))
    assert path in paths(raw)


def test_a_decision_a_task_does_not_offer():
    raw = edited(API_EXAMPLE, lambda r: r["edges"][2].update(when={"decision": "return"}))
    found = problems(raw)
    assert ("edges[2].when", "'approve' does not offer decision 'return'") in found
    # and 'reject' now leads nowhere
    assert any(p == "nodes[2]" and "reject" in m for p, m in found)


def test_bad_time_limits():
    for bad in ("3 weeks", "0wd", "wd", "3.5d", 3, "99999h"):
        raw = edited(API_EXAMPLE, lambda r, b=bad: r["nodes"][1].update(limit=b))
        assert "nodes[1].limit" in paths(raw), bad


def test_duplicate_keys_of_fields_nodes_and_rules():
    def dup(raw):
        raw["fields"].append({"key": "amount", "label": "又一个金额", "type": "money"})
        raw["incompatible"].append({"nodes": ["request", "approve"], "mode": "flag"})

    found = paths(edited(API_EXAMPLE, dup))
    assert {"fields[3].key", "incompatible[2]"} <= found


def test_parallel_split_without_a_matching_join():
    def unjoined(raw):
        raw["edges"][5] = ["b", "decide"]  # branch b skips the join

    found = problems(edited(COUNTERSIGN, unjoined))
    assert (
        "nodes[2]",
        "a branch of this parallel split reaches 'refused' without joining",
    ) in found
    assert not any("never both happen" in m for _, m in found)

    def two_joins(raw):
        raw["nodes"].append({"key": "join2", "kind": "join"})
        raw["edges"][5] = ["b", "join2"]
        raw["edges"].append(["join2", "decide"])

    found = problems(edited(COUNTERSIGN, two_joins))
    assert any(p == "nodes[2]" and "without a matching join" in m for p, m in found)


def test_a_branch_that_leaves_the_split_for_an_end_is_refused():
    raw = edited(COUNTERSIGN, lambda r: r["edges"].__setitem__(5, ["b", "done"]))
    assert any("without joining" in m for _, m in problems(raw))


def test_a_join_without_a_split():
    def lone_join(raw):
        raw["nodes"] = [n for n in raw["nodes"] if n["key"] != "split"]
        raw["edges"] = [e for e in raw["edges"] if "split" not in e]
        raw["edges"].append(["propose", "a"])
        raw["edges"].append(["propose", "b"])

    found = problems(edited(COUNTERSIGN, lone_join))
    assert any("closes no parallel split" in m for _, m in found)


def test_nested_parallel_regions_are_matched():
    def nest(raw):
        raw["nodes"][3:5] = [
            {"key": "a", "name": "甲", "post": "leader"},
            {"key": "inner", "kind": "parallel"},
            {"key": "b1", "name": "乙一", "post": "finance_reviewer"},
            {"key": "b2", "name": "乙二", "post": "handler"},
            {"key": "inner_join", "kind": "join"},
        ]
        raw["edges"] = [
            ["start", "propose"],
            ["propose", "split"],
            ["split", "a"],
            ["split", "inner"],
            ["inner", "b1"],
            ["inner", "b2"],
            ["b1", "inner_join"],
            ["b2", "inner_join"],
            ["inner_join", "join"],
            ["a", "join"],
            ["join", "decide"],
            {"from": "decide", "to": "done", "default": True},
        ]
        raw["nodes"] = [n for n in raw["nodes"] if n["key"] != "refused"]
        raw["incompatible"] = [{"nodes": ["a", "b2"], "mode": "flag"}]

    result = validate(edited(COUNTERSIGN, nest), POSTS)
    assert result.ok, result.problems
    assert result.definition.join_width == {"join": 2, "inner_join": 2}


def test_an_incompatible_pair_that_can_never_co_occur():
    raw = edited(API_EXAMPLE, lambda r: r["incompatible"].append({"nodes": ["leader", "sign"]}))
    assert validate(raw, POSTS).ok  # leader then sign: they co-occur

    def two_ends_(r):
        r["nodes"].append({"key": "archive", "name": "归档", "post": "handler"})
        r["nodes"].append({"key": "notify", "name": "通知", "post": "handler"})
        r["edges"][7] = {"from": "decide", "to": "archive", "when": {"decision": "approve"}}
        r["edges"][8] = {"from": "decide", "to": "notify", "when": {"decision": "reject"}}
        r["edges"].extend([["archive", "done"], ["notify", "refused"]])
        r["incompatible"].append({"nodes": ["archive", "notify"]})

    two_ends = edited(COUNTERSIGN, two_ends_)
    assert any("never both happen" in m for _, m in problems(two_ends))


def test_parallel_branches_do_co_occur():
    assert validate(COUNTERSIGN, POSTS).ok  # rule a~b sits on two branches of one split


def test_a_loop_of_gateways_without_a_task():
    def loop(raw):
        raw["nodes"].append({"key": "again", "kind": "exclusive"})
        raw["edges"][5] = {"from": "route", "to": "again", "default": True}
        raw["edges"].append({"from": "again", "to": "route", "default": True})
        below = {"field": "amount", "op": "<", "value": "1"}
        raw["edges"].append({"from": "again", "to": "sign", "when": below})

    assert any("loop of gateways" in m for _, m in problems(edited(API_EXAMPLE, loop)))


def test_structural_problems_of_the_whole_document():
    assert validate("just text").problems[0].path == ""
    found = paths({"key": "Bad Key", "name": "", "category": "toys", "risk": 9, "nodes": []})
    assert {"key", "name", "category", "risk", "nodes"} <= found


def test_unknown_keys_are_reported_as_typos():
    raw = edited(API_EXAMPLE, lambda r: r["nodes"][1].update(limt="2wd"))
    assert "nodes[1].limt" in paths(raw)


def test_start_and_end_rules():
    def bad(raw):
        raw["edges"].append(["request", "start"])
        raw["edges"].append(["end", "request"])

    found = paths(edited(API_EXAMPLE, bad))
    assert {"edges[9].to", "edges[10].from"} <= found
