"""Organisation services: reading within the caller's scope, creating and updating.

Inputs are the plain dicts produced by ``riskctl.org.schemas`` (formats already
checked); here we check what needs the database: unknown units and posts, duplicates,
who may do what.  Services flush, the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskctl.auth.services import check_password_rules, hash_password
from riskctl.core import audit, calendar_store
from riskctl.core.access import Action, Principal, Role, can, require, visible_units
from riskctl.core.db import DbSession
from riskctl.core.errors import Conflict, Forbidden, Joined, NotFound, Refused, ValidationFailed
from riskctl.core.listing import Page, paginate, unit_filter
from riskctl.org import signals
from riskctl.org.models import (
    ConflictOfInterest,
    InspectorScope,
    Person,
    PersonRole,
    Post,
    PostAssignment,
    Unit,
    UnitKind,
    UnitLevel,
)


def today() -> date:
    """Today in the platform's zone: the day against which post holdings are judged."""
    return calendar_store.local_date()


# ---------------------------------------------------------------- reading


def person_names(session: DbSession, ids: set[int]) -> dict[int, tuple[str, str]]:
    """Person id → (username, name), in one query."""
    if not ids:
        return {}
    rows = session.execute(
        sa.select(Person.id, Person.username, Person.name).where(Person.id.in_(sorted(ids)))
    )
    return {r[0]: (r[1], r[2]) for r in rows}


def person_labels(session: DbSession, ids: set[int], on: date | None = None) -> dict[int, str]:
    """Person id → how a reader knows them: 王芳（区财政局·经办人）, their unit and the posts
    they hold on ``on`` (today by default), in two queries.  Pages and exports name people
    so, never by username."""
    if not ids:
        return {}
    day = on or today()
    people = session.execute(
        sa.select(Person.id, Person.name, Unit.name)
        .outerjoin(Unit, Unit.id == Person.unit_id)
        .where(Person.id.in_(sorted(ids)))
    ).all()
    posts: dict[int, list[str]] = {}
    for pid, post in session.execute(
        sa.select(PostAssignment.person_id, Post.name)
        .join(Post, Post.id == PostAssignment.post_id)
        .where(
            PostAssignment.person_id.in_(sorted(ids)),
            PostAssignment.valid_from <= day,
            sa.or_(PostAssignment.valid_to.is_(None), PostAssignment.valid_to >= day),
        )
        .order_by(PostAssignment.person_id, Post.name)
    ):
        posts.setdefault(pid, []).append(post)
    labels: dict[int, str] = {}
    for pid, name, unit in people:
        where = "·".join(x for x in (unit or "", "、".join(posts.get(pid, []))) if x)
        labels[pid] = f"{name}（{where}）" if where else name
    return labels


def labels_by_username(session: DbSession, usernames: set[str]) -> dict[str, str]:
    """``person_labels`` for views that carry usernames (the API's shape)."""
    if not usernames:
        return {}
    ids: dict[int, str] = {
        pid: username
        for pid, username in session.execute(
            sa.select(Person.id, Person.username).where(Person.username.in_(sorted(usernames)))
        )
    }
    return {ids[pid]: label for pid, label in person_labels(session, set(ids)).items()}


def unit_names(session: DbSession) -> dict[str, str]:
    """Unit names by code (pages show names where the API gives codes)."""
    return {code: name for code, name in session.execute(sa.select(Unit.code, Unit.name))}


def post_names(session: DbSession, unit_code: str | None) -> dict[str, str]:
    """The names of a unit's posts by code (pages name posts; the engine keys them)."""
    rows = session.execute(
        sa.select(Post.code, Post.name)
        .join(Unit, Unit.id == Post.unit_id)
        .where(unit_code_is(unit_code or ""))
    )
    return {code: name for code, name in rows}


def unit_code_is(code: str) -> sa.ColumnElement[bool]:
    """Unit codes compare case-insensitively (api.md): ``CZJ-01`` and ``czj-01`` name one
    unit, which keeps the case it was created with.  Codes are ASCII, so SQL ``lower``
    agrees with Python's on every backend."""
    return sa.func.lower(Unit.code) == code.lower()


