"""Incompatible posts, conflicts of interest and mitigations; control hits.

Three kinds of control, one record of what they found:

- **static**: two posts no person may hold at once (出纳 ↔ 会计/稽核/档案管理 by default),
  checked whenever a person is given posts;
- **dynamic**: two nodes of a process that one person may not both complete on one item,
  checked by the workflow service before every step;
- **conflict of interest**: a person who declared a relation to the item's counterparty
  (supplier …) completing a node of that item.

A block-mode rule refuses; a flag-mode rule lets the action through.  Either way a
``ControlHit`` is written (refusals included) for the risk engine to score.  A valid
mitigation turns a flag into a *mitigated* hit: recorded, visible, scored nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskctl.controls.models import (
    ControlHit,
    ControlKind,
    ControlMode,
    HitOutcome,
    Mitigation,
    PostIncompatibility,
)
from riskctl.core.access import Action, Principal, require
from riskctl.core.clock import utcnow
from riskctl.core.db import DbSession
from riskctl.core.errors import Conflict, NotFound, ValidationFailed
from riskctl.core.listing import Page, paginate, unit_filter
from riskctl.org.models import Person, Post, Unit
from riskctl.org.services import filter_unit, no_unit, unit_by_code

COI_RULE = "conflict_of_interest"
MAX_MITIGATION_DAYS = 366  # a compensating control is reviewed at least once a year
_HIT_TABLE = cast(sa.Table, ControlHit.__table__)
_INSERT_HIT = sa.insert(_HIT_TABLE).returning(_HIT_TABLE.c.id)


def post_rule(a: str, b: str) -> str:
    """The rule code of a static pair, e.g. ``posts:accountant~cashier``."""
    first, second = sorted((a, b))
    return f"posts:{first}~{second}"


def process_rule(process_key: str, rule_code: str) -> str:
    """The rule code of a dynamic pair, e.g. ``procurement:request~approve``."""
    return f"{process_key}:{rule_code}"


# ---------------------------------------------------------------- static pairs


@dataclass(frozen=True)
class PostPair:
    post_a: str
    post_b: str
    mode: ControlMode
    name: str
    unit_specific: bool  # False: the platform default
    basis: str = ""  # the text the pair rests on; empty: not given

    @property
    def rule(self) -> str:
        return post_rule(self.post_a, self.post_b)


def post_pairs(session: DbSession, unit_id: int) -> list[PostPair]:
    """The unit's incompatible post pairs: platform defaults, overridden pair by pair by
    the unit's own rows (which may switch a default ``off``)."""
    rows = session.scalars(
        sa.select(PostIncompatibility)
        .where(
            sa.or_(PostIncompatibility.unit_id.is_(None), PostIncompatibility.unit_id == unit_id)
        )
        .order_by(PostIncompatibility.unit_id.is_not(None), PostIncompatibility.id)
    ).all()
    pairs: dict[tuple[str, str], PostPair] = {}
    for row in rows:  # platform rows first, so the unit's rows win
        pairs[(row.post_a, row.post_b)] = PostPair(
            row.post_a, row.post_b, row.mode, row.name, row.unit_id is not None, row.basis
        )
    return sorted(pairs.values(), key=lambda p: (p.post_a, p.post_b))


def static_conflicts(session: DbSession, unit_id: int, posts: Iterable[str]) -> list[PostPair]:
    """The pairs (block or flag) that holding all of ``posts`` at once would break."""
    held = set(posts)
    return [
        pair
        for pair in post_pairs(session, unit_id)
        if pair.mode is not ControlMode.OFF and pair.post_a in held and pair.post_b in held
    ]


def describe_pair(pair: PostPair, names: dict[str, str]) -> Any:
    """Why a person may not hold both posts, in the reader's words."""
    a, b = names.get(pair.post_a, pair.post_a), names.get(pair.post_b, pair.post_b)
    return _l(
        "Incompatible posts: %(a)s and %(b)s may not be held by one person (%(name)s).",
        a=a, b=b, name=pair.name,
    )  # fmt: skip


