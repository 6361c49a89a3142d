"""An evaluation framework (评价指标体系) as plain, immutable Python objects, and its reader.

A framework is data: a YAML file per framework under ``frameworks/`` (the seed's
部门整体支出绩效评价 is ``dept_overall_expenditure.yaml``).  ``parse`` never stops at the
first problem: like a process definition (``riskctl.process.validation``) it reads what it
can and reports every problem with its path (``groups[1].groups[0].indicators[3].scoring.
full_at``), so that whoever writes the next year's framework fixes it in one round.

Every figure is kept exact (``Fraction``; YAML's ``1.5`` is read from its text, never as a
binary float), so that rates and scores are computed exactly and only rounded when shown.
No ``eval``: a rate is one of three shapes (``ratio``, ``change``, ``input``) over the
indicator's own inputs, and a score one of five kinds (``riskctl.assessment.scoring``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l

from riskctl.core.errors import Text
from riskctl.core.inputs import InputProblem, load_yaml, text_problem

FRAMEWORK_DIR = Path(__file__).resolve().parent / "frameworks"
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}\Z")
KEY_HELP = _l("use 1–40 lowercase letters, digits or '_', starting with a letter")
INPUT_TYPES = ("amount", "count", "percent", "yes_no", "grade", "points")
KINDS = ("linear", "bands", "checklist", "all_or_nothing", "grade_table")
GRADES = ("excellent", "good", "pass", "fail")  # 优秀 良好 合格 不合格
GRADE_LABELS = {"excellent": "优秀", "good": "良好", "pass": "合格", "fail": "不合格"}
BAND_TESTS = ("at_least", "above", "at_most", "below")


@dataclass(frozen=True)
class Problem:
    path: str
    message: Text  # put into words when read (riskctl.core.errors)

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": str(self.message)}


@dataclass(frozen=True)
class InputSpec:
    key: str
    label: str
    type: str  # amount (万元) | count | percent | yes_no | grade | points
    points: tuple[str, ...] = ()  # points: the evaluation points (评价要点) to count


@dataclass(frozen=True)
class Rate:
    """How an indicator's rate (a percentage) comes from its inputs."""

    shape: str  # ratio | change | input
    keys: tuple[str, ...]

    @property
    def divisor(self) -> str | None:
        return self.keys[1] if self.shape in ("ratio", "change") else None


@dataclass(frozen=True)
class Band:
    test: str  # at_least | above | at_most | below
    bound: Fraction
    score: Fraction

    def holds(self, value: Fraction) -> bool:
        return {
            "at_least": value >= self.bound,
            "above": value > self.bound,
            "at_most": value <= self.bound,
            "below": value < self.bound,
        }[self.test]


@dataclass(frozen=True)
class Scoring:
    kind: str
    rate: Rate | None = None  # linear, bands (or ``value`` for a count)
    full_at: Fraction | None = None  # linear
    zero_at: Fraction | None = None  # linear
    bands: tuple[Band, ...] = ()  # bands
    otherwise: Fraction = Fraction(0)  # bands: no band holds
    absolute: bool = False  # bands: judge the rate's absolute value
    step: Fraction | None = None  # checklist: points off per point not met
    input: str | None = None  # all_or_nothing (yes_no), grade_table (grade)
    scores: Mapping[str, Fraction] | None = None  # grade_table


@dataclass(frozen=True)
class Plausible:
    """A data-quality check on an indicator's rate: outside it, a warning, not an error."""

    at_most: Fraction | None
    at_least: Fraction | None
    message: str


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str
    max: Fraction
    inputs: tuple[InputSpec, ...]
    scoring: Scoring
    definition: str = ""
    rule: str = ""  # the scoring rule as the framework words it
    note: str = ""  # where this reading departs from the source, and why
    signal: bool = False  # losing points here may raise a unit risk signal
    plausible: Plausible | None = None
    group: tuple[str, ...] = ()  # keys of the groups above it
    index: int = 0  # 1-based, the order of the source's table

    @cached_property
    def input_map(self) -> dict[str, InputSpec]:
        return {i.key: i for i in self.inputs}


@dataclass(frozen=True)
class Group:
    key: str
    name: str
    max: Fraction
    groups: tuple[Group, ...] = ()
    indicators: tuple[Indicator, ...] = ()

    def all_indicators(self) -> tuple[Indicator, ...]:
        return self.indicators + tuple(i for g in self.groups for i in g.all_indicators())


