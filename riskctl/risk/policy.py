"""The risk policy: factors, level thresholds, escalation, routing and rule parameters.

A policy is a JSON document (the body of ``risk_policy`` rows and of ``GET/PUT
/api/v1/policy``).  Rule parameters are effective-dated and may be set per unit
(jurisdiction): each rule has a list of entries ``{from, unit, values}``; the values in
force for a unit on a day are the rule's defaults (for the unit's government level,
where the law gives central and local units different figures), then the platform
entries (``unit`` null) from on or before that day in date order, then the unit's own.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from functools import cached_property, lru_cache
from typing import Any

from flask_babel import lazy_gettext as _l

from riskctl.core import inputs
from riskctl.core.calendar import TimeLimit
from riskctl.core.errors import Text, ValidationFailed, message_of
from riskctl.risk.labels import LevelLabels, check_labels, default_labels, merged_labels
from riskctl.risk.models import Level
from riskctl.risk.rules import REGISTRY

CHANNELS = ("in_app", "sms", "screen")
RECIPIENTS = ("handler", "discipline_leader", "inspectors")
LEVEL_ORDER = (Level.RED, Level.ORANGE, Level.YELLOW)
SINCE_EVER = "2000-01-01"


def default_body() -> dict[str, Any]:
    return {
        "factors": {"1": 0.6, "2": 0.8, "3": 1.0, "4": 1.25, "5": 1.5},
        "thresholds": {"red": 80, "orange": 50, "yellow": 20},
        # An orange the handler has not explained within this becomes red.
        "escalation": {"explain_within": "2wd"},
        "routing": {
            "yellow": {"channels": ["in_app"], "notify": ["handler"]},
            "orange": {"channels": ["in_app", "sms"], "notify": ["handler", "discipline_leader"]},
            # The person a red is about is not told by default: the commission decides
            # whether and when (issue 18).  A stored policy that lists the handler keeps it.
            "red": {
                "channels": ["in_app", "sms", "screen"],
                "notify": ["discipline_leader", "inspectors"],
            },
        },
        "alerts": default_alerts(),
        # How the unit risk profiles weigh warnings (riskctl.assessment.profiles).
        "profile": default_profile(),
        # What each level is called, and whether orange is used (riskctl.risk.labels).
        "labels": default_labels(),
        "rules": {
            code: {"enabled": True, "freeze_on_red": False, "params": []} for code in REGISTRY
        },
    }


def default_alerts() -> dict[str, Any]:
    """How notifications repeat, escalate, wait and are capped (riskctl.alerts)."""
    return {
        # Hours between reminders while a warning is open (0: none).
        "repeat_hours": {"red": 4, "orange": 24, "yellow": 0},
        # Hours unacknowledged before the next level's audience is told (0: never).
        "escalate_after_hours": {"red": 0, "orange": 8, "yellow": 0},
        # An acknowledgement stops the reminders for this long, then they resume.
        "ack_expires_hours": 72,
        # Local time; yellow and orange SMS wait for a morning digest, red never waits.
        "quiet_hours": {"start": "22:00", "end": "07:30"},
        "sms_caps": {"per_recipient_per_hour": 6, "global_per_hour": 300},
        # 风险节点提醒 (事中监督): an item entering a node whose risk value is at least
        # min_risk tells the unit's discipline leader in-app, and by SMS when sms is true
        # (0: no watch).
        "watch": {"min_risk": 5, "sms": False},
    }


_RED_ORANGE_YELLOW = _l("must give red, orange and yellow")
_TRUE_OR_FALSE = _l("must be true or false")


def default_profile() -> dict[str, Any]:
    """The risk index of a unit (廉政风险画像): each warning raised weighs its level's
    weight × its score / 100; the sum is put per ``per_items`` items handled in the
    platform, counting at least ``min_items`` (so that a unit handling three items is not
    ranked first for one warning).  An active red older than ``dispose_within`` is an
    overdue disposition in the monthly report."""
    return {
        "level_weights": {"red": 10, "orange": 4, "yellow": 1},
        "per_items": 100,
        "min_items": 20,
        "dispose_within": "5wd",
    }


class _Problems:
    def __init__(self) -> None:
        self.details: list[dict[str, Any]] = []

    def add(self, path: str, message: Text) -> None:
        self.details.append({"path": path, "message": message})


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def merged(
    current: Mapping[str, Any], change: Mapping[str, Any], unit_codes: set[str]
) -> dict[str, Any]:
    """``current`` with the sections ``change`` gives replaced (rules: per rule and per
    setting), validated as a whole; raises ``ValidationFailed`` with every problem."""
    problems = _Problems()
    known = {
        "factors", "thresholds", "escalation", "routing", "alerts", "labels", "rules", "profile",
    }  # fmt: skip
    for key in change:
        if key not in known:
            problems.add(key, _l("unknown section; expected one of %(choices)s",
                                 choices=", ".join(sorted(known))))  # fmt: skip
    body = copy.deepcopy(dict(current))
    for key in ("factors", "thresholds", "escalation", "routing", "alerts", "profile"):
        if key in change:
            body[key] = copy.deepcopy(change[key])
    # A policy stored before profiles existed weighs by the defaults.
    body.setdefault("profile", default_profile())
    # Labels per level and key; a policy stored before labels existed has the defaults.
    body.setdefault("labels", default_labels())
    if "labels" in change:
        body["labels"] = merged_labels(body["labels"], copy.deepcopy(change["labels"]), problems)
    rules = change.get("rules", {})
    if not isinstance(rules, dict):
        problems.add("rules", _l("must be an object of rule code → settings"))
        rules = {}
    for code, settings in rules.items():
        if code not in REGISTRY:
            problems.add(f"rules.{code}", _l("unknown rule"))
            continue
        if not isinstance(settings, dict):
            problems.add(f"rules.{code}", _l("must be an object {enabled, freeze_on_red, params}"))
            continue
        for key in settings:
            if key not in ("enabled", "freeze_on_red", "params"):
                problems.add(f"rules.{code}.{key}", _l("unknown setting"))
        body["rules"][code] = {**body["rules"].get(code, {}), **copy.deepcopy(settings)}
    for code, settings in body["rules"].items():
        if (
            code in REGISTRY
            and isinstance(settings, dict)
            and isinstance(settings.get("params"), list)
        ):
            settings["params"] = [_upgraded(code, e) for e in settings["params"]]
    _check(body, unit_codes, problems)
    if problems.details:
        raise ValidationFailed(_l("the policy has problems"), details=problems.details)
    return body


def _upgraded(code: str, entry: Any) -> Any:
    """An entry written under a parameter's former name or shape, in today's (a policy
    saved before a rule followed the law keeps working and is saved in today's words)."""
    if isinstance(entry, dict) and isinstance(entry.get("values"), dict):
        return {**entry, "values": REGISTRY[code].upgrade(entry["values"])}
    return entry


def _entry_day(value: Any) -> date | Text:
    """The day an entry takes effect, or why not.  YAML gives ``from: 2026-01-01`` as a
    ``date`` (riskctl's loader as its text); both are taken, and stored as YYYY-MM-DD
    text, the form entries are sorted by.  Other ISO text a policy saved before may hold
    ("20260101") is read and rewritten; a number, a moment or anything else is refused."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            return _NOT_A_DAY
    try:
        return inputs.day(value)
    except inputs.InputProblem as exc:
        return _NOT_A_DAY if exc.message is inputs.DATE_FORMAT else exc.message


_NOT_A_DAY = _l("must be a date YYYY-MM-DD")


def _check(body: dict[str, Any], unit_codes: set[str], problems: _Problems) -> None:
    factors = body.get("factors")
    if not isinstance(factors, dict) or set(factors) != {"1", "2", "3", "4", "5"}:
        problems.add("factors", _l("must give a factor for each risk value 1 to 5"))
    else:
        values = [factors[str(v)] for v in range(1, 6)]
        for value, factor in zip(range(1, 6), values, strict=True):
            if not _number(factor) or not 0 < factor <= 5:
                problems.add(f"factors.{value}", _l("must be a number above 0 and at most 5"))
        if all(_number(f) for f in values) and values != sorted(values):
            problems.add("factors", _l("must not decrease as the risk value grows"))
    thresholds = body.get("thresholds")
    if not isinstance(thresholds, dict) or set(thresholds) != {"red", "orange", "yellow"}:
        problems.add("thresholds", _RED_ORANGE_YELLOW)
    else:
        for level, value in thresholds.items():
            if not _number(value) or not 0 < value <= 100:
                problems.add(f"thresholds.{level}", _l("must be a score above 0 and at most 100"))
        if all(_number(v) for v in thresholds.values()) and not (
            thresholds["red"] > thresholds["orange"] > thresholds["yellow"]
        ):
            problems.add("thresholds", _l("must order red > orange > yellow"))
    escalation = body.get("escalation")
    if not isinstance(escalation, dict) or set(escalation) != {"explain_within"}:
        problems.add("escalation", _l("must be {explain_within: time limit, e.g. 2wd}"))
    else:
        try:
            TimeLimit.parse(escalation["explain_within"])
        except ValueError as exc:
            problems.add("escalation.explain_within", message_of(exc))
    routing = body.get("routing")
    if not isinstance(routing, dict) or set(routing) != {"red", "orange", "yellow"}:
        problems.add("routing", _RED_ORANGE_YELLOW)
    else:
        for level, route in routing.items():
            if not isinstance(route, dict) or set(route) != {"channels", "notify"}:
                problems.add(f"routing.{level}", _l("must be {channels: [...], notify: [...]}"))
                continue
            for key, allowed in (("channels", CHANNELS), ("notify", RECIPIENTS)):
                value = route[key]
                if not isinstance(value, list) or any(v not in allowed for v in value):
                    problems.add(
                        f"routing.{level}.{key}",
                        _l("must be a list of %(choices)s", choices=", ".join(allowed)),
                    )
    _check_alerts(body.get("alerts"), problems)
    _check_profile(body.get("profile", default_profile()), problems)
    check_labels(body.get("labels", default_labels()), problems)
    for code, settings in body.get("rules", {}).items():
        rule, path = REGISTRY.get(code), f"rules.{code}"
        if rule is None:
            continue
        for flag in ("enabled", "freeze_on_red"):
            if not isinstance(settings.get(flag), bool):
                problems.add(f"{path}.{flag}", _TRUE_OR_FALSE)
        if settings.get("freeze_on_red") and not rule.can_freeze:
            problems.add(f"{path}.freeze_on_red", _l("this rule cannot freeze an item"))
        entries: Any = settings.get("params")
        if not isinstance(entries, list):
            problems.add(f"{path}.params", _l("must be a list of {from, unit, values}"))
            continue
        for n, entry in enumerate(entries):
            where = f"{path}.params[{n}]"
            if not isinstance(entry, dict) or not set(entry) <= {"from", "unit", "values"}:
                problems.add(
                    where, _l("must be {from: YYYY-MM-DD, unit: code or null, values: {...}}")
                )
                continue
            day = _entry_day(entry.get("from"))
            if isinstance(day, date):
                entry["from"] = day.isoformat()  # stored as JSON, compared as text
            else:
                problems.add(f"{where}.from", day)
            unit = entry.get("unit")
            if unit is not None and not isinstance(unit, str):
                problems.add(f"{where}.unit", _l("must be a unit code or null"))
            elif unit is not None:
                # Unit codes compare case-insensitively; the entry keeps the unit's own.
                known = next((c for c in unit_codes if c.lower() == unit.lower()), None)
                if known is None:
                    problems.add(f"{where}.unit", _l("no unit '%(code)s'", code=unit))
                else:
                    entry["unit"] = known
            given: Any = entry.get("values")
            if not isinstance(given, dict) or not given:
                problems.add(f"{where}.values", _l("must set at least one parameter"))
                continue
            for name, value in given.items():
                param = rule.params.get(name)
                if param is None:
                    problems.add(f"{where}.values.{name}",
                                 _l("unknown parameter of %(rule)s", rule=code))  # fmt: skip
                elif (why := param.check(value)) is not None:
                    problems.add(f"{where}.values.{name}", why)


def _check_alerts(alerts: Any, problems: _Problems) -> None:
    shape = default_alerts()
    if not isinstance(alerts, dict) or set(alerts) != set(shape):
        problems.add("alerts", _l("must give %(keys)s", keys=", ".join(shape)))
        return
    for key in ("repeat_hours", "escalate_after_hours"):
        value = alerts[key]
        if not isinstance(value, dict) or set(value) != {"red", "orange", "yellow"}:
            problems.add(f"alerts.{key}", _RED_ORANGE_YELLOW)
            continue
        for level, hours in value.items():
            if not isinstance(hours, int) or isinstance(hours, bool) or not 0 <= hours <= 720:
                problems.add(f"alerts.{key}.{level}", _l("must be whole hours from 0 to 720"))
    hours = alerts["ack_expires_hours"]
    if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= 720:
        problems.add("alerts.ack_expires_hours", _l("must be whole hours from 1 to 720"))
    quiet = alerts["quiet_hours"]
    if not isinstance(quiet, dict) or set(quiet) != {"start", "end"}:
        problems.add("alerts.quiet_hours", _l("must be {start: HH:MM, end: HH:MM}"))
    else:
        for key in ("start", "end"):
            try:
                time.fromisoformat(str(quiet[key]))
            except ValueError:
                problems.add(f"alerts.quiet_hours.{key}", _l("must be a time HH:MM"))
    watch = alerts["watch"]
    if not isinstance(watch, dict) or set(watch) != {"min_risk", "sms"}:
        problems.add("alerts.watch", _l("must be {min_risk: 0..5, sms: true|false}"))
    else:
        risk = watch["min_risk"]
        if not isinstance(risk, int) or isinstance(risk, bool) or not 0 <= risk <= 5:
            problems.add(
                "alerts.watch.min_risk", _l("must be a risk value 1..5, or 0 for no watch")
            )
        if not isinstance(watch["sms"], bool):
            problems.add("alerts.watch.sms", _TRUE_OR_FALSE)
    caps = alerts["sms_caps"]
    if not isinstance(caps, dict) or set(caps) != {"per_recipient_per_hour", "global_per_hour"}:
        problems.add("alerts.sms_caps", _l("must give per_recipient_per_hour and global_per_hour"))
    else:
        for key, value in caps.items():
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 100_000:
                problems.add(f"alerts.sms_caps.{key}", _l("must be a whole number from 1"))


def _check_profile(profile: Any, problems: _Problems) -> None:
    shape = default_profile()
    if not isinstance(profile, dict) or set(profile) != set(shape):
        problems.add("profile", _l("must give %(keys)s", keys=", ".join(shape)))
        return
    weights = profile["level_weights"]
    if not isinstance(weights, dict) or set(weights) != {"red", "orange", "yellow"}:
        problems.add("profile.level_weights", _RED_ORANGE_YELLOW)
    else:
        for level, weight in weights.items():
            if not _number(weight) or not 0 <= weight <= 1000:
                problems.add(
                    f"profile.level_weights.{level}", _l("must be a number from 0 to 1000")
                )
        if all(_number(w) for w in weights.values()) and not (
            weights["red"] >= weights["orange"] >= weights["yellow"]
        ):
            problems.add("profile.level_weights", _l("must order red ≥ orange ≥ yellow"))
    for key, least in (("per_items", 1), ("min_items", 1)):
        value = profile[key]
        if not isinstance(value, int) or isinstance(value, bool) or not least <= value <= 100_000:
            problems.add(f"profile.{key}", _l("must be a whole number from 1 to 100000"))
    try:
        TimeLimit.parse(profile["dispose_within"])
    except (ValueError, TypeError) as exc:
        problems.add("profile.dispose_within", str(exc))


@dataclass(frozen=True)
class Policy:
    """A policy compiled for use: what scoring and the rules ask of it, fast."""

    version: int
    body: Mapping[str, Any]
    unit_codes: Mapping[int, str] = field(default_factory=dict)
    # A unit's government level (central … township): some defaults depend on it.
    unit_levels: Mapping[int, str] = field(default_factory=dict)

    def factor(self, risk: int | None) -> float:
        return float(self.body["factors"][str(risk if risk in (1, 2, 3, 4, 5) else 3)])

    def level(self, score: float) -> Level | None:
        for least, level in self._bands:
            if score >= least:
                return level
        return None

    @cached_property
    def _bands(self) -> tuple[tuple[float, Level], ...]:
        # Asked for every warning of a scan: the levels in use (orange off: its band is
        # yellow, risk.labels) with their thresholds, gravest first, worked out once.
        thresholds = self.body["thresholds"]
        return tuple((thresholds[level.value], level) for level in self.labels.levels)

    def enabled(self, code: str) -> bool:
        return bool(self.body["rules"].get(code, {}).get("enabled", True))

    def freezes(self, code: str) -> bool:
        return bool(self.body["rules"].get(code, {}).get("freeze_on_red", False))

    @cached_property
    def labels(self) -> LevelLabels:
        return LevelLabels.of(self.body)

    @property
    def explain_within(self) -> TimeLimit:
        return TimeLimit.parse(self.body["escalation"]["explain_within"])

    def params(self, code: str, unit_id: int, on: date) -> Mapping[str, Any]:
        return _resolve(self, code, self.unit_codes.get(unit_id), self.unit_levels.get(unit_id), on)

    def all_values(self, code: str, param: str) -> list[Any]:
        """The parameter's defaults (for every level of government) and every value an
        entry gives it, in today's shape (``Rule.upgrade``): a prefilter that holds for
        each holds for whatever a unit resolves on any day (a map entry amends the
        default map, so each figure of a resolved map is in one of these)."""
        rule = REGISTRY[code]
        found: list[Any] = [rule.defaults(level)[param] for level in ("central", None)]
        for entry in self.body["rules"].get(code, {}).get("params", []):
            values = rule.upgrade(entry.get("values", {}))
            if param in values:
                found.append(values[param])
        return found

    def routing(self, level: Level) -> Mapping[str, Any]:
        return self.body["routing"][level.value]  # type: ignore[no-any-return]

    @property
    def alerts(self) -> Mapping[str, Any]:
        return self.body.get("alerts") or default_alerts()

    @property
    def profile(self) -> Mapping[str, Any]:
        return self.body.get("profile") or default_profile()

    def __hash__(self) -> int:
        return id(self)


@lru_cache(maxsize=4096)
def _resolve(
    policy: Policy, code: str, unit_code: str | None, level: str | None, on: date
) -> Mapping[str, Any]:
    values = REGISTRY[code].defaults(level)
    entries = [
        e for e in policy.body["rules"].get(code, {}).get("params", [])
        if date.fromisoformat(e["from"]) <= on and _same_unit(e.get("unit"), unit_code)
    ]  # fmt: skip
    # Platform entries first, then the unit's own; each in date order.
    entries.sort(key=lambda e: (e.get("unit") is not None, e["from"]))
    for entry in entries:
        for name, value in REGISTRY[code].upgrade(entry["values"]).items():
            # A map (figures by category or method) is amended, not replaced: an entry
            # that sets the province's 货物 figure keeps the 工程 one.
            old = values.get(name)
            values[name] = (
                {**old, **value} if isinstance(old, dict) and isinstance(value, dict) else value
            )
    return values


def _same_unit(entry_unit: str | None, unit_code: str | None) -> bool:
    """A platform entry (no unit) applies everywhere; a unit's to that unit, its code
    compared case-insensitively as unit codes are (api.md)."""
    if entry_unit is None:
        return True
    return unit_code is not None and entry_unit.lower() == unit_code.lower()
