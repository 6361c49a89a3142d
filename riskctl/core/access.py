"""Who may see and do what: the one policy of role × unit scope.

Every check in views and services goes through ``can``/``require``/``visible_units``;
a role's powers are the rows of ``GRANTS``, not ifs scattered over the code.  A person's
roles combine: an inspector who is also staff of the commission sees the commission
as staff and their scope as inspector.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from riskctl.core.errors import Forbidden


class Role(enum.StrEnum):
    STAFF = "staff"
    DISCIPLINE_LEADER = "discipline_leader"
    INSPECTOR = "inspector"
    ADMIN = "admin"


class Action(enum.StrEnum):
    VIEW_ORG = "org.view"  # units and their posts
    VIEW_PEOPLE = "people.view"  # names and posts
    # phones unmasked, declared conflicts of interest, personal risk values
    VIEW_PERSONAL = "people.personal"
    MANAGE_ORG = "org.manage"  # create/update units, posts, people; CSV import
    VIEW_AUDIT = "audit.view"
    VIEW_PROCESSES = "process.view"  # process definitions
    MANAGE_PROCESSES = "process.manage"  # drafts, publishing, adopting templates
    VIEW_ITEMS = "item.view"  # items with their timeline, tasks and control hits
    START_ITEMS = "item.start"  # start the unit's items (its business)
    WORK_ITEMS = "item.work"  # complete tasks (the post is checked too)
    CANCEL_ITEMS = "item.cancel"
    VIEW_CONTROLS = "controls.view"  # control hits, incompatible post pairs, mitigations
    MANAGE_CONTROLS = "controls.manage"
    MANAGE_CALENDAR = "calendar.manage"
    VIEW_RISK = "risk.view"  # risk events of a unit (staff: only those about their work)
    EXPLAIN_RISK = "risk.explain"  # the handler's explanation (checked against the event)
    HANDLE_RISK = "risk.handle"  # acknowledge; resolve or dismiss yellow and orange
    CLOSE_RED = "risk.close_red"  # resolve or dismiss red; events about discipline leaders
    # 意见: the discipline leader's opinion on a warning of the unit, for the inspectors
    OPINE_RISK = "risk.opinion"
    RUN_SCAN = "risk.scan"
    VIEW_POLICY = "policy.view"
    MANAGE_POLICY = "policy.manage"  # the policy and the risk values of the four levels
    PREVIEW_POLICY = "policy.preview"  # what-if and back-test, within the reach
    MANAGE_RISK_VALUES = "risk_values.manage"
    VIEW_STATS = "stats.view"
    VIEW_ALERTS = "alerts.view"  # the notification log with delivery status and attempts
    MANAGE_SILENCES = "alerts.silence"  # silences over the units in reach
    VIEW_SCREEN = "screen.view"  # the big screen's aggregates
    MANAGE_SCREENS = "screen.manage"  # kiosk tokens of big screens
    # 谈话 and 督查工作台账 (riskctl.supervision).  Everyone sees the talks they take part
    # in and the findings they are responsible for, without a grant; these reach a unit.
    VIEW_TALKS = "talk.view"  # every talk of the unit
    MANAGE_TALKS = "talk.manage"  # plan, cancel and record talks; annual plans
    VIEW_LEDGER = "ledger.view"  # every finding of the unit; the ledger's export
    MANAGE_LEDGER = "ledger.manage"  # enter findings, record progress for the unit
    VERIFY_LEDGER = "ledger.verify"  # 销号 or 退回: the commission's inspectors only
    # 廉政教育: one's own study (every role: a person studies what is assigned to them)
    STUDY = "education.study"
    # the study tasks of a unit, its statistics and its people's study records
    VIEW_STUDY = "education.view"
    # publish materials, question banks and study tasks (the commission and admins)
    MANAGE_STUDY = "education.manage"

    # 分析评估: performance evaluations, risk profiles, platform use and the monthly reports
    VIEW_ASSESSMENT = "assessment.view"
    EVALUATE = "assessment.evaluate"  # fill in and save a unit's evaluation
    VIEW_REPORTS = "assessment.reports"  # the monthly reports: list, download, build one


class Reach(enum.Enum):
    """How far a grant reaches: the actor's own unit, their inspection scope, or all."""

    OWN_UNIT = "own_unit"
    SCOPE = "scope"
    ALL = "all"