@dataclass(frozen=True)
class Deduction:
    key: str
    name: str
    points: Fraction
    inputs: tuple[InputSpec, ...]
    definition: str = ""
    rule: str = ""
    signal: bool = False


@dataclass(frozen=True)
class Grade:
    at_least: Fraction
    label: str
    note: str = ""


@dataclass(frozen=True)
class Framework:
    key: str
    name: str
    version: int
    max: Fraction
    grades: tuple[Grade, ...]
    groups: tuple[Group, ...]
    deductions: tuple[Deduction, ...]
    source: str = ""

    @cached_property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(i for g in self.groups for i in g.all_indicators())

    @cached_property
    def indicator_map(self) -> dict[str, Indicator]:
        return {i.key: i for i in self.indicators}

    @cached_property
    def deduction_map(self) -> dict[str, Deduction]:
        return {d.key: d for d in self.deductions}

    def grade_of(self, total: Fraction) -> Grade:
        for grade in self.grades:
            if total >= grade.at_least:
                return grade
        return self.grades[-1]


# ---------------------------------------------------------------- reading


def number(value: Any) -> Fraction | None:
    """An exact number from YAML/JSON: an int, or a float read from its shortest text
    (``1.5`` → 3/2), or a decimal string; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(repr(value)) if value == value and abs(value) != float("inf") else None
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,12}(\.[0-9]{1,6})?", value.strip()):
        return Fraction(value.strip())
    return None


class _Reader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, path: str, message: Text) -> None:
        self.problems.append(Problem(path, message))

    def mapping(self, raw: Any, path: str, allowed: set[str], required: set[str]) -> dict[str, Any]:
        if not isinstance(raw, dict):
            self.problem(path, _l("must be a mapping"))
            return {}
        for key in raw:
            if key not in allowed:
                self.problem(f"{path}.{key}" if path else key, _l("unknown setting"))
        for key in sorted(required - set(raw)):
            self.problem(f"{path}.{key}" if path else key, _l("is required"))
        return raw

    def key(self, raw: Any, path: str) -> str:
        if not isinstance(raw, str) or not KEY_RE.match(raw):
            self.problem(path, KEY_HELP)
            return str(raw)
        return raw

    def text(self, raw: Any, path: str, *, required: bool = True) -> str:
        if raw is None and not required:
            return ""
        if not isinstance(raw, str) or (required and not raw.strip()):
            self.problem(path, _l("must be text"))
            return ""
        if problem := text_problem(raw, single_line=True):
            self.problem(path, problem)
        return raw.strip()

    def number(self, raw: Any, path: str, *, minimum: Fraction | None = None) -> Fraction:
        found = number(raw)
        if found is None:
            self.problem(path, _l("must be a number"))
            return Fraction(0)
        if minimum is not None and found < minimum:
            self.problem(path, _l("must be at least %(n)s", n=minimum))
        return found


def parse(raw: Any) -> tuple[Framework | None, list[Problem]]:
    """Read a framework document; every problem with its path.  The framework is None
    when the document has problems."""
    r = _Reader()
    top = r.mapping(
        raw,
        "",
        {"key", "name", "version", "source", "max", "grades", "groups", "deductions"},
        {"key", "name", "version", "max", "grades", "groups"},
    )
    if not top:
        return None, r.problems or [Problem("", _l("must be a mapping"))]
    key = r.key(top.get("key"), "key")
    name = r.text(top.get("name"), "name")
    version = top.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        r.problem("version", _l("must be a whole number from 1"))
        version = 0
    total = r.number(top.get("max"), "max", minimum=Fraction(1))
    grades = _grades(r, top.get("grades"))
    seen: set[str] = set()
    groups = tuple(
        found
        for n, g in enumerate(_list(r, top.get("groups"), "groups"))
        if (found := _group(r, g, f"groups[{n}]", (), seen, top_level=True)) is not None
    )
    deductions = tuple(
        deduction
        for n, d in enumerate(_list(r, top.get("deductions", []), "deductions"))
        if (deduction := _deduction(r, d, f"deductions[{n}]", seen)) is not None
    )
    added = sum((g.max for g in groups), Fraction(0))
    if groups and added != total:
        r.problem(
            "max",
            _l(
                "the groups add up to %(added)s, not %(total)s",
                added=_shown(added),
                total=_shown(total),
            ),
        )
    framework = Framework(
        key,
        name,
        version,
        total,
        grades,
        groups,
        deductions,
        source=r.text(top.get("source"), "source", required=False),
    )
    for n, indicator in enumerate(framework.indicators, start=1):
        object.__setattr__(indicator, "index", n)
    return (None if r.problems else framework), r.problems


def _list(r: _Reader, raw: Any, path: str) -> list[Any]:
    if not isinstance(raw, list) or not raw:
        r.problem(path, _l("must be a non-empty list"))
        return []
    return raw


def _shown(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value):g}"


def _grades(r: _Reader, raw: Any) -> tuple[Grade, ...]:
    found = []
    for n, entry in enumerate(_list(r, raw, "grades")):
        path = f"grades[{n}]"
        m = r.mapping(entry, path, {"at_least", "label", "note"}, {"at_least", "label"})
        if m:
            found.append(
                Grade(
                    r.number(m.get("at_least"), f"{path}.at_least"),
                    r.text(m.get("label"), f"{path}.label"),
                    r.text(m.get("note"), f"{path}.note", required=False),
                )
            )
    if found and [g.at_least for g in found] != sorted((g.at_least for g in found), reverse=True):
        r.problem("grades", _l("must go from the highest grade down"))
    if found and found[-1].at_least != 0:
        r.problem(f"grades[{len(found) - 1}].at_least", _l("the lowest grade starts at 0"))
    return tuple(found)


def _group(
    r: _Reader, raw: Any, path: str, above: tuple[str, ...], seen: set[str], *, top_level: bool
) -> Group | None:
    m = r.mapping(raw, path, {"key", "name", "max", "groups", "indicators"}, {"key", "name"})
    if not m:
        return None
    key = r.key(m.get("key"), f"{path}.key")
    name = r.text(m.get("name"), f"{path}.name")
    here = (*above, key)
    if ("groups" in m) == ("indicators" in m):
        r.problem(path, _l("a group holds either groups or indicators"))
        return None
    groups: tuple[Group, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    if "groups" in m:
        groups = tuple(
            found
            for n, g in enumerate(_list(r, m["groups"], f"{path}.groups"))
            if (found := _group(r, g, f"{path}.groups[{n}]", here, seen, top_level=False))
            is not None
        )
        parts = sum((g.max for g in groups), Fraction(0))
    else:
        indicators = tuple(
            item
            for n, i in enumerate(_list(r, m["indicators"], f"{path}.indicators"))
            if (item := _indicator(r, i, f"{path}.indicators[{n}]", here, seen)) is not None
        )
        parts = sum((i.max for i in indicators), Fraction(0))
    given = m.get("max")
    total = parts if given is None and top_level else r.number(given, f"{path}.max")
    if total != parts:
        r.problem(
            f"{path}.max",
            _l(
                "its parts add up to %(added)s, not %(total)s",
                added=_shown(parts),
                total=_shown(total),
            ),
        )
    return Group(key, name, total, groups, indicators)


_INDICATOR_KEYS = {
    "key",
    "name",
    "max",
    "inputs",
    "scoring",
    "definition",
    "rule",
    "note",
    "signal",
    "plausible",
}


def _indicator(
    r: _Reader, raw: Any, path: str, group: tuple[str, ...], seen: set[str]
) -> Indicator | None:
    m = r.mapping(raw, path, _INDICATOR_KEYS, {"key", "name", "max", "inputs", "scoring"})
    if not m:
        return None
    key = r.key(m.get("key"), f"{path}.key")
    if key in seen:
        r.problem(f"{path}.key", _l("duplicate key %(key)s", key=repr(key)))
    seen.add(key)
    top = r.number(m.get("max"), f"{path}.max", minimum=Fraction(0))
    inputs = _inputs(r, m.get("inputs"), f"{path}.inputs")
    scoring = _scoring(r, m.get("scoring"), f"{path}.scoring", inputs, top)
    signal = m.get("signal", False)
    if not isinstance(signal, bool):
        r.problem(f"{path}.signal", _l("must be true or false"))
    plausible = None
    if "plausible" in m:
        p = r.mapping(
            m["plausible"], f"{path}.plausible", {"at_most", "at_least", "message"}, {"message"}
        )
        if p:
            plausible = Plausible(
                r.number(p["at_most"], f"{path}.plausible.at_most") if "at_most" in p else None,
                r.number(p["at_least"], f"{path}.plausible.at_least") if "at_least" in p else None,
                r.text(p.get("message"), f"{path}.plausible.message"),
            )
            if scoring is not None and scoring.rate is None:
                r.problem(f"{path}.plausible", _l("only an indicator with a rate can check it"))
    if scoring is None:
        return None
    return Indicator(
        key,
        r.text(m.get("name"), f"{path}.name"),
        top,
        inputs,
        scoring,
        definition=r.text(m.get("definition"), f"{path}.definition", required=False),
        rule=r.text(m.get("rule"), f"{path}.rule", required=False),
        note=r.text(m.get("note"), f"{path}.note", required=False),
        signal=bool(signal),
        plausible=plausible,
        group=group,
    )


def _inputs(r: _Reader, raw: Any, path: str) -> tuple[InputSpec, ...]:
    found: list[InputSpec] = []
    for n, entry in enumerate(_list(r, raw, path)):
        where = f"{path}[{n}]"
        m = r.mapping(entry, where, {"key", "label", "type", "points"}, {"key", "label", "type"})
        if not m:
            continue
        key = r.key(m.get("key"), f"{where}.key")
        if any(i.key == key for i in found):
            r.problem(f"{where}.key", _l("duplicate input %(key)s", key=repr(key)))
        kind = m.get("type")
        if kind not in INPUT_TYPES:
            r.problem(
                f"{where}.type", _l("must be one of %(choices)s", choices=", ".join(INPUT_TYPES))
            )
        points: tuple[str, ...] = ()
        if kind == "points":
            points = tuple(
                r.text(p, f"{where}.points[{k}]")
                for k, p in enumerate(_list(r, m.get("points"), f"{where}.points"))
            )
        elif "points" in m:
            r.problem(f"{where}.points", _l("only an input of type points lists points"))
        found.append(InputSpec(key, r.text(m.get("label"), f"{where}.label"), str(kind), points))
    return tuple(found)


_SCORING_KEYS = {
    "kind",
    "rate",
    "value",
    "full_at",
    "zero_at",
    "bands",
    "otherwise",
    "absolute",
    "step",
    "input",
    "scores",
}


def _scoring(
    r: _Reader, raw: Any, path: str, inputs: tuple[InputSpec, ...], top: Fraction
) -> Scoring | None:
    m = r.mapping(raw, path, _SCORING_KEYS, {"kind"})
    if not m:
        return None
    kind = m.get("kind")
    types = {i.key: i.type for i in inputs}
    if kind == "linear":
        rate = _rate(r, m.get("rate"), f"{path}.rate", types)
        full = r.number(m.get("full_at"), f"{path}.full_at")
        zero = r.number(m.get("zero_at"), f"{path}.zero_at")
        if full == zero:
            r.problem(f"{path}.zero_at", _l("must differ from full_at"))
        return Scoring(kind, rate=rate, full_at=full, zero_at=zero)
    if kind == "bands":
        if ("rate" in m) == ("value" in m):
            r.problem(path, _l("give either rate (a percentage) or value (a count)"))
            return None
        where = "rate" if "rate" in m else "value"
        rate = _rate(r, m[where], f"{path}.{where}", types)
        bands = []
        for n, entry in enumerate(_list(r, m.get("bands"), f"{path}.bands")):
            b = r.mapping(entry, f"{path}.bands[{n}]", {*BAND_TESTS, "score"}, {"score"})
            tests = [t for t in BAND_TESTS if t in b]
            if b and len(tests) != 1:
                r.problem(
                    f"{path}.bands[{n}]",
                    _l("needs exactly one of %(choices)s", choices=", ".join(BAND_TESTS)),
                )
            elif b:
                score = r.number(b["score"], f"{path}.bands[{n}].score", minimum=Fraction(0))
                if score > top:
                    r.problem(f"{path}.bands[{n}].score", _l("is above the indicator's max"))
                bands.append(
                    Band(tests[0], r.number(b[tests[0]], f"{path}.bands[{n}].{tests[0]}"), score)
                )
        absolute = m.get("absolute", False)
        if not isinstance(absolute, bool):
            r.problem(f"{path}.absolute", _l("must be true or false"))
        otherwise = r.number(m.get("otherwise", 0), f"{path}.otherwise", minimum=Fraction(0))
        return Scoring(
            kind, rate=rate, bands=tuple(bands), otherwise=otherwise, absolute=bool(absolute)
        )
    if kind == "checklist":
        points = [i for i in inputs if i.type == "points"]
        if len(points) != 1 or len(inputs) != 1:
            r.problem(f"{path}.kind", _l("a checklist scores one input of type points"))
        step = r.number(m.get("step"), f"{path}.step", minimum=Fraction(0))
        return Scoring(kind, step=step, input=points[0].key if points else None)
    if kind in ("all_or_nothing", "grade_table"):
        wanted = "yes_no" if kind == "all_or_nothing" else "grade"
        key = str(m.get("input"))
        if types.get(key) != wanted:
            r.problem(f"{path}.input", _l("must name an input of type %(type)s", type=wanted))
        scores = None
        if kind == "grade_table":
            s = r.mapping(m.get("scores"), f"{path}.scores", set(GRADES), set(GRADES))
            scores = {
                g: r.number(s.get(g), f"{path}.scores.{g}", minimum=Fraction(0))
                for g in GRADES
                if g in s
            }
            if any(v > top for v in scores.values()):
                r.problem(f"{path}.scores", _l("a score is above the indicator's max"))
        return Scoring(kind, input=str(key), scores=scores)
    r.problem(f"{path}.kind", _l("must be one of %(choices)s", choices=", ".join(KINDS)))
    return None


def _rate(r: _Reader, raw: Any, path: str, types: Mapping[str, str]) -> Rate | None:
    if not isinstance(raw, dict) or len(raw) != 1:
        r.problem(path, _l("must be one of {ratio: [a, b]}, {change: [a, b]}, {input: k}"))
        return None
    ((shape, keys),) = raw.items()
    if shape in ("ratio", "change"):
        if not isinstance(keys, list) or len(keys) != 2:
            r.problem(f"{path}.{shape}", _l("must name two inputs"))
            return None
        for n, k in enumerate(keys):
            if types.get(k) not in ("amount", "count"):
                r.problem(f"{path}.{shape}[{n}]", _l("must name an input of type amount or count"))
        return Rate(shape, tuple(str(k) for k in keys))
    if shape == "input":
        if types.get(keys) not in ("percent", "count", "points"):
            r.problem(f"{path}.input", _l("must name an input of type percent, count or points"))
        return Rate(shape, (str(keys),))
    r.problem(path, _l("unknown rate %(rate)s: use ratio, change or input", rate=repr(shape)))
    return None


def _deduction(r: _Reader, raw: Any, path: str, seen: set[str]) -> Deduction | None:
    m = r.mapping(
        raw,
        path,
        {"key", "name", "points", "inputs", "definition", "rule", "signal"},
        {"key", "name", "points", "inputs"},
    )
    if not m:
        return None
    key = r.key(m.get("key"), f"{path}.key")
    if key in seen:
        r.problem(f"{path}.key", _l("duplicate key %(key)s", key=repr(key)))
    seen.add(key)
    inputs = _inputs(r, m.get("inputs"), f"{path}.inputs")
    if len(inputs) != 1 or inputs[0].type not in ("count", "yes_no"):
        r.problem(f"{path}.inputs", _l("a deduction takes one count or yes_no input"))
    return Deduction(
        key,
        r.text(m.get("name"), f"{path}.name"),
        r.number(m.get("points"), f"{path}.points", minimum=Fraction(0)),
        inputs,
        definition=r.text(m.get("definition"), f"{path}.definition", required=False),
        rule=r.text(m.get("rule"), f"{path}.rule", required=False),
        signal=m.get("signal") is True,
    )


# ---------------------------------------------------------------- the shipped files


def read_file(path: Path) -> tuple[Framework | None, list[Problem], Any]:
    """A framework file: (framework, problems, the document as read)."""
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except InputProblem as exc:
        return None, [Problem("", exc.message)], None
    framework, problems = parse(raw)
    if framework is not None and framework.key != path.stem:
        problems.append(Problem("key", _l("must be the file's name (%(name)s)", name=path.stem)))
        framework = None
    return framework, problems, raw


@cache
def shipped() -> dict[str, tuple[Framework, Any]]:
    """The frameworks shipped with the code, by key, read once per process (they are the
    code's own data); a file with problems raises (the test of every file catches it
    first).  The documents as read are shared: copy one before changing it."""
    found: dict[str, tuple[Framework, Any]] = {}
    for path in sorted(FRAMEWORK_DIR.glob("*.yaml")):
        framework, problems, raw = read_file(path)
        if framework is None:
            listed = "; ".join(f"{p.path}: {p.message}" for p in problems)
            raise ValueError(f"{path.name}: {listed}")
        found[framework.key] = (framework, raw)
    return found
