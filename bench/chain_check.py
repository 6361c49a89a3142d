"""The audit chain at the end of a bench run: seal what the run wrote (the scheduler's job
in the app), verify every record, print the result.  A broken chain fails the run."""

from __future__ import annotations

import time


def seal_and_verify(url: str) -> tuple[int, float]:
    """Seal and verify the chain of the database at ``url``; (records sealed, seconds the
    sealing took).  Exits with status 1, naming the first broken record, if it is broken."""
    from riskctl import create_app
    from riskctl.core import audit
    from riskctl.extensions import db

    app = create_app("testing", {"DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        started = time.perf_counter()
        sealed = audit.seal_pending(db.session)
        db.session.commit()
        sealing = time.perf_counter() - started
        started = time.perf_counter()
        report = audit.verify_chain(db.session)
        verifying = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    brk = report.first_break
    if brk is not None:
        where = f"seq {brk.seq}" if brk.seq is not None else "an unsealed record"
        raise SystemExit(f"audit chain BROKEN at {where} (row id {brk.row_id}): {brk.reason}")
    print(f"audit chain OK: {report.count:,} sealed records ({sealed:,} sealed now), verified "
          f"in {verifying:.2f} s; head seq {report.head_seq}")  # fmt: skip
    return sealed, sealing
