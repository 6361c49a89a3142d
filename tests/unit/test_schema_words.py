"""marshmallow's messages reach the caller in its language: every message marshmallow (and
webargs) can give while reading input is known to ``riskctl.core.schema_words``, so an
upgrade that brings a new one fails here rather than answering in English."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from flask_babel.speaklater import LazyString
from marshmallow import ValidationError, fields, validate

from riskctl.core.errors import flatten_messages
from riskctl.core.schema_words import in_words

# "format": only when a value is written out (dump), never on input; "invalid_awareness":
# the datetime and time fields', added below with their own words.
_LEFT = {"format", "invalid_awareness"}
_SAMPLES = {"obj_type": "date", "choices": "a, b"}


def _field_messages() -> set[str]:
    found: set[str] = set()
    for cls in vars(fields).values():
        if inspect.isclass(cls) and issubclass(cls, fields.Field):
            for key, text in getattr(cls, "default_error_messages", {}).items():
                if key not in _LEFT:
                    found.add(text.format(**_SAMPLES))
    for obj_type in ("datetime", "date", "time"):
        found.add(f"Not a valid {obj_type}.")
        for awareness in ("aware", "naive"):
            if obj_type != "date":
                found.add(f"Not a valid {awareness} {obj_type}.")
    return found


def _refusal(validator: Any, value: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        validator(value)
    (message,) = caught.value.messages
    return str(message)


def _validator_messages() -> set[str]:
    refusals = [
        (validate.OneOf(["staff", "admin"]), "boss"),
        (validate.Length(min=1, max=5), ""),
        (validate.Length(min=2), "a"),
        (validate.Length(max=1), "ab"),
        (validate.Length(equal=3), "ab"),
        (validate.Equal(3), 4),
        (validate.ContainsOnly(["a"]), ["b"]),
        (validate.ContainsNoneOf(["a"]), ["a"]),
        (validate.Regexp("^a$"), "b"),
        (validate.Predicate("isdigit"), "a"),
        (validate.NoneOf(["a"]), "a"),
        (validate.URL(), "not a url"),
        (validate.Email(), "not an email"),
    ]
    for min_inclusive in (True, False):
        for max_inclusive in (True, False):
            bounds = {"min_inclusive": min_inclusive, "max_inclusive": max_inclusive}
            refusals.append((validate.Range(min=1, max=5, **bounds), 9))
        refusals.append((validate.Range(min=1, min_inclusive=min_inclusive), 0))
        refusals.append((validate.Range(max=5, max_inclusive=min_inclusive), 9))
    return {_refusal(validator, value) for validator, value in refusals}


MESSAGES = sorted(
    _field_messages()
    | _validator_messages()
    | {"Unknown field.", "Invalid input type.", "Invalid JSON body."}
)


@pytest.mark.parametrize("message", MESSAGES)
def test_every_marshmallow_message_has_its_words(message: str) -> None:
    words = in_words(message)
    assert isinstance(words, LazyString), message
    assert str(words) == message  # the English reads as marshmallow wrote it


def test_the_choices_of_one_of_are_named() -> None:
    words = in_words(_refusal(validate.OneOf(["staff", "admin"]), "boss"))
    assert str(words) == "Must be one of: staff, admin."


def test_flattened_messages_are_translations_and_ours_pass_through() -> None:
    ours = in_words("something riskctl says")
    details = flatten_messages({"roles": {0: ["Must be one of: staff, admin."]}, "x": [ours]})
    assert [d["path"] for d in details] == ["roles[0]", "x"]
    assert isinstance(details[0]["message"], LazyString)
    assert details[1]["message"] == "something riskctl says"
