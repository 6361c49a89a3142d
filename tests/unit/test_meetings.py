"""Meeting nodes (三重一大 集体决策): the definition, the counting, the record's check, the
engine's refusal to complete one without a record, and the meeting rules — no database."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

import pytest
import yaml

from riskctl.meetings import spec
from riskctl.meetings.services import MeetingFact, Speaker
from riskctl.process.validation import validate
from riskctl.risk.facts import ItemFact
from riskctl.risk.rules import REGISTRY
from riskctl.risk.rules.meetings import Interests
from riskctl.workflow import engine
from tests.unit.test_risk_rules import run

MEETING = yaml.safe_load("""
key: decision
name: 集体决策
category: major_decision
fields: [{key: topic, label: 议题, type: text}]
nodes:
  - {key: start, kind: start}
  - {key: propose, name: 议题提出, post: handler}
  - {key: decide, kind: meeting, name: 班子会议, post: archivist, members: [head, leader],
     chair: head, observer: discipline_leader, quorum: half, decisions: [approve, reject, return]}
  - {key: done, kind: end}
  - {key: refused, kind: end, result: rejected}
edges:
  - [start, propose]
  - [propose, decide]
  - {from: decide, to: done, when: {decision: approve}}
  - {from: decide, to: refused, when: {decision: reject}}
  - {from: decide, to: propose, when: {decision: return}}
