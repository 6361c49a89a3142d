"""Performance evaluations (部门整体支出绩效评价): frameworks, saving and reading
evaluations, year on year; and the facts the risk rule about lost points reads.

Services take a Principal and plain values and flush; the caller commits.  Profiles,
platform use and the monthly report live in their own modules (``profiles``, ``usage``,
``reports``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskctl.assessment import scoring, spec, words
from riskctl.assessment.models import AssessmentFramework, Evaluation, EvaluationStatus
from riskctl.core import audit, inputs
from riskctl.core.access import Action, Principal, require, visible_units
from riskctl.core.clock import utcnow
from riskctl.core.db import DbSession
from riskctl.core.errors import Conflict, NotFound, ValidationFailed
from riskctl.core.listing import Page, paginate, unit_filter
from riskctl.org import services as org
from riskctl.org.models import Unit

FIRST_YEAR, LAST_YEAR = 2000, 2099


# ---------------------------------------------------------------- frameworks


def _shipped(key: str) -> tuple[spec.Framework, Any]:
    found = spec.shipped().get(key)
    if found is None:
        raise NotFound(_l("no framework %(key)s", key=key), code="unknown_framework")
    return found


def list_frameworks(principal: Principal) -> list[dict[str, Any]]:
    """The frameworks shipped with the platform (their current versions)."""
    require(principal, Action.VIEW_ASSESSMENT)
    return [
        {
            "key": f.key,
            "name": f.name,
            "version": f.version,
            "source": f.source,
            "max": scoring.text(f.max),
            "indicators": len(f.indicators),
        }
        for f, _raw in spec.shipped().values()
    ]


def framework_view(
    session: DbSession, principal: Principal, key: str, version: int | None = None
) -> dict[str, Any]:
    """A framework (the current version, or a stored one): groups, indicators with their
    inputs and rules, deductions and grades — what a form is built from."""
    require(principal, Action.VIEW_ASSESSMENT)
    framework = framework_at(session, key, version)
    return _framework_dict(framework)


def framework_at(session: DbSession, key: str, version: int | None = None) -> spec.Framework:
    current, _raw = _shipped(key)
    if version is None or version == current.version:
        return current
    row = session.scalar(
        sa.select(AssessmentFramework).where(
            AssessmentFramework.key == key, AssessmentFramework.version == version
        )
    )
    if row is None:
        raise NotFound(
            _l("no version %(version)s of framework %(key)s", version=version, key=key),
            code="unknown_framework",
        )
    framework, _problems = spec.parse(row.body)
    if framework is None:  # pragma: no cover - stored only after validation
        raise NotFound(_l("no framework %(key)s", key=key), code="unknown_framework")
    return framework


def _framework_dict(f: spec.Framework) -> dict[str, Any]:
    def indicator(i: spec.Indicator) -> dict[str, Any]:
        return {
            "key": i.key,
            "index": i.index,
            "name": i.name,
            "max": scoring.text(i.max),
            "kind": i.scoring.kind,
            "definition": i.definition,
            "rule": i.rule,
            "note": i.note,
            "inputs": [
                {"key": p.key, "label": p.label, "type": p.type, "points": list(p.points)}
                for p in i.inputs
            ],
        }

    def group(g: spec.Group) -> dict[str, Any]:
        return {
            "key": g.key,
            "name": g.name,
            "max": scoring.text(g.max),
            "groups": [group(x) for x in g.groups],
            "indicators": [indicator(i) for i in g.indicators],
        }

    return {
        "key": f.key,
        "name": f.name,
        "version": f.version,
        "source": f.source,
        "max": scoring.text(f.max),
        "grades": [
            {"at_least": scoring.text(g.at_least), "label": g.label, "note": g.note}
            for g in f.grades
        ],
        "groups": [group(g) for g in f.groups],
        "deductions": [
            {
                "key": d.key,
                "name": d.name,
                "points": scoring.text(d.points),
                "definition": d.definition,
                "rule": d.rule,
                "inputs": [
                    {"key": p.key, "label": p.label, "type": p.type, "points": []} for p in d.inputs
                ],
            }
            for d in f.deductions
        ],
    }


def _stored(session: DbSession, key: str) -> AssessmentFramework:
    """The stored row of the shipped version of ``key`` (stored on first use).  A
    shipped file whose content changed without a new version is refused: the version
    an evaluation names must always mean the same rules."""
    framework, raw = _shipped(key)
    digest = audit.content_hash(raw)
    row = session.scalar(
        sa.select(AssessmentFramework).where(
            AssessmentFramework.key == key, AssessmentFramework.version == framework.version
        )
    )
    if row is None:
        row = AssessmentFramework(
            key=key,
            version=framework.version,
            name=framework.name,
            body=copy.deepcopy(raw),
            sha256=digest,
        )
        session.add(row)
        session.flush()
    elif row.sha256 != digest:
        raise Conflict(
            _l(
                "framework %(key)s version %(version)s was changed after use: give the "
                "changed file a new version",
                key=key,
                version=framework.version,
            ),
            code="framework_changed",
        )
    return row


# ---------------------------------------------------------------- evaluations


def _year(value: Any) -> int:
    try:
        return inputs.whole_number(str(value), minimum=FIRST_YEAR, maximum=LAST_YEAR)
    except inputs.InputProblem:
        raise ValidationFailed.at(
            "year",
            _l("must be a year from %(first)s to %(last)s", first=FIRST_YEAR, last=LAST_YEAR),
        ) from None


def _refuse(outcome: scoring.Outcome, *, draft: bool) -> None:
    details = [{"path": p.path, "message": p.message} for p in outcome.problems]
    if not draft:
        details += [{"path": path, "message": _l("is required")} for path in outcome.missing]
    if details:
        raise ValidationFailed(_l("the evaluation has problems"), details=details)


@dataclass(frozen=True)
class Saved:
    view: dict[str, Any]
    created: bool


def submit(
    session: DbSession,
    principal: Principal,
    *,
    framework: str,
    unit: str,
    year: Any,
    inputs: Any,
    recorded: Any = None,
    draft: bool = False,
    dry_run: bool = False,
) -> Saved:
    """Compute an evaluation and (unless ``dry_run``) save it as the unit's evaluation
    for the year under the framework, replacing the one saved before (a revision).
    A final evaluation needs every input; a draft may leave inputs out.  Every problem
    of the inputs is a 422 with its path (``inputs.staff_control.staff_quota``)."""
    require(principal, Action.EVALUATE)
    found, _raw = _shipped(framework)
    target = org.filter_unit(session, principal, Action.EVALUATE, unit)
    the_year = _year(year)
    outcome = scoring.evaluate(found, inputs, recorded)
    _refuse(outcome, draft=draft)
    status = EvaluationStatus.DRAFT if outcome.missing else EvaluationStatus.FINAL
    if dry_run:
        return Saved(
            _view(session, None, target, the_year, found, status, outcome.result, inputs, recorded),
            False,
        )
    stored = _stored(session, framework)
    row = session.scalar(
        sa.select(Evaluation).where(
            Evaluation.unit_id == target.id,
            Evaluation.framework_key == framework,
            Evaluation.year == the_year,
        )
    )
    created = row is None
    result = outcome.result
    total = _decimal(result["total"])
    values = {
        "framework_id": stored.id,
        "status": status,
        "inputs": dict(inputs or {}),
        "recorded": dict(recorded) if recorded else None,
        "result": result,
        "total": total,
        "recorded_total": _decimal(result["recorded_total"]),
        "grade": result["grade"],
        "updated_by_id": principal.person_id or None,
        "updated_at": utcnow(),
    }
    if row is None:
        row = Evaluation(
            unit_id=target.id,
            year=the_year,
            framework_key=framework,
            created_by_id=principal.person_id or None,
            **values,
        )
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
        row.revision += 1
    session.flush()
    return Saved(evaluation_view(session, principal, row.id), created)


def _decimal(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


def list_evaluations(
    session: DbSession,
    principal: Principal,
    *,
    unit: str | None = None,
    year: Any = None,
    framework: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    """The evaluations within the caller's reach, newest year first (rows, not views:
    ``summary`` turns them into what a list shows)."""
    require(principal, Action.VIEW_ASSESSMENT)
    stmt = sa.select(Evaluation).where(
        unit_filter(principal, Action.VIEW_ASSESSMENT, Evaluation.unit_id)
    )
    if unit:
        stmt = stmt.where(
            Evaluation.unit_id
            == org.filter_unit(session, principal, Action.VIEW_ASSESSMENT, unit).id
        )
    if year not in (None, ""):
        stmt = stmt.where(Evaluation.year == _year(year))
    if framework:
        stmt = stmt.where(Evaluation.framework_key == framework)
    stmt = stmt.order_by(Evaluation.year.desc(), Evaluation.unit_id, Evaluation.id.desc())
    return paginate(session, stmt, limit, offset)


def summaries(session: DbSession, rows: list[Evaluation]) -> list[dict[str, Any]]:
    units = {
        u.id: u
        for u in session.scalars(
            sa.select(Unit).where(Unit.id.in_(sorted({r.unit_id for r in rows}) or [-1]))
        )
    }
    return [
        {
            "id": r.id,
            "unit": units[r.unit_id].code,
            "unit_name": units[r.unit_id].name,
            "year": r.year,
            "framework": r.framework_key,
            "framework_name": r.result["framework"]["name"],
            "version": r.result["framework"]["version"],
            "status": r.status.value,
            "total": _text(r.total),
            "recorded_total": _text(r.recorded_total),
            "grade": r.grade,
            "differences": len(r.result.get("differences", [])),
            "missing": len(r.result.get("missing", [])),
            "revision": r.revision,
            "updated_at": r.updated_at,
        }
        for r in rows
    ]


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(scoring.TWO))


def _visible(session: DbSession, principal: Principal, evaluation_id: int) -> Evaluation:
    require(principal, Action.VIEW_ASSESSMENT)
    row = session.get(Evaluation, evaluation_id)
    if row is None or row.unit_id not in visible_units(principal, Action.VIEW_ASSESSMENT):
        raise NotFound(_l("no evaluation %(id)s", id=evaluation_id), code="unknown_evaluation")
    return row


def evaluation_view(session: DbSession, principal: Principal, evaluation_id: int) -> dict[str, Any]:
    """An evaluation with its result in words and its comparison with the unit's
    previous final evaluation under the same framework."""
    row = _visible(session, principal, evaluation_id)
    unit = session.get(Unit, row.unit_id)
    assert unit is not None
    framework = framework_at(session, row.framework_key, row.result["framework"]["version"])
    view = _view(
        session, row, unit, row.year, framework, row.status, row.result, row.inputs, row.recorded
    )
    previous = session.scalar(
        sa.select(Evaluation)
        .where(
            Evaluation.unit_id == row.unit_id,
            Evaluation.framework_key == row.framework_key,
            Evaluation.year < row.year,
            Evaluation.status == EvaluationStatus.FINAL,
        )
        .order_by(Evaluation.year.desc())
        .limit(1)
    )
    view["previous"] = _comparison(row.result, previous) if previous is not None else None
    return view


def _view(
    session: DbSession,
    row: Evaluation | None,
    unit: Unit,
    year: int,
    framework: spec.Framework,
    status: EvaluationStatus,
    result: Mapping[str, Any],
    raw: Any,
    recorded: Any,
) -> dict[str, Any]:
    people = org.person_labels(
        session, {p for p in (row.created_by_id, row.updated_by_id) if p} if row else set()
    )
    return {
        "id": row.id if row else None,
        "unit": unit.code,
        "unit_name": unit.name,
        "year": year,
        "framework": framework.key,
        "framework_name": framework.name,
        "version": framework.version,
        "status": status.value,
        "revision": row.revision if row else 0,
        "inputs": raw if isinstance(raw, Mapping) else {},
        "recorded": recorded or None,
        "result": words.explained(result),
        "created_by": people.get(row.created_by_id or 0) if row else None,
        "updated_by": people.get(row.updated_by_id or 0) if row else None,
        "created_at": row.created_at if row else None,
        "updated_at": row.updated_at if row else None,
        "previous": None,
    }


def _comparison(result: Mapping[str, Any], previous: Evaluation) -> dict[str, Any]:
    def delta(now: str | None, before: str | None) -> str | None:
        if now is None or before is None:
            return None
        return scoring.text(Decimal(now) - Decimal(before))

    before_rows = {r["key"]: r for r in previous.result["indicators"]}
    before_groups = {g["key"]: g for g in _flat(previous.result["groups"])}
    return {
        "id": previous.id,
        "year": previous.year,
        "total": _text(previous.total),
        "grade": previous.grade,
        "delta": delta(result["total"], _text(previous.total)),
        "groups": [
            {
                "key": g["key"],
                "name": g["name"],
                "score": g["score"],
                "previous": before_groups.get(g["key"], {}).get("score"),
                "delta": delta(g["score"], before_groups.get(g["key"], {}).get("score")),
            }
            for g in _flat(result["groups"])
        ],
        "indicators": {
            r["key"]: {
                "previous": before_rows.get(r["key"], {}).get("score"),
                "delta": delta(r["score"], before_rows.get(r["key"], {}).get("score")),
            }
            for r in result["indicators"]
        },
    }


def _flat(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [x for g in groups for x in (g, *_flat(g["groups"]))]


def history(
    session: DbSession, principal: Principal, unit: str, framework: str
) -> list[dict[str, Any]]:
    """A unit's final evaluations under a framework, year by year (oldest first)."""
    target = org.filter_unit(session, principal, Action.VIEW_ASSESSMENT, unit)
    rows = session.scalars(
        sa.select(Evaluation)
        .where(
            Evaluation.unit_id == target.id,
            Evaluation.framework_key == framework,
            Evaluation.status == EvaluationStatus.FINAL,
        )
        .order_by(Evaluation.year)
    ).all()
    return [
        {
            "id": r.id,
            "year": r.year,
            "total": _text(r.total),
            "grade": r.grade,
            "groups": {g["key"]: g["score"] for g in r.result["groups"]},
        }
        for r in rows
    ]


