"""What riskctl takes from outside, defined once: whole numbers, money, moments and days,
lines and texts, and JSON or YAML documents.

The API's schemas, the pages, the CSV import, the process definitions and the CLI all
read their input through these, so that hostile input is refused the same way
everywhere — with a message and the path of the value — before it reaches a service,
the database or a computation that would fail on it (an integer column, a ``Decimal``
quantized to cents, a date moved by a day, a string encoded as UTF-8) or exhaust the
server (a YAML alias bomb, JSON nested thousands deep).

Pure parsers raise ``InputProblem`` (a ``ValueError``, so that the field checks that catch
``ValueError`` keep working), its message put into words when read; ``Malformed`` is the
kind that makes a whole document unreadable (HTTP 400 rather than 422).  The marshmallow
fields (``Int``, ``Line``, ``Text``, ``Moment``, ``Day``) and the WTForms validator wrap
the same functions.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, NoReturn

import yaml
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate

from riskctl.core.errors import DomainError, ValidationFailed
from riskctl.core.errors import Text as Message

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# Ids (and versions) live in INTEGER columns: PostgreSQL refuses a parameter beyond 32
# bits for them ("integer out of range"), SQLite beyond 64.
ID_MAX = 2**31 - 1
# The calendar riskctl reasons about: moments and days outside it are no business of an
# integrity-risk platform, and moving them by hours or days would overflow Python's dates.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2099, 12, 31)
FIRST_MOMENT = datetime.combine(FIRST_DAY, time(), UTC)
END_MOMENT = datetime.combine(date(LAST_DAY.year + 1, 1, 1), time(), UTC)  # excluded
MAX_MONEY = Decimal("9999999999999.99")
MAX_MONEY_CHARS = 32  # "9,999,999,999,999.99" with room to spare; no exponent bombs
MAX_DEPTH = 32  # nesting of JSON and YAML documents; riskctl's deepest is about 8
MAX_YAML_CHARS = 256 * 1024

# Messages: English msgids put into words when read (riskctl.core.errors), in the API,
# the pages, the CSV import and the CLI alike.
WHOLE_NUMBER = _l("must be a whole number")
SURROGATE = _l("is not valid Unicode text (an unpaired surrogate)")
NOT_TEXT = _l("must be text")
KEY_NOT_TEXT = _l("keys must be text")
NOT_FINITE = _l("must be a finite number")
MONEY_FORMAT = _l('must be an amount in yuan, e.g. "1234.50"')
MONEY_FLOAT = _l('send money as a decimal string in yuan, e.g. "1234.50"')
MONEY_CENTS = _l("must have at most two decimal places")
MONEY_RANGE = _l("must be between 0 and 9,999,999,999,999.99")
DATE_FORMAT = _l("must be a date like 2026-11-24")
DAY_RANGE = _l("must be a day from 1900-01-01 to 2099-12-31")
MOMENT_RANGE = _l("must be a moment from 1900-01-01 to 2099-12-31")


def whole_number_range(minimum: int, maximum: int) -> Any:
    return _l("must be a whole number from %(min)s to %(max)s", min=minimum, max=maximum)


def too_deep(depth: int) -> Any:
    return _l("nested more than %(depth)s levels deep", depth=depth)


class InputProblem(ValueError):
    """A value refused: ``message`` says why, ``path`` where (``""``: the value itself;
    ``fields.amount``, ``nodes[3].name`` inside a document)."""

    def __init__(self, message: Message, path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def where(self, at: str = "") -> str:
        """The path below ``at`` (the place the value was found in, e.g. ``fields``)."""
        if not at or not self.path:
            return at or self.path
        return f"{at}{self.path}" if self.path.startswith("[") else f"{at}.{self.path}"

    def as_error(self, at: str = "", *, code: str | None = None) -> DomainError:
        """The 422 of api.md, with the path."""
        return ValidationFailed.at(self.where(at), self.message)


class Malformed(InputProblem):
    """The document cannot be read at all (not JSON, nested too deep): a 400."""

    def as_error(self, at: str = "", *, code: str | None = None) -> DomainError:
        path = self.where(at)
        return DomainError(self.message, code=code or "malformed",
                           details=[{"path": path, "message": self.message}])  # fmt: skip


# ---------------------------------------------------------------- text

# C0 and C1 control characters (and DEL).  Tab, newline and carriage return have their
# business in free text; a line (a name, a code, a title) has none of them, nor the
# Unicode line and paragraph separators.
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def text_problem(value: str, *, single_line: bool = False) -> Message | None:
    """Why ``value`` is not acceptable text (a line when ``single_line``), or None."""
    if _SURROGATE.search(value):
        return SURROGATE
    found = (_CONTROL_IN_LINE if single_line else _CONTROL_IN_TEXT).search(value)
    if found is None:
        return None
    char = f"U+{ord(found.group()):04X}"
    if single_line:
        return _l("must be one line without control characters (found %(char)s)", char=char)
    return _l("must not contain control characters (found %(char)s)", char=char)


def check_text(value: str, *, single_line: bool = False, path: str = "") -> str:
    problem = text_problem(value, single_line=single_line)
    if problem:
        raise InputProblem(problem, path)
    return value


# ---------------------------------------------------------------- numbers

_WHOLE = re.compile(r"[+-]?[0-9]{1,20}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def whole_number(text: str, *, minimum: int = INT64_MIN, maximum: int = INT64_MAX) -> int:
    """A whole number written with ASCII digits (``str.isdigit`` also takes "²"), within
    ``minimum``..``maximum`` (default: a signed 64-bit integer, what a database holds)."""
    text = text.strip()
    if not _WHOLE.fullmatch(text):
        raise InputProblem(WHOLE_NUMBER)
    number = int(text)
    if not minimum <= number <= maximum:
        raise InputProblem(whole_number_range(minimum, maximum))
    return number


_MONEY = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?")


def money(value: Any) -> Decimal:
    """An amount in yuan (api.md: a decimal string such as ``"1234.50"``; an integer is
    taken too, thousands separators are ignored) as a ``Decimal`` of cents.

    Read with a pattern, never with ``Decimal(text)`` first: that accepts exponents and
    any length, and ``Decimal("1e999999999").quantize(…)`` raises instead of answering."""
    if isinstance(value, bool | float):
        raise InputProblem(MONEY_FLOAT)
    if isinstance(value, int):
        if not 0 <= value <= MAX_MONEY:
            raise InputProblem(MONEY_RANGE)
        return Decimal(value).quantize(Decimal("0.01"))
    if isinstance(value, Decimal):
        value = format(value, "f") if value.is_finite() and abs(value.adjusted()) < 20 else ""
    if not isinstance(value, str):
        raise InputProblem(MONEY_FORMAT)
    text = value.strip().replace(",", "")
    match = _MONEY.fullmatch(text) if len(text) <= MAX_MONEY_CHARS else None
    if match is None or not (match.group(2) or match.group(3)):
        raise InputProblem(MONEY_FORMAT)
    sign, whole, cents = match.group(1), match.group(2), (match.group(3) or "").rstrip("0")
    if len(cents) > 2:
        raise InputProblem(MONEY_CENTS)
    amount = Decimal(f"{whole}.{cents or '0'}")
    if (sign == "-" and amount) or amount > MAX_MONEY:
        raise InputProblem(MONEY_RANGE)
    return amount.quantize(Decimal("0.01"))


# ---------------------------------------------------------------- days and moments


def day(value: Any) -> date:
    """A day of riskctl's calendar, from a ``date`` or ISO text (``2026-11-24``).  Only
    that form of text: Python's ``fromisoformat`` also reads "20261124" and "2026-W48-2"."""
    if isinstance(value, str):
        try:
            if not _DAY.fullmatch(value.strip()):
                raise ValueError(value)
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise InputProblem(DATE_FORMAT) from None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InputProblem(DATE_FORMAT)
    if not FIRST_DAY <= value <= LAST_DAY:
        raise InputProblem(DAY_RANGE)
    return value


