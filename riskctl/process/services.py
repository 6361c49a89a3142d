"""Process definitions: drafts, validation, publishing, templates and their adoption.

A unit's process has versions.  Uploading replaces the unit's draft of that key (or
starts one); publishing makes the latest draft the version new items start on and
retires the one before.  Published and retired versions never change (a guard below
refuses it at flush time), so items keep the exact definition they started with.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, inspect

from riskctl.core.access import Action, Principal, require, visible_units
from riskctl.core.calendar import TimeLimit
from riskctl.core.clock import utcnow
from riskctl.core.db import DbSession
from riskctl.core.errors import Conflict, NotFound, ValidationFailed, message_of
from riskctl.core.inputs import InputProblem, load_yaml
from riskctl.core.listing import Page, paginate, unit_filter
from riskctl.org.models import Post, Unit
from riskctl.org.services import filter_unit, unit_by_code
from riskctl.process.conditions import Problem
from riskctl.process.definition import PROCESS_KEY_RE, TASK_KINDS, Definition
from riskctl.process.models import ProcessDefinition, ProcessStatus
from riskctl.process.validation import Validated, validate

TEMPLATES = Path(__file__).with_name("templates")
MAX_SOURCE = 256 * 1024
MAX_NAME = 200  # process_definition.name
_IMMUTABLE = ("unit_id", "key", "version", "name", "category", "risk", "body", "source", "layout")


@event.listens_for(ProcessDefinition, "before_update")
def _published_versions_are_immutable(mapper: Any, connection: Any, row: Any) -> None:
    state = inspect(row)
    status = state.attrs.status.history
    was = (status.deleted or [row.status])[0]
    if was is ProcessStatus.DRAFT:
        return
    changed = [name for name in _IMMUTABLE if state.attrs[name].history.has_changes()]
    if changed:
        raise Conflict(
            _l("%(key)s v%(version)s is %(status)s; published versions never change",
               key=row.key, version=row.version, status=was.value),
            code="immutable_version",
        )  # fmt: skip


def problems_as_details(problems: tuple[Problem, ...] | list[Problem]) -> list[dict[str, Any]]:
    return [p.as_dict() for p in problems]


def read_text(text: str) -> Any:
    """YAML (or JSON, which YAML reads too) → the definition structure, read by the one
    loader of input YAML (the API, the upload page, the CLI): no anchors or aliases, no
    tags, bounded in size and depth, only what JSON holds (dates as their ISO text)."""
    try:
        return load_yaml(text, max_chars=MAX_SOURCE)
    except InputProblem as exc:
        raise ValidationFailed.at(exc.path, exc.message) from None


def body_of(session: DbSession, definition_id: int) -> Any:
    return session.scalar(
        sa.select(ProcessDefinition.body).where(ProcessDefinition.id == definition_id)
    )


# ---------------------------------------------------------------- compiled definitions


@dataclass(frozen=True)
class Published:
    id: int
    unit_id: int
    key: str
    version: int
    definition: Definition


@lru_cache(maxsize=512)
def _compile(definition_id: int, body_json: str) -> Definition:
    import json

    result = validate(json.loads(body_json))
    if result.definition is None or not result.ok:
        raise RuntimeError(f"stored definition {definition_id} does not validate")
    return result.definition


def compiled(row: ProcessDefinition) -> Definition:
    """The engine's view of a stored version (cached: published rows never change)."""
    import json

    return _compile(row.id, json.dumps(row.body, sort_keys=True, ensure_ascii=False))


# Keyed by database too: one process (the test suite, a bench) may talk to several.
_by_id: dict[tuple[str, int], Published] = {}


def published_by_id(session: DbSession, definition_id: int) -> Published:
    """A published or retired version by id; cached for the life of the process, since
    such a version never changes (``_published_versions_are_immutable``)."""
    key = (str(session.get_bind().engine.url), definition_id)
    found = _by_id.get(key)
    if found is None:
        row = session.get(ProcessDefinition, definition_id)
        if row is None or row.status is ProcessStatus.DRAFT:
            raise NotFound(_l("no published process version %(id)s", id=definition_id))
        found = Published(row.id, row.unit_id, row.key, row.version, compiled(row))
        _by_id[key] = found
    return found