def saved_inputs(
    session: DbSession, principal: Principal, unit: str, year: Any, framework: str
) -> Evaluation | None:
    """The evaluation saved for the unit, year and framework (to continue a draft)."""
    target = org.filter_unit(session, principal, Action.EVALUATE, unit)
    return session.scalar(
        sa.select(Evaluation).where(
            Evaluation.unit_id == target.id,
            Evaluation.framework_key == framework,
            Evaluation.year == _year(year),
        )
    )


def record_export(session: DbSession, principal: Principal, evaluation_id: int, fmt: str) -> None:
    row = _visible(session, principal, evaluation_id)
    audit.record(
        session,
        "assessment.evaluation_exported",
        target_type="evaluation",
        target_id=row.id,
        unit_id=row.unit_id,
        after={"format": fmt},
    )


# ---------------------------------------------------------------- facts for the risk rules


@dataclass(frozen=True)
class PointsLost:
    """An indicator of a unit's final evaluation that lost points and may signal risk."""

    evaluation_id: int
    unit_id: int
    year: int
    framework: str
    indicator: str
    name: str
    max: Fraction
    score: Fraction
    rate: str | None
    updated_at: datetime
    deduction: bool = False  # a deduction applied (its max is the points deducted)


def points_lost(session: DbSession, at: datetime) -> list[PointsLost]:
    """For every unit's latest final evaluation under each framework (saved up to
    ``at``): its signalling indicators (``signal: true`` in the framework) that scored
    below their maximum, and a deduction applied."""
    rows = session.scalars(
        sa.select(Evaluation)
        .where(Evaluation.status == EvaluationStatus.FINAL, Evaluation.updated_at <= at)
        .order_by(Evaluation.unit_id, Evaluation.framework_key, Evaluation.year.desc())
    ).all()
    found: list[PointsLost] = []
    seen: set[tuple[int, str]] = set()
    for row in rows:
        if (row.unit_id, row.framework_key) in seen:
            continue
        seen.add((row.unit_id, row.framework_key))
        for r in row.result["indicators"]:
            if (
                r.get("signal")
                and r["score"] is not None
                and Fraction(r["score"]) < Fraction(r["max"])
            ):
                found.append(
                    PointsLost(
                        row.id,
                        row.unit_id,
                        row.year,
                        row.framework_key,
                        r["key"],
                        r["name"],
                        Fraction(r["max"]),
                        Fraction(r["score"]),
                        r["rate"],
                        row.updated_at,
                    )
                )
        for d in row.result["deductions"]:
            if d.get("applied"):
                found.append(
                    PointsLost(
                        row.id,
                        row.unit_id,
                        row.year,
                        row.framework_key,
                        d["key"],
                        d["name"],
                        Fraction(d["points"]),
                        Fraction(0),
                        None,
                        row.updated_at,
                        deduction=True,
                    )
                )
    return found