def set_post_pair(
    session: DbSession, principal: Principal, unit_code: str | None, data: dict[str, Any]
) -> PostIncompatibility:
    """Add or change a pair for a unit (``unit_code`` None: the platform default).

    A ``name`` or ``basis`` not given keeps the pair's own; a new unit row starts from
    the platform default of the same pair (a unit changing a default's mode keeps its
    name and basis), else from the posts' names.  The row is audited (``Audited``)."""
    require(principal, Action.MANAGE_CONTROLS)
    unit_id = None
    names: dict[str, str] = {}
    if unit_code is not None:
        unit = unit_by_code(session, unit_code)
        if unit is None:
            raise NotFound(no_unit(unit_code), code="unknown_unit")
        unit_id = unit.id
        query = sa.select(Post.code, Post.name).where(Post.unit_id == unit.id)
        names = {row.code: row.name for row in session.execute(query)}
        for i, code in enumerate(data["posts"]):
            if code not in names:
                raise ValidationFailed.at(
                    f"posts[{i}]",
                    _l("no post '%(post)s' in unit '%(unit)s'", post=code, unit=unit_code),
                )
    a, b = sorted(data["posts"])
    if a == b:
        raise ValidationFailed.at("posts", _l("name two different posts"))
    row = _pair_row(session, unit_id, a, b)
    if row is None:
        default = _pair_row(session, None, a, b) if unit_id is not None else None
        row = PostIncompatibility(
            unit_id=unit_id, post_a=a, post_b=b,
            name=default.name if default else f"{names.get(a, a)}与{names.get(b, b)}不相容",
            basis=default.basis if default else "",
        )  # fmt: skip
        session.add(row)
    row.mode = ControlMode(data["mode"])
    if data.get("name"):
        row.name = data["name"]
    if data.get("basis") is not None:
        row.basis = data["basis"]
    session.flush()
    return row


def retire_post_pair(
    session: DbSession, principal: Principal, unit_code: str, posts: Sequence[str]
) -> PostIncompatibility:
    """Stop a pair applying in the unit: its mode becomes ``off``.  The row stays (with
    its name and basis, audited), so the hits citing it keep their rule and the pair can
    be put back by giving it a mode again; a platform default is switched off for this
    unit only."""
    require(principal, Action.MANAGE_CONTROLS)
    unit = unit_by_code(session, unit_code)
    if unit is None:
        raise NotFound(no_unit(unit_code), code="unknown_unit")
    a, b = sorted(posts)
    pair = next((p for p in post_pairs(session, unit.id) if (p.post_a, p.post_b) == (a, b)), None)
    if pair is None:
        raise NotFound(
            _l("no incompatible post pair '%(rule)s' in unit '%(unit)s'", rule=post_rule(a, b),
               unit=unit_code),
            code="unknown_pair",
        )  # fmt: skip
    if pair.mode is ControlMode.OFF:
        raise Conflict(
            _l("'%(rule)s' is already off in unit '%(unit)s'", rule=post_rule(a, b),
               unit=unit_code),
            code="pair_off",
        )  # fmt: skip
    return set_post_pair(session, principal, unit_code, {"posts": [a, b], "mode": "off"})


def _pair_row(
    session: DbSession, unit_id: int | None, a: str, b: str
) -> PostIncompatibility | None:
    return session.scalar(
        sa.select(PostIncompatibility).where(
            PostIncompatibility.unit_id.is_(None)
            if unit_id is None
            else PostIncompatibility.unit_id == unit_id,
            PostIncompatibility.post_a == a,
            PostIncompatibility.post_b == b,
        )
    )


# ---------------------------------------------------------------- conflicts of interest