def forget_published() -> None:
    """Empty the cache (tests roll back rows whose ids the database may hand out again)."""
    _by_id.clear()


def latest_published(session: DbSession, unit_id: int, key: str) -> Published | None:
    definition_id = session.scalar(
        sa.select(ProcessDefinition.id).where(
            ProcessDefinition.unit_id == unit_id,
            ProcessDefinition.key == key,
            ProcessDefinition.status == ProcessStatus.PUBLISHED,
        )
    )
    return None if definition_id is None else published_by_id(session, definition_id)


# ---------------------------------------------------------------- reading


def _unit_for(session: DbSession, principal: Principal, code: str | None, action: Action) -> Unit:
    """The unit named, or the caller's own; 404 outside the caller's reach."""
    if code is None:
        if principal.unit_id is None:
            raise ValidationFailed.at("unit", _l("say which unit (?unit=code)"))
        unit = session.get(Unit, principal.unit_id)
    else:
        unit = unit_by_code(session, code)
    if unit is None or unit.id not in visible_units(principal, action):
        raise NotFound(_l("no unit '%(code)s'", code=code), code="unknown_unit")
    return unit


def unit_posts(session: DbSession, unit_id: int) -> set[str]:
    return set(session.scalars(sa.select(Post.code).where(Post.unit_id == unit_id)))


def list_definitions(
    session: DbSession,
    principal: Principal,
    *,
    unit: str | None = None,
    status: str | None = "published",
    limit: int = 50,
    offset: int = 0,
) -> Page:
    require(principal, Action.VIEW_PROCESSES)
    stmt = sa.select(ProcessDefinition).where(
        unit_filter(principal, Action.VIEW_PROCESSES, ProcessDefinition.unit_id)
    )
    if unit is not None:
        found = filter_unit(session, principal, Action.VIEW_PROCESSES, unit)
        stmt = stmt.where(ProcessDefinition.unit_id == found.id)
    if status is not None:
        stmt = stmt.where(ProcessDefinition.status == ProcessStatus(status))
    return paginate(session, stmt.order_by(ProcessDefinition.id.desc()), limit, offset)


def get_definition(
    session: DbSession,
    principal: Principal,
    key: str,
    *,
    unit: str | None = None,
    version: int | None = None,
) -> ProcessDefinition:
    """A version of a unit's process: ``version``, else the published one, else (for
    those who manage processes) the latest draft."""
    found = _unit_for(session, principal, unit, Action.VIEW_PROCESSES)
    stmt = sa.select(ProcessDefinition).where(
        ProcessDefinition.unit_id == found.id, ProcessDefinition.key == key
    )
    if version is not None:
        row = session.scalar(stmt.where(ProcessDefinition.version == version))
    else:
        row = session.scalar(stmt.where(ProcessDefinition.status == ProcessStatus.PUBLISHED))
        if row is None and principal_manages(principal, found.id):
            row = session.scalar(stmt.order_by(ProcessDefinition.version.desc()).limit(1))
    if row is None or (
        row.status is ProcessStatus.DRAFT and not principal_manages(principal, found.id)
    ):
        raise NotFound(_no_process(key, found.code), code="unknown_process")
    return row


def _no_process(key: str, unit: str) -> Any:
    return _l("no process '%(key)s' in unit '%(unit)s'", key=key, unit=unit)


def principal_manages(principal: Principal, unit_id: int) -> bool:
    return unit_id in visible_units(principal, Action.MANAGE_PROCESSES)


# ---------------------------------------------------------------- writing


def check(session: DbSession, unit_id: int, raw: Any) -> Validated:
    return validate(raw, unit_posts(session, unit_id))


def validate_only(
    session: DbSession, principal: Principal, raw: Any, *, unit: str | None = None
) -> Validated:
    require(principal, Action.MANAGE_PROCESSES)
    found = _unit_for(session, principal, unit, Action.MANAGE_PROCESSES)
    return check(session, found.id, raw)