def stored_money(value: Any) -> Decimal | None:
    """A stored money value (decimal string, as api.md keeps it) or None — read by the
    one money parser, so that a policy's "1E+999999999" is refused, not computed with."""
    if value is None:
        return None
    if isinstance(value, str):
        return _stored_money_text(value)
    try:
        return money(value)
    except InputProblem:
        return None


@functools.lru_cache(maxsize=4096)
def _stored_money_text(value: str) -> Decimal | None:
    # Remembered: rules parse the same few policy figures (thresholds) once per item.
    try:
        return money(value)
    except InputProblem:
        return None


def stored_day(value: Any) -> date | None:
    """A stored day (ISO text) or None."""
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def check_moment(value: datetime) -> datetime:
    """An aware moment inside riskctl's calendar (compared in UTC: no offset overflows)."""
    if value.tzinfo is None or not FIRST_MOMENT <= value < END_MOMENT:
        raise InputProblem(MOMENT_RANGE)
    return value


# ---------------------------------------------------------------- documents


def _path(link: Any) -> str:
    parts: list[str] = []
    while link is not None:
        link, part = link
        parts.append(f"[{part}]" if isinstance(part, int) else f".{part}")
    return "".join(reversed(parts)).lstrip(".")


def check_tree(value: Any, *, max_depth: int = MAX_DEPTH) -> None:
    """A document (parsed JSON or YAML) holds only what JSON can hold and riskctl can
    store: mappings with text keys, lists, lines of text without control characters in
    keys, text without them in values, 64-bit integers, finite numbers, booleans, null;
    at most ``max_depth`` levels deep.  Walked without recursion."""
    stack: list[tuple[Any, int, Any]] = [(value, 0, None)]
    while stack:
        node, depth, link = stack.pop()
        if isinstance(node, str):
            check_text(node, path=_path(link))
        elif node is None or isinstance(node, bool):
            continue
        elif isinstance(node, int):
            if not INT64_MIN <= node <= INT64_MAX:
                raise InputProblem(whole_number_range(INT64_MIN, INT64_MAX), _path(link))
        elif isinstance(node, float):
            if not math.isfinite(node):
                raise InputProblem(NOT_FINITE, _path(link))
        elif isinstance(node, dict | list):
            if depth >= max_depth:
                raise Malformed(too_deep(max_depth), _path(link))
            items: Iterator[tuple[Any, Any]]
            if isinstance(node, dict):
                for key in node:
                    if not isinstance(key, str):
                        raise InputProblem(KEY_NOT_TEXT, _path(link))
                    problem = text_problem(key, single_line=True)
                    if problem:
                        raise InputProblem(problem, _path(link))
                items = iter(node.items())
            else:
                items = enumerate(node)
            stack.extend((child, depth + 1, (link, key)) for key, child in items)
        else:
            raise InputProblem(
                _l("%(type)s is not a JSON value", type=type(node).__name__), _path(link)
            )


