"""The scoring kinds of an evaluation, one by one, and a framework's reading: every
problem of a framework document at its path."""

import copy
from fractions import Fraction

import pytest

from riskctl.assessment import scoring, spec
from riskctl.assessment.spec import Band, Scoring

F = Fraction


def test_linear_gives_full_marks_at_the_full_rate_and_beyond():
    assert scoring.linear(F(100), F(100), F(115), F(3)) == 3
    assert scoring.linear(F(78), F(100), F(115), F(3)) == 3


def test_linear_gives_zero_at_the_zero_rate_and_beyond():
    assert scoring.linear(F(115), F(100), F(115), F(3)) == 0
    assert scoring.linear(F(149), F(100), F(115), F(3)) == 0


def test_linear_is_a_straight_line_between_when_lower_is_better():
    # 在职人员控制率 107.5 %: halfway between 100 % and 115 %
    assert scoring.linear(F("107.5"), F(100), F(115), F(3)) == F(3, 2)


def test_linear_is_a_straight_line_between_when_higher_is_better():
    # 政府采购执行率 90.11 %: (90.11 − 90) / (100 − 90) × 2
    assert scoring.linear(F("90.11"), F(100), F(90), F(2)) == F("0.022")


def test_bands_take_the_first_band_that_holds_and_otherwise():
    s = Scoring("bands", bands=(Band("at_least", F(80), F(3)), Band("at_least", F(60), F(2)),
                                Band("at_least", F(30), F(1))), otherwise=F(0))  # fmt: skip
    assert scoring.bands(s, F(80)) == (3, 0)
    assert scoring.bands(s, F("79.99")) == (2, 1)
    assert scoring.bands(s, F(30)) == (1, 2)
    assert scoring.bands(s, F("29.99")) == (0, None)


def test_bands_on_the_absolute_value_judge_a_fall_like_a_rise():
    s = Scoring("bands", absolute=True, otherwise=F(0),
                bands=(Band("at_most", F(0), F(3)), Band("below", F(5), F(2)),
                       Band("below", F(30), F("0.5"))))  # fmt: skip
    assert scoring.bands(s, F(0))[0] == 3
    assert scoring.bands(s, F(-4))[0] == 2
    assert scoring.bands(s, F(4))[0] == 2
    assert scoring.bands(s, F(-5))[0] == F("0.5")
    assert scoring.bands(s, F("55.37"))[0] == 0


def test_a_checklist_takes_a_step_off_per_point_not_met_never_below_zero():
    assert scoring.checklist(5, 5, F(2), F(7)) == 7
    assert scoring.checklist(3, 5, F(2), F(7)) == 3
    assert scoring.checklist(0, 5, F(2), F(7)) == 0


def test_all_or_nothing_gives_the_maximum_or_zero():
    assert scoring.all_or_nothing(True, F(4)) == 4
    assert scoring.all_or_nothing(False, F(4)) == 0


def test_a_grade_table_scores_each_grade():
    scores = {"excellent": F(2), "good": F(1), "pass": F("0.5"), "fail": F(0)}
    assert [scoring.grade_table(g, scores) for g in spec.GRADES] == [2, 1, F("0.5"), 0]


def test_shown_rounds_half_away_from_zero_exactly():
    assert str(scoring.shown(F("2.685"))) == "2.69"
    assert str(scoring.shown(F("2.6849999"))) == "2.68"
    assert str(scoring.shown(F("-48.455"))) == "-48.46"
    assert str(scoring.shown(F(1, 3), 0)) == "0"


def test_every_shipped_framework_reads_without_a_problem():
    shipped = spec.shipped()
    framework, _raw = shipped["dept_overall_expenditure"]
    assert len(framework.indicators) == 30
    assert framework.max == 100
    assert [g.max for g in framework.groups] == [15, 45, 26, 14]


def _raw():
    return copy.deepcopy(spec.shipped()["dept_overall_expenditure"][1])


def test_a_framework_with_problems_reports_each_at_its_path():
    raw = _raw()
    clarity = raw["groups"][0]["groups"][0]["indicators"][1]
    clarity["scoring"]["kind"] = "guess"
    staff = raw["groups"][0]["groups"][1]["indicators"][0]
    staff["scoring"]["rate"] = {"ratio": ["staff_actual", "nobody"]}
    staff["scoring"]["zero_at"] = staff["scoring"]["full_at"]
    raw["groups"][3]["groups"][0]["indicators"][0]["key"] = "goal_reasonableness"
    raw["grades"][0]["at_least"] = "ninety"
    framework, problems = spec.parse(raw)
    paths = {p.path for p in problems}
    assert framework is None
    assert {
        "groups[0].groups[0].indicators[1].scoring.kind",
        "groups[0].groups[1].indicators[0].scoring.rate.ratio[1]",
        "groups[0].groups[1].indicators[0].scoring.zero_at",
        "groups[3].groups[0].indicators[0].key",
        "grades[0].at_least",
    } <= paths


def test_a_group_whose_parts_do_not_add_up_to_its_maximum_is_refused():
    raw = _raw()
    raw["groups"][1]["groups"][0]["max"] = 25
    _framework, problems = spec.parse(raw)
    # The group, and so the framework's total it is part of.
    assert [p.path for p in problems] == ["groups[1].groups[0].max", "max"]


@pytest.mark.parametrize("value", [None, "", "  "])
def test_an_empty_input_counts_as_not_given(value):
    assert not scoring.given(value)