ALREADY_EXISTS = _l("already exists")


def no_unit(code: Any) -> Any:
    return _l("no unit '%(code)s'", code=code)


def unit_by_code(session: DbSession, code: str) -> Unit | None:
    return session.scalar(sa.select(Unit).where(unit_code_is(code)))


def visible_unit(session: DbSession, principal: Principal, code: str) -> Unit:
    """The unit, or 404 when it does not exist or is outside the caller's reach."""
    unit = unit_by_code(session, code)
    if unit is None or unit.id not in visible_units(principal, Action.VIEW_ORG):
        raise NotFound(no_unit(code), code="unknown_unit")
    return unit


def list_units(
    session: DbSession, principal: Principal, *, limit: int = 50, offset: int = 0
) -> Page:
    stmt = (
        sa.select(Unit)
        .where(unit_filter(principal, Action.VIEW_ORG, Unit.id))
        .order_by(Unit.id.desc())
    )
    return paginate(session, stmt, limit, offset)


def list_posts(
    session: DbSession, principal: Principal, unit_code: str, *, limit: int = 50, offset: int = 0
) -> Page:
    unit = visible_unit(session, principal, unit_code)
    stmt = sa.select(Post).where(Post.unit_id == unit.id).order_by(Post.id.desc())
    return paginate(session, stmt, limit, offset)


def filter_unit(session: DbSession, principal: Principal, action: Action, code: str) -> Unit:
    """The unit a list is filtered by: 404 when unknown, 403 when outside the reach."""
    unit = unit_by_code(session, code)
    if unit is None:
        raise NotFound(no_unit(code), code="unknown_unit")
    if unit.id not in visible_units(principal, action):
        raise Forbidden(_l("unit '%(code)s' is outside your scope", code=code), code="out_of_scope")
    return unit


