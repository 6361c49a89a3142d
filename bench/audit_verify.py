"""How long `flask riskctl audit verify` takes, and how much memory it needs, for a trail
of N rows.  Run by hand; results go to docs/benchmarks.md.

    .venv/bin/python bench/audit_verify.py --rows 200000 [--database-url URL]

Appends N audit records in batches (through the same code as the app), seals them (the
scheduler's job), then times ``verify_chain``, then verifies again under tracemalloc for
the peak Python memory.  A broken chain fails the run (exit status 1).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from pathlib import Path

from flask_migrate import upgrade

from riskctl import create_app
from riskctl.core import audit
from riskctl.extensions import db


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    app = create_app("testing", {"DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        for start in range(0, args.rows, args.batch):
            entries = [
                audit._entry(audit.SYSTEM, "bench.event", "bench", i, None, None, {"i": i})
                for i in range(start, min(start + args.batch, args.rows))
            ]
            audit._append(db.session, entries)
            db.session.commit()
        written = time.perf_counter() - started
        started = time.perf_counter()
        audit.seal_pending(db.session)
        db.session.commit()
        sealing = time.perf_counter() - started
        started = time.perf_counter()
        report = audit.verify_chain(db.session)
        verified = time.perf_counter() - started
        # A second pass for memory: tracemalloc slows Python down several times.
        tracemalloc.start()
        audit.verify_chain(db.session)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    brk = report.first_break
    if brk is not None:
        where = f"seq {brk.seq}" if brk.seq is not None else "an unsealed record"
        raise SystemExit(f"audit chain BROKEN at {where} (row id {brk.row_id}): {brk.reason}")
    if report.count < args.rows:
        raise SystemExit(f"audit chain holds {report.count} records, {args.rows} written")
    print(f"audit chain  OK, head seq {report.head_seq}")
    print(f"database     {url.split('://')[0]}")
    print(f"rows         {report.count}")
    print(f"append       {written:.2f} s ({args.rows / written:,.0f} rows/s)")
    print(f"seal         {sealing:.2f} s ({report.count / sealing:,.0f} rows/s)")
    print(f"verify       {verified:.2f} s ({report.count / verified:,.0f} rows/s)")
    print(f"verify peak  {peak / 1024 / 1024:.1f} MiB (tracemalloc)")


if __name__ == "__main__":
    main()
