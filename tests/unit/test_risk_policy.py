"""The policy: validation with paths, effective-dated parameters, factors and levels."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from riskctl.core.errors import ValidationFailed
from riskctl.risk.models import Level
from riskctl.risk.policy import Policy, default_body, merged


def problems(change: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        merged(default_body(), change, {"czj", "jw"})
    return {d["path"]: d["message"] for d in caught.value.details}


def test_every_problem_is_reported_with_its_path() -> None:
    found = problems({
        "factors": {"1": 0.6, "2": 0.8, "3": 1.0, "4": 0.9, "5": 0},
        "thresholds": {"red": 50, "orange": 60, "yellow": 20},
        "rules": {
            "no_such_rule": {},
            "step_overdue": {"params": [
                {"from": "2026-13-01", "values": {"base": -1}},
                {"from": "2026-01-01", "unit": "nowhere", "values": {"nonsense": 1}},
            ]},
            "item_overdue": {"freeze_on_red": True},
        },
    })  # fmt: skip
    assert set(found) == {
        "factors.5", "factors", "thresholds", "rules.no_such_rule",
        "rules.step_overdue.params[0].from", "rules.step_overdue.params[0].values.base",
        "rules.step_overdue.params[1].unit", "rules.step_overdue.params[1].values.nonsense",
        "rules.item_overdue.freeze_on_red",
    }  # fmt: skip


def test_a_valid_change_replaces_only_what_it_names() -> None:
    body = merged(default_body(), {"thresholds": {"red": 90, "orange": 60, "yellow": 30},
                                   "rules": {"incompatible_posts": {"freeze_on_red": True}}},
                  {"czj"})  # fmt: skip
    assert body["thresholds"]["red"] == 90 and body["factors"] == default_body()["factors"]
    assert body["rules"]["incompatible_posts"] == {
        "enabled": True, "freeze_on_red": True, "params": [],
    }  # fmt: skip


def test_parameters_are_effective_dated_and_a_unit_beats_the_platform() -> None:
    body = merged(default_body(), {"rules": {"procurement_splitting": {"params": [
        {"from": "2026-01-01", "unit": None, "values": {"open_tender": {"货物": "3000000"}}},
        {"from": "2027-01-01", "unit": None, "values": {"open_tender": {"货物": "5000000"}}},
        {"from": "2026-07-01", "unit": "czj", "values": {"open_tender": {"货物": "2000000"}}},
    ]}}}, {"czj", "wjj"})  # fmt: skip
    policy = Policy(2, body, {1: "czj", 2: "wjj"})
    figures = lambda unit, day: policy.params("procurement_splitting", unit, day)["open_tender"]  # noqa: E731
    threshold = lambda unit, day: figures(unit, day)["货物"]  # noqa: E731
    assert figures(1, date(2027, 6, 1))["服务"] == "4000000"  # an entry amends a map
    assert threshold(2, date(2025, 12, 31)) == "4000000"  # the rule's default
    assert threshold(2, date(2026, 1, 1)) == "3000000"
    assert threshold(1, date(2026, 6, 30)) == "3000000"
    assert threshold(1, date(2026, 7, 1)) == "2000000"
    assert threshold(1, date(2027, 6, 1)) == "2000000"  # the unit's own still wins
    assert threshold(2, date(2027, 6, 1)) == "5000000"


def test_central_units_have_the_state_councils_figures_and_local_units_the_provinces() -> None:
    body = merged(default_body(), {"rules": {"procurement_just_under_threshold": {"params": [
        {"from": "2026-01-01", "unit": None, "values": {"open_tender": {"服务": "3000000"}}},
    ]}}}, {"czj"})  # fmt: skip
    policy = Policy(2, body, {1: "czj", 2: "zy"}, {1: "county", 2: "central"})
    local = policy.params("procurement_just_under_threshold", 1, date(2026, 6, 1))
    central = policy.params("procurement_just_under_threshold", 2, date(2025, 6, 1))
    # 国办发〔2019〕55号: central goods and services 200万, decentralised limit 100万 / works 120万.
    assert central["open_tender"] == {"货物": "2000000", "服务": "2000000", "工程": "4000000"}
    assert central["decentralised_limits"]["工程"] == "1200000"
    assert local["open_tender"] == {"货物": "4000000", "服务": "3000000", "工程": "4000000"}


@pytest.mark.parametrize(
    ("score", "level"),
    [(100, Level.RED), (80, Level.RED), (79.99, Level.ORANGE), (50, Level.ORANGE),
     (49.99, Level.YELLOW), (20, Level.YELLOW), (19.99, None)],
)  # fmt: skip
def test_levels_by_threshold(score: float, level: Level | None) -> None:
    assert Policy(0, default_body()).level(score) is level


def test_factor_table_and_neutral_default() -> None:
    policy = Policy(0, default_body())
    assert [policy.factor(v) for v in (1, 2, 3, 4, 5)] == [0.6, 0.8, 1.0, 1.25, 1.5]
    assert policy.factor(None) == 1.0


def test_the_alerts_section_is_checked_with_paths() -> None:
    found = problems({"alerts": {
        "repeat_hours": {"red": -1, "orange": 24, "yellow": 0},
        "escalate_after_hours": {"red": 0, "orange": 8},
        "ack_expires_hours": 0,
        "quiet_hours": {"start": "25:00", "end": "07:30"},
        "sms_caps": {"per_recipient_per_hour": 0, "global_per_hour": 300},
        "watch": {"min_risk": 6, "sms": "yes"},
    }})  # fmt: skip
    assert set(found) == {
        "alerts.repeat_hours.red", "alerts.escalate_after_hours", "alerts.ack_expires_hours",
        "alerts.quiet_hours.start", "alerts.sms_caps.per_recipient_per_hour",
        "alerts.watch.min_risk", "alerts.watch.sms",
    }  # fmt: skip
    assert problems({"alerts": {"quiet_hours": {}}}) == {
        "alerts": "must give repeat_hours, escalate_after_hours, ack_expires_hours, "
        "quiet_hours, sms_caps, watch"
    }


def test_quiet_hours_wrap_midnight_in_local_time() -> None:
    from datetime import UTC, datetime

    from riskctl.alerts.dispatch import in_quiet_hours

    policy = Policy(1, default_body())  # 22:00–07:30 in Asia/Shanghai
    assert in_quiet_hours(policy, datetime(2026, 11, 24, 15, 0, tzinfo=UTC))  # 23:00
    assert in_quiet_hours(policy, datetime(2026, 11, 24, 23, 29, tzinfo=UTC))  # 07:29
    assert not in_quiet_hours(policy, datetime(2026, 11, 24, 23, 30, tzinfo=UTC))  # 07:30
    assert not in_quiet_hours(policy, datetime(2026, 11, 25, 2, 0, tzinfo=UTC))  # 10:00


def test_backoff_grows_is_capped_and_honours_retry_after() -> None:
    from datetime import timedelta

    from riskctl.alerts.dispatch import MAX_BACKOFF, backoff

    waits = [backoff(n) for n in range(1, 12)]
    assert timedelta(seconds=4) <= waits[0] <= timedelta(seconds=6)
    assert waits[3] > waits[1] and max(waits) <= MAX_BACKOFF * 1.2
    assert backoff(3, retry_after=42) == timedelta(seconds=42)


def test_a_policy_saved_under_the_former_parameter_names_keeps_working() -> None:
    # Stored before the rules followed the law: one open-tender figure, one bidder count.
    stored = default_body()
    stored["rules"]["procurement_splitting"]["params"] = [
        {"from": "2026-01-01", "unit": None, "values": {"open_tender_threshold": "3000000"}}
    ]
    stored["rules"]["procurement_single_bidder"]["params"] = [
        {"from": "2026-01-01", "unit": None, "values": {"min_bidders": 2}}
    ]
    old = Policy(3, stored, {1: "czj"})
    split = old.params("procurement_splitting", 1, date(2026, 6, 1))
    assert split["open_tender"] == {"货物": "3000000", "服务": "3000000", "工程": "4000000"}
    assert old.params("procurement_single_bidder", 1, date(2026, 6, 1))["min_bidders"]["询价"] == 2
    # The next save writes today's names, and validates.
    body = merged(stored, {"thresholds": {"red": 85, "orange": 50, "yellow": 20}}, {"czj"})
    (entry,) = body["rules"]["procurement_splitting"]["params"]
    assert entry["values"] == {"open_tender": {"货物": "3000000", "服务": "3000000"}}


def _entry(entry: dict[str, Any], units: set[str] | None = None) -> dict[str, Any]:
    change = {"rules": {"step_overdue": {"params": [entry]}}}
    body = merged(default_body(), change, {"czj", "CZJ-01"} if units is None else units)
    return body["rules"]["step_overdue"]["params"][0]  # type: ignore[no-any-return]


def test_a_yaml_date_in_an_entry_is_that_day_stored_as_text() -> None:
    # YAML reads `from: 2026-01-01` as a date; it was a TypeError in the scan (issue 18).
    assert _entry({"from": date(2026, 1, 1), "values": {"base": 30}})["from"] == "2026-01-01"
    assert _entry({"from": "20260101", "values": {"base": 30}})["from"] == "2026-01-01"


@pytest.mark.parametrize("given", [20260101, 2026.5, True, ["2026-01-01"], {"y": 2026},
                                   "2026-01-01T08:00:00", "1899-12-31", None])  # fmt: skip
def test_an_entry_day_of_another_kind_is_refused_at_its_path(given: Any) -> None:
    found = problems({"rules": {"step_overdue": {"params": [
        {"from": given, "values": {"base": 30}}]}}})  # fmt: skip
    assert set(found) == {"rules.step_overdue.params[0].from"}


def test_a_number_as_an_entry_day_never_reaches_the_scan() -> None:
    # Before: "20260101" passed the check as str(20260101), then the scan called
    # date.fromisoformat(20260101) and the preview answered 500.
    with pytest.raises(ValidationFailed):
        merged(default_body(), {"rules": {"step_overdue": {"params": [
            {"from": 20260101, "values": {"base": 30}}]}}}, set())  # fmt: skip


def test_an_entry_unit_that_is_not_text_is_refused_at_its_path() -> None:
    found = problems({"rules": {"step_overdue": {"params": [
        {"from": "2026-01-01", "unit": ["czj"], "values": {"base": 30}}]}}})  # fmt: skip
    assert found == {"rules.step_overdue.params[0].unit": "must be a unit code or null"}


def test_an_entry_names_its_unit_in_either_case_and_keeps_the_units_spelling() -> None:
    assert _entry({"from": "2026-01-01", "unit": "czj-01", "values": {"base": 30}})["unit"] == (
        "CZJ-01"
    )
    body = merged(default_body(), {"rules": {"step_overdue": {"params": [
        {"from": "2026-01-01", "unit": "CZJ", "values": {"base": 33}}]}}}, {"czj"})  # fmt: skip
    policy = Policy(1, body, {1: "czj", 2: "jw"})
    assert policy.params("step_overdue", 1, date(2026, 6, 1))["base"] == 33
    assert policy.params("step_overdue", 2, date(2026, 6, 1))["base"] != 33