def list_people(
    session: DbSession,
    principal: Principal,
    *,
    unit_code: str | None = None,
    search: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    """People the caller may see (``search``: a piece of the name or username).  Personal
    data: every read is audited."""
    require(principal, Action.VIEW_PEOPLE)
    stmt = sa.select(Person).where(unit_filter(principal, Action.VIEW_PEOPLE, Person.unit_id))
    if search:
        stmt = stmt.where(
            sa.or_(
                Person.name.contains(search.strip(), autoescape=True),
                Person.username.contains(search.strip(), autoescape=True),
            )
        )
    unit_id = None
    if unit_code is not None:
        unit = filter_unit(session, principal, Action.VIEW_PEOPLE, unit_code)
        unit_id = unit.id
        stmt = stmt.where(Person.unit_id == unit.id)
    page = paginate(session, stmt.order_by(Person.id.desc()), limit, offset)
    audit.record(
        session,
        "people.read",
        target_type="person",
        target_id=unit_code,
        unit_id=unit_id,
        after={"returned": [p.username for p in page.items]},
    )
    return Page([as_seen_by(principal, p) for p in page.items], page.total, page.limit,
                page.offset)  # fmt: skip


def visible_person(session: DbSession, principal: Principal, username: str) -> Any:
    person = session.scalar(sa.select(Person).where(Person.username == username))
    if person is None or person.unit_id not in visible_units(principal, Action.VIEW_PEOPLE):
        raise NotFound(_l("no person '%(username)s'", username=username), code="unknown_person")
    audit.record(
        session, "people.read", target_type="person", target_id=username, unit_id=person.unit_id
    )
    return as_seen_by(principal, person)


def masked_phone(phone: str | None) -> str | None:
    """138****5678: enough to tell numbers apart, not to call them."""
    if not phone or len(phone) < 8:
        return phone
    return phone[:-8] + "****" + phone[-4:]


class ColleagueView:
    """A person as a colleague sees them: name, unit, roles and posts; the phone masked,
    and no declared conflicts of interest or personal risk value — those are for the
    discipline leader, inspectors and administrators (``VIEW_PERSONAL``)."""

    def __init__(self, person: Person) -> None:
        self._person = person

    def __getattr__(self, name: str) -> Any:
        return getattr(self._person, name)

    @property
    def phone(self) -> str | None:
        return masked_phone(self._person.phone)

    @property
    def conflicts(self) -> list[Any]:
        return []

    @property
    def risk(self) -> None:
        return None


def as_seen_by(principal: Principal, person: Person) -> Any:
    """The person itself for those who may see personal data of its unit (and for the
    person), else the colleague's view."""
    if person.id == principal.person_id or can(principal, Action.VIEW_PERSONAL, person.unit_id):
        return person
    return ColleagueView(person)


def overview_for(session: DbSession, principal: Principal) -> dict[str, Any]:
    """Units the caller sees with their head counts (the home page chart)."""
    rows = session.execute(
        sa.select(Person.unit_id, sa.func.count())
        .where(Person.is_active.is_(True))
        .group_by(Person.unit_id)
    ).all()
    counts = {unit_id: count for unit_id, count in rows}
    units = list_units(session, principal, limit=500).items
    return {
        "units": [
            {"code": u.code, "name": u.name, "kind": u.kind.value, "people": counts.get(u.id, 0)}
            for u in sorted(units, key=lambda u: u.id)
        ]
    }


# ---------------------------------------------------------------- writing


def save_unit(
    session: DbSession, principal: Principal, data: dict[str, Any], *, upsert: bool = False
) -> tuple[Unit, bool]:
    """Create a unit (``upsert``: or update it).  Returns the unit and whether it is new."""
    require(principal, Action.MANAGE_ORG)
    unit = unit_by_code(session, data["code"])
    if unit is not None and not upsert:
        raise Conflict(
            _l("unit '%(code)s' already exists", code=data["code"]),
            code="duplicate",
            details=[{"path": "code", "message": ALREADY_EXISTS}],
        )
    parent = None
    if data.get("parent"):
        parent = unit_by_code(session, data["parent"])
        if parent is None:
            raise ValidationFailed.at("parent", no_unit(data["parent"]))
        if unit is not None and _is_descendant(parent, unit):
            raise ValidationFailed.at("parent", _l("would make the unit its own ancestor"))
    created = unit is None
    if unit is None:
        unit = Unit(code=data["code"])
        session.add(unit)
    unit.name, unit.kind, unit.parent = data["name"], data["kind"], parent
    # Not given: a township is township level, anything else the district's (county).
    township = data["kind"] is UnitKind.TOWNSHIP
    unit.level = data.get("level") or (UnitLevel.TOWNSHIP if township else UnitLevel.COUNTY)
    try:
        session.flush()
    except sa.exc.IntegrityError:
        # Another request saved the same code (in any case) since the check above.
        raise Conflict(
            _l("unit '%(code)s' already exists", code=data["code"]),
            code="duplicate",
            details=[{"path": "code", "message": ALREADY_EXISTS}],
        ) from None
    return unit, created


def _is_descendant(candidate: Unit, ancestor: Unit) -> bool:
    node: Unit | None = candidate
    while node is not None:
        if node.id == ancestor.id:
            return True
        node = node.parent
    return False


def save_post(
    session: DbSession,
    principal: Principal,
    unit_code: str,
    data: dict[str, Any],
    *,
    upsert: bool = False,
) -> tuple[Post, bool]:
    require(principal, Action.MANAGE_ORG)
    unit = unit_by_code(session, unit_code)
    if unit is None:
        raise NotFound(no_unit(unit_code), code="unknown_unit")
    post = session.scalar(sa.select(Post).where(Post.unit_id == unit.id, Post.code == data["code"]))
    if post is not None and not upsert:
        raise Conflict(
            _l("post '%(code)s' already exists in '%(unit)s'", code=data["code"], unit=unit_code),
            code="duplicate",
            details=[{"path": "code", "message": ALREADY_EXISTS}],
        )
    created = post is None
    if post is None:
        post = Post(unit_id=unit.id, code=data["code"], is_leading=False)
        session.add(post)
    post.name, post.risk = data["name"], data["risk"]
    if data.get("is_leading") is not None:  # not given: as it was
        post.is_leading = bool(data["is_leading"])
    session.flush()
    return post, created


def save_person(
    session: DbSession, principal: Principal, data: dict[str, Any], *, upsert: bool = False
) -> tuple[Person, bool]:
    """Create (``upsert``: or update) a person with roles, posts, scope and conflicts.

    Every problem found is reported together.  On update, posts no longer listed are
    ended yesterday rather than deleted: who held a post when is evidence.
    """
    require(principal, Action.MANAGE_ORG)
    problems: list[dict[str, Any]] = []
    username = data["username"]
    person = session.scalar(sa.select(Person).where(Person.username == username))
    if person is not None and not upsert:
        raise Conflict(
            _l("person '%(username)s' already exists", username=username),
            code="duplicate",
            details=[{"path": "username", "message": ALREADY_EXISTS}],
        )
    roles: list[Role] = list(dict.fromkeys(data["roles"]))
    unit = unit_by_code(session, data["unit"]) if data.get("unit") else None
    if data.get("unit") and unit is None:
        problems.append({"path": "unit", "message": no_unit(data["unit"])})
    elif not data.get("unit") and set(roles) != {Role.ADMIN}:
        why = _l("required unless the person is only an admin")
        problems.append({"path": "unit", "message": why})
    scope_units: list[Unit] = []
    for i, code in enumerate(data.get("scope") or []):
        scoped = unit_by_code(session, code)
        if scoped is None:
            problems.append({"path": f"scope[{i}]", "message": no_unit(code)})
        else:
            scope_units.append(scoped)
    if scope_units and Role.INSPECTOR not in roles:
        problems.append({"path": "scope", "message": _l("only inspectors have a scope")})
    holdings: list[tuple[Post, date, date | None]] = []
    for i, held in enumerate(data.get("posts") or []):
        post = (
            session.scalar(
                sa.select(Post).where(Post.unit_id == unit.id, Post.code == held["code"])
            )
            if unit
            else None
        )
        if unit is not None and post is None:
            problems.append(
                {
                    "path": f"posts[{i}]",
                    "message": _l(
                        "no post '%(post)s' in unit '%(unit)s'", post=held["code"], unit=unit.code
                    ),
                }
            )
        elif unit is None:
            problems.append(
                {"path": f"posts[{i}]", "message": _l("a person without a unit holds no post")}
            )
        elif post is not None:
            holdings.append((post, held.get("valid_from") or today(), held.get("valid_to")))
    static_flags: list[Any] = []
    if unit is not None and holdings and not problems:
        refused, static_flags = _static_check(session, unit, person, username, holdings)
        if refused:
            raise Refused(
                Joined([p["message"] for p in refused], " "),
                code="incompatible_posts",
                details=refused,
            )
    password = data.get("password")
    if password:
        try:
            check_password_rules(password)
        except ValidationFailed as exc:
            problems += exc.details
    if problems:
        raise ValidationFailed.listing(problems)
    created = person is None
    if person is None:
        person = Person(username=username)
        session.add(person)
    person.name, person.phone = data["name"], data.get("phone")
    person.unit_id = unit.id if unit else None
    person.risk, person.is_active = data["risk"], data.get("is_active", True)
    if password:
        person.password_hash = hash_password(password)
    _sync_roles(person, roles)
    _sync_scope(person, scope_units)
    taken = _sync_posts(person, holdings)
    known = {(c.counterparty, c.relation) for c in person.conflicts}
    for declared in data.get("conflicts") or []:
        if (declared["counterparty"], declared["relation"]) not in known:
            person.conflicts.append(
                ConflictOfInterest(
                    counterparty=declared["counterparty"],
                    relation=declared["relation"],
                    declared_on=declared.get("declared_on") or today(),
                )
            )
    session.flush()
    if static_flags:
        assert unit is not None
        _record_static_hits(session, unit, person, static_flags)
    for held in taken:
        signals.post_taken.send(
            person, session=session, person_id=person.id, post_id=held.post_id,
            unit_id=held.post.unit_id, valid_from=held.valid_from, valid_to=held.valid_to,
            is_leading=held.post.is_leading,
        )  # fmt: skip
    return person, created


def _static_check(
    session: DbSession,
    unit: Unit,
    person: Person | None,
    username: str,
    holdings: list[tuple[Post, date, date | None]],
) -> tuple[list[dict[str, Any]], list[Any]]:
    """(refusals as error details, flag-mode pairs) for the posts about to be held.

    A refusal is recorded as a control hit at once: the caller's 422 commits it."""
    from riskctl.controls import services as controls
    from riskctl.controls.models import ControlKind, ControlMode, HitOutcome

    names = {post.code: post.name for post, _, _ in holdings}
    found = controls.static_conflicts(session, unit.id, names)
    refused = []
    for pair in found:
        if pair.mode is not ControlMode.BLOCK:
            continue
        message = controls.describe_pair(pair, names)
        refused.append({"path": "posts", "message": message, "rule": pair.rule})
        controls.record_hit(
            session,
            kind=ControlKind.STATIC,
            rule=pair.rule,
            rule_name=pair.name,
            mode=pair.mode,
            outcome=HitOutcome.REFUSED,
            unit_id=unit.id,
            person_id=person.id if person is not None else None,
            evidence={"username": username, "posts": sorted(names)},
        )
    if refused:
        audit.record(
            session,
            "person.posts_refused",
            target_type="person",
            target_id=username,
            unit_id=unit.id,
            after={"posts": sorted(names), "rules": [r["rule"] for r in refused]},
        )
    return refused, [p for p in found if p.mode is ControlMode.FLAG]


def _record_static_hits(session: DbSession, unit: Unit, person: Person, pairs: list[Any]) -> None:
    from riskctl.controls import services as controls
    from riskctl.controls.models import ControlKind, ControlMode, HitOutcome

    for pair in pairs:
        mitigation = controls.active_mitigation(session, unit.id, pair.rule, person.id, today())
        controls.record_hit(
            session,
            kind=ControlKind.STATIC,
            rule=pair.rule,
            rule_name=pair.name,
            mode=ControlMode.FLAG,
            outcome=HitOutcome.MITIGATED if mitigation else HitOutcome.FLAGGED,
            unit_id=unit.id,
            person_id=person.id,
            mitigation_id=mitigation,
            evidence={"username": person.username, "posts": [pair.post_a, pair.post_b]},
        )


def _sync_roles(person: Person, roles: list[Role]) -> None:
    wanted = set(roles)
    person.role_rows = [r for r in person.role_rows if r.role in wanted] + [
        PersonRole(role=r) for r in roles if r not in person.roles
    ]


def _sync_scope(person: Person, units: list[Unit]) -> None:
    wanted = {u.id for u in units}
    person.scope_rows = [s for s in person.scope_rows if s.unit_id in wanted] + [
        InspectorScope(unit_id=unit_id) for unit_id in sorted(wanted - person.scope_unit_ids)
    ]


def _sync_posts(
    person: Person, holdings: list[tuple[Post, date, date | None]]
) -> list[PostAssignment]:
    """Bring the person's holdings to ``holdings``; returns the holdings that start."""
    day = today()
    taken: list[PostAssignment] = []
    wanted = {post.id for post, _, _ in holdings}
    current = {a.post_id: a for a in person.assignments if a.is_valid_on(day)}
    for post_id, assignment in current.items():
        if post_id not in wanted:
            yesterday = day - timedelta(days=1)
            assignment.valid_to = max(yesterday, assignment.valid_from)
    for post, start, end in holdings:
        held = current.get(post.id)
        if held is None:
            assignment = PostAssignment(post_id=post.id, post=post, valid_from=start, valid_to=end)
            person.assignments.append(assignment)
            taken.append(assignment)
        elif held.valid_to != end:
            held.valid_to = end
    return taken


def units_overview(session: DbSession, principal: Principal) -> list[dict[str, Any]]:
    """Every unit in reach with its parent and how many posts and people it has."""
    require(principal, Action.VIEW_ORG)
    posts = {
        unit_id: n
        for unit_id, n in session.execute(
            sa.select(Post.unit_id, sa.func.count()).group_by(Post.unit_id)
        )
    }
    people = {
        unit_id: n
        for unit_id, n in session.execute(
            sa.select(Person.unit_id, sa.func.count())
            .where(Person.is_active.is_(True))
            .group_by(Person.unit_id)
        )
    }
    units = session.scalars(
        sa.select(Unit).where(unit_filter(principal, Action.VIEW_ORG, Unit.id)).order_by(Unit.id)
    ).all()
    return [
        {"unit": u, "parent": u.parent.name if u.parent else None,
         "posts": posts.get(u.id, 0), "people": people.get(u.id, 0)}
        for u in units
    ]  # fmt: skip


def check_posts(
    session: DbSession, principal: Principal, unit_code: str, codes: list[str]
) -> list[dict[str, str]]:
    """The incompatible-post pairs that holding all of ``codes`` in the unit would break
    (``mode`` block: saving is refused; flag: saved and recorded) — shown before saving."""
    from riskctl.controls import services as controls

    require(principal, Action.MANAGE_ORG)
    unit = visible_unit(session, principal, unit_code)
    names = post_names(session, unit.code)
    return [
        {"mode": pair.mode.value, "rule": pair.rule, "name": pair.name,
         "a": names.get(pair.post_a, pair.post_a), "b": names.get(pair.post_b, pair.post_b)}
        for pair in controls.static_conflicts(session, unit.id, codes)
    ]  # fmt: skip


def post_holders(
    session: DbSession, unit_ids: Iterable[int], first: date, last: date
) -> dict[int, dict[int, set[int]]]:
    """Unit id → post id → the active people who held the post at some time between
    ``first`` and ``last`` (read-only; platform use counts the posts nobody worked in)."""
    found: dict[int, dict[int, set[int]]] = {u: {} for u in unit_ids}
    if not found:
        return found
    for unit_id, post_id in session.execute(
        sa.select(Post.unit_id, Post.id).where(Post.unit_id.in_(sorted(found)))
    ):
        found[unit_id][post_id] = set()
    for unit_id, post_id, person_id in session.execute(
        sa.select(Post.unit_id, Post.id, PostAssignment.person_id)
        .join(PostAssignment, PostAssignment.post_id == Post.id)
        .join(Person, Person.id == PostAssignment.person_id)
        .where(
            Post.unit_id.in_(sorted(found)),
            PostAssignment.valid_from <= last,
            sa.or_(PostAssignment.valid_to.is_(None), PostAssignment.valid_to >= first),
            Person.is_active.is_(True),
        )
    ):
        found[unit_id][post_id].add(person_id)
    return found


def inspector_scopes(session: DbSession) -> dict[int, frozenset[int]]:
    """Active inspector's person id → the units in their scope (read-only)."""
    found: dict[int, set[int]] = {}
    for person_id in session.scalars(
        sa.select(Person.id)
        .join(PersonRole, PersonRole.person_id == Person.id)
        .where(PersonRole.role == Role.INSPECTOR, Person.is_active.is_(True))
    ):
        found[person_id] = set()
    for person_id, unit_id in session.execute(
        sa.select(InspectorScope.person_id, InspectorScope.unit_id).where(
            InspectorScope.person_id.in_(sorted(found) or [-1])
        )
    ):
        found[person_id].add(unit_id)
    return {p: frozenset(u) for p, u in found.items()}
