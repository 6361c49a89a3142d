"""Form fields of a process: their types, and how a value is checked and compared.

Values are kept as JSON (money as a decimal string in yuan, dates as ISO strings, as
api.md says) and turned into Python values (Decimal, date …) only to be compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from riskctl.core import inputs

FIELD_TYPES = ("text", "money", "int", "date", "choice", "bool", "reference")
ORDERED_TYPES = frozenset({"money", "int", "date"})
MAX_TEXT = 2000


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    type: str
    required: bool = False
    choices: tuple[str, ...] = ()
    # reference: the process key of the items this field points at (e.g. procurement)
    process: str | None = None
    # The counterparty of the item (supplier, contractor, buyer): checked against the
    # conflicts of interest that people have declared.
    counterparty: bool = False


def check_value(spec: FieldSpec, value: Any) -> Any:
    """The JSON value to store for ``value``; ``ValueError`` with a message in the
    reader's words."""
    if value is None:
        return None
    kind = spec.type
    if kind == "text":
        if not isinstance(value, str):
            raise ValueError(inputs.NOT_TEXT)
        value = value.strip()
        if len(value) > MAX_TEXT:
            raise ValueError(_l("must be at most %(max)s characters", max=MAX_TEXT))
        return inputs.check_text(value) or None
    if kind == "money":
        return str(inputs.money(value))
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(inputs.WHOLE_NUMBER)
        try:
            number = int(value)
        except ValueError:
            raise ValueError(inputs.WHOLE_NUMBER) from None
        if not -(10**12) < number < 10**12:
            raise ValueError(_l("is out of range"))
        return number
    if kind == "date":
        return inputs.day(value).isoformat()
    if kind == "choice":
        if value not in spec.choices:
            raise ValueError(_l("must be one of %(choices)s", choices=", ".join(spec.choices)))
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(_l("must be true or false"))
        return value
    if kind == "reference":
        # An item's id, kept as its text; the risk rules look the item up by it.
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(_l("must be the id of an item"))
        try:
            return str(inputs.whole_number(str(value), minimum=1, maximum=inputs.ID_MAX))
        except ValueError:
            raise ValueError(_l("must be the id of an item")) from None
    raise ValueError(f"unknown field type {kind!r}")


def typed(spec: FieldSpec, stored: Any) -> Any:
    """A stored JSON value as the Python value it stands for (for comparisons)."""
    if stored is None:
        return None
    if spec.type == "money":
        return Decimal(stored)
    if spec.type == "date":
        return date.fromisoformat(stored)
    return stored