def _no_constant(name: str) -> Any:
    raise Malformed(_l("%(name)s is not a JSON number", name=name))


def load_json(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """JSON from outside, checked by ``check_tree``.  ``Malformed`` when it is not JSON
    (``NaN`` and ``Infinity`` are not), not UTF-8, or nested deeper than ``max_depth``."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        # "1e999" is read as inf, so that check_tree names its path.
        value = json.loads(text, parse_constant=_no_constant)
    except Malformed:
        raise
    except RecursionError:
        raise Malformed(too_deep(max_depth)) from None
    except UnicodeDecodeError:
        raise Malformed(_l("the body is not UTF-8 text")) from None
    except json.JSONDecodeError as exc:
        # json's own words for the problem stay English: they name a token.
        raise Malformed(
            _l("not valid JSON: line %(line)s, column %(column)s: %(problem)s",
               line=exc.lineno, column=exc.colno, problem=exc.msg)
        ) from None  # fmt: skip
    except ValueError:  # an integer of more than 4,300 digits (Python's own limit)
        raise Malformed(_l("not valid JSON: a number has too many digits")) from None
    check_tree(value, max_depth=max_depth)
    return value


def _aliases_refused(name: str) -> Any:
    return _l("anchors and aliases are not allowed (%(name)s)", name=name)


class _YamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader without anchors, aliases or explicit tags, and bounded in
    depth while it composes: an alias bomb (a few hundred bytes that expand to millions
    of nodes) and a document nested thousands deep stop at their first offending event,
    before anything is built.  Timestamps come back as the ISO text they stand for
    (riskctl stores JSON)."""

    def __init__(self, stream: str, max_depth: int) -> None:
        super().__init__(stream)
        self.max_depth = max_depth
        self.depth = 0

    def _refuse(self, problem: Message, event: Any) -> NoReturn:
        raise yaml.composer.ComposerError(None, None, problem, event.start_mark)

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            self._refuse(_aliases_refused(f"*{event.anchor}"), event)
        if getattr(event, "anchor", None) is not None:
            self._refuse(_aliases_refused(f"&{event.anchor}"), event)
        if getattr(event, "tag", None) not in (None, "!"):
            self._refuse(_l("tags (%(tag)s) are not allowed", tag=event.tag), event)
        nested = isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent)
        if nested:
            self.depth += 1
            if self.depth > self.max_depth:
                self._refuse(too_deep(self.max_depth), event)
        try:
            return super().compose_node(parent, index)
        finally:
            if nested:
                self.depth -= 1

    def construct_yaml_timestamp(self, node: Any) -> Any:  # type: ignore[override]
        return super().construct_yaml_timestamp(node).isoformat()


_YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _YamlLoader.construct_yaml_timestamp)


def _not_yaml(problem: Any) -> Any:
    return _l("not valid YAML: %(problem)s", problem=problem)


