"""Scoring an evaluation: the five kinds of rule, and a whole framework over raw inputs.

Pure Python, no database and no app: plain values in, a plain result out, so that each
kind is tested on its own and the seed's table is reproduced in a unit test.

Exactness: inputs are read as ``Decimal`` (amounts by the one money parser) and computed
with as ``Fraction``; a rate or score is rounded (half up, two places) only where it is
shown.  An indicator's shown score is what its group subtotal and the total add up, so a
reader who adds up the column gets the total.  The evaluator's recorded scores, where
given, are kept beside the computed ones, and every difference gets its reason: a rate
the evaluator rounded before scoring (the seed's 结转结余控制率: 3 % → 2.70 instead of
3.13 % → 2.69), the framework's note on the source, or "not explained".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from flask_babel import lazy_gettext as _l

from riskctl.assessment.spec import (
    GRADES,
    Deduction,
    Framework,
    Group,
    Indicator,
    InputSpec,
    Rate,
    Scoring,
    number,
)
from riskctl.core import inputs as parsers

TWO = Decimal("0.01")


def shown(value: Fraction, places: int = 2) -> Decimal:
    """``value`` rounded half away from zero to ``places`` decimals, exactly."""
    scale = 10**places
    magnitude = abs(value) * scale
    whole = int(magnitude + Fraction(1, 2))  # floor of x + ½: half up
    result = Decimal(whole).scaleb(-places)
    return -result if value < 0 else result


def text(value: Decimal | Fraction | None) -> str | None:
    """A figure as the API and the stored result give it: a decimal string, 2 places."""
    if value is None:
        return None
    if isinstance(value, Fraction):
        value = shown(value)
    return str(value.quantize(TWO))


@dataclass(frozen=True)
class InputError:
    path: str
    message: Any  # a lazy translation


# ---------------------------------------------------------------- reading one input


def read_input(spec: InputSpec, value: Any) -> Fraction | bool | str:
    """An input's value, or ``ValueError`` with the message for its path."""
    kind = spec.type
    if kind == "amount":
        try:
            return Fraction(parsers.money(value))
        except parsers.InputProblem:
            raise ValueError(
                _l('must be an amount in 万元 with at most two decimals, e.g. "1102.86"')
            ) from None
    if kind == "percent":
        try:
            return Fraction(parsers.money(value))
        except parsers.InputProblem:
            raise ValueError(
                _l('must be a percentage of at least 0 with at most two decimals, e.g. "95.5"')
            ) from None
    if kind in ("count", "points"):
        most = len(spec.points) if kind == "points" else parsers.INT64_MAX
        found: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            found = value
        elif isinstance(value, str):
            try:
                found = parsers.whole_number(value)
            except parsers.InputProblem:
                found = None
        if found is None:
            raise ValueError(_l("must be a whole number"))
        if found < 0:
            raise ValueError(_l("must not be negative"))
        if found > most:
            raise ValueError(_l("must be at most %(most)s (the points listed)", most=most))
        return Fraction(found)
    if kind == "yes_no":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("yes", "no", "true", "false"):
            return value.strip().lower() in ("yes", "true")
        raise ValueError(_l("must be yes or no"))
    if kind == "grade":
        if isinstance(value, str) and value.strip() in GRADES:
            return value.strip()
        raise ValueError(_l("must be one of excellent, good, pass, fail"))
    raise ValueError(_l("unknown input type"))  # pragma: no cover - the spec refuses it


def given(value: Any) -> bool:
    """Whether an input was filled in (a draft may leave inputs empty)."""
    return value is not None and not (isinstance(value, str) and not value.strip())


# ---------------------------------------------------------------- the five kinds


@dataclass(frozen=True)
class Scored:
    """One indicator's computed outcome: the rate (if any), the exact score and the
    facts that say how (``how``: the kind's own, for the words)."""

    score: Fraction
    rate: Fraction | None
    how: Mapping[str, Any]


def rate_of(rate: Rate, values: Mapping[str, Any]) -> Fraction:
    """The indicator's rate as a percentage (the caller has checked the divisor)."""
    if rate.shape == "ratio":
        return Fraction(values[rate.keys[0]]) / Fraction(values[rate.keys[1]]) * 100
    if rate.shape == "change":
        last = Fraction(values[rate.keys[1]])
        return (Fraction(values[rate.keys[0]]) - last) / last * 100
    return Fraction(values[rate.keys[0]])


