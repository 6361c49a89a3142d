"""The pure engine: definition + state + action → next state, no database."""

import pytest

from riskctl.process.validation import validate
from riskctl.workflow import engine
from riskctl.workflow.engine import EngineError, InvalidAction
from tests.unit.test_process_validation import API_EXAMPLE, COUNTERSIGN, POSTS

PURCHASE = validate(API_EXAMPLE, POSTS).definition
COUNTER = validate(COUNTERSIGN, POSTS).definition


def run(definition, state, *steps):
    for node, kwargs in steps:
        state = engine.complete(definition, state, node, **kwargs).state
    return state


def test_start_opens_the_first_task_with_the_start_form():
    advance = engine.start(PURCHASE, {"amount": "5000", "supplier": "某公司"})
    assert advance.opened == ("request",)
    assert advance.state.open_tasks == ("request",)
    assert advance.state.fields == {"amount": "5000.00", "supplier": "某公司"}
    assert advance.changes == {"amount": (None, "5000.00"), "supplier": (None, "某公司")}


def test_a_small_amount_takes_the_default_branch_past_the_leader():
    state = engine.start(PURCHASE, {"amount": "5000"}).state
    state = run(PURCHASE, state, ("request", {}))
    advance = engine.complete(PURCHASE, state, "approve", decision="approve")
    assert advance.opened == ("sign",)
    assert advance.passed == ("route",)


def test_a_large_amount_goes_to_the_leader():
    state = engine.start(PURCHASE, {"amount": "100000"}).state  # ">=" boundary
    state = run(PURCHASE, state, ("request", {}))
    assert engine.complete(PURCHASE, state, "approve", decision="approve").opened == ("leader",)


def test_a_field_changed_at_a_task_steers_a_later_gateway():
    state = engine.start(PURCHASE, {"amount": "5000"}).state
    advance = engine.complete(PURCHASE, state, "request", values={"amount": "250000.5"})
    assert advance.changes == {"amount": ("5000.00", "250000.50")}
    state = advance.state
    assert engine.complete(PURCHASE, state, "approve", decision="approve").opened == ("leader",)


def test_a_rejection_returns_the_item_to_the_requester():
    state = engine.start(PURCHASE, {"amount": "5000"}).state
    state = run(PURCHASE, state, ("request", {}))
    advance = engine.complete(PURCHASE, state, "approve", decision="reject")
    assert advance.opened == ("request",)
    assert advance.state.status == "running"


def test_the_item_completes_at_its_end():
    state = engine.start(PURCHASE, {"amount": "5000"}).state
    state = run(
        PURCHASE, state, ("request", {}), ("approve", {"decision": "approve"}), ("sign", {})
    )
    advance = engine.complete(PURCHASE, state, "accept")
    assert advance.ended == "end"
    assert advance.state.status == "completed"
    assert advance.state.open_tasks == ()


def test_countersign_opens_both_branches_and_the_join_waits_for_both():
    state = engine.start(COUNTER, {"summary": "购置公务用车"}).state
    advance = engine.complete(COUNTER, state, "propose")
    assert advance.opened == ("a", "b")
    assert advance.passed == ("split",)
    first = engine.complete(COUNTER, advance.state, "b")
    assert first.opened == ()
    assert first.state.open_tasks == ("a",)
    assert first.state.joins == {"join": 1}
    second = engine.complete(COUNTER, first.state, "a")
    assert second.opened == ("decide",)
    assert second.passed == ("join",)
    assert second.state.joins == {}


def test_a_rejected_collective_decision_ends_as_rejected():
    state = engine.start(COUNTER, {}).state
    state = run(COUNTER, state, ("propose", {}), ("a", {}), ("b", {}))
    advance = engine.complete(COUNTER, state, "decide", decision="reject")
    assert advance.state.status == "rejected"
    assert advance.ended == "refused"


def test_cancel_closes_every_open_task():
    state = engine.start(COUNTER, {}).state
    state = run(COUNTER, state, ("propose", {}))
    advance = engine.cancel(state)
    assert advance.state.status == "cancelled"
    assert set(advance.cancelled) == {"a", "b"}


def test_decisions_are_required_and_must_be_offered():
    state = run(PURCHASE, engine.start(PURCHASE, {"amount": "1"}).state, ("request", {}))
    with pytest.raises(InvalidAction) as missing:
        engine.complete(PURCHASE, state, "approve")
    assert missing.value.problems[0].path == "decision"
    with pytest.raises(InvalidAction):
        engine.complete(PURCHASE, state, "approve", decision="maybe")
    with pytest.raises(InvalidAction):
        engine.complete(PURCHASE, engine.start(PURCHASE, {"amount": "1"}).state, "request",
                        decision="approve")  # fmt: skip


def test_only_the_fields_a_node_edits_can_change_there():
    state = run(PURCHASE, engine.start(PURCHASE, {"amount": "1"}).state, ("request", {}))
    with pytest.raises(InvalidAction) as refused:
        engine.complete(PURCHASE, state, "approve", decision="approve", values={"amount": "2"})
    assert [p.path for p in refused.value.problems] == ["fields.amount"]


def test_every_bad_value_is_reported_with_its_field():
    with pytest.raises(InvalidAction) as bad:
        engine.start(PURCHASE, {"amount": 12.5, "bidders": "many", "colour": "red"})
    assert {p.path for p in bad.value.problems} == {
        "fields.amount", "fields.bidders", "fields.colour"}  # fmt: skip


def test_a_required_field_must_be_filled_at_the_node_that_edits_it():
    state = engine.start(PURCHASE, {}).state  # amount is edited later, at 'request'
    with pytest.raises(InvalidAction) as missing:
        engine.complete(PURCHASE, state, "request")
    assert missing.value.problems[0].path == "fields.amount"
    assert engine.complete(PURCHASE, state, "request", values={"amount": "10"}).opened


def test_completing_a_node_without_an_open_task_is_an_engine_error():
    state = engine.start(PURCHASE, {"amount": "1"}).state
    with pytest.raises(EngineError):
        engine.complete(PURCHASE, state, "accept")
