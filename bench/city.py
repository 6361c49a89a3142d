"""A city on one PostgreSQL: 2,000 units, 50,000 people, 13 posts a unit and a year of
history (about 1,000,000 items and 10,000,000 steps), then the full and incremental risk
scan, the monitor's pages for an inspector over 100 units, the big screen's snapshot, the
statistics API by day for a year and the database's size.  Run by hand; results go to
docs/benchmarks.md.

    .venv/bin/python bench/city.py --scale 0.05 \
        --postgresql postgresql://postgres@127.0.0.1:5432/bench_city

The database must be empty (``dropdb``/``createdb`` it): the run migrates it, loads the
demo (as bench/scan.py does) and then writes the city with set-based SQL
(``INSERT … SELECT … FROM generate_series``), not the ORM:

- units ``city0001`` … (1,994 at full scale; with the demo's six, 2,000), each with czj's
  13 posts, 25 people (person k holds post k mod 13; 49,850 + the demo's 60) and the five
  processes czj publishes, copied as adopting the templates would store them;
- items spread evenly over the year before ``NOW`` (ids in the order they started; mix as
  bench/scan.py: 40 % expense, 25 % procurement, 15 % contract, 10 % each asset disposal
  and construction), their fields from bench/scan.py's generator (1 % planted problems per
  field rule).  Each has the start step and nine completions, each with its closed task
  (four hours apart, by a holder of the node's post); those started in the last 25 days,
  and one in fifty of the 40–90 days old ones (past their overall limit), are still
  running with one open task (2 % of them overdue); the rest completed.  0.5 % returned
  three times, 0.5 % with a flagged incompatible pair (as bench/scan.py);
- a year of warnings already handled: one per twenty items, a day after it started
  (red : orange : yellow 1 : 3 : 6), resolved with a disposition (four in five),
  dismissed or closed automatically — the scan then raises what is open now;
- an inspector ``city.inspector`` (the demo password) scoped to the first 100 city units.

Not generated: the audit records of all that (see docs/benchmarks.md: the app writes one
per step; sealing and verifying ten million is measured on its own), the notifications
of the year's handled warnings, and the daily figures.  The indexes and foreign keys of
item, task and step are dropped while they are filled and made again afterwards (the
foreign keys validated), then the tables are vacuumed and analysed.

Measured, each in a fresh process: bench/scan.py's scans (judge cold and warm, the first
full scan that raises, the steady one, an incremental one after 100 running items
changed; peak RSS); the pages (bench/pages.py's timing, 20 rounds each, p95 = the 19th);
the database's size.  At the end the audit chain is sealed and verified.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.chain_check import seal_and_verify
from bench.pages import time_pages
from bench.scan import (
    DEMO_LOADED_AT,
    MIX,
    NOW,
    _app,
    _fields,
    _in_child,
    load_base,
    measure_scans,
    task_nodes,
)

CITY_UNITS = 1_994  # with the demo's six: 2,000
PEOPLE_PER_UNIT = 25  # 49,850 with the demo's 60
ITEMS = 1_000_000
STEPS_PER_ITEM = 10  # start and nine completions
FIELD_POOL = 1_000  # bench/scan.py's fields for n = 0 … 999, reused by n = id mod 1,000
RUNNING_DAYS = 25
INSPECTED_UNITS = 100
INSPECTOR = "city.inspector"
HISTORY_RULES = ("step_overdue", "item_overdue", "procurement_just_under_threshold",
                 "incompatible_posts")  # fmt: skip
DISPOSITIONS = ("reminder_talk", "criticism", "no_problem", "rectification", "letter_inquiry")


def _timed(label: str, conn: Any, sql: str, **params: Any) -> int:
    started = time.perf_counter()
    rows = conn.execute(sa.text(sql), params).rowcount
    conn.commit()
    print(f"  {label}: {rows:,} rows in {time.perf_counter() - started:.1f} s", flush=True)
    return int(rows)


def _copy_columns(table: sa.Table, skip: set[str]) -> str:
    return ", ".join(c.name for c in table.columns if c.name not in skip)


def generate(url: str, scale: float) -> dict[str, Any]:
    from riskctl.core.db import engine_url
    from riskctl.extensions import db
    from riskctl.org.models import Person, Unit
    from riskctl.process.models import ProcessDefinition
    from riskctl.risk.models import FORMS, Disposition, RiskValue

    units = max(INSPECTED_UNITS, round(CITY_UNITS * scale))
    items = round(ITEMS * scale)
    started = time.perf_counter()
    app = _app(url)
    with app.app_context():
        if db.session.scalar(sa.text("SELECT to_regclass('public.item') IS NOT NULL")):
            raise SystemExit("the database is not empty: dropdb and createdb it first")
        load_base()
        czj = db.session.scalar(sa.select(Unit.id).where(Unit.code == "czj"))
        jw = db.session.scalar(sa.select(Unit.id).where(Unit.code == "jw"))
        demo_inspector = db.session.scalar(
            sa.select(Person).where(Person.username == "jw.hexiaoping")
        )
        assert demo_inspector is not None and czj is not None
        password_hash, inspector_id = demo_inspector.password_hash, demo_inspector.id
        definitions = task_nodes([czj])
        policy_version = db.session.scalar(sa.text("SELECT max(version) FROM risk_policy")) or 0
        db.session.commit()
        db.engine.dispose()
    print(f"demo loaded in {time.perf_counter() - started:.1f} s", flush=True)

    engine = sa.create_engine(engine_url(url))
    with engine.connect() as conn:
        conn.execute(sa.text("SET synchronous_commit = off"))
        conn.execute(sa.text("SET maintenance_work_mem = '512MB'"))
        conn.execute(sa.text("SET work_mem = '64MB'"))
        loaded = DEMO_LOADED_AT
        _timed("units", conn, """
            INSERT INTO unit (code, code_key, name, kind, level, parent_id, created_at)
            SELECT 'city' || lpad(g::text, 4, '0'), 'city' || lpad(g::text, 4, '0'),
                   '市直单位' || lpad(g::text, 4, '0'), 'department', 'county', :jw, :at
            FROM generate_series(1, :n) g""", jw=jw, at=loaded, n=units)  # fmt: skip
        conn.execute(sa.text("""
            CREATE TEMP TABLE city_unit AS
            SELECT (row_number() OVER (ORDER BY id) - 1)::int AS idx, id AS unit_id
            FROM unit WHERE code LIKE 'city%'"""))  # fmt: skip
        conn.execute(sa.text("""
            CREATE TEMP TABLE czj_post AS
            SELECT (row_number() OVER (ORDER BY code) - 1)::int AS j, code
            FROM post WHERE unit_id = :czj"""), {"czj": czj})  # fmt: skip
        posts = conn.execute(sa.text("SELECT count(*) FROM czj_post")).scalar_one()
        _timed("posts", conn, """
            INSERT INTO post (unit_id, code, name, risk, is_leading)
            SELECT cu.unit_id, p.code, p.name, p.risk, p.is_leading
            FROM city_unit cu CROSS JOIN post p WHERE p.unit_id = :czj""", czj=czj)  # fmt: skip
        _timed("people", conn, """
            INSERT INTO person (username, name, phone, unit_id, risk, is_active, created_at)
            SELECT 'city' || lpad((cu.idx + 1)::text, 4, '0') || '.u' || lpad(k::text, 2, '0'),
                   '人员' || (cu.idx * :per + k),
                   '+86138' || lpad((cu.idx * :per + k)::text, 8, '0'),
                   cu.unit_id, 3, true, :at
            FROM city_unit cu CROSS JOIN generate_series(0, :per - 1) k""",
               per=PEOPLE_PER_UNIT, at=loaded)  # fmt: skip
        conn.execute(sa.text("""
            CREATE TEMP TABLE city_person AS
            SELECT unit_id, (row_number() OVER (PARTITION BY unit_id ORDER BY id) - 1)::int AS k,
                   id AS person_id
            FROM person WHERE username LIKE 'city%'"""))  # fmt: skip
        _timed("roles", conn, """
            INSERT INTO person_role (person_id, role)
            SELECT person_id, 'staff' FROM city_person""")  # fmt: skip
        _timed("post assignments", conn, """
            INSERT INTO post_assignment (person_id, post_id, valid_from)
            SELECT cp.person_id, po.id, :on
            FROM city_person cp JOIN czj_post cj ON cj.j = cp.k % :posts
            JOIN post po ON po.unit_id = cp.unit_id AND po.code = cj.code""",
               on=loaded.date(), posts=posts)  # fmt: skip
        # Who completes a node: a holder of its post — person k holds post k mod 13, so
        # post j is held by k = j and (if there are that many people) k = j + 13.
        conn.execute(sa.text("""
            CREATE TEMP TABLE city_holder AS
            SELECT cp.unit_id, cj.code AS post, a.alt, cp.person_id
            FROM czj_post cj CROSS JOIN (VALUES (0), (1)) a(alt)
            JOIN city_person cp ON cp.k = CASE WHEN cj.j + :posts * a.alt < :per
                                               THEN cj.j + :posts * a.alt ELSE cj.j END"""),
                     {"posts": posts, "per": PEOPLE_PER_UNIT})  # fmt: skip
        conn.execute(sa.text("CREATE INDEX ON city_holder (unit_id, post, alt)"))
        definition_table: sa.Table = ProcessDefinition.__table__  # type: ignore[assignment]
        columns = _copy_columns(definition_table, {"id", "unit_id"})
        _timed("process definitions", conn, f"""
            INSERT INTO process_definition (unit_id, {columns})
            SELECT cu.unit_id, {", ".join("d." + c for c in columns.split(", "))}
            FROM city_unit cu CROSS JOIN process_definition d
            WHERE d.unit_id = :czj AND d.id = ANY(:ids)""",
               czj=czj, ids=[d for d, _n in definitions.values()])  # fmt: skip
        value_table: sa.Table = RiskValue.__table__  # type: ignore[assignment]
        columns = _copy_columns(value_table, {"id", "unit_id"})
        _timed("risk values", conn, f"""
            INSERT INTO risk_value (unit_id, {columns})
            SELECT cu.unit_id, {", ".join("v." + c for c in columns.split(", "))}
            FROM city_unit cu CROSS JOIN risk_value v WHERE v.unit_id = :czj""",
               czj=czj)  # fmt: skip
        conn.execute(
            sa.text("""
            CREATE TEMP TABLE city_def AS
            SELECT d.unit_id, d.key, d.id AS def_id FROM process_definition d
            JOIN city_unit cu ON cu.unit_id = d.unit_id WHERE d.status = 'published'""")
        )
        conn.execute(sa.text("CREATE INDEX ON city_def (unit_id, key)"))
        conn.execute(sa.text("CREATE INDEX ON city_def (def_id)"))
        # The process mix (bucket ranges of a hash of the id), bench/scan.py's fields and
        # the nodes of each step, from the published definitions.
        conn.execute(sa.text("CREATE TEMP TABLE city_mix (lo int, hi int, key text)"))
        lo = 0
        for process, weight in MIX:
            conn.execute(sa.text("INSERT INTO city_mix VALUES (:lo, :hi, :key)"),
                         {"lo": lo, "hi": lo + weight, "key": process})  # fmt: skip
            lo += weight
        conn.execute(sa.text("CREATE TEMP TABLE city_fields (key text, n int, fields json)"))
        rng = random.Random(7)
        conn.execute(
            sa.text("INSERT INTO city_fields VALUES (:key, :n, CAST(:fields AS json))"),
            [
                {"key": p, "n": n, "fields": _json(_fields(p, rng, n))}
                for p, _w in MIX
                for n in range(FIELD_POOL)
            ],
        )
        conn.execute(sa.text("CREATE INDEX ON city_fields (key, n)"))
        conn.execute(sa.text(
            "CREATE TEMP TABLE city_node (key text, s int, node text, post text, decision text,"
            " second text)"
        ))  # fmt: skip
        conn.execute(
            sa.text("INSERT INTO city_node VALUES (:key, :s, :node, :post, :decision, :second)"),
            [
                {
                    "key": key,
                    "s": s,
                    "node": nodes[(s - 1) % len(nodes)].key,
                    "post": nodes[(s - 1) % len(nodes)].post,
                    "decision": (nodes[(s - 1) % len(nodes)].decision_keys or [None])[0],
                    "second": nodes[1].key,
                }
                for (_u, key), (_d, nodes) in definitions.items()
                for s in range(1, STEPS_PER_ITEM + 1)
            ],
        )
        conn.execute(sa.text("CREATE INDEX ON city_node (key, s)"))
        conn.execute(sa.text("ANALYZE city_unit, city_person, city_holder, city_def, "
                             "city_mix, city_fields, city_node"))  # fmt: skip
        conn.commit()
        dropped = _drop_indexes_and_keys(conn, ("item", "task", "step"))
        # Item g started (year − 2 days) × (N − g) / N before NOW, less up to 10 hours: the
        # newest two days ago, so that its nine completions (four hours apart) are past.
        _timed("items", conn, """
            INSERT INTO item (id, unit_id, definition_id, title, fields, status, revision,
                              joins, started_by_id, started_at, updated_at, ended_at)
            SELECT x.g, cu.unit_id, cd.def_id, m.key || ' ' || x.g, f.fields,
                   CASE WHEN x.running THEN 'running' ELSE 'completed' END,
                   :steps, CAST('{}' AS json), h.person_id, x.at,
                   x.at + interval '36 hours',
                   CASE WHEN x.running THEN NULL ELSE x.at + interval '36 hours' END
            FROM (
                SELECT g, g % :units AS uidx, (g::bigint * 2654435761) % 100 AS bucket, at,
                       at > :now - interval '25 days'
                       OR (g % 50 = 0 AND at > :now - interval '90 days'
                           AND at < :now - interval '40 days') AS running
                FROM (SELECT g, :now - interval '2 days'
                                - interval '363 days' * (:n - g) / :n
                                - interval '1 minute' * ((g * 7) % 600) AS at
                      FROM generate_series(1, :n) g) t
            ) x
            JOIN city_unit cu ON cu.idx = x.uidx
            JOIN city_mix m ON x.bucket >= m.lo AND x.bucket < m.hi
            JOIN city_def cd ON cd.unit_id = cu.unit_id AND cd.key = m.key
            JOIN city_fields f ON f.key = m.key AND f.n = x.g % :pool
            JOIN city_holder h ON h.unit_id = cu.unit_id AND h.post = 'handler' AND h.alt = 0""",
               n=items, units=units, now=NOW, steps=STEPS_PER_ITEM, pool=FIELD_POOL)  # fmt: skip
        # Freshly filled tables look empty to the planner (nested loops over 10⁶ rows).
        conn.execute(sa.text("ANALYZE item"))
        # Tasks 10(i−1)+s: s = 1…9 completed, s = 10 open (running items only).
        _timed("tasks", conn, """
            INSERT INTO task (id, item_id, node, post, status, due_at, opened_at, closed_at,
                              closed_by_id)
            SELECT (i.id - 1) * 10 + n.s, i.id, n.node, n.post,
                   CASE WHEN n.s < 10 THEN 'completed' ELSE 'open' END,
                   CASE WHEN n.s < 10 THEN i.started_at + interval '4 hours' * n.s
                                           + interval '2 days'
                        WHEN i.id % 50 = 1 THEN :now - interval '1 day' * (1 + i.id % 5)
                        ELSE :now + interval '1 day' * (1 + i.id % 9) END,
                   i.started_at + interval '4 hours' * (n.s - 1),
                   CASE WHEN n.s < 10 THEN i.started_at + interval '4 hours' * n.s END,
                   CASE WHEN n.s < 10 THEN h.person_id END
            FROM item i JOIN city_def cd ON cd.def_id = i.definition_id
            JOIN city_node n ON n.key = cd.key AND (n.s < 10 OR i.status = 'running')
            JOIN city_holder h ON h.unit_id = i.unit_id AND h.post = n.post
                              AND h.alt = i.id % 2""", now=NOW)  # fmt: skip
        conn.execute(sa.text("ANALYZE task"))
        # Steps 10(i−1)+s+1: the start (s = 0) and the completions of tasks 1…9.
        _timed("steps (start)", conn, """
            INSERT INTO step (id, item_id, task_id, kind, node, person_id, at)
            SELECT (i.id - 1) * 10 + 1, i.id, NULL, 'start', 'start', i.started_by_id,
                   i.started_at
            FROM item i""")  # fmt: skip
        _timed("steps (completions)", conn, """
            INSERT INTO step (id, item_id, task_id, kind, node, person_id, post, decision, at)
            SELECT t.id + 1, t.item_id, t.id, 'complete', t.node, t.closed_by_id, t.post,
                   CASE WHEN t.item_id % 200 = 5 AND t.id - (t.item_id - 1) * 10 <= 3
                        THEN 'return' ELSE n.decision END,
                   t.closed_at
            FROM task t JOIN item i ON i.id = t.item_id
            JOIN city_def cd ON cd.def_id = i.definition_id
            JOIN city_node n ON n.key = cd.key AND n.s = t.id - (t.item_id - 1) * 10
            WHERE t.status = 'completed'""")  # fmt: skip
        _restore_indexes_and_keys(conn, dropped)
        _timed("control hits", conn, r"""
            INSERT INTO control_hit (kind, rule, rule_name, mode, outcome, unit_id, person_id,
                                     item_id, node, step_id, earlier_step_id, evidence, at)
            SELECT 'dynamic', cd.key || '\:x~y', '不相容', 'flag', 'flagged', i.unit_id,
                   h.person_id, i.id, n.second, (i.id - 1) * 10 + 10, (i.id - 1) * 10 + 9,
                   CAST('{}' AS json), i.started_at
            FROM item i JOIN city_def cd ON cd.def_id = i.definition_id
            JOIN city_node n ON n.key = cd.key AND n.s = 1
            JOIN city_holder h ON h.unit_id = i.unit_id AND h.post = n.post AND h.alt = 1
            WHERE i.id % 200 = 7""")  # fmt: skip
        forms = {d.value: FORMS[d] for d in Disposition}
        conn.execute(sa.text("CREATE TEMP TABLE city_disposition (k int, code text, form text)"))
        conn.execute(
            sa.text("INSERT INTO city_disposition VALUES (:k, :code, :form)"),
            [{"k": k, "code": c, "form": forms[c]} for k, c in enumerate(DISPOSITIONS)],
        )
        conn.execute(sa.text("CREATE TEMP TABLE city_rule (k int, rule text)"))
        conn.execute(
            sa.text("INSERT INTO city_rule VALUES (:k, :rule)"),
            [{"k": k, "rule": r} for k, r in enumerate(HISTORY_RULES)],
        )
        # A year of handled warnings: item i % 20 = 3, raised a day after it started.
        _timed("handled warnings", conn, """
            INSERT INTO risk_event (identity, rule, unit_id, item_id, node, person_id, post,
                severity, score, level, factors, evidence, status, policy_version,
                level_since, escalated, disposition, disposition_form, closed_by_id,
                closed_at, closing_note, created_at, updated_at)
            SELECT r.rule || '|' || i.id || '|' || n.node || '|' || i.started_by_id || '|',
                   r.rule, i.unit_id, i.id, n.node, i.started_by_id, n.post, 60,
                   CASE WHEN x.lv = 0 THEN 85.0 WHEN x.lv < 4 THEN 60.0 ELSE 30.0 END,
                   CASE WHEN x.lv = 0 THEN 'red' WHEN x.lv < 4 THEN 'orange'
                             ELSE 'yellow' END,
                   CAST('{}' AS json), CAST('{}' AS json),
                   CASE WHEN x.st < 8 THEN 'resolved' WHEN x.st = 8 THEN 'dismissed'
                             ELSE 'auto_closed' END,
                   :policy, i.started_at + interval '1 day', false,
                   CASE WHEN x.st < 8 THEN d.code END,
                   CASE WHEN x.st < 8 THEN d.form END,
                   CASE WHEN x.st < 9 THEN :inspector END,
                   i.started_at + interval '4 days',
                   CASE WHEN x.st < 9 THEN '已核实处置' END,
                   i.started_at + interval '1 day', i.started_at + interval '4 days'
            FROM (SELECT id, (id / 20) % 10 AS lv, (id / 200) % 10 AS st FROM item
                  WHERE id % 20 = 3 AND started_at < :now - interval '5 days') x
            JOIN item i ON i.id = x.id
            JOIN city_def cd ON cd.def_id = i.definition_id
            JOIN city_node n ON n.key = cd.key AND n.s = 2
            JOIN city_rule r ON r.k = (x.id / 20) % 4
            JOIN city_disposition d ON d.k = (x.id / 20) % 5""",
               policy=policy_version, inspector=inspector_id, now=NOW)  # fmt: skip
        person_id = conn.execute(sa.text("""
            INSERT INTO person (username, name, phone, unit_id, risk, password_hash,
                                is_active, created_at)
            VALUES (:u, '市纪委检查员', '+8613800099999', :jw, 3, :hash, true, :at)
            RETURNING id"""), {"u": INSPECTOR, "jw": jw, "hash": password_hash, "at": loaded}
        ).scalar_one()  # fmt: skip
        conn.execute(sa.text("INSERT INTO person_role VALUES (:p, 'inspector')"), {"p": person_id})
        conn.execute(sa.text("""
            INSERT INTO inspector_scope (person_id, unit_id)
            SELECT :p, unit_id FROM city_unit WHERE idx < :n"""),
                     {"p": person_id, "n": INSPECTED_UNITS})  # fmt: skip
        conn.commit()
        for table in ("item", "task", "step", "risk_event", "control_hit"):
            conn.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: E501
            ))  # fmt: skip
        conn.commit()
        vacuumed = time.perf_counter()
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("VACUUM ANALYZE"))
        print(f"  vacuum analyze: {time.perf_counter() - vacuumed:.1f} s", flush=True)
        counts = {
            t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("unit", "post", "person", "process_definition", "item", "task", "step",
                      "risk_event", "control_hit")
        }  # fmt: skip
        counts["running"] = conn.execute(
            sa.text("SELECT count(*) FROM item WHERE status = 'running'")
        ).scalar_one()
    engine.dispose()
    return {"counts": counts, "seconds": time.perf_counter() - started, "units": units}


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def _drop_indexes_and_keys(conn: Any, tables: tuple[str, ...]) -> list[str]:
    """Drop the secondary indexes and foreign keys of ``tables``; the statements that make
    them again (the primary keys stay: the ids come in order)."""
    indexes = conn.execute(sa.text("""
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename IN :t
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"""
    ).bindparams(sa.bindparam("t", expanding=True)), {"t": list(tables)}).all()  # fmt: skip
    keys = conn.execute(sa.text("""
        SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
        FROM pg_constraint c
        WHERE c.contype = 'f' AND c.conrelid::regclass::text IN :t"""
    ).bindparams(sa.bindparam("t", expanding=True)), {"t": list(tables)}).all()  # fmt: skip
    for table, name, _d in keys:
        conn.execute(sa.text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    for name, _d in indexes:
        conn.execute(sa.text(f'DROP INDEX "{name}"'))
    conn.commit()
    return [d for _n, d in indexes] + [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {d}' for table, name, d in keys
    ]


def _restore_indexes_and_keys(conn: Any, statements: list[str]) -> None:
    started = time.perf_counter()
    for statement in statements:
        conn.execute(sa.text(statement))
        conn.commit()
    print(f"  indexes and foreign keys made again ({len(statements)}): "
          f"{time.perf_counter() - started:.1f} s", flush=True)  # fmt: skip


# ---------------------------------------------------------------- measurements


def inspector_paths() -> list[str]:
    year = f"from={(NOW - timedelta(days=365)).isoformat()}&to={NOW.isoformat()}"
    year = year.replace("+00:00", "Z")
    return [
        "/", "/monitor/warnings?period=year", "/monitor/warnings?period=year&level=red",
        "/monitor/warnings?period=year&offset=1000", "/monitor/statistics?period=year",
        "/monitor/notifications", "/api/v1/screen/snapshot",
        f"/api/v1/stats/risk?group_by=day&{year}",
    ]  # fmt: skip


def measure_pages(url: str, out: Any) -> None:
    from riskctl.org.demo import DEMO_PASSWORD

    app = _app(url)
    rows = []
    for who, paths in (
        (INSPECTOR, inspector_paths()),
        ("admin", ["/api/v1/screen/snapshot", inspector_paths()[-1]]),
    ):
        for path, times, size in time_pages(app, who, DEMO_PASSWORD, paths):
            ordered = sorted(times)
            p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
            rows.append((who, path, statistics.median(times), p95, max(times), size))
    out.put(rows)


def database_size(url: str) -> list[str]:
    from riskctl.core.db import engine_url

    engine = sa.create_engine(engine_url(url))
    lines = []
    with engine.connect() as conn:
        total = conn.execute(
            sa.text("SELECT pg_size_pretty(pg_database_size(current_database()))")
        ).scalar_one()
        lines.append(f"database size: {total}")
        for name, rows, heap, indexes, whole in conn.execute(sa.text("""
            SELECT c.relname, c.reltuples::bigint, pg_size_pretty(pg_table_size(c.oid)),
                   pg_size_pretty(pg_indexes_size(c.oid)),
                   pg_size_pretty(pg_total_relation_size(c.oid))
            FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
            WHERE s.nspname = 'public' AND c.relkind = 'r'
            ORDER BY pg_total_relation_size(c.oid) DESC LIMIT 8""")):  # fmt: skip
            lines.append(f"  {name:20s} {rows:>12,} rows  table {heap:>8s}  "
                         f"indexes {indexes:>8s}  total {whole:>8s}")  # fmt: skip
    engine.dispose()
    return lines


def report_scans(scans: dict[str, Any]) -> None:
    if scans["signals"] is not None:
        print(f"judge: cold {scans['judge (cold)']:.2f} s, warm {scans['judge (warm)']:.2f} s, "
              f"{scans['signals']:,} signals")  # fmt: skip
    for label in ("full scan (first: raises)", "full scan (steady state)"):
        seconds, raised, updated = scans[label]
        print(f"{label}: {seconds:.2f} s ({raised:,} raised, {updated:,} updated)")
    seconds, mode, raised, updated = scans["incremental"]
    print(f"incremental after 100 changed items: {seconds * 1000:.0f} ms "
          f"(mode {mode}, {raised} raised, {updated} updated)")  # fmt: skip
    print(
        f"peak RSS of the scanning process: {scans['peak_rss_mb']:.0f} MB "
        f"(after start-up {scans['rss_before_mb']:.0f} MB); load average {os.getloadavg()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgresql", metavar="URL", required=True,
                        help="an empty PostgreSQL database (it is filled, and kept)")  # fmt: skip
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the city")
    parser.add_argument("--measure-only", action="store_true",
                        help="measure the data of an earlier run again (its warnings are "
                        "raised already: the first full scan is a steady one)")  # fmt: skip
    parser.add_argument("--skip-scans", action="store_true",
                        help="no scans: sizes and pages only (short of time)")  # fmt: skip
    parser.add_argument("--no-judge", action="store_true",
                        help="skip the two judgements before the scans (time)")  # fmt: skip
    args = parser.parse_args()
    url = args.postgresql
    print(f"PostgreSQL; {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()}")  # fmt: skip
    if not args.measure_only:
        made = generate(url, args.scale)
        print(f"generated in {made['seconds']:.0f} s: " + ", ".join(
            f"{k} {v:,}" for k, v in made["counts"].items()))  # fmt: skip
    for line in database_size(url):
        print(line)
    if not args.skip_scans:
        report_scans(_in_child(measure_scans, url, trace_heap=False, judge=not args.no_judge))
    for who, path, median, p95, slowest, size in _in_child(measure_pages, url):
        print(f"{who:15s} {path[:60]:60s} median {median:7.1f}  p95 {p95:7.1f}  "
              f"max {slowest:7.1f} ms  {size / 1024:6.0f} KiB", flush=True)  # fmt: skip
    print(f"load average {os.getloadavg()}")
    seal_and_verify(url)


if __name__ == "__main__":
    main()
