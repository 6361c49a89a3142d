"""What the risk rules judge about talks and the ledger (riskctl.risk.rules.supervision),
read as the records stood at a moment, so that a preview of the past is a back-test.

Kept apart from the services: the risk rules import it while the risk package loads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from riskctl.core.db import DbSession
from riskctl.supervision.models import Finding, Talk, TalkSubject


@dataclass(frozen=True)
class TalkFact:
    """A talk not held (nor cancelled) at the moment judged."""

    id: int
    unit_id: int
    kind: str
    talker_id: int
    due_on: date
    subject_ids: tuple[int, ...]
    risk_event_id: int | None = None
    disposition: str | None = None
    disposed_by_id: int | None = None


@dataclass(frozen=True)
class FindingFact:
    """A finding not verified (销号) at the moment judged."""

    id: int
    unit_id: int
    source: str
    description: str
    responsible_id: int | None
    deadline: date
    submitted_on: date | None  # the day its 销号 was asked for (none after a return)
    risk_event_id: int | None = None
    disposition: str | None = None
    disposed_by_id: int | None = None


def open_talks(session: DbSession, at: datetime, due_before: date) -> list[TalkFact]:
    """Talks planned by ``at``, neither recorded nor cancelled by then, due before
    ``due_before``."""
    rows = session.execute(
        sa.select(
            Talk.id, Talk.unit_id, Talk.kind, Talk.talker_id, Talk.due_on, Talk.risk_event_id,
            Talk.disposition, Talk.disposed_by_id,
        ).where(
            Talk.created_at <= at, Talk.due_on < due_before,
            sa.or_(Talk.recorded_at.is_(None), Talk.recorded_at > at),
            sa.or_(Talk.cancelled_at.is_(None), Talk.cancelled_at > at),
        ).order_by(Talk.id)
    ).all()  # fmt: skip
    subjects: dict[int, list[int]] = {}
    ids = [r.id for r in rows]
    for chunk in (ids[n : n + 500] for n in range(0, len(ids), 500)):
        for talk_id, person_id in session.execute(
            sa.select(TalkSubject.talk_id, TalkSubject.person_id)
            .where(TalkSubject.talk_id.in_(chunk))
            .order_by(TalkSubject.id)
        ):
            subjects.setdefault(talk_id, []).append(person_id)
    return [
        TalkFact(r.id, r.unit_id, r.kind.value, r.talker_id, r.due_on,
                 tuple(subjects.get(r.id, ())), r.risk_event_id, r.disposition,
                 r.disposed_by_id)
        for r in rows
    ]  # fmt: skip


def open_findings(
    session: DbSession, at: datetime, due_before: date, local_day: Callable[[datetime], date]
) -> list[FindingFact]:
    """Findings entered by ``at`` and not verified by then, due before ``due_before``;
    ``local_day`` turns a moment into the platform's local day."""
    rows = session.execute(
        sa.select(
            Finding.id, Finding.unit_id, Finding.source, Finding.description,
            Finding.responsible_id, Finding.deadline, Finding.submitted_at,
            Finding.risk_event_id, Finding.disposition, Finding.disposed_by_id,
        ).where(
            Finding.created_at <= at, Finding.deadline < due_before,
            sa.or_(Finding.verified_at.is_(None), Finding.verified_at > at),
        ).order_by(Finding.id)
    ).all()  # fmt: skip

    def asked(moment: datetime | None) -> date | None:
        return local_day(moment) if moment is not None and moment <= at else None

    return [
        FindingFact(
            r.id, r.unit_id, r.source.value, r.description, r.responsible_id, r.deadline,
            asked(r.submitted_at), r.risk_event_id, r.disposition, r.disposed_by_id,
        )
        for r in rows
    ]  # fmt: skip