""")
POSTS = {"handler", "archivist", "head", "leader", "discipline_leader"}


def with_meeting(**changes: Any) -> dict[str, Any]:
    raw = copy.deepcopy(MEETING)
    node = raw["nodes"][2]
    for key, value in changes.items():
        if value is None:
            node.pop(key, None)
        else:
            node[key] = value
    return raw


def paths(raw: Any, posts: Any = POSTS) -> dict[str, str]:
    return {p.path: p.message for p in validate(raw, posts).problems}


# ---------------------------------------------------------------- the definition


def test_a_meeting_node_is_valid_and_carries_its_members_chair_observer_and_quorum():
    result = validate(MEETING, POSTS)
    assert result.ok, result.problems
    assert result.definition is not None
    node = result.definition.node_map["decide"]
    assert node.is_task and node.kind == "meeting"
    assert node.meeting == spec.MeetingSpec(("head", "leader"), "head", "discipline_leader")
    assert result.definition.posts >= {"head", "leader", "discipline_leader", "archivist"}


def test_a_bad_quorum_is_named_at_its_path():
    assert "nodes[2].quorum" in paths(with_meeting(quorum="most"))


def test_a_meeting_without_a_chair_is_refused_at_its_path():
    found = paths(with_meeting(chair=None))
    assert "nodes[2].chair" in found and "chair" in found["nodes[2].chair"]


def test_the_chair_must_be_a_member_and_the_observer_must_not_be():
    assert "must be one of the members" in paths(with_meeting(chair="archivist"))["nodes[2].chair"]
    found = paths(with_meeting(observer="leader"))
    assert "cannot also be a member" in found["nodes[2].observer"]


def test_a_meeting_needs_members_and_names_each_unknown_post():
    assert "nodes[2].members" in paths(with_meeting(members=[]))
    found = paths(with_meeting(members=["head", "deputy"]))
    assert found == {"nodes[2].members[1]": "unknown post 'deputy'"}
    assert "nodes[2].members[1]" not in paths(with_meeting(members=["head", "deputy"]), None)


def test_meeting_keys_on_a_plain_task_are_refused():
    raw = copy.deepcopy(MEETING)
    raw["nodes"][1]["quorum"] = "half"
    assert "nodes[1].quorum" in paths(raw)


def test_a_meeting_that_cannot_approve_is_refused():
    assert "nodes[2].decisions" in paths(with_meeting(decisions=["reject", "return"]))


def test_the_shipped_template_decides_in_meetings_and_cadres_need_two_thirds():
    from riskctl.process import services

    result = validate(services.template("major_decision").raw)
    assert result.ok, result.problems
    assert result.definition is not None
    nodes = result.definition.node_map
    assert nodes["meeting"].kind == nodes["cadre_meeting"].kind == "meeting"
    assert nodes["cadre_meeting"].meeting is not None
    assert nodes["cadre_meeting"].meeting.quorum == "two_thirds"
    choices = result.definition.field_map["decision_type"].choices
    assert "重要干部任免" in choices and "重要人事任免" not in choices


# ---------------------------------------------------------------- counting


@pytest.mark.parametrize(
    ("rule", "expected", "taking_part", "met"),
    [
        ("half", 5, 3, True),  # the boundary: 3 of 5 is more than half
        ("half", 5, 2, False),
        ("half", 4, 2, False),  # exactly half is not more than half
        ("two_thirds", 7, 4, False),  # 干部任免: 4 of 7 is short of two thirds
        ("two_thirds", 7, 5, True),
        ("two_thirds", 6, 4, True),  # 三分之二以上: the number itself included
        ("half", 0, 0, False),
    ],
)
def test_quorum(rule, expected, taking_part, met):
    assert spec.quorum_met(rule, taking_part, expected) is met


def test_the_votes_are_counted_on_the_members_expected_not_those_present():
    # 7 expected, 5 present, 3 agree: a majority of those present, not of those expected.
    tally = spec.Tally("half", expected=7, present=5, taking_part=5, agree=3, disagree=2, defer=0)
    assert tally.quorum_met and not tally.passed and tally.outcome == spec.NOT_APPROVED
    assert spec.Tally("half", 7, 4, 4, 4, 0, 0).passed
    assert spec.quorum_needed("two_thirds", 7) == 5 and spec.quorum_needed("half", 5) == 3


def test_the_decision_follows_the_outcome():
    offered = ("approve", "reject", "return")
    assert spec.decision_for(spec.APPROVED, offered, None) == ("approve", None)
    assert spec.decision_for(spec.APPROVED, offered, "reject")[0] is None
    assert spec.decision_for(spec.NOT_APPROVED, offered, None) == ("return", None)
    assert spec.decision_for(spec.NOT_APPROVED, offered, "reject") == ("reject", None)
    assert spec.decision_for(spec.NOT_APPROVED, offered, "approve")[0] is None


# ---------------------------------------------------------------- the record

HEAD, LEADER, DEPUTY, OBSERVER = (spec.Person(i, u, n) for i, u, n in (
    (1, "head", "主要负责人"), (2, "leader", "分管领导"), (3, "deputy", "副职"),
    (9, "jjzz", "纪检组长")))  # fmt: skip
ROSTER = spec.Roster((HEAD, LEADER, DEPUTY), frozenset({1}), (OBSERVER,))
TODAY = date(2026, 12, 1)


def record(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "held_on": "2026-11-30", "topics_sent_on": "2026-11-27",
        "present": ["head", "leader", "deputy"],
        "views": [{"person": "leader", "view": "agree"}, {"person": "deputy", "view": "defer",
                  "text": "建议补充论证"}, {"person": "head", "view": "agree"}],
        "observers_present": ["jjzz"], "minutes": "会议讨论了议题。",
    }  # fmt: skip
    raw.update(changes)
    return raw


def test_a_complete_record_is_read_and_counted():
    found, problems = spec.read_record(record(), ROSTER, today=TODAY)
    assert problems == [] and found is not None
    assert [v.person_id for v in found.views] == [2, 3, 1]
    tally = found.tally("half", 3)
    assert (tally.agree, tally.defer, tally.outcome) == (2, 1, spec.APPROVED)
    assert found.observers_present == {9}


def test_every_problem_of_a_record_is_named_with_its_path():
    raw = record(
        held_on="2026-12-05",
        present=["head", "leader", "stranger"],
        views=[{"person": "deputy", "view": "agree"}, {"person": "leader", "view": "maybe"}],
        recused=[{"person": "leader", "reason": ""}],
        minutes="",
    )
    _, problems = spec.read_record(raw, ROSTER, today=TODAY)
    found = {p.path for p in problems}
    assert {"meeting.held_on", "meeting.present[2]", "meeting.views[0].person",
            "meeting.views[1].view", "meeting.recused[0].reason", "meeting.minutes",
            "meeting.views"} <= found  # fmt: skip


def test_a_member_present_must_state_a_view_unless_recused_and_the_recused_do_not_vote():
    _, problems = spec.read_record(record(views=[{"person": "head", "view": "agree"}]),
                                   ROSTER, today=TODAY)  # fmt: skip
    assert any(p.path == "meeting.views" and "stated no view" in p.message for p in problems)
    recused = [{"person": "deputy", "reason": "近亲属任职"}]
    ok, problems = spec.read_record(
        record(recused=recused, views=[{"person": "leader", "view": "agree"},
                                       {"person": "head", "view": "agree"}]),
        ROSTER, today=TODAY,
    )  # fmt: skip
    assert problems == [] and ok is not None
    tally = ok.tally("half", 3)
    assert tally.present == 3 and tally.taking_part == 2 and tally.passed
    _, problems = spec.read_record(record(recused=recused), ROSTER, today=TODAY)
    assert any(p.path == "meeting.views[1].person" for p in problems)


# ---------------------------------------------------------------- the engine


def _at_meeting() -> tuple[Any, engine.ItemState]:
    definition = validate(MEETING, POSTS).definition
    assert definition is not None
    advance = engine.start(definition, {"topic": "议题"})
    advance = engine.complete(definition, advance.state, "propose")
    assert advance.state.open_tasks == ("decide",)
    return definition, advance.state


def test_the_engine_refuses_to_complete_a_meeting_without_its_record():
    definition, state = _at_meeting()
    with pytest.raises(engine.InvalidAction) as caught:
        engine.complete(definition, state, "decide", decision="approve")
    assert [p.path for p in caught.value.problems] == ["meeting"]


def test_the_engine_completes_a_meeting_with_the_decision_its_count_gives():
    definition, state = _at_meeting()
    passed = spec.Tally("half", 3, 2, 2, 2, 0, 0)
    done = engine.complete(definition, state, "decide", decision="approve", meeting=passed)
    assert done.ended == "done"
    short = spec.Tally("half", 3, 3, 3, 1, 2, 0)  # 1 of 3 expected: not carried
    with pytest.raises(engine.InvalidAction) as caught:
        engine.complete(definition, state, "decide", decision="approve", meeting=short)
    assert [p.path for p in caught.value.problems] == ["decision"]
    back = engine.complete(definition, state, "decide", decision="return", meeting=short)
    assert back.opened == ("propose",)


def test_a_meeting_count_on_a_plain_task_is_refused():
    definition, _ = _at_meeting()
    state = engine.start(definition, {"topic": "议题"}).state
    with pytest.raises(engine.InvalidAction):
        engine.complete(definition, state, "propose", meeting=spec.Tally("half", 1, 1, 1, 1, 0, 0))


# ---------------------------------------------------------------- rules

AT = datetime(2026, 12, 1, 4, tzinfo=UTC)


def meeting(
    speakers: tuple[tuple[int, str, bool], ...] = ((2, "agree", False), (1, "agree", True)),
    *, quorum: str = "half", expected: int = 5, taking_part: int = 3, votes: int = 3,
    sent: date | None = date(2026, 11, 27), held: date = date(2026, 11, 30),
    recused: frozenset[int] = frozenset(),
) -> MeetingFact:  # fmt: skip
    outcome = spec.APPROVED if spec.passes(votes, expected) else spec.NOT_APPROVED
    return MeetingFact(
        11, 21, 7, 3, "decide", held, sent, quorum, expected, taking_part, taking_part, votes,
        outcome, 40, AT, frozenset({1}), tuple(Speaker(*s) for s in speakers), recused,
    )  # fmt: skip


def test_every_meeting_rule_is_registered_with_its_basis():
    codes = {"meeting_chair_not_last", "meeting_quorum_missing", "meeting_topics_late",
             "meeting_interested_member_voted", "major_decision_without_meeting"}  # fmt: skip
    assert codes <= REGISTRY.keys()
    assert "第二十七条" in REGISTRY["meeting_chair_not_last"].basis
    assert "参照《重大行政决策程序暂行条例》第三十条" in REGISTRY["meeting_chair_not_last"].basis
    assert "条号未核实" in REGISTRY["meeting_quorum_missing"].basis


def test_the_chair_speaking_first_or_not_last_is_found_and_last_is_not():
    first = meeting(((1, "agree", True), (2, "agree", False), (3, "agree", False)))
    (signal,) = run("meeting_chair_not_last", [first])
    assert signal.evidence["spoke_first"] and signal.severity == 75 and signal.person_id == 1
    middle = meeting(((2, "agree", False), (1, "agree", True), (3, "agree", False)))
    (signal,) = run("meeting_chair_not_last", [middle])
    assert not signal.evidence["spoke_first"] and signal.severity == 60
    assert run("meeting_chair_not_last", [meeting()]) == []  # the chair spoke last
    assert run("meeting_chair_not_last", [meeting(((1, "agree", True),))]) == []  # alone
    assert run("meeting_chair_not_last", [meeting(((2, "agree", False),))]) == []  # absent


def test_a_meeting_short_of_its_quorum_is_found_on_the_boundary():
    assert run("meeting_quorum_missing", [meeting(expected=5, taking_part=3)]) == []
    (signal,) = run("meeting_quorum_missing", [meeting(expected=5, taking_part=2, votes=2)])
    assert signal.evidence["needed"] == 3 and signal.severity == 70
    cadres = meeting(quorum="two_thirds", expected=7, taking_part=4, votes=4)
    (signal,) = run("meeting_quorum_missing", [cadres])
    assert signal.evidence["needed"] == 5 and signal.severity == 85  # approved all the same
    assert run("meeting_quorum_missing", [meeting(quorum="two_thirds", expected=7,
                                                  taking_part=5, votes=4)]) == []  # fmt: skip


def test_topics_sent_too_late_or_not_recorded_are_found():
    assert run("meeting_topics_late", [meeting(sent=date(2026, 11, 29))]) == []  # one day ahead
    (late,) = run("meeting_topics_late", [meeting(sent=date(2026, 11, 30))])
    assert late.evidence["days_ahead"] == 0
    (unrecorded,) = run("meeting_topics_late", [meeting(sent=None)])
    assert unrecorded.severity == 40
    assert run("meeting_topics_late", [meeting(sent=date(2026, 11, 28))], days=3) != []


def test_an_interested_member_who_voted_is_found_and_one_who_recused_is_not():
    declared = {2: [("华信科技", "配偶任职")]}
    voted = Interests([meeting()], {21: ["北京华信科技有限公司"]}, declared)
    (signal,) = run("meeting_interested_member_voted", voted)
    assert signal.person_id == 2 and signal.evidence["relation"] == "配偶任职"
    recused = Interests([meeting(((1, "agree", True),), recused=frozenset({2}))],
                        {21: ["北京华信科技有限公司"]}, declared)  # fmt: skip
    assert run("meeting_interested_member_voted", recused) == []
    other = Interests([meeting()], {21: ["城南物业有限公司"]}, declared)
    assert run("meeting_interested_member_voted", other) == []


def test_a_major_decision_completed_without_a_meeting_is_found():
    def item(status: str, category: str = "major_decision") -> ItemFact:
        return ItemFact(5, 7, 3, "major_decision", category, status, AT, 9, {}, date(2026, 11, 1))

    (signal,) = run("major_decision_without_meeting", [item("completed")])
    assert signal.item_id == 5 and signal.person_id == 9
    assert run("major_decision_without_meeting", [item("running")]) == []
    assert run("major_decision_without_meeting", [item("completed", "procurement")]) == []


def test_adopting_the_template_with_other_posts_renames_the_meetings_posts_too():
    from riskctl.process import services

    raw = services.adjusted(services.template("major_decision").raw,
                            posts={"head": "director", "archivist": "office"})  # fmt: skip
    decide = next(n for n in raw["nodes"] if n["key"] == "meeting")
    assert (decide["post"], decide["chair"], decide["members"]) == (
        "office", "director", ["director", "leader"],
    )  # fmt: skip
    assert services.adjusted(services.template("major_decision").raw,
                             limits={"cadre_meeting": "15wd"})  # fmt: skip


def test_an_adopted_one_click_version_is_carried_forward_to_the_meeting():
    # The one-click decide node of the former template has no counterpart: nothing of it
    # is read back as the unit's change, and the unit's post mapping reaches the meeting.
    from riskctl.process import services
    from riskctl.process.upgrade import Changes, adopter_changes

    old = copy.deepcopy(services.template("major_decision").raw)
    old["nodes"] = [n for n in old["nodes"] if n.get("kind") != "meeting"] + [
        {"key": "decide", "name": "领导班子集体决策", "post": "head", "limit": "10wd"}
    ]
    body = services.adjusted(old, posts={"archivist": "office"})
    changes = adopter_changes(services.template("major_decision").raw, body)
    assert isinstance(changes, Changes) and changes.posts == {"archivist": "office"}
    raw = services.adjusted(services.template("major_decision").raw, posts=changes.posts)
    meeting = next(n for n in raw["nodes"] if n["key"] == "meeting")
    assert meeting["post"] == "office" and meeting["members"] == ["head", "leader"]
