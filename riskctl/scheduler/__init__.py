"""Periodic jobs, declared as data, and the guard that lets exactly one scheduler run.

Single-machine mode (``make run``) runs the scheduler inside the web process, but only
in the process that takes an exclusive file lock; a second ``serve`` on the same
machine serves pages without a scheduler.  Production runs ``flask riskctl scheduler``
(leadership through a PostgreSQL advisory lock with fencing: ``riskctl.scheduler.leader``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from filelock import FileLock, Timeout
from flask import Flask

from riskctl.core import audit
from riskctl.extensions import db

log = logging.getLogger(__name__)
# APScheduler's own loggers: "Running job …" and "… executed successfully" at INFO for
# every run of every job — a line every few seconds that says nothing.
APSCHEDULER_LOGGERS = ("apscheduler.executors.default", "apscheduler.scheduler")


def quiet_apscheduler(log_level: str) -> None:
    """APScheduler's loggers at WARNING (its warnings and errors still show), unless the
    application logs at DEBUG or a level was set for them already (a logging config)."""
    if log_level == "DEBUG":
        return
    for name in APSCHEDULER_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)


@dataclass(frozen=True)
class JobSpec:
    """``func`` returns what the run did, as counts (or None): a run whose counts are all
    zero is idle and writes no log line; one that did something writes one at INFO."""

    id: str
    func: Callable[[], Mapping[str, Any] | None]
    trigger: str
    trigger_args: dict[str, Any] = field(default_factory=dict)


def _purge_tokens() -> dict[str, int]:
    from riskctl.auth.services import purge_expired_tokens

    return {"tokens_deleted": purge_expired_tokens(db.session)}


def _seal_audit_trail() -> dict[str, int]:
    return {"sealed": audit.seal_pending(db.session)}


def _scan_risks() -> dict[str, int]:
    from riskctl.risk import scan, services

    result = scan.run_scan(db.session, services.current_policy(db.session))
    # Signals found again and left as they are (scanned, kept closed) are not work done.
    return {"raised": result.raised, "updated": result.updated, "closed": result.closed,
            "watched": result.watched, "frozen": len(result.frozen)}  # fmt: skip


def _escalate_risks() -> dict[str, int]:
    from riskctl.risk import services

    return {"escalated": services.escalate_now(db.session)}


def _snapshot_figures() -> dict[str, int]:
    from riskctl.risk import services

    return {"figures": services.snapshot_figures(db.session)}


def _dispatch_sms() -> dict[str, int]:
    from datetime import timedelta

    from flask import current_app

    from riskctl.alerts import dispatch, sms
    from riskctl.risk import services

    settings = current_app.config["RISKCTL"]
    result = dispatch.dispatch_sms(
        db.session, sms.backend_for(settings), services.current_policy(db.session),
        stale_after=timedelta(seconds=settings.SMS_STALE_ATTEMPT_SECONDS),
        parallel=settings.SMS_PARALLEL,
    )  # fmt: skip
    # A pause lasts many ticks; the retries and unknown outcomes that caused it are counted
    # (and logged) by the run that met them.
    return {k: v for k, v in result.as_dict().items() if k != "paused"}


def _alert_tick() -> dict[str, int]:
    from riskctl.alerts import dispatch
    from riskctl.risk import services

    done = dispatch.tick(db.session, services.current_policy(db.session))
    # "reminded"/"escalated" count events due, also those whose notice was written by an
    # earlier tick; "written" is what this tick added.
    return {"written": done["written"], "digests": done["digests"]}


def _remind_follow_ups() -> dict[str, int]:
    from flask import current_app

    from riskctl.supervision.reminders import send_reminders

    lead = current_app.config["RISKCTL"].SUPERVISION_REMIND_WORKING_DAYS
    return {"reminded": send_reminders(db.session, lead_working_days=lead)}


def _study_tick() -> dict[str, int]:
    from datetime import time

    from riskctl.education import jobs
    from riskctl.risk import services

    quiet = services.current_policy(db.session).alerts["quiet_hours"]
    return jobs.tick(db.session, quiet_end=time.fromisoformat(quiet["end"]))


def _screen_heartbeat() -> None:
    from riskctl.alerts import push, services

    push.heartbeat(services.screen_seq(db.session))


def _monthly_report() -> dict[str, int]:
    from flask import current_app

    from riskctl.assessment import reports

    store = reports.store_of(current_app.config)
    return {"reports": reports.monthly_due(db.session, store)}


def _did(done: Mapping[str, Any] | None) -> str | None:
    """``sealed=3 raised=1``: the counts that are not zero; None for an idle run."""
    parts = [f"{k}={v}" for k, v in (done or {}).items() if v]
    return " ".join(parts) or None


JOBS: tuple[JobSpec, ...] = (
    JobSpec("auth.purge_expired_tokens", _purge_tokens, "interval", {"hours": 1}),
    # Seconds between a record's commit and its place in the chain (core/audit.py).
    JobSpec("audit.seal", _seal_audit_trail, "interval", {"seconds": 5}),
    # Incremental within a day, full at the first scan of each day (riskctl.risk.scan).
    JobSpec("risk.scan", _scan_risks, "interval", {"minutes": 1}),
    JobSpec("risk.escalate", _escalate_risks, "interval", {"minutes": 5}),
    # Idempotent: rewrites today's figures, so hourly keeps the day's row current.
    JobSpec("risk.snapshot", _snapshot_figures, "interval", {"hours": 1}),
    # Commits message by message (riskctl.alerts.dispatch); a killed run loses nothing.
    JobSpec("alerts.dispatch", _dispatch_sms, "interval", {"seconds": 5}),
    # Reminders, escalations of unacknowledged warnings, the morning digest.
    JobSpec("alerts.tick", _alert_tick, "interval", {"minutes": 1}),
    JobSpec("screen.heartbeat", _screen_heartbeat, "interval", {"seconds": 10}),
    # In-app reminders before talks and rectifications fall due; once per due day each.
    JobSpec("supervision.remind", _remind_follow_ups, "interval", {"hours": 1}),
    # 月度廉政风险分析报告: from the first working day of a month until each scope's
    # report of the previous month exists (a quick look on the other runs).
    JobSpec("assessment.monthly_report", _monthly_report, "interval", {"hours": 1}),
    # Study (廉政教育): late joiners of an audience, reminders before the due day, the
    # morning SMS to those overdue (riskctl.education.jobs).
    JobSpec("education.tick", _study_tick, "interval", {"minutes": 5}),
)


def _in_app_context(
    app: Flask, spec: JobSpec, fence: Callable[[], bool] | None = None
) -> Callable[[], None]:
    """Each run gets its own app context and session, commits once, rolls back on error.
    ``fence``: asked before each run; a scheduler that lost leadership runs nothing."""

    def run() -> None:
        if fence is not None and not fence():
            log.error("job %s not run: this scheduler is no longer the leader", spec.id)
            return
        with app.app_context():
            audit.act_as(db.session, audit.AuditActor(None, "scheduler", f"job {spec.id}"))
            try:
                done = spec.func()
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("job %s failed", spec.id)
                return
            if (what := _did(done)) is not None:
                log.info("job %s: %s", spec.id, what)

    return run


def build_scheduler(
    app: Flask, jobs: tuple[JobSpec, ...] = JOBS, fence: Callable[[], bool] | None = None
) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        timezone=app.config["RISKCTL"].TIMEZONE,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
    )
    intervals = app.config["RISKCTL"].SCHEDULER_INTERVALS
    for spec in jobs:
        every = intervals.get(spec.id)
        scheduler.add_job(
            _in_app_context(app, spec, fence),
            spec.trigger,
            id=spec.id,
            name=spec.id,
            replace_existing=True,
            **({"seconds": every} if every and spec.trigger == "interval" else spec.trigger_args),
        )
    return scheduler


@dataclass
class InProcessScheduler:
    scheduler: BackgroundScheduler | None
    lock: FileLock | None

    @property
    def running(self) -> bool:
        return self.scheduler is not None and self.scheduler.running

    def shutdown(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self.lock is not None and self.lock.is_locked:
            self.lock.release()


def start_in_process(app: Flask) -> InProcessScheduler:
    """Start the scheduler here if no other process on this machine runs one."""
    path = Path(app.config["RISKCTL"].SCHEDULER_LOCK_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path), thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        log.warning("scheduler lock %s is held by another process; not starting one", path)
        return InProcessScheduler(None, None)
    scheduler = build_scheduler(app)
    scheduler.start()
    log.info(
        "scheduler started in-process with jobs: %s", ", ".join(j.id for j in scheduler.get_jobs())
    )
    return InProcessScheduler(scheduler, lock)
