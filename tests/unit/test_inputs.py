"""The one reading of outside input (riskctl.core.inputs): whole numbers, days and
moments, text and lines, JSON documents, and the marshmallow and WTForms fields on them.
What is read through them (item fields, definitions, YAML): test_hostile_values.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from marshmallow import Schema, ValidationError
from wtforms import Form, StringField

from riskctl.core import inputs
from riskctl.core.errors import ValidationFailed
from riskctl.core.inputs import (
    INT64_MAX,
    Day,
    InputProblem,
    Int,
    Line,
    Malformed,
    Moment,
    NoControlCharacters,
    Text,
    load_json,
    text_problem,
    whole_number,
)

# ---------------------------------------------------------------- whole numbers


def test_whole_numbers_are_ascii_digits_within_64_bits():
    assert whole_number("42") == 42 and whole_number(" -7 ") == -7
    assert whole_number(str(INT64_MAX)) == INT64_MAX
    for text in ("²", "٣", "1e3", "1_000", "", "0x10", "9" * 30):
        with pytest.raises(InputProblem):
            whole_number(text)
    with pytest.raises(InputProblem, match="from 0 to 9223372036854775807"):
        whole_number(str(INT64_MAX + 1), minimum=0)


def test_the_int_field_bounds_every_integer_and_documents_it():
    class Args(Schema):
        offset = Int(minimum=0)
        risk = Int(minimum=1, maximum=5, error="must be between 1 and 5")

    assert Args().load({"offset": str(INT64_MAX)}) == {"offset": INT64_MAX}
    with pytest.raises(ValidationError) as caught:
        Args().load({"offset": "99999999999999999999", "risk": 6})
    assert caught.value.messages == {
        "offset": ["must be a whole number from 0 to 9223372036854775807"],
        "risk": ["must be between 1 and 5"],
    }
    with pytest.raises(ValueError):
        Int(maximum=2**64)


# ---------------------------------------------------------------- days and moments


def test_moments_and_days_of_schemas_stay_inside_the_calendar():
    class Args(Schema):
        at = Moment()
        on = Day()

    eastern = timezone(timedelta(hours=8))
    assert Args().load({"at": "2026-12-01T10:00:00+08:00"})["at"] == datetime(
        2026, 12, 1, 10, tzinfo=eastern
    )
    for moment in ("0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00",
                   "2100-01-01T00:00:00+00:00", "2026-12-01T10:00:00"):  # fmt: skip
        with pytest.raises(ValidationError):
            Args().load({"at": moment})
    assert Args().load({"on": "1900-01-01"})["on"] == date(1900, 1, 1)
    with pytest.raises(ValidationError):
        Args().load({"on": "1899-12-31"})
    assert inputs.check_moment(datetime(2099, 12, 31, 23, tzinfo=UTC))


# ---------------------------------------------------------------- text and lines


def test_free_text_keeps_tab_newline_and_return_and_nothing_else():
    assert text_problem("第一行\r\n第二行\t完") is None
    assert text_problem("a\u0001b") == "must not contain control characters (found U+0001)"
    assert "U+0085" in text_problem("a\u0085b")  # C1
    assert "U+007F" in text_problem("a\u007fb")
    assert text_problem("\ud800") == "is not valid Unicode text (an unpaired surrogate)"


def test_a_line_has_no_control_character_at_all():
    for text in ("a\tb", "a\nb", "a\rb", "a\u2028b"):
        assert text_problem(text, single_line=True)
    assert text_problem("区财政局 · 采购", single_line=True) is None


def test_line_and_text_fields_apply_the_rule():
    class Body(Schema):
        name = Line()
        note = Text()

    assert Body().load({"name": "甲", "note": "一\n二"}) == {"name": "甲", "note": "一\n二"}
    with pytest.raises(ValidationError) as caught:
        Body().load({"name": "甲\n乙", "note": "一\u001b[31m"})
    assert set(caught.value.messages) == {"name", "note"}


def test_the_wtforms_validator_is_the_same_rule():
    class Login(Form):
        username = StringField(validators=[NoControlCharacters()])
        note = StringField(validators=[NoControlCharacters(single_line=False)])

    form = Login(data={"username": "admin\n", "note": "一\n二"})
    assert not form.validate()
    assert "U+000A" in form.username.errors[0] and not form.note.errors


# ---------------------------------------------------------------- JSON


def test_json_holds_what_riskctl_can_store():
    assert load_json(b'{"a": [1, 2.5, "x\\n", null, true]}') == {"a": [1, 2.5, "x\n", None, True]}
    cases = {
        '{"a": "\\ud800"}': "a",
        '{"a": [{"\\u0001": 1}]}': "a[0]",
        '{"a": 1e999}': "a",
        '{"a": {"b": 99999999999999999999}}': "a.b",
        '{"a": "\\u0000"}': "a",
    }
    for text, path in cases.items():
        with pytest.raises(InputProblem) as caught:
            load_json(text)
        assert caught.value.path == path and not isinstance(caught.value, Malformed)


@pytest.mark.parametrize(
    "text", ["[" * 20_000 + "]" * 20_000, "[" * 33 + "]" * 33, '{"a": NaN}', '{"a": -Infinity}',
             '{"a": ' + "9" * 5000 + "}", b"\xff", "{"],
)  # fmt: skip
def test_json_that_cannot_be_read_is_malformed(text):
    with pytest.raises(Malformed):
        load_json(text)


def test_a_problem_becomes_the_error_of_api_md():
    error = InputProblem("must be a finite number", "x").as_error("fields")
    assert isinstance(error, ValidationFailed) and error.details == [
        {"path": "fields.x", "message": "must be a finite number"}
    ]
    assert Malformed("nested").as_error(code="malformed_json").status == 400
