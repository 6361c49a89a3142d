"""The seed's evaluation table (铜仁市纪委 2019, 部门整体支出绩效评价) reproduced from its raw
inputs: every indicator, every group, 88.71 computed and 88.72 recorded (良好), and the
one difference with its reason (docs/assessment.md).  The figures are the repository's
own copy of the seed's (riskctl/assessment/seed_2019.yaml, which names its source)."""

from pathlib import Path

import pytest
import yaml

from riskctl.assessment import scoring, spec

SEED = Path(__file__).resolve().parents[2] / "riskctl" / "assessment" / "seed_2019.yaml"
# The 得分 column as assessment.md gives it, computed (the recorded differs only at 9).
EXPECTED = [
    "3", "3", "3", "3", "3",
    "3", "0", "3", "2.69", "0", "0", "4", "0.02",
    "2", "7", "2", "2",
    "2", "3", "3",
    "7", "6", "6", "7",
    "4", "2", "2", "2", "2", "2",
]  # fmt: skip


@pytest.fixture(scope="module")
def seed():
    data = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    framework, _raw = spec.shipped()[data["framework"]]
    return scoring.evaluate(framework, data["inputs"], data["recorded"])


def _n(text):
    return text[:-3] if text.endswith(".00") else text.rstrip("0") if "." in text else text


def test_the_seed_has_no_input_problem_and_nothing_missing(seed):
    assert seed.problems == []
    assert seed.missing == []
    assert seed.result["complete"] is True


def test_every_indicator_scores_as_the_seed_computed_exactly(seed):
    scores = [_n(r["score"]) for r in seed.result["indicators"]]
    assert scores == EXPECTED


def test_the_totals_are_88_71_computed_and_88_72_recorded_both_good(seed):
    r = seed.result
    assert (r["total"], r["recorded_total"]) == ("88.71", "88.72")
    assert (r["grade"], r["recorded_grade"]) == ("良好", "良好")
    assert r["deducted"] == "0.00"


def test_the_groups_add_up_as_the_seed_says(seed):
    groups = {g["key"]: g for g in seed.result["groups"]}
    assert {k: (g["score"], g["recorded"]) for k, g in groups.items()} == {
        "input": ("15.00", "15.00"),
        "process": ("33.71", "33.72"),
        "output": ("26.00", "26.00"),
        "effect": ("14.00", "14.00"),
    }
    parts = {g["key"]: (g["score"], g["recorded"]) for g in groups["process"]["groups"]}
    assert parts == {
        "budget_execution": ("12.71", "12.72"),
        "budget_management": ("13.00", "13.00"),
        "asset_management": ("8.00", "8.00"),
    }


def test_the_one_difference_is_the_rate_the_seed_rounded_before_scoring(seed):
    (difference,) = seed.result["differences"]
    assert difference["indicator"] == "carryover_control"
    assert (difference["computed"], difference["recorded"]) == ("2.69", "2.70")
    assert difference["reason"] == {
        "kind": "rate_rounded",
        "rounded_rate": "3",
        "rate": "3.13",
        "places": 0,
    }


def test_the_rates_are_exact_and_rounded_only_when_shown(seed):
    rates = {r["key"]: r["rate"] for r in seed.result["indicators"]}
    assert rates["staff_control"] == "78.01"  # 188 / 241
    assert rates["sangong_change"] == "51.55"  # this year / last year (the note says why)
    assert rates["carryover_control"] == "3.13"
    assert rates["carryover_change"] == "55.37"
    assert rates["public_funds_control"] == "148.68"
    assert rates["sangong_control"] == "74.74"
    assert rates["procurement_execution"] == "90.11"


def test_a_completion_rate_above_150_percent_is_a_data_quality_warning(seed):
    (warning,) = seed.result["warnings"]
    assert warning["indicator"] == "budget_completion"
    assert warning["rate"] == "174.28"


def test_the_seeds_known_typos_are_read_as_assessment_md_says(seed):
    rows = {r["key"]: r for r in seed.result["indicators"]}
    assert "×3" in rows["sangong_control"]["note"]  # scored out of 4 all the same
    assert rows["sangong_control"]["max"] == "4.00"
    assert "办结率−90%" in rows["key_work_rate"]["note"]
    assert rows["key_work_rate"]["score"] == "7.00"  # 100 % is full marks, not 0


def test_a_partial_draft_scores_what_it_can_and_has_no_total():
    data = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    framework, _raw = spec.shipped()[data["framework"]]
    inputs = dict(data["inputs"])
    del inputs["staff_control"]
    outcome = scoring.evaluate(framework, inputs)
    assert outcome.missing == ["inputs.staff_control.staff_actual",
                               "inputs.staff_control.staff_quota"]  # fmt: skip
    assert outcome.result["total"] is None and outcome.result["grade"] is None
    rows = {r["key"]: r for r in outcome.result["indicators"]}
    assert rows["staff_control"]["score"] is None
    assert rows["carryover_control"]["score"] == "2.69"