GRANTS: dict[Role, dict[Action, Reach]] = {
    Role.STAFF: {
        Action.VIEW_ORG: Reach.OWN_UNIT,
        Action.VIEW_PEOPLE: Reach.OWN_UNIT,
        Action.VIEW_PROCESSES: Reach.OWN_UNIT,
        Action.VIEW_ITEMS: Reach.OWN_UNIT,
        Action.START_ITEMS: Reach.OWN_UNIT,
        Action.WORK_ITEMS: Reach.OWN_UNIT,
        Action.EXPLAIN_RISK: Reach.OWN_UNIT,
        Action.STUDY: Reach.OWN_UNIT,
    },
    Role.DISCIPLINE_LEADER: {
        Action.VIEW_ORG: Reach.OWN_UNIT,
        Action.VIEW_PEOPLE: Reach.OWN_UNIT,
        Action.VIEW_PERSONAL: Reach.OWN_UNIT,
        Action.VIEW_PROCESSES: Reach.OWN_UNIT,
        Action.VIEW_ITEMS: Reach.OWN_UNIT,
        # The tasks of the post they hold (纪检监督会签 in 三重一大), never starting the
        # unit's business: the supervisor does not run what they supervise.
        Action.WORK_ITEMS: Reach.OWN_UNIT,
        Action.VIEW_CONTROLS: Reach.OWN_UNIT,
        Action.VIEW_RISK: Reach.OWN_UNIT,
        Action.HANDLE_RISK: Reach.OWN_UNIT,
        Action.OPINE_RISK: Reach.OWN_UNIT,
        Action.VIEW_STATS: Reach.OWN_UNIT,
        Action.VIEW_TALKS: Reach.OWN_UNIT,
        Action.MANAGE_TALKS: Reach.OWN_UNIT,
        Action.VIEW_LEDGER: Reach.OWN_UNIT,
        Action.MANAGE_LEDGER: Reach.OWN_UNIT,
        Action.STUDY: Reach.OWN_UNIT,
        Action.VIEW_STUDY: Reach.OWN_UNIT,
    },
    Role.INSPECTOR: {
        Action.VIEW_ORG: Reach.SCOPE,
        Action.VIEW_PEOPLE: Reach.SCOPE,
        Action.VIEW_PERSONAL: Reach.SCOPE,
        Action.VIEW_PROCESSES: Reach.SCOPE,
        Action.VIEW_ITEMS: Reach.SCOPE,
        Action.VIEW_CONTROLS: Reach.SCOPE,
        Action.VIEW_RISK: Reach.SCOPE,
        Action.HANDLE_RISK: Reach.SCOPE,
        Action.CLOSE_RED: Reach.SCOPE,
        Action.VIEW_POLICY: Reach.SCOPE,
        Action.PREVIEW_POLICY: Reach.SCOPE,
        Action.VIEW_STATS: Reach.SCOPE,
        Action.VIEW_ALERTS: Reach.SCOPE,
        Action.MANAGE_SILENCES: Reach.SCOPE,
        Action.VIEW_SCREEN: Reach.SCOPE,
        Action.VIEW_TALKS: Reach.SCOPE,
        Action.MANAGE_TALKS: Reach.SCOPE,
        Action.VIEW_LEDGER: Reach.SCOPE,
        Action.MANAGE_LEDGER: Reach.SCOPE,
        Action.VERIFY_LEDGER: Reach.SCOPE,
        Action.VIEW_ASSESSMENT: Reach.SCOPE,
        Action.EVALUATE: Reach.SCOPE,
        Action.VIEW_REPORTS: Reach.SCOPE,
        Action.STUDY: Reach.OWN_UNIT,
        Action.VIEW_STUDY: Reach.SCOPE,
        Action.MANAGE_STUDY: Reach.SCOPE,
    },
    Role.ADMIN: {
        Action.VIEW_ORG: Reach.ALL,
        Action.VIEW_PEOPLE: Reach.ALL,
        Action.VIEW_PERSONAL: Reach.ALL,
        Action.MANAGE_ORG: Reach.ALL,
        Action.VIEW_AUDIT: Reach.ALL,
        Action.VIEW_PROCESSES: Reach.ALL,
        Action.MANAGE_PROCESSES: Reach.ALL,
        Action.VIEW_ITEMS: Reach.ALL,
        Action.CANCEL_ITEMS: Reach.ALL,
        Action.VIEW_CONTROLS: Reach.ALL,
        Action.MANAGE_CONTROLS: Reach.ALL,
        Action.MANAGE_CALENDAR: Reach.ALL,
        Action.VIEW_RISK: Reach.ALL,
        Action.RUN_SCAN: Reach.ALL,
        Action.VIEW_POLICY: Reach.ALL,
        Action.MANAGE_POLICY: Reach.ALL,
        Action.PREVIEW_POLICY: Reach.ALL,
        Action.MANAGE_RISK_VALUES: Reach.ALL,
        Action.VIEW_STATS: Reach.ALL,
        Action.VIEW_ALERTS: Reach.ALL,
        Action.MANAGE_SILENCES: Reach.ALL,
        Action.VIEW_SCREEN: Reach.ALL,
        Action.MANAGE_SCREENS: Reach.ALL,
        # Administrators read the talks and the ledger; supervising is the commission's.
        Action.VIEW_TALKS: Reach.ALL,
        Action.VIEW_LEDGER: Reach.ALL,
        Action.VIEW_ASSESSMENT: Reach.ALL,
        Action.EVALUATE: Reach.ALL,
        Action.VIEW_REPORTS: Reach.ALL,
        Action.STUDY: Reach.OWN_UNIT,
        Action.VIEW_STUDY: Reach.ALL,
        Action.MANAGE_STUDY: Reach.ALL,
    },
}