# A draft's row needs these to be right even when it is saved with problems.
ROW_PATHS = frozenset({"key", "name", "category", "risk"})


def save_draft(
    session: DbSession,
    principal: Principal,
    raw: Any,
    *,
    unit: str | None = None,
    source: str | None = None,
    template: str | None = None,
    layout: dict[str, Any] | None = None,
    keep_problems: bool = False,
) -> ProcessDefinition:
    """Create or replace the unit's draft of ``raw['key']``; 422 with every problem.

    ``keep_problems`` (the designer's work in progress): saved with its problems, which
    publishing refuses until they are fixed — all but those of the key, name, category
    and risk, which the version's row needs.  ``layout``: where the nodes are drawn
    (``riskctl.process.layout``), kept beside the definition."""
    require(principal, Action.MANAGE_PROCESSES)
    found = _unit_for(session, principal, unit, Action.MANAGE_PROCESSES)
    result = check(session, found.id, raw)
    blocking = [
        p for p in result.problems
        if not keep_problems or result.definition is None or p.path in ROW_PATHS
    ]  # fmt: skip
    if blocking:
        details = problems_as_details(result.problems if not keep_problems else blocking)
        raise ValidationFailed(
            _l("the definition has %(count)s problem(s); the first: %(path)s: %(problem)s",
               count=len(details), path=details[0]["path"] or _l("document"),
               problem=details[0]["message"]),
            code="invalid_definition",
            details=details,
        )  # fmt: skip
    assert result.definition is not None
    d = result.definition
    rows = session.scalars(
        sa.select(ProcessDefinition)
        .where(ProcessDefinition.unit_id == found.id, ProcessDefinition.key == d.key)
        .order_by(ProcessDefinition.version.desc())
    ).all()
    draft = next((r for r in rows if r.status is ProcessStatus.DRAFT), None)
    if draft is None:
        draft = ProcessDefinition(
            unit_id=found.id,
            key=d.key,
            version=(rows[0].version + 1) if rows else 1,
            status=ProcessStatus.DRAFT,
            created_by_id=principal.person_id or None,
        )
        session.add(draft)
    draft.name, draft.category, draft.risk = d.name, d.category, d.risk
    draft.body, draft.source, draft.template = copy.deepcopy(raw), source, template
    draft.layout = copy.deepcopy(layout)
    session.flush()
    return draft


def managed_unit(session: DbSession, principal: Principal, unit: str | None) -> Unit:
    """The unit named (or the caller's own) if the caller manages its processes; else 404."""
    require(principal, Action.MANAGE_PROCESSES)
    return _unit_for(session, principal, unit, Action.MANAGE_PROCESSES)


def publish(
    session: DbSession, principal: Principal, key: str, *, unit: str | None = None
) -> ProcessDefinition:
    """Publish the latest draft; the version published before it is retired."""
    require(principal, Action.MANAGE_PROCESSES)
    found = _unit_for(session, principal, unit, Action.MANAGE_PROCESSES)
    rows = session.scalars(
        sa.select(ProcessDefinition)
        .where(ProcessDefinition.unit_id == found.id, ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc())
        .with_for_update()
    ).all()
    if not rows:
        raise NotFound(_no_process(key, found.code), code="unknown_process")
    draft = next((r for r in rows if r.status is ProcessStatus.DRAFT), None)
    if draft is None:
        raise Conflict(_l("'%(key)s' has no draft to publish", key=key), code="no_draft")
    # Posts may have changed since the draft was saved.
    result = check(session, found.id, draft.body)
    if not result.ok:
        raise ValidationFailed(
            _l("the draft no longer validates"),
            code="invalid_definition",
            details=problems_as_details(result.problems),
        )
    for row in rows:
        if row.status is ProcessStatus.PUBLISHED:
            row.status = ProcessStatus.RETIRED
    session.flush()  # retire first: at most one published version at any moment
    draft.status = ProcessStatus.PUBLISHED
    draft.published_at = utcnow()
    draft.published_by_id = principal.person_id or None
    session.flush()
    return draft


