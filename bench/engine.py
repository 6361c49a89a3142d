"""Durable workflow steps per second: riskctl's engine against (a) the same database
driver's raw rate and (b) SpiffWorkflow, in one run.  Run by hand; results go to
docs/benchmarks.md.

    .venv/bin/pip install -e '.[bench]'          # SpiffWorkflow
    .venv/bin/python bench/engine.py                                   # SQLite (WAL)
    .venv/bin/python bench/engine.py --postgresql postgresql://postgres@127.0.0.1:5432/test

Every client is its own process (as web workers are) with its own connection, and runs
items of the 政府采购 template along its 公开招标 path: start + 11 tasks = 12 steps.  A
step is one transaction, committed:

- riskctl: ``start_item`` / ``complete_task`` — read the task and item, check the post and
  the incompatible pairs, advance the engine, update the item under its revision, close
  the task, insert the step and the next tasks, append the audit record;
- raw: the same driver through SQLAlchemy Core, a hand-written equivalent: update one row,
  insert one row, commit;
- spiff: SpiffWorkflow 3 with the same graph as BPMN (``bench/bpmn.py``), the way a web
  app keeps it: load the serialised workflow from the database, deserialise, complete one
  user task, run the engine steps, serialise, update the row, commit.

The audit records the riskctl clients write are sealed into the chain afterwards (the
scheduler's job in the app); the time that takes is reported too, and the chain is
verified: a broken one fails the run.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import queue
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from chain_check import seal_and_verify
from scratch_db import fresh_postgres

STEPS_PER_ITEM = 12
FIELDS = {"budget_project": "2026年办公设备购置", "item_category": "货物",
          "method": "公开招标", "amount": "380000.00"}  # fmt: skip
DECISIONS = {"review": "approve", "budget_check": "approve", "tender_review": "approve",
             "accept": "pass", "pay_review": "approve"}  # fmt: skip
WHO = {"purchaser": "czj.wangfang", "section_chief": "czj.liqiang",
       "finance_reviewer": "czj.zhangmin", "acceptor": "czj.yangjun",
       "asset_keeper": "czj.sunyan", "cashier": "czj.liujing"}  # fmt: skip
TEMPLATE = Path(__file__).parents[1] / "riskctl" / "process" / "templates" / "procurement.yaml"

bench_meta = sa.MetaData()
raw_item = sa.Table(
    "bench_raw_item", bench_meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("fields", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)  # fmt: skip
raw_step = sa.Table(
    "bench_raw_step", bench_meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("item_id", sa.Integer, nullable=False),
    sa.Column("node", sa.String(64), nullable=False),
    sa.Column("person_id", sa.Integer, nullable=False),
    sa.Column("changes", sa.JSON),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)  # fmt: skip
spiff_row = sa.Table(
    "bench_spiff_workflow", bench_meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
)  # fmt: skip


# ---------------------------------------------------------------- the three clients

LOCKED = (sqlite3.OperationalError, sa.exc.OperationalError)


def _until_done(transaction: Any, rollback: Any = None) -> Any:
    """Run ``transaction`` again when SQLite's busy timeout ran out under contention (four
    writers on one file can starve one for seconds); a web app would retry too.  Applied
    to all three clients alike."""
    while True:
        try:
            return transaction()
        except LOCKED:
            if rollback is not None:
                rollback()


def riskctl_client(url: str, deadline_in: float, gate: Any, out: Any) -> None:
    from riskctl import create_app
    from riskctl.auth.services import find_person
    from riskctl.extensions import db
    from riskctl.workflow import services

    app = create_app("testing", {"DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        session = db.session
        principals = {}
        for post, username in WHO.items():
            person = find_person(session, username)
            assert person is not None, username
            principals[post] = person.principal()
        posts = {"request": "purchaser", "review": "section_chief",
                 "budget_check": "finance_reviewer", "tender_docs": "purchaser",
                 "tender_review": "section_chief", "bidding": "purchaser", "sign": "purchaser",
                 "accept": "acceptor", "store": "asset_keeper",
                 "pay_review": "finance_reviewer", "pay": "cashier"}  # fmt: skip
        session.commit()

        def one_item(stop_at: float | None) -> int:
            done = 0

            def start() -> Any:
                begun = services.start_item(
                    session, principals["purchaser"], "procurement", "基准测试采购", {}
                )
                session.commit()
                return begun

            outcome = _until_done(start, session.rollback)
            done += 1
            while outcome.opened:
                if stop_at is not None and time.perf_counter() >= stop_at:
                    return done
                task_id, node = outcome.opened[0]

                def complete(task_id: int = task_id, node: str = node) -> Any:
                    completed = services.complete_task(
                        session, principals[posts[node]], task_id, decision=DECISIONS.get(node),
                        values=FIELDS if node == "request" else None,
                    )  # fmt: skip
                    session.commit()
                    return completed

                outcome = _until_done(complete, session.rollback)
                done += 1
            assert outcome.status == "completed", outcome
            return done

        one_item(None)  # warm the caches, as a running server has them
        gate.wait()
        started = time.perf_counter()
        stop_at = started + deadline_in
        steps = 0
        while time.perf_counter() < stop_at:
            steps += one_item(stop_at)
        out.put((steps, time.perf_counter() - started))
        db.engine.dispose()


def _same_sqlite_settings() -> None:
    """The app applies its SQLite settings in create_app; the other clients do it here."""
    from riskctl.core.db import configure_sqlite

    configure_sqlite(os.environ.get("RISKCTL_SQLITE_SYNCHRONOUS", "NORMAL"))


def raw_client(url: str, deadline_in: float, gate: Any, out: Any) -> None:
    from riskctl.core.db import engine_url

    _same_sqlite_settings()
    engine = sa.create_engine(engine_url(url))
    update = (
        sa.update(raw_item)
        .where(raw_item.c.id == sa.bindparam("b_id"))
        .values(
            revision=raw_item.c.revision + 1,
            fields=sa.bindparam("b_fields"),
            updated_at=sa.bindparam("b_at"),
        )
    )
    insert = sa.insert(raw_step)
    with engine.begin() as conn:
        item = conn.execute(
            sa.insert(raw_item).returning(raw_item.c.id),
            {"revision": 1, "fields": FIELDS, "updated_at": datetime.now(UTC)},
        ).scalar_one()
    gate.wait()
    started = time.perf_counter()
    stop_at = started + deadline_in
    steps = 0
    with engine.connect() as conn:

        def one_step() -> None:
            now = datetime.now(UTC)
            with conn.begin():
                conn.execute(update, {"b_id": item, "b_fields": FIELDS, "b_at": now})
                conn.execute(insert, {"item_id": item, "node": "review", "person_id": 1,
                                      "changes": {"amount": [None, "1"]}, "at": now})  # fmt: skip

        while time.perf_counter() < stop_at:
            _until_done(one_step)
            steps += 1
    out.put((steps, time.perf_counter() - started))
    engine.dispose()


def spiff_client(url: str, deadline_in: float, gate: Any, out: Any) -> None:
    from bpmn import to_bpmn  # bench/ is on sys.path, as the script's folder
    from SpiffWorkflow.bpmn.parser import BpmnParser
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    from riskctl.core.db import engine_url

    _same_sqlite_settings()
    parser = BpmnParser()
    path = Path(tempfile.mkdtemp()) / "procurement.bpmn"
    path.write_text(to_bpmn(yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))))
    parser.add_bpmn_file(str(path))
    spec = parser.get_spec("procurement")  # parsed once per process, as a server would
    serializer = BpmnWorkflowSerializer()
    engine = sa.create_engine(engine_url(url))
    load = sa.select(spiff_row.c.body).where(spiff_row.c.id == sa.bindparam("b_id"))
    save = (
        sa.update(spiff_row)
        .where(spiff_row.c.id == sa.bindparam("b_id"))
        .values(body=sa.bindparam("b_body"))
    )
    create = sa.insert(spiff_row).returning(spiff_row.c.id)

    def step(conn: sa.Connection, item: int) -> Any:
        with conn.begin():
            body = conn.execute(load, {"b_id": item}).scalar_one()
            workflow = serializer.deserialize_json(body)
            task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
            task.data["decision"] = DECISIONS.get(task.task_spec.name)
            if task.task_spec.name == "request":
                task.data.update(FIELDS)
            task.run()
            workflow.do_engine_steps()
            conn.execute(save, {"b_id": item, "b_body": serializer.serialize_json(workflow)})
        return workflow

    def one_item(conn: sa.Connection, stop_at: float | None) -> int:
        workflow = BpmnWorkflow(spec)
        workflow.do_engine_steps()
        body = serializer.serialize_json(workflow)

        def insert() -> int:
            with conn.begin():
                return int(conn.execute(create, {"body": body}).scalar_one())

        item = _until_done(insert)
        done = 1
        while stop_at is None or time.perf_counter() < stop_at:
            workflow = _until_done(lambda: step(conn, item))
            done += 1
            if workflow.is_completed():
                break
        return done

    with engine.connect() as conn:
        assert one_item(conn, None) == STEPS_PER_ITEM
        gate.wait()
        started = time.perf_counter()
        stop_at = started + deadline_in
        steps = 0
        while time.perf_counter() < stop_at:
            steps += one_item(conn, stop_at)
        out.put((steps, time.perf_counter() - started))
    engine.dispose()


CLIENTS = {"raw": raw_client, "riskctl": riskctl_client, "spiff": spiff_client}


# ---------------------------------------------------------------- running


def measure(kind: str, url: str, clients: int, seconds: float) -> float:
    ctx = mp.get_context("spawn")
    gate = ctx.Barrier(clients)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=CLIENTS[kind], args=(url, seconds, gate, out)) for _ in range(clients)
    ]
    for p in procs:
        p.start()
    results: list[tuple[int, float]] = []
    while len(results) < clients:
        try:
            results.append(out.get(timeout=1))
        except queue.Empty:
            failed = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
            if failed:
                for p in procs:
                    p.terminate()
                raise SystemExit(f"a {kind} client failed (exit code {failed[0]})") from None
    for p in procs:
        p.join()
    total_steps = sum(steps for steps, _ in results)
    wall = max(elapsed for _, elapsed in results)
    return total_steps / wall


def prepare(url: str) -> None:
    from flask_migrate import upgrade

    from riskctl import create_app
    from riskctl.core.access import SYSTEM_ADMIN
    from riskctl.extensions import db
    from riskctl.org.demo import load_demo

    app = create_app("testing", {"DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade()
        load_demo(db.session, SYSTEM_ADMIN)
        db.session.commit()
        bench_meta.create_all(db.engine)
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgresql", metavar="URL", default=None,
        help="an existing PostgreSQL database; the bench creates and drops its own database "
        "next to it (default: a fresh SQLite file)",
    )  # fmt: skip
    parser.add_argument("--seconds", type=float, default=10.0, help="per measurement")
    parser.add_argument("--clients", default="1,4", help="comma-separated client counts")
    parser.add_argument("--synchronous", choices=["NORMAL", "FULL"], default="NORMAL",
                        help="SQLite's synchronous level (WAL mode either way)")  # fmt: skip
    args = parser.parse_args()
    os.environ["RISKCTL_SQLITE_SYNCHRONOUS"] = args.synchronous
    if args.postgresql:
        url, cleanup = fresh_postgres(args.postgresql, "riskctl_bench")
        label = "PostgreSQL"
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
        label = f"SQLite (WAL, synchronous={args.synchronous})"
        cleanup = lambda: None  # noqa: E731
    try:
        prepare(url)
        print(f"{label}; {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
              f"{args.seconds:.0f} s per measurement")  # fmt: skip
        print(f"{'clients':>7} {'raw (a)':>10} {'riskctl':>10} {'spiff (b)':>10}"
              f" {'riskctl/(a)':>12} {'riskctl/(b)':>12}")  # fmt: skip
        for clients in (int(c) for c in args.clients.split(",")):
            rates = {kind: measure(kind, url, clients, args.seconds) for kind in CLIENTS}
            print(f"{clients:>7} {rates['raw']:>10,.0f} {rates['riskctl']:>10,.0f} "
                  f"{rates['spiff']:>10,.0f} {rates['riskctl'] / rates['raw']:>11.0%} "
                  f"{rates['riskctl'] / rates['spiff']:>11.2f}x", flush=True)  # fmt: skip
        sealed, elapsed = seal_and_verify(url)
        print(f"sealed {sealed:,} audit records into the chain in {elapsed:.2f} s "
              f"({sealed / max(elapsed, 1e-9):,.0f}/s)")  # fmt: skip
    finally:
        cleanup()


if __name__ == "__main__":
    main()