@dataclass(frozen=True)
class Principal:
    """What the policy needs to know about an actor; built from a Person."""

    person_id: int
    unit_id: int | None  # None: a platform administrator outside any unit
    roles: frozenset[Role]
    scope_unit_ids: frozenset[int] = frozenset()


# The CLI and the scheduler act with full rights; their audit actor says who they are.
SYSTEM_ADMIN = Principal(0, None, frozenset({Role.ADMIN}))


class AllUnits:
    """Sentinel for an unrestricted reach (admins); supports ``in`` like a set."""

    def __contains__(self, unit_id: object) -> bool:
        return True

    def __repr__(self) -> str:
        return "ALL_UNITS"


ALL_UNITS = AllUnits()


def visible_units(principal: Principal, action: Action) -> frozenset[int] | AllUnits:
    """Unit ids on which ``principal`` may perform ``action`` (maybe empty)."""
    reached: set[int] = set()
    for role in principal.roles:
        reach = GRANTS.get(role, {}).get(action)
        if reach is Reach.ALL:
            return ALL_UNITS
        if reach is Reach.OWN_UNIT and principal.unit_id is not None:
            reached.add(principal.unit_id)
        elif reach is Reach.SCOPE:
            reached.update(principal.scope_unit_ids)
    return frozenset(reached)


def may_ever(principal: Principal, action: Action) -> bool:
    """Whether any of the principal's roles grants ``action`` at all."""
    return any(action in GRANTS.get(role, {}) for role in principal.roles)


def can(principal: Principal, action: Action, unit_id: int | None = None) -> bool:
    """``unit_id=None`` asks about an action that is not tied to one unit."""
    if unit_id is None:
        return may_ever(principal, action)
    return unit_id in visible_units(principal, action)


def require(principal: Principal, action: Action, unit_id: int | None = None) -> None:
    if not can(principal, action, unit_id):
        raise Forbidden(_l("not allowed: %(action)s", action=action.value), code="forbidden")


def roles_from(values: Iterable[str]) -> frozenset[Role]:
    return frozenset(Role(v) for v in values)