def _normal(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()


def interest_matches(
    declared: Sequence[tuple[str, str]], values: Iterable[str]
) -> list[tuple[str, str, str]]:
    """(declared counterparty, relation, item value) for each declared relation that names
    the item's counterparty.  Names match when one contains the other, spaces and case
    aside, so that 「华信科技」 declared matches 「北京华信科技有限公司」 on the item."""
    found = []
    for value in values:
        wanted = _normal(value)
        if len(wanted) < 2:
            continue
        for counterparty, relation in declared:
            theirs = _normal(counterparty)
            if len(theirs) >= 2 and (theirs in wanted or wanted in theirs):
                found.append((counterparty, relation, value))
    return found


# ---------------------------------------------------------------- mitigations


def active_mitigation(
    session: DbSession, unit_id: int, rule: str, person_id: int, day: date
) -> int | None:
    """The id of a mitigation covering ``rule`` for this person on ``day``, if any."""
    return session.scalar(
        sa.select(Mitigation.id)
        .where(
            Mitigation.unit_id == unit_id,
            Mitigation.rule == rule,
            sa.or_(Mitigation.person_id.is_(None), Mitigation.person_id == person_id),
            Mitigation.valid_from <= day,
            Mitigation.valid_to >= day,
        )
        .order_by(Mitigation.id)
        .limit(1)
    )


def create_mitigation(session: DbSession, principal: Principal, data: dict[str, Any]) -> Mitigation:
    require(principal, Action.MANAGE_CONTROLS)
    problems: list[dict[str, Any]] = []
    unit = unit_by_code(session, data["unit"])
    if unit is None:
        raise ValidationFailed.at("unit", no_unit(data["unit"]))
    covered = None
    if data.get("person"):
        covered = session.scalar(sa.select(Person).where(Person.username == data["person"]))
        if covered is None or covered.unit_id != unit.id:
            why = _l("no person '%(username)s' here", username=data["person"])
            problems.append({"path": "person", "message": why})
    approver = session.scalar(sa.select(Person).where(Person.username == data["approver"]))
    if approver is None:
        why = _l("no person '%(username)s'", username=data["approver"])
        problems.append({"path": "approver", "message": why})
    elif covered is not None and approver.id == covered.id:
        why = _l("nobody approves their own mitigation")
        problems.append({"path": "approver", "message": why})
    start, end = data["valid_from"], data["valid_to"]
    if end < start:
        problems.append({"path": "valid_to", "message": _l("ends before it starts")})
    elif end - start > timedelta(days=MAX_MITIGATION_DAYS):
        why = _l("at most %(days)s days; renew it", days=MAX_MITIGATION_DAYS)
        problems.append({"path": "valid_to", "message": why})
    problem = _rule_problem(session, unit.id, data["rule"])
    if problem:
        problems.append({"path": "rule", "message": problem})
    if problems:
        raise ValidationFailed.listing(problems)
    assert approver is not None
    row = Mitigation(
        unit_id=unit.id,
        rule=data["rule"],
        person_id=covered.id if covered else None,
        name=data["name"],
        approver_id=approver.id,
        valid_from=start,
        valid_to=end,
    )
    session.add(row)
    session.flush()
    return row


def _rule_problem(session: DbSession, unit_id: int, rule: str) -> Any:
    """Why ``rule`` cannot be mitigated in the unit, or None.  Only flag-mode rules can:
    a block-mode rule is a decision that the risk is not to be run at all."""
    from riskctl.process.services import latest_published

    if rule == COI_RULE:
        return None
    if rule.startswith("posts:"):
        a, _, b = rule.removeprefix("posts:").partition("~")
        pairs = post_pairs(session, unit_id)
        pair = next((p for p in pairs if (p.post_a, p.post_b) == (a, b)), None)
        if pair is None:
            return _l("no incompatible post pair '%(rule)s' in this unit", rule=rule)
        if pair.mode is not ControlMode.FLAG:
            return _l("'%(rule)s' is in %(mode)s mode; only flag-mode rules are mitigated",
                      rule=rule, mode=pair.mode.value)  # fmt: skip
        return None
    key, _, code = rule.partition(":")
    published = latest_published(session, unit_id, key)
    if published is None:
        return _l("no published process '%(key)s' in this unit (rules look like %(key)s:a~b)",
                  key=key)  # fmt: skip
    found = next((r for r in published.definition.rules if r.code == code), None)
    if found is None:
        return _l("process '%(key)s' has no incompatible rule '%(code)s'", key=key, code=code)
    if found.mode != "flag":
        return _l("'%(rule)s' is in block mode; only flag-mode rules are mitigated", rule=rule)
    return None


def list_mitigations(
    session: DbSession, principal: Principal, *, limit: int = 50, offset: int = 0
) -> Page:
    require(principal, Action.VIEW_CONTROLS)
    stmt = (
        sa.select(Mitigation)
        .where(unit_filter(principal, Action.VIEW_CONTROLS, Mitigation.unit_id))
        .order_by(Mitigation.id.desc())
    )
    return paginate(session, stmt, limit, offset)


# ---------------------------------------------------------------- hits


def record_hit(
    session: DbSession,
    *,
    kind: ControlKind,
    rule: str,
    rule_name: str,
    mode: ControlMode,
    outcome: HitOutcome,
    unit_id: int,
    person_id: int | None,
    evidence: dict[str, Any],
    item_id: int | None = None,
    node: str | None = None,
    step_id: int | None = None,
    earlier_step_id: int | None = None,
    mitigation_id: int | None = None,
) -> int:
    hit_id = (
        session.connection()
        .execute(
            _INSERT_HIT,
            {
                "kind": kind,
                "rule": rule,
                "rule_name": rule_name[:200],
                "mode": mode,
                "outcome": outcome,
                "unit_id": unit_id,
                "person_id": person_id,
                "item_id": item_id,
                "node": node,
                "step_id": step_id,
                "earlier_step_id": earlier_step_id,
                "mitigation_id": mitigation_id,
                "evidence": evidence,
                "at": utcnow(),
            },
        )
        .scalar_one()
    )
    return int(hit_id)


def list_hits(
    session: DbSession,
    principal: Principal,
    *,
    unit: str | None = None,
    item_id: int | None = None,
    kind: str | None = None,
    outcome: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    require(principal, Action.VIEW_CONTROLS)
    stmt = sa.select(ControlHit).where(
        unit_filter(principal, Action.VIEW_CONTROLS, ControlHit.unit_id)
    )
    if unit is not None:
        found = filter_unit(session, principal, Action.VIEW_CONTROLS, unit)
        stmt = stmt.where(ControlHit.unit_id == found.id)
    if item_id is not None:
        stmt = stmt.where(ControlHit.item_id == item_id)
    if kind is not None:
        stmt = stmt.where(ControlHit.kind == ControlKind(kind))
    if outcome is not None:
        stmt = stmt.where(ControlHit.outcome == HitOutcome(outcome))
    page = paginate(session, stmt.order_by(ControlHit.id.desc()), limit, offset)
    return Page(hit_views(session, page.items), page.total, page.limit, page.offset)


def hits_of_item(session: DbSession, item_id: int) -> list[dict[str, Any]]:
    hits = session.scalars(
        sa.select(ControlHit).where(ControlHit.item_id == item_id).order_by(ControlHit.id)
    )
    return hit_views(session, list(hits))


def hit_views(session: DbSession, hits: Sequence[ControlHit]) -> list[dict[str, Any]]:
    """Hits as the API shows them, with usernames and unit codes read in one query each."""
    person_ids = sorted({h.person_id for h in hits if h.person_id is not None})
    unit_ids = sorted({h.unit_id for h in hits})
    usernames: dict[int, str] = {}
    if person_ids:
        query = sa.select(Person.id, Person.username).where(Person.id.in_(person_ids))
        usernames = {row.id: row.username for row in session.execute(query)}
    query = sa.select(Unit.id, Unit.code).where(Unit.id.in_(unit_ids))
    codes = {row.id: row.code for row in session.execute(query)} if unit_ids else {}
    return [
        {
            "id": h.id,
            "kind": h.kind.value,
            "rule": h.rule,
            "rule_name": h.rule_name,
            "mode": h.mode.value,
            "outcome": h.outcome.value,
            "unit": codes.get(h.unit_id),
            "person": usernames.get(h.person_id) if h.person_id is not None else None,
            "person_id": h.person_id,  # pages name the person (org.person_labels)
            "item_id": h.item_id,
            "node": h.node,
            "step_id": h.step_id,
            "earlier_step_id": h.earlier_step_id,
            "mitigation_id": h.mitigation_id,
            "evidence": h.evidence,
            "at": h.at,
        }
        for h in hits
    ]
