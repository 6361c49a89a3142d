"""The monthly report (月度廉政风险分析报告) of a district of 100 units: gather, PDF, XLSX
and store, timed — the target is under 30 s.  Run by hand; results go to
docs/benchmarks.md.

    .venv/bin/python bench/report.py                                   # SQLite (WAL)
    .venv/bin/python bench/report.py --postgresql postgresql://postgres@127.0.0.1:5432/test

The data: the demo's six units and their processes, and 94 more units of 8 posts and 8
people each; for the reported month (November 2026) per unit 60 items started with 5 steps
each (30,000 steps), 40 warnings (red, orange, yellow by 1 : 3 : 6; a fifth of them
resolved with a disposition), 20 sign-ins; and the eleven months before it the same
warnings again (the profiles' 12-month trend reads them).  Four units did nothing that
month (dormant).  Timed: ``reports.build`` for all units, in one transaction, as the
scheduler runs it; then once more (steady state, the fonts and caches warm).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from scratch_db import fresh_postgres

UNITS = 100
POSTS = 8
ITEMS = 60
STEPS = 5
WARNINGS = 40
SIGN_INS = 20
DORMANT = 4
MONTH = (date(2026, 11, 1), date(2026, 11, 30))
NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # the first working day, 09:00 in Beijing


def _moment(rng: random.Random, first: date, last: date) -> datetime:
    day = first + timedelta(days=rng.randrange((last - first).days + 1))
    return datetime(
        day.year, day.month, day.day, rng.randrange(0, 10), rng.randrange(60), tzinfo=UTC
    )


def fill(session: Any) -> dict[str, int]:
    """The district's data, written with Core inserts (no audit records: they are no
    part of what the report reads, except the sign-ins, which are written as such)."""
    from riskctl.core.audit import AuditRecord, record_digest
    from riskctl.org.models import Person, Post, PostAssignment, Unit
    from riskctl.process.models import ProcessDefinition, ProcessStatus
    from riskctl.risk.models import Disposition, EventStatus, Level, RiskEvent
    from riskctl.workflow.models import Item, Step

    rng = random.Random(21)
    conn = session.connection()
    parent = session.scalar(sa.select(Unit.id).where(Unit.code == "jw"))
    for n in range(UNITS - 6):
        conn.execute(
            sa.insert(Unit),
            {
                "code": f"b{n:03d}",
                "name": f"基准单位{n:03d}",
                "kind": "department",
                "level": "county",
                "parent_id": parent,
                "created_at": NOW - timedelta(days=500),
            },
        )
    units = list(session.execute(sa.select(Unit.id, Unit.code)).all())
    for unit_id, code in units:
        if code.startswith("b"):
            conn.execute(
                sa.insert(Post),
                [
                    {"unit_id": unit_id, "code": f"p{k}", "name": f"岗位{k}", "risk": 3}
                    for k in range(POSTS)
                ],
            )
            conn.execute(
                sa.insert(Person),
                [
                    {
                        "username": f"{code}.u{k}",
                        "name": f"人员{code}{k}",
                        "unit_id": unit_id,
                        "risk": 3,
                        "is_active": True,
                        "created_at": NOW - timedelta(days=500),
                    }
                    for k in range(POSTS)
                ],
            )
            posts = (
                session.execute(sa.select(Post.id).where(Post.unit_id == unit_id)).scalars().all()
            )
            people = (
                session.execute(sa.select(Person.id).where(Person.unit_id == unit_id))
                .scalars()
                .all()
            )
            conn.execute(
                sa.insert(PostAssignment),
                [
                    {"person_id": p, "post_id": q, "valid_from": date(2025, 1, 1)}
                    for p, q in zip(people, posts, strict=False)
                ],
            )
    definitions = session.execute(
        sa.select(ProcessDefinition.id, ProcessDefinition.key).where(
            ProcessDefinition.status == ProcessStatus.PUBLISHED
        )
    ).all()
    people_of: dict[int, list[int]] = {}
    for person_id, unit_id in session.execute(sa.select(Person.id, Person.unit_id)):
        if unit_id is not None:
            people_of.setdefault(unit_id, []).append(person_id)
    items = steps = events = logins = 0
    active = [u for u in units if u[0] in people_of][: UNITS - DORMANT]
    for unit_id, _code in active:
        who = people_of[unit_id]
        for _ in range(ITEMS):
            started = _moment(rng, *MONTH)
            definition = rng.choice(definitions)[0]
            item_id = conn.execute(
                sa.insert(Item).returning(Item.id),
                {
                    "unit_id": unit_id,
                    "definition_id": definition,
                    "title": "基准事项",
                    "fields": {},
                    "status": "running",
                    "revision": 1,
                    "joins": {},
                    "started_by_id": who[0],
                    "started_at": started,
                    "updated_at": started,
                },
            ).scalar_one()
            conn.execute(
                sa.insert(Step),
                [
                    {
                        "item_id": item_id,
                        "kind": "complete",
                        "node": f"n{k}",
                        "person_id": rng.choice(who),
                        "post": "p0",
                        "at": started + timedelta(hours=k),
                    }
                    for k in range(STEPS)
                ],
            )
            items += 1
            steps += STEPS
        for month_back in range(12):
            last = MONTH[0] - timedelta(days=1) if month_back else MONTH[1]
            first = (MONTH[0] - timedelta(days=31 * month_back)).replace(day=1)
            last = min(last, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1))
            rows = []
            for k in range(WARNINGS):
                level = Level.RED if k % 10 == 0 else Level.ORANGE if k % 10 < 4 else Level.YELLOW
                at = _moment(rng, first, last)
                closed = k % 5 == 0
                rows.append(
                    {
                        "identity": f"bench|{unit_id}|{month_back}|{k}",
                        "rule": rng.choice(
                            [
                                "step_overdue",
                                "procurement_just_under_threshold",
                                "item_overdue",
                                "incompatible_posts",
                            ]
                        ),
                        "unit_id": unit_id,
                        "person_id": rng.choice(who),
                        "post": "p0",
                        "node": "n1",
                        "severity": 60,
                        "score": {"red": 85.0, "orange": 60.0, "yellow": 30.0}[level.value],
                        "level": level,
                        "factors": {},
                        "evidence": {},
                        "status": EventStatus.RESOLVED if closed else EventStatus.OPEN,
                        "disposition": Disposition.REMINDER_TALK if closed else None,
                        "disposition_form": "first" if closed else None,
                        "closed_at": at + timedelta(days=3) if closed else None,
                        "policy_version": 0,
                        "created_at": at,
                        "updated_at": at,
                        "level_since": at,
                        "escalated": False,
                    }
                )
            conn.execute(sa.insert(RiskEvent), rows)
            events += len(rows)
        for _ in range(SIGN_INS):
            person = rng.choice(who)
            entry = {
                "at": _moment(rng, *MONTH).replace(microsecond=0),
                "actor_id": person,
                "actor": f"bench{person}",
                "source": "web 127.0.0.1",
                "action": "auth.login",
                "target_type": "person",
                "target_id": f"bench{person}",
                "unit_id": unit_id,
                "before": None,
                "after": None,
            }
            conn.execute(
                sa.insert(AuditRecord),
                {**entry, "digest": record_digest(entry), "digest_scheme": 2},
            )
            logins += 1
    session.commit()
    return {
        "units": len(units),
        "items": items,
        "steps": steps,
        "warnings": events,
        "sign_ins": logins,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgresql", metavar="URL", help="a PostgreSQL server to use")
    args = parser.parse_args()
    from flask_migrate import upgrade

    from riskctl import create_app
    from riskctl.assessment import reports
    from riskctl.core.access import SYSTEM_ADMIN
    from riskctl.core.clock import set_clock
    from riskctl.extensions import db
    from riskctl.org.demo import load_demo

    tmp = Path(tempfile.mkdtemp(prefix="bench-report-"))
    drop = None
    if args.postgresql:
        url, drop = fresh_postgres(args.postgresql, "bench_report")
    else:
        url = f"sqlite:///{tmp / 'bench.db'}"
    app = create_app(
        "development",
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "b" * 40,
            "UPLOAD_DIR": str(tmp / "files"),
            "SCHEDULER_LOCK_FILE": str(tmp / "s.lock"),
        },
    )
    try:
        with app.app_context():
            upgrade()
            set_clock(lambda: NOW - timedelta(days=450))
            load_demo(db.session, SYSTEM_ADMIN)
            db.session.commit()
            set_clock(lambda: NOW)
            started = time.perf_counter()
            made = fill(db.session)
            print(f"data: {made} in {time.perf_counter() - started:.1f} s")
            store = reports.store_of(app.config)
            for run in ("first", "second"):
                started = time.perf_counter()
                row = reports.build(
                    db.session,
                    SYSTEM_ADMIN,
                    store,
                    *MONTH,
                    kind=reports.ReportKind.ON_DEMAND,
                    unit_ids=None,
                )
                db.session.commit()
                took = time.perf_counter() - started
                print(
                    f"{run} build: {took:.2f} s — {row.pdf_pages} PDF pages "
                    f"({row.pdf_size / 1024:.0f} KiB), XLSX {row.xlsx_size / 1024:.0f} KiB, "
                    f"{len(row.unit_ids)} units"
                )
            print(
                f"machine: {platform.platform()}, {os.cpu_count()} cores, "
                f"Python {platform.python_version()}, "
                f"{'PostgreSQL' if args.postgresql else 'SQLite'}"
            )
    finally:
        if drop is not None:
            drop()


if __name__ == "__main__":
    main()