def linear(value: Fraction, full_at: Fraction, zero_at: Fraction, top: Fraction) -> Fraction:
    """Full marks at ``full_at`` or better, 0 at ``zero_at`` or worse, a straight line
    between; "better" is the side of ``full_at`` (lower is better when it is the lower)."""
    share = (zero_at - value) / (zero_at - full_at)
    return top * min(Fraction(1), max(Fraction(0), share))


def bands(scoring: Scoring, value: Fraction) -> tuple[Fraction, int | None]:
    """The score of the first band that holds (and its index), else ``otherwise``."""
    judged = abs(value) if scoring.absolute else value
    for n, band in enumerate(scoring.bands):
        if band.holds(judged):
            return band.score, n
    return scoring.otherwise, None


def checklist(met: int, points: int, step: Fraction, top: Fraction) -> Fraction:
    """Full marks less ``step`` for each point not met, never below 0."""
    return max(Fraction(0), top - step * (points - met))


def all_or_nothing(yes: bool, top: Fraction) -> Fraction:
    return top if yes else Fraction(0)


def grade_table(grade: str, scores: Mapping[str, Fraction]) -> Fraction:
    return scores[grade]


def score(indicator: Indicator, values: Mapping[str, Any]) -> Scored:
    """Score one indicator whose inputs are all read (``values``: input key → value)."""
    s, top = indicator.scoring, indicator.max
    if s.kind == "linear":
        assert s.rate is not None and s.full_at is not None and s.zero_at is not None
        rate = rate_of(s.rate, values)
        return Scored(
            linear(rate, s.full_at, s.zero_at, top),
            rate,
            {"full_at": s.full_at, "zero_at": s.zero_at},
        )
    if s.kind == "bands":
        assert s.rate is not None
        rate = rate_of(s.rate, values)
        points, band = bands(s, rate)
        is_rate = s.rate.shape != "input" or indicator.input_map[s.rate.keys[0]].type == "percent"
        return Scored(
            points, rate if is_rate else None, {"band": band, "value": rate, "absolute": s.absolute}
        )
    if s.kind == "checklist":
        spec = indicator.inputs[0]
        met = int(values[spec.key])
        assert s.step is not None
        return Scored(
            checklist(met, len(spec.points), s.step, top),
            None,
            {"met": met, "points": len(spec.points), "step": s.step},
        )
    if s.kind == "all_or_nothing":
        yes = bool(values[s.input or ""])
        return Scored(all_or_nothing(yes, top), None, {"yes": yes})
    assert s.scores is not None
    grade = str(values[s.input or ""])
    return Scored(grade_table(grade, s.scores), None, {"grade": grade})


# ---------------------------------------------------------------- a whole evaluation


@dataclass
class Outcome:
    """The result of an evaluation (``result``: plain JSON, as stored and answered) and
    the problems of its inputs (``problems``: 422 when any)."""

    result: dict[str, Any]
    problems: list[InputError] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def evaluate(framework: Framework, raw_inputs: Any, recorded: Any = None) -> Outcome:
    """Score ``raw_inputs`` (``{indicator: {input: value}}``, maybe partial) by
    ``framework``; ``recorded``: the evaluator's scores (``{indicator: "2.70"}``)."""
    problems: list[InputError] = []
    raw = raw_inputs if isinstance(raw_inputs, Mapping) else {}
    if raw_inputs is not None and not isinstance(raw_inputs, Mapping):
        problems.append(InputError("inputs", _l("must be an object of indicator → inputs")))
    known = {*framework.indicator_map, *framework.deduction_map}
    for key in raw:
        if key not in known:
            problems.append(InputError(f"inputs.{key}", _l("unknown indicator")))
    marks = _recorded(framework, recorded, problems)
    missing: list[str] = []
    rows: dict[str, dict[str, Any]] = {}
    for indicator in framework.indicators:
        rows[indicator.key] = _indicator(
            indicator, raw.get(indicator.key), marks, problems, missing
        )
    deductions = [_deduction(d, raw.get(d.key), problems, missing) for d in framework.deductions]
    groups = [_group(g, rows) for g in framework.groups]
    complete = not missing and all(g["score"] is not None for g in groups)
    total = recorded_total = None
    off = sum((Decimal(d["score"]) for d in deductions if d["score"] is not None), Decimal(0))
    if complete and not problems:
        total = sum((Decimal(g["score"]) for g in groups), Decimal(0)) - off
        recorded_total = sum((Decimal(g["recorded"]) for g in groups), Decimal(0)) - off
    differences = [
        {
            "indicator": r["key"],
            "name": r["name"],
            "computed": r["score"],
            "recorded": r["recorded"],
            "reason": r["reason"],
        }
        for r in rows.values()
        if r["reason"] is not None
    ]
    grade = framework.grade_of(Fraction(total)) if total is not None else None
    recorded_grade = (
        framework.grade_of(Fraction(recorded_total)) if recorded_total is not None else None
    )
    result = {
        "framework": {"key": framework.key, "name": framework.name, "version": framework.version},
        "complete": complete,
        "max": text(framework.max),
        "indicators": list(rows.values()),
        "groups": groups,
        "deductions": deductions,
        "deducted": text(off),
        "total": text(total),
        "recorded_total": text(recorded_total) if marks else None,
        "grade": grade.label if grade else None,
        "recorded_grade": recorded_grade.label if recorded_grade and marks else None,
        "missing": missing,
        "differences": differences,
        "warnings": [w for r in rows.values() for w in r["warnings"]],
    }
    return Outcome(result, problems, missing)


