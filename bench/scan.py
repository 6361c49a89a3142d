"""The risk scan at scale: a full scan (every rule) over 100,000 open items and 1,000,000
steps, an incremental scan after 100 changes, peak memory, and a naive per-item loop over
ORM objects for comparison — in one run.  Run by hand; results go to docs/benchmarks.md.

    .venv/bin/python bench/scan.py                                    # SQLite (WAL)
    .venv/bin/python bench/scan.py --postgresql postgresql://postgres@127.0.0.1:5432/test

The data: the demo's units and published processes (procurement, expense, contract, asset
disposal, construction: 57 task nodes across the five), 100,000 running items (40 %
expense, 25 % procurement, 15 % contract, 10 % assets, 10 % construction) each with ten
steps (start and nine completions, each with its closed task) and one open task — 2 % of
them overdue, 2 % of the items past their overall limit.  About 1 % of the items carry a
planted problem for each field rule, 0.5 % were returned three times, 0.5 % have a
flagged incompatible pair.

Measured, each in a fresh process (so that generating the data does not count):
- ``judge``: read the facts, evaluate every rule, score (what a preview does);
- ``full scan``: judge and reconcile with the events, in one transaction — the first one
  raises every event, the second finds them all already there (steady state);
- ``incremental``: after 100 items changed (a step each), the scheduler's every-minute scan;
- peak RSS of the scanning process (``VmHWM``) and the Python heap peak (tracemalloc);
- ``naive``: a per-item loop over ORM objects (item, its tasks and steps, lazily loaded)
  applying the same overdue, returns and field checks — on a sample, extrapolated.

At the end the audit chain (the demo's records, the scans' warnings) is sealed and
verified: a broken one fails the run.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import queue
import random
import resource
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from chain_check import seal_and_verify
from scratch_db import fresh_postgres

ITEMS = 100_000
STEPS_PER_ITEM = 10
MIX = (
    ("expense_reimbursement", 40),
    ("procurement", 25),
    ("contract", 15),
    ("asset_disposal", 10),
    ("construction", 10),
)
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
# The demo people hold their posts from the day it is loaded: before the oldest item.
DEMO_LOADED_AT = NOW - timedelta(days=400)


def _app(url: str, role: str = "web") -> Any:
    from riskctl import create_app

    return create_app("testing", {"DATABASE_URL": url, "LOG_LEVEL": "WARNING"}, role=role)


def _fields(process: str, rng: random.Random, n: int) -> dict[str, Any]:
    planted = n % 100 == 0  # one item in a hundred has the rule's problem
    if process == "procurement":
        amount = "985000.00" if planted else f"{rng.randrange(50, 900) * 1000}.00"
        return {
            "budget_project": f"项目{n % 50}",
            "item_category": "货物",
            "method": "公开招标" if n % 3 == 0 else "询价",
            "amount": amount,
            "bidders": 1 if n % 100 == 1 else 4,
            "supplier": f"供应商{n % 40}",
            "tender_start": "2026-09-01",
            "tender_end": "2026-09-15" if n % 100 == 2 else "2026-09-30",
            "awarded_on": "2026-10-01",
            "signed_on": "2026-11-20" if n % 100 == 3 else "2026-10-10",
            # Published (2 working days) and filed (7) in time, but one in a hundred each.
            "published_on": "2026-10-20" if n % 100 == 4 else "2026-10-12",
            **({} if n % 100 == 5 else {"filed_on": "2026-10-14"}),
            "contract_amount": amount,
        }
    if process == "expense_reimbursement":
        return {
            "purpose": "差旅",
            "budget_line": f"指标{n % 20}",
            "amount": f"{rng.randrange(100, 9000)}.00",
        }
    if process == "contract":
        return {
            "subject": "服务",
            "counterparty": f"供应商{n % 40}",
            "contract_amount": f"{rng.randrange(10, 500) * 1000}.00",
        }
    if process == "asset_disposal":
        book = Decimal(rng.randrange(10, 400) * 1000)
        return {
            "asset_no": f"ZC{n}",
            "disposal_method": "出售",
            "book_value": f"{book}.00",
            "appraised_value": f"{book}.00",
            "proceeds": f"{book * Decimal('0.9') if planted else book}",
        }
    contract = Decimal(rng.randrange(100, 5000) * 1000)
    change = contract * Decimal("0.2" if planted else "0.05")
    return {
        "project": f"工程{n}",
        "budget_project": "基建",
        "contract_amount": f"{contract}.00",
        "change_amount": f"{change:.2f}",
    }


def load_base() -> None:
    """Migrate and load the demo org and processes as of ``DEMO_LOADED_AT`` (in an app
    context); committed."""
    from flask_migrate import upgrade

    from riskctl.core.access import SYSTEM_ADMIN
    from riskctl.core.clock import running_from, set_clock
    from riskctl.extensions import db
    from riskctl.org.demo import load_demo

    upgrade()
    set_clock(running_from(DEMO_LOADED_AT))
    try:
        load_demo(db.session, SYSTEM_ADMIN)
    finally:
        set_clock(None)
    db.session.commit()


def task_nodes(unit_ids: list[int]) -> dict[tuple[int, str], tuple[int, list[Any]]]:
    """(unit, process key) → (published definition id, its task nodes in order)."""
    from riskctl.extensions import db
    from riskctl.process.models import ProcessDefinition, ProcessStatus
    from riskctl.process.services import published_by_id

    definitions: dict[tuple[int, str], tuple[int, list[Any]]] = {}
    for row in db.session.scalars(
        sa.select(ProcessDefinition).where(
            ProcessDefinition.status == ProcessStatus.PUBLISHED,
            ProcessDefinition.unit_id.in_(unit_ids),
        )
    ):
        nodes = [
            n for n in published_by_id(db.session, row.id).definition.nodes if n.kind == "task"
        ]
        definitions[(row.unit_id, row.key)] = (row.id, nodes)
    return definitions


def generate(url: str, items: int, seed: int = 7) -> dict[str, Any]:
    """Migrate, load the demo org and processes, then bulk-insert the items."""
    from riskctl.controls.models import ControlHit
    from riskctl.extensions import db
    from riskctl.org.models import Person, Unit
    from riskctl.workflow.models import Item, Step, Task
    from riskctl.workflow.rule_fields import rule_fields

    rng = random.Random(seed)
    app = _app(url)
    started = time.perf_counter()
    with app.app_context():
        load_base()
        units = {u.code: u.id for u in db.session.scalars(sa.select(Unit))}
        unit_ids = [units[c] for c in ("czj", "wjj", "nmj", "rsj", "qjz")]
        people = {
            uid: [p.id for p in db.session.scalars(sa.select(Person).where(Person.unit_id == uid))]
            for uid in unit_ids
        }
        definitions = task_nodes(unit_ids)
        node_count = len({(k[1], n.key) for k, (_d, ns) in definitions.items() for n in ns})
        conn = db.session.connection()
        weights = [w for _p, w in MIX]
        item_rows, task_rows, step_rows, hit_rows = [], [], [], []
        task_id = step_id = 0
        for n in range(1, items + 1):
            unit_id = unit_ids[n % len(unit_ids)]
            process = rng.choices([p for p, _w in MIX], weights)[0]
            definition_id, nodes = definitions[(unit_id, process)]
            # Most items are recent; one in fifty has run past its category's limit.
            age = rng.randrange(40, 90) if n % 50 == 0 else rng.randrange(2, 25)
            begun = NOW - timedelta(days=age, minutes=rng.randrange(0, 600))
            staff = people[unit_id]
            fields = _fields(process, rng, n)
            item_rows.append(
                {
                    "id": n,
                    "unit_id": unit_id,
                    "definition_id": definition_id,
                    "title": f"{process} {n}",
                    "fields": fields,
                    **rule_fields(fields),  # the typed copy, as the engine writes it
                    "status": "running",
                    "revision": STEPS_PER_ITEM,
                    "joins": {},
                    "started_by_id": staff[0],
                    "started_at": begun,
                    "updated_at": begun + timedelta(hours=4 * (STEPS_PER_ITEM - 1)),
                }
            )
            step_id += 1
            step_rows.append(
                {
                    "id": step_id,
                    "item_id": n,
                    "task_id": None,
                    "kind": "start",
                    "node": "start",
                    "person_id": staff[0],
                    "post": None,
                    "decision": None,
                    "changes": None,
                    "comment": None,
                    "at": begun,
                }
            )
            returns = 3 if n % 200 == 5 else 0
            for s in range(STEPS_PER_ITEM - 1):
                node = nodes[s % len(nodes)]
                at = begun + timedelta(hours=4 * (s + 1))
                task_id += 1
                task_rows.append(
                    {
                        "id": task_id,
                        "item_id": n,
                        "node": node.key,
                        "post": node.post,
                        "status": "completed",
                        "due_at": at + timedelta(days=2),
                        "assignee_id": None,
                        "opened_at": at - timedelta(hours=4),
                        "closed_at": at,
                        "closed_by_id": staff[s % len(staff)],
                    }
                )
                step_id += 1
                decision = (
                    "return"
                    if s < returns
                    else (node.decision_keys[0] if node.decision_keys else None)
                )
                step_rows.append(
                    {
                        "id": step_id,
                        "item_id": n,
                        "task_id": task_id,
                        "kind": "complete",
                        "node": node.key,
                        "person_id": staff[s % len(staff)],
                        "post": node.post,
                        "decision": decision,
                        "changes": None,
                        "comment": None,
                        "at": at,
                    }
                )
            node = nodes[(STEPS_PER_ITEM - 1) % len(nodes)]
            overdue = n % 50 == 1
            task_id += 1
            task_rows.append(
                {
                    "id": task_id,
                    "item_id": n,
                    "node": node.key,
                    "post": node.post,
                    "status": "open",
                    "due_at": NOW - timedelta(days=rng.randrange(1, 6))
                    if overdue
                    else NOW + timedelta(days=rng.randrange(1, 10)),
                    "assignee_id": None,
                    "opened_at": begun + timedelta(hours=4 * (STEPS_PER_ITEM - 1)),
                    "closed_at": None,
                    "closed_by_id": None,
                }
            )
            if n % 200 == 7:
                hit_rows.append(
                    {
                        "kind": "dynamic",
                        "rule": f"{process}:x~y",
                        "rule_name": "不相容",
                        "mode": "flag",
                        "outcome": "flagged",
                        "unit_id": unit_id,
                        "person_id": staff[1],
                        "item_id": n,
                        "node": nodes[1].key,
                        "step_id": step_id,
                        "earlier_step_id": step_id - 1,
                        "mitigation_id": None,
                        "evidence": {},
                        "at": begun,
                    }
                )
            if len(step_rows) >= 50_000 or n == items:
                conn.execute(sa.insert(Item.__table__), item_rows)
                conn.execute(sa.insert(Task.__table__), task_rows)
                conn.execute(sa.insert(Step.__table__), step_rows)
                if hit_rows:
                    conn.execute(sa.insert(ControlHit.__table__), hit_rows)
                item_rows, task_rows, step_rows, hit_rows = [], [], [], []
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as c:
                c.execute(sa.text("ANALYZE"))
                c.commit()
                for table in ("item", "task", "step"):
                    c.execute(
                        sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT max(id) FROM {table}))"
                        )
                    )
                c.commit()
        else:
            with db.engine.connect() as c:
                c.execute(sa.text("ANALYZE"))
                c.commit()
        steps = db.session.scalar(sa.select(sa.func.count()).select_from(Step))
        db.engine.dispose()
    return {
        "items": items,
        "steps": steps,
        "task_nodes": node_count,
        "seconds": time.perf_counter() - started,
    }


# ---------------------------------------------------------------- measurements (child processes)


def _in_child(target: Any, *args: Any, **kwargs: Any) -> Any:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, out), kwargs=kwargs)
    proc.start()
    while True:  # a child that died does not answer: fail instead of waiting forever
        try:
            result = out.get(timeout=2)
            break
        except queue.Empty:
            if not proc.is_alive():
                raise SystemExit(f"{target.__name__} failed (exit code {proc.exitcode})") from None
    proc.join()
    return result


def _peak_rss_mb() -> float:
    """The process's peak RSS since it began running this program.  Linux's ``VmHWM``,
    not ``ru_maxrss``: a spawned child is forked from the bench's process before it execs
    a fresh interpreter, and ``ru_maxrss`` keeps the peak of that fork — the data the bench
    had just generated (280 MB here, counted as the scan's until 2026-12-08)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_scans(url: str, out: Any, trace_heap: bool = True, judge: bool = True) -> None:
    from riskctl.core import calendar_store
    from riskctl.core.clock import set_clock
    from riskctl.extensions import db
    from riskctl.risk import scan, services
    from riskctl.risk.facts import Scope
    from riskctl.risk.rules import REGISTRY
    from riskctl.workflow.models import Item
    from riskctl.workflow.rule_fields import rule_fields

    set_clock(lambda: NOW)
    # As the production scheduler process builds it (flask riskctl scheduler): the
    # application without its pages, which is what scans.
    app = _app(url, role="scheduler")
    results: dict[str, Any] = {}
    with app.app_context():
        session = db.session
        policy = services.current_policy(session)
        calendar = calendar_store.working_calendar(session)
        rules = list(REGISTRY.values())
        rss_before = _peak_rss_mb()
        results["signals"] = None
        for label in ("judge (cold)", "judge (warm)", "heap")[: (3 if trace_heap else 2) * judge]:
            # Cold: the first in a process compiles the process definitions it meets
            # (cached for the life of the process, as in the scheduler).  The heap is
            # traced in a third run of its own: tracing slows Python down several times.
            if label == "heap":
                tracemalloc.start()
            started = time.perf_counter()
            scored, _d, _w = scan.judge(session, policy, Scope(NOW), rules, calendar)
            results[label] = time.perf_counter() - started
            results["signals"] = len(scored)
            # By rule, so that a change to how the facts are read can be compared exactly.
            results["by_rule"] = dict(Counter(s.signal.rule for s in scored))
            del scored, _d, _w
            session.rollback()
        results["heap_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        for label in ("full scan (first: raises)", "full scan (steady state)"):
            started, cpu = time.perf_counter(), time.process_time()
            result = scan.run_scan(session, policy, at=NOW, full=True)
            session.commit()
            results[label] = (time.perf_counter() - started, result.raised, result.updated)
            # The process's own CPU time too: the machine is shared, and wall time then
            # also counts the waits for a core.
            results[f"{label} cpu"] = time.process_time() - cpu
        # 100 items change: a step each, as the engine would record it.
        changed = session.scalars(
            sa.select(Item.id)
            .where(Item.status == "running")
            .order_by(Item.id)
            .limit(100)
            .offset(5000)
        ).all()
        later = NOW + timedelta(minutes=1)
        fields = {"purpose": "差旅", "budget_line": "指标1", "amount": "999000.00"}
        session.execute(
            sa.update(Item)
            .where(Item.id.in_(changed))
            .values(fields=sa.literal(fields, sa.JSON), updated_at=later, **rule_fields(fields))
        )
        session.commit()
        set_clock(lambda: later + timedelta(seconds=30))
        started, cpu = time.perf_counter(), time.process_time()
        result = scan.run_scan(session, policy, at=later + timedelta(seconds=30))
        session.commit()
        results["incremental cpu"] = time.process_time() - cpu
        results["incremental"] = (
            time.perf_counter() - started,
            result.mode,
            result.raised,
            result.updated,
        )
        results["peak_rss_mb"] = _peak_rss_mb()
        results["rss_before_mb"] = rss_before
        db.engine.dispose()
    out.put(results)


def measure_naive(url: str, sample: int, out: Any) -> None:
    """Per item, through the ORM: the item, its open tasks, its steps; the same checks as
    the overdue, returns, just-under, single-bidder and change-order rules."""
    from riskctl.core import calendar_store
    from riskctl.extensions import db
    from riskctl.workflow.models import Item, Step, Task

    app = _app(url)
    with app.app_context():
        session = db.session
        calendar = calendar_store.working_calendar(session)
        today = calendar.local_date(NOW)
        found = 0
        started = time.perf_counter()
        ids = session.scalars(
            sa.select(Item.id).where(Item.status == "running").order_by(Item.id)
        ).all()
        total = len(ids)
        for item_id in ids[:sample]:
            item = session.get(Item, item_id)
            assert item is not None
            tasks = session.scalars(
                sa.select(Task).where(Task.item_id == item.id, Task.status == "open")
            ).all()
            steps = session.scalars(sa.select(Step).where(Step.item_id == item.id)).all()
            for task in tasks:
                if task.due_at is not None and task.due_at < NOW:
                    late = calendar.working_days_between(calendar.local_date(task.due_at), today)
                    found += late >= 0
            found += sum(1 for s in steps if s.decision == "return") > 2
            amount = item.fields.get("amount")
            if amount and Decimal("950000") <= Decimal(amount) < Decimal("1000000"):
                found += 1
            if item.fields.get("bidders") == 1:
                found += 1
            contract, change = item.fields.get("contract_amount"), item.fields.get("change_amount")
            if contract and change and Decimal(change) > Decimal(contract) * Decimal("0.1"):
                found += 1
            session.expunge_all()
        elapsed = time.perf_counter() - started
        db.engine.dispose()
    out.put(
        {
            "sample": min(sample, total),
            "total": total,
            "seconds": elapsed,
            "found": found,
            "extrapolated": elapsed * total / max(1, min(sample, total)),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgresql",
        metavar="URL",
        default=None,
        help="an existing PostgreSQL database; the bench works in its own "
        "database next to it (default: a fresh SQLite file)",
    )
    parser.add_argument("--items", type=int, default=ITEMS)
    parser.add_argument(
        "--naive-sample",
        type=int,
        default=10_000,
        help="items the naive loop runs over (the rest is extrapolated)",
    )
    args = parser.parse_args()
    if args.postgresql:
        url, cleanup = fresh_postgres(args.postgresql, "riskctl_scan")
        label = "PostgreSQL"
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'scan.db'}"
        label = "SQLite (WAL, synchronous=NORMAL)"
        cleanup = lambda: None  # noqa: E731
    try:
        made = generate(url, args.items)
        print(f"{label}; {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
        print(
            f"data: {made['items']:,} open items, {made['steps']:,} steps, "
            f"{made['task_nodes']} task node definitions (generated in {made['seconds']:.0f} s)"
        )
        scans = _in_child(measure_scans, url)
        print(
            f"judge (read, evaluate every rule, score): cold {scans['judge (cold)']:.2f} s, "
            f"warm {scans['judge (warm)']:.2f} s, {scans['signals']:,} signals"
        )
        print(
            "signals by rule: " + ", ".join(f"{k} {v}" for k, v in sorted(scans["by_rule"].items()))
        )
        for label_ in ("full scan (first: raises)", "full scan (steady state)"):
            seconds, raised, updated = scans[label_]
            print(
                f"{label_}: {seconds:.2f} s, CPU {scans[label_ + ' cpu']:.2f} s "
                f"({raised:,} raised, {updated:,} updated)"
            )
        seconds, mode, raised, updated = scans["incremental"]
        print(
            f"incremental after 100 changed items: {seconds * 1000:.0f} ms, "
            f"CPU {scans['incremental cpu'] * 1000:.0f} ms "
            f"(mode {mode}, {raised} raised, {updated} updated)"
        )
        print(
            f"peak RSS of the scanning process: {scans['peak_rss_mb']:.0f} MB "
            f"(after start-up: {scans['rss_before_mb']:.0f} MB); "
            f"Python heap peak during judge: {scans['heap_peak_mb']:.0f} MB"
        )
        naive = _in_child(measure_naive, url, args.naive_sample)
        print(
            f"naive ORM loop: {naive['sample']:,} items in {naive['seconds']:.2f} s → "
            f"{naive['total']:,} items ≈ {naive['extrapolated']:.1f} s; "
            f"judge is {naive['extrapolated'] / scans['judge (warm)']:.1f}x faster, "
            f"steady full scan {naive['extrapolated'] / scans['full scan (steady state)'][0]:.1f}x"
        )
        seal_and_verify(url)
    finally:
        cleanup()


if __name__ == "__main__":
    main()