# ---------------------------------------------------------------- templates


@dataclass(frozen=True)
class Template:
    key: str
    name: str
    category: str
    description: str
    source: str

    @property
    def raw(self) -> Any:
        return read_text(self.source)


@lru_cache(maxsize=1)
def templates() -> tuple[Template, ...]:
    found = []
    for path in sorted(TEMPLATES.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        raw = read_text(text)
        found.append(
            Template(raw["key"], raw["name"], raw["category"], raw.get("description", ""), text)
        )
    return tuple(found)


def template(key: str) -> Template:
    for found in templates():
        if found.key == key:
            return found
    known = ", ".join(t.key for t in templates())
    raise NotFound(
        _l("no template '%(key)s'; there are: %(known)s", key=key, known=known),
        code="unknown_template",
    )


class AlreadyAdopted(Conflict):
    """The unit already has a process adopted from this template, and this adoption
    would silently make a second one of the same name, or a version identical to it."""

    code = "already_adopted"

    def __init__(self, template_key: str, unit_code: str, key: str, name: str) -> None:
        self.template_key, self.existing_key, self.existing_name = template_key, key, name
        message = _l(
            "unit '%(unit)s' already adopted template '%(template)s' as '%(key)s' (%(name)s); "
            "this adoption would be a second identical process. To run a second one on "
            "purpose, give it a different process key and a different name (e.g. "
            "政府采购（分散采购） beside 政府采购)",
            unit=unit_code,
            template=template_key,
            key=key,
            name=name,
        )
        super().__init__(message, details=[
            {"path": "key",
             "message": _l("'%(key)s' is the key of the adoption in place", key=key)},
            {"path": "name",
             "message": _l("'%(name)s' is the name of the adoption in place", name=name)},
        ])  # fmt: skip


def adopt(
    session: DbSession,
    principal: Principal,
    template_key: str,
    *,
    unit: str | None = None,
    key: str | None = None,
    name: str | None = None,
    posts: dict[str, str] | None = None,
    limits: dict[str, str] | None = None,
    risks: dict[str, int] | None = None,
    publish_now: bool = True,
) -> ProcessDefinition:
    """A unit takes a template as its process, adjusting posts (template post → unit
    post), time limits and risk values per node (``"process"``: the process's own).

    409 (``AlreadyAdopted``) when the unit already has a process from this template and
    this adoption would be a second process of the same name, or a version identical to
    the one in place: a second process needs its own key and name.  Under the key in
    place with something changed (the template since, a post, a limit) it is that
    process's next version, as docs/processes.md describes."""
    require(principal, Action.MANAGE_PROCESSES)
    chosen = template(template_key)
    raw = adjusted(chosen.raw, key=key, name=name, posts=posts, limits=limits, risks=risks)
    _refuse_second_adoption(session, principal, unit, chosen.key, raw)
    draft = save_draft(session, principal, raw, unit=unit, template=chosen.key)
    if publish_now:
        return publish(session, principal, draft.key, unit=unit)
    return draft


def _refuse_second_adoption(
    session: DbSession, principal: Principal, unit: str | None, template_key: str, raw: Any
) -> None:
    found = _unit_for(session, principal, unit, Action.MANAGE_PROCESSES)
    rows = session.execute(
        sa.select(ProcessDefinition.key, ProcessDefinition.name, ProcessDefinition.template,
                  ProcessDefinition.body)
        .where(ProcessDefinition.unit_id == found.id)
        .order_by(ProcessDefinition.key, ProcessDefinition.version)
    ).all()  # fmt: skip
    latest = {row.key: row for row in rows}  # ordered by version: the latest wins
    adopted = {row.key for row in rows if row.template == template_key}
    new_key, new_name = raw.get("key"), raw.get("name")
    if new_key in adopted:
        clash = new_key if latest[new_key].body == raw else None  # else: its next version
    else:
        clash = next((k for k in sorted(adopted) if latest[k].name == new_name), None)
    if clash is not None:
        raise AlreadyAdopted(template_key, found.code, clash, latest[clash].name)


@dataclass(frozen=True)
class TemplateTask:
    key: str
    name: str
    post: str | None
    limit: str | None
    risk: int | None


@dataclass(frozen=True)
class TemplateParts:
    """What an adopting unit may change in a template: its posts (each with the names of
    the nodes that use it), its tasks' time limits and risk values, its own risk."""

    posts: tuple[tuple[str, tuple[str, ...]], ...]
    tasks: tuple[TemplateTask, ...]
    risk: int


def template_parts(chosen: Template) -> TemplateParts:
    raw = chosen.raw
    users: dict[str, list[str]] = {}
    tasks = []
    for node in raw.get("nodes", []):
        name = str(node.get("name") or node["key"])
        named = [node.get("post"), *node.get("members", ()), node.get("chair"),
                 node.get("observer")]  # fmt: skip
        for post in named:
            if post and name not in users.setdefault(post, []):
                users[post].append(name)
        if node.get("kind", "task") in TASK_KINDS:
            tasks.append(TemplateTask(node["key"], name, node.get("post"), node.get("limit"),
                                      node.get("risk")))  # fmt: skip
    return TemplateParts(
        tuple((post, tuple(used)) for post, used in users.items()), tuple(tasks),
        int(raw.get("risk", 3)),
    )  # fmt: skip


def adjusted(
    raw: dict[str, Any],
    *,
    key: str | None = None,
    name: str | None = None,
    posts: dict[str, str] | None = None,
    limits: dict[str, str] | None = None,
    risks: dict[str, int] | None = None,
) -> dict[str, Any]:
    """``raw`` with the adopter's changes; 422 naming any change that does not fit."""
    raw = copy.deepcopy(raw)
    problems: list[dict[str, Any]] = []
    if key is not None:
        if not PROCESS_KEY_RE.match(key):
            why = _l("'%(key)s' is not a valid process key", key=key)
            problems.append({"path": "key", "message": why})
        raw["key"] = key
    if name is not None:
        if not name.strip() or len(name) > MAX_NAME:
            why = _l("a name of 1 to %(max)s characters", max=MAX_NAME)
            problems.append({"path": "name", "message": why})
        raw["name"] = name.strip()
    nodes = {n["key"]: n for n in raw.get("nodes", [])}
    used_posts = {n.get("post") for n in nodes.values()}
    # A meeting node also names posts: its members, chair and observer.
    used_posts |= {p for n in nodes.values() for p in [*n.get("members", ()), n.get("chair"),
                                                          n.get("observer")] if p}  # fmt: skip
    for old, new in (posts or {}).items():
        if old not in used_posts:
            problems.append(
                {"path": f"posts.{old}", "message": _l("the template has no such post")}
            )
        for node in nodes.values():
            if node.get("post") == old:
                node["post"] = new
            for role in ("chair", "observer"):
                if node.get(role) == old:
                    node[role] = new
            if isinstance(node.get("members"), list):
                node["members"] = [new if p == old else p for p in node["members"]]
    for node_key, limit in (limits or {}).items():
        if node_key not in nodes or nodes[node_key].get("kind", "task") not in TASK_KINDS:
            problems.append({"path": f"limits.{node_key}", "message": _l("no such task")})
            continue
        try:
            TimeLimit.parse(limit)
        except ValueError as exc:
            problems.append({"path": f"limits.{node_key}", "message": message_of(exc)})
            continue
        nodes[node_key]["limit"] = limit
    for node_key, risk in (risks or {}).items():
        if isinstance(risk, bool) or not isinstance(risk, int) or not 1 <= risk <= 5:
            problems.append({"path": f"risks.{node_key}", "message": _l("must be 1 to 5")})
        elif node_key == "process":
            raw["risk"] = risk
        elif node_key not in nodes:
            problems.append({"path": f"risks.{node_key}", "message": _l("no such node")})
        else:
            nodes[node_key]["risk"] = risk
    if problems:
        raise ValidationFailed.listing(problems)
    return raw