def _recorded(
    framework: Framework, recorded: Any, problems: list[InputError]
) -> dict[str, Decimal]:
    marks: dict[str, Decimal] = {}
    if recorded is None:
        return marks
    if not isinstance(recorded, Mapping):
        problems.append(InputError("recorded", _l("must be an object of indicator → score")))
        return marks
    for key, value in recorded.items():
        indicator = framework.indicator_map.get(key)
        if indicator is None:
            problems.append(InputError(f"recorded.{key}", _l("unknown indicator")))
            continue
        found = number(value)
        if found is None or found < 0 or shown(found) != found:
            problems.append(
                InputError(
                    f"recorded.{key}",
                    _l('must be a score of at least 0 with at most two decimals, e.g. "2.70"'),
                )
            )
        elif found > indicator.max:
            problems.append(
                InputError(
                    f"recorded.{key}",
                    _l(
                        "must not exceed the indicator's maximum (%(max)s)", max=text(indicator.max)
                    ),
                )
            )
        else:
            marks[key] = shown(found)
    return marks


def _read_all(
    key: str,
    specs: tuple[InputSpec, ...],
    raw: Any,
    problems: list[InputError],
    missing: list[str],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    values: dict[str, Any] = {}
    shown_inputs: list[dict[str, Any]] = []
    if raw is not None and not isinstance(raw, Mapping):
        problems.append(InputError(f"inputs.{key}", _l("must be an object of input → value")))
        raw = {}
    raw = raw or {}
    for name in raw:
        if name not in {s.key for s in specs}:
            problems.append(InputError(f"inputs.{key}.{name}", _l("unknown input")))
    for spec in specs:
        path = f"inputs.{key}.{spec.key}"
        value = raw.get(spec.key)
        entry: dict[str, Any] = {
            "key": spec.key,
            "label": spec.label,
            "type": spec.type,
            "value": None,
        }
        if spec.points:
            entry["points"] = list(spec.points)
        if not given(value):
            missing.append(path)
        else:
            try:
                found = read_input(spec, value)
            except ValueError as exc:
                problems.append(InputError(path, exc.args[0]))
            else:
                values[spec.key] = found
                entry["value"] = _stored(spec, found)
        shown_inputs.append(entry)
    return values, shown_inputs


def _stored(spec: InputSpec, value: Fraction | bool | str) -> Any:
    """An input as the result keeps it: amounts and percentages as decimal strings,
    counts as integers, yes/no as booleans, grades as their keys."""
    if isinstance(value, bool | str):
        return value
    if spec.type in ("count", "points"):
        return int(value)
    return text(value)


def _indicator(
    indicator: Indicator,
    raw: Any,
    marks: Mapping[str, Decimal],
    problems: list[InputError],
    missing: list[str],
) -> dict[str, Any]:
    before = len(problems) + len(missing)
    values, shown_inputs = _read_all(indicator.key, indicator.inputs, raw, problems, missing)
    row: dict[str, Any] = {
        "key": indicator.key,
        "index": indicator.index,
        "name": indicator.name,
        "group": list(indicator.group),
        "max": text(indicator.max),
        "kind": indicator.scoring.kind,
        "inputs": shown_inputs,
        "rate": None,
        "score": None,
        "how": None,
        "recorded": text(marks.get(indicator.key)),
        "reason": None,
        "warnings": [],
        "rule": indicator.rule,
        "note": indicator.note,
        "signal": indicator.signal,
    }
    if len(problems) + len(missing) > before:
        return row
    divisor = indicator.scoring.rate.divisor if indicator.scoring.rate else None
    if divisor is not None and values[divisor] == 0:
        problems.append(
            InputError(
                f"inputs.{indicator.key}.{divisor}", _l("must not be 0: the rate divides by it")
            )
        )
        return row
    outcome = score(indicator, values)
    row["rate"] = text(outcome.rate)
    row["score"] = text(outcome.score)
    row["how"] = _plain(outcome.how)
    if (rate := indicator.scoring.rate) is not None:
        row["how"]["shape"], row["how"]["keys"] = rate.shape, list(rate.keys)
    p = indicator.plausible
    if (
        p is not None
        and outcome.rate is not None
        and (
            (p.at_most is not None and outcome.rate > p.at_most)
            or (p.at_least is not None and outcome.rate < p.at_least)
        )
    ):
        row["warnings"].append(
            {
                "path": f"inputs.{indicator.key}",
                "indicator": indicator.key,
                "message": p.message,
                "rate": text(outcome.rate),
            }
        )
    recorded = marks.get(indicator.key)
    if recorded is not None and recorded != shown(outcome.score):
        row["reason"] = _reason(indicator, values, outcome, recorded)
    return row


def _reason(
    indicator: Indicator, values: Mapping[str, Any], outcome: Scored, recorded: Decimal
) -> dict[str, Any]:
    """Why the evaluator's score differs from the computed one, as far as the inputs
    tell: a rate rounded before scoring reproduces it, or the framework's note on the
    source explains it, or it is not explained."""
    s = indicator.scoring
    if outcome.rate is not None and s.kind in ("linear", "bands"):
        for places in (0, 1):
            rounded = Fraction(shown(outcome.rate, places))
            if rounded == outcome.rate:
                continue
            if s.kind == "linear":
                assert s.full_at is not None and s.zero_at is not None
                again = linear(rounded, s.full_at, s.zero_at, indicator.max)
            else:
                again = bands(s, rounded)[0]
            if shown(again) == recorded:
                return {
                    "kind": "rate_rounded",
                    "rounded_rate": str(shown(rounded, places)),
                    "rate": text(outcome.rate),
                    "places": places,
                }
    if indicator.note:
        return {"kind": "note", "note": indicator.note}
    return {"kind": "unexplained"}


def _deduction(
    deduction: Deduction, raw: Any, problems: list[InputError], missing: list[str]
) -> dict[str, Any]:
    before = len(problems) + len(missing)
    values, shown_inputs = _read_all(deduction.key, deduction.inputs, raw, problems, missing)
    row: dict[str, Any] = {
        "key": deduction.key,
        "name": deduction.name,
        "points": text(deduction.points),
        "inputs": shown_inputs,
        "applied": None,
        "score": None,
        "rule": deduction.rule,
    }
    if len(problems) + len(missing) == before:
        value = values[deduction.inputs[0].key]
        applied = bool(value) if isinstance(value, bool) else value > 0
        row["applied"] = applied
        row["score"] = text(deduction.points if applied else Fraction(0))  # counted once
    return row


def _group(group: Group, rows: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    parts = [_group(g, rows) for g in group.groups]
    indicators = [rows[i.key] for i in group.indicators]
    scores = [p["score"] for p in parts] + [r["score"] for r in indicators]
    recorded = [p["recorded"] for p in parts] + [
        r["recorded"] if r["recorded"] is not None else r["score"] for r in indicators
    ]
    done = all(s is not None for s in scores)
    return {
        "key": group.key,
        "name": group.name,
        "max": text(group.max),
        "score": text(sum((Decimal(s) for s in scores), Decimal(0))) if done else None,
        "recorded": text(sum((Decimal(s) for s in recorded), Decimal(0)))
        if all(s is not None for s in recorded)
        else None,
        "groups": parts,
        "indicators": [r["key"] for r in indicators],
    }


def _plain(how: Mapping[str, Any]) -> dict[str, Any]:
    """The kind's facts as JSON: a whole number as such (a count, a threshold of 95 %),
    any other figure as a decimal string of two places."""

    def one(value: Any) -> Any:
        if not isinstance(value, Fraction):
            return value
        return str(value.numerator) if value.denominator == 1 else text(value)

    return {k: one(v) for k, v in how.items()}
