"""marshmallow's (and webargs') messages in the reader's language.

Every marshmallow problem reaches a reader through ``riskctl.core.errors.flatten_messages``
(the API's 422 ``details``, the CSV import's problems, the admin forms, the CLI): that is
where ``in_words`` puts each of marshmallow's own English messages into a lazy
translation, so that the caller reads it in its language while the ``code`` and the
``path`` stay what they were.

Why here and not in marshmallow's ``error_messages``: marshmallow formats its messages
with ``str.format`` only when they are plain strings, copies each field's messages when
the field is made (at import, before any app), and builds the validators' messages
(``Must be one of: {choices}.``, ``Must be greater than or equal to {min} …``) in the
validator; a lazy message there would have to be set on every field of every schema of
every domain, and one forgotten field would answer in English.  Translating the finished
message at the one funnel covers every schema, including flask-smorest's and those still
to be written, and ``tests/unit/test_schema_words.py`` fails when a marshmallow upgrade
brings a message this module does not know.  Our own messages (``riskctl.core.inputs``,
the org schemas) are lazy from the start and pass through unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l

_EXACT: dict[str, Any] = {
    # fields
    "Missing data for required field.": _l("Missing data for required field."),
    "Field may not be null.": _l("Field may not be null."),
    "Invalid value.": _l("Invalid value."),
    "Invalid type.": _l("Invalid type."),
    "Not a valid list.": _l("Not a valid list."),
    "Not a valid tuple.": _l("Not a valid tuple."),
    "Not a valid string.": _l("Not a valid string."),
    "Not a valid utf-8 string.": _l("Not a valid utf-8 string."),
    "Not a valid UUID.": _l("Not a valid UUID."),
    "Not a valid number.": _l("Not a valid number."),
    "Number too large.": _l("Number too large."),
    "Not a valid integer.": _l("Not a valid integer."),
    "Special numeric values (nan or infinity) are not permitted.": _l(
        "Special numeric values (nan or infinity) are not permitted."
    ),
    "Not a valid boolean.": _l("Not a valid boolean."),
    "Not a valid date.": _l("Not a valid date."),
    "Not a valid datetime.": _l("Not a valid datetime."),
    "Not a valid time.": _l("Not a valid time."),
    "Not a valid aware datetime.": _l("Not a valid aware datetime."),
    "Not a valid naive datetime.": _l("Not a valid naive datetime."),
    "Not a valid aware time.": _l("Not a valid aware time."),
    "Not a valid naive time.": _l("Not a valid naive time."),
    "Not a valid period of time.": _l("Not a valid period of time."),
    "Not a valid mapping type.": _l("Not a valid mapping type."),
    "Not a valid URL.": _l("Not a valid URL."),
    "Not a valid email address.": _l("Not a valid email address."),
    "Not a valid IP address.": _l("Not a valid IP address."),
    "Not a valid IPv4 address.": _l("Not a valid IPv4 address."),
    "Not a valid IPv6 address.": _l("Not a valid IPv6 address."),
    "Not a valid IP interface.": _l("Not a valid IP interface."),
    "Not a valid IPv4 interface.": _l("Not a valid IPv4 interface."),
    "Not a valid IPv6 interface.": _l("Not a valid IPv6 interface."),
    # validators
    "String does not match expected pattern.": _l("String does not match expected pattern."),
    "Invalid input.": _l("Invalid input."),
    # schemas (an unknown key, a body that is not an object) and webargs
    "Unknown field.": _l("Unknown field."),
    "Invalid input type.": _l("Invalid input type."),
    "Invalid JSON body.": _l("Invalid JSON body."),
}

# Messages with values in them: the values are what the caller sent or may send (the
# choices of "Must be one of" are codes, as the caller writes them).
_GTE, _GT = "greater than or equal to", "greater than"
_LTE, _LT = "less than or equal to", "less than"
_PATTERNS: list[tuple[str, Callable[..., Any]]] = [
    (r"Must be one of: (?P<choices>.*)\.", lambda **v: _l("Must be one of: %(choices)s.", **v)),
    (r"Length must be between (?P<min>\S+) and (?P<max>\S+)\.",
     lambda **v: _l("Length must be between %(min)s and %(max)s.", **v)),
    (r"Length must be (?P<equal>\S+)\.", lambda **v: _l("Length must be %(equal)s.", **v)),
    (r"Longer than maximum length (?P<max>\S+)\.",
     lambda **v: _l("Longer than maximum length %(max)s.", **v)),
    (r"Shorter than minimum length (?P<min>\S+)\.",
     lambda **v: _l("Shorter than minimum length %(min)s.", **v)),
    (r"Must be equal to (?P<other>.*)\.", lambda **v: _l("Must be equal to %(other)s.", **v)),
    (r"One or more of the choices you made was not in: (?P<choices>.*)\.",
     lambda **v: _l("One or more of the choices you made was not in: %(choices)s.", **v)),
    (r"One or more of the choices you made was in: (?P<values>.*)\.",
     lambda **v: _l("One or more of the choices you made was in: %(values)s.", **v)),
    # validate.Range, with or without either end, inclusive or not
    (rf"Must be {_GTE} (?P<min>\S+) and {_LTE} (?P<max>\S+)\.",
     lambda **v: _l("Must be greater than or equal to %(min)s and less than or equal to "
                    "%(max)s.", **v)),
    (rf"Must be {_GTE} (?P<min>\S+) and {_LT} (?P<max>\S+)\.",
     lambda **v: _l("Must be greater than or equal to %(min)s and less than %(max)s.", **v)),
    (rf"Must be {_GT} (?P<min>\S+) and {_LTE} (?P<max>\S+)\.",
     lambda **v: _l("Must be greater than %(min)s and less than or equal to %(max)s.", **v)),
    (rf"Must be {_GT} (?P<min>\S+) and {_LT} (?P<max>\S+)\.",
     lambda **v: _l("Must be greater than %(min)s and less than %(max)s.", **v)),
    (rf"Must be {_GTE} (?P<min>\S+)\.",
     lambda **v: _l("Must be greater than or equal to %(min)s.", **v)),
    (rf"Must be {_GT} (?P<min>\S+)\.", lambda **v: _l("Must be greater than %(min)s.", **v)),
    (rf"Must be {_LTE} (?P<max>\S+)\.",
     lambda **v: _l("Must be less than or equal to %(max)s.", **v)),
    (rf"Must be {_LT} (?P<max>\S+)\.", lambda **v: _l("Must be less than %(max)s.", **v)),
]  # fmt: skip
_COMPILED = [(re.compile(pattern), words) for pattern, words in _PATTERNS]


def in_words(message: Any) -> Any:
    """One of marshmallow's English messages as a lazy translation; anything else (our
    own messages, already lazy) as it is."""
    if not isinstance(message, str):
        return message
    if message in _EXACT:
        return _EXACT[message]
    for pattern, words in _COMPILED:
        found = pattern.fullmatch(message)
        if found:
            return words(**found.groupdict())
    return message