def load_yaml(text: str, *, max_chars: int = MAX_YAML_CHARS, max_depth: int = MAX_DEPTH) -> Any:
    """YAML (or JSON, which YAML reads too) from outside, checked by ``check_tree``;
    ``InputProblem`` saying where (line, column) when it is refused."""
    if len(text) > max_chars:
        raise InputProblem(_l("a document is at most %(size)s KiB", size=max_chars // 1024))
    # The loader stops at the first event too deep, but PyYAML's scanner looks up to
    # 1,024 characters ahead for a key and slows down with every open bracket on the way:
    # a plain run of them is refused before it starts.
    if re.search(rf"[\[{{](?:\s*[\[{{]){{{max_depth}}}", text):
        raise InputProblem(_not_yaml(too_deep(max_depth)))
    loader = None
    try:
        # In the try: the reader refuses control characters as soon as it is made.
        loader = _YamlLoader(text, max_depth)
        value = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        # PyYAML's own words for the problem stay English; ours (_refuse) are lazy.
        problem = getattr(exc, "problem", None) or exc
        if mark is None:
            raise InputProblem(_not_yaml(problem)) from None
        raise InputProblem(
            _l("not valid YAML: line %(line)s, column %(column)s: %(problem)s",
               line=mark.line + 1, column=mark.column + 1, problem=problem)
        ) from None  # fmt: skip
    except RecursionError:  # pragma: no cover - the depth bound comes first
        raise InputProblem(_not_yaml(too_deep(max_depth))) from None
    finally:
        if loader is not None:
            loader.dispose()
    check_tree(value, max_depth=max_depth)
    return value


# ---------------------------------------------------------------- marshmallow fields


class Int(fields.Integer):
    """A whole number within ``minimum``..``maximum`` (default: signed 64-bit), for every
    integer of a path, query or body: beyond them a database refuses it with a 500.  The
    bounds are documented in the OpenAPI document."""

    def __init__(
        self, *, minimum: int = INT64_MIN, maximum: int = INT64_MAX, error: Message = None,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        if not INT64_MIN <= minimum <= maximum <= INT64_MAX:
            raise ValueError("bounds of an Int lie within a signed 64-bit integer")
        given = kwargs.pop("validate", None)
        extra = [] if given is None else list(given) if isinstance(given, list | tuple) else [given]
        bounds = _Bounds(min=minimum, max=maximum, why=error)
        super().__init__(validate=[bounds, *extra], **kwargs)


class _Bounds(validate.Range):
    """``validate.Range`` (which the OpenAPI document shows as minimum and maximum),
    saying why in the reader's words: ``why``, or the range."""

    def __init__(self, *, min: int, max: int, why: Message = None) -> None:
        super().__init__(min=min, max=max)
        self.why = why

    def __call__(self, value: Any) -> Any:
        try:
            return super().__call__(value)
        except ValidationError:
            why = self.why if self.why is not None else whole_number_range(self.min, self.max)
            raise ValidationError([why]) from None


class Id(Int):
    """The id of a row (an item, an event …): 1 to the largest INTEGER of the database."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(minimum=1, maximum=ID_MAX, **kwargs)


class Line(fields.String):
    """One line of text: a name, a code, a title, a label.  No control characters at all
    (no tab, no newline).  The OpenAPI document says so with a pattern (unless the field
    has its own), so that clients and fuzzers send what the server takes."""

    single_line = True
    pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        constrained = any(isinstance(v, validate.Regexp | validate.OneOf) for v in self.validators)
        if "pattern" not in self.metadata and not constrained:
            self.metadata = {**self.metadata, "pattern": self.pattern}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        problem = text_problem(text, single_line=self.single_line)
        if problem:
            raise ValidationError([problem])
        return text


class Text(Line):
    """Free text (a comment, an explanation, a reason): tab, newline and carriage return
    are allowed, other control characters are not."""

    single_line = False
    pattern = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"


class Moment(fields.AwareDateTime):
    """An ISO 8601 moment with its offset, inside riskctl's calendar."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return check_moment(moment)
        except InputProblem as exc:
            raise ValidationError([exc.message]) from None


class Day(fields.Date):
    """An ISO day (``2026-11-24``) inside riskctl's calendar."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        found = super()._deserialize(value, attr, data, **kwargs)
        try:
            return day(found)
        except InputProblem as exc:
            raise ValidationError([exc.message]) from None


def translated(message: Message) -> Message:
    """This module's messages are lazy translations already (put into words when read):
    kept for callers written when they were plain English, which it returns unchanged."""
    return message


# ---------------------------------------------------------------- WTForms


class NoControlCharacters:
    """WTForms validator: the same rule for a form field (``single_line`` for names,
    codes, titles; free text otherwise), in the reader's language."""

    def __init__(self, *, single_line: bool = True) -> None:
        self.single_line = single_line

    def __call__(self, form: Any, field: Any) -> None:
        from wtforms.validators import ValidationError as FormError

        if not isinstance(field.data, str):
            return
        problem = text_problem(field.data, single_line=self.single_line)
        if problem:
            raise FormError(str(problem))
