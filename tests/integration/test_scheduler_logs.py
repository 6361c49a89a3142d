"""The scheduler's log (issue 18): a job that did something writes one INFO line, an idle
tick writes none, and APScheduler's own "Running job …"/"executed successfully" lines
stay out of the log unless it is configured otherwise."""

from __future__ import annotations

import logging
import time
from typing import Any

from riskctl.core import audit
from riskctl.scheduler import JOBS, JobSpec, _in_app_context, build_scheduler, quiet_apscheduler


def _info(caplog: Any) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]


def _job(job_id: str) -> JobSpec:
    (spec,) = [s for s in JOBS if s.id == job_id]
    return spec


def test_idle_ticks_write_no_info_line_and_work_done_writes_one(app, session, caplog):
    caplog.set_level(logging.INFO)
    seal = _in_app_context(app, _job("audit.seal"))
    seal()  # whatever the demo left unsealed
    for job_id in ("alerts.dispatch", "alerts.tick", "screen.heartbeat"):
        _in_app_context(app, _job(job_id))()  # nothing due
    caplog.clear()
    seal()
    for job_id in ("alerts.dispatch", "alerts.tick", "screen.heartbeat"):
        _in_app_context(app, _job(job_id))()
    assert _info(caplog) == []
    audit.record(session, "test.logged", target_type="test", target_id="1")
    session.commit()
    seal()
    assert _info(caplog) == ["job audit.seal: sealed=1"]


def test_a_failing_job_is_logged_as_an_error(app, caplog):
    def broken() -> None:
        raise RuntimeError("boom")

    caplog.set_level(logging.INFO)
    _in_app_context(app, JobSpec("test.broken", broken, "interval", {"seconds": 1}))()
    (record,) = caplog.records
    assert record.levelno == logging.ERROR and record.getMessage() == "job test.broken failed"


def test_a_running_scheduler_says_nothing_while_its_jobs_are_idle(app, caplog):
    runs: list[int] = []

    def idle() -> dict[str, int]:
        runs.append(1)
        return {"sent": 0}

    caplog.set_level(logging.INFO)
    spec = JobSpec("test.idle", idle, "interval", {"seconds": 0.2})
    scheduler = build_scheduler(app, jobs=(spec,))
    scheduler.start()
    try:
        deadline = time.monotonic() + 5
        while len(runs) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        scheduler.shutdown(wait=True)
    assert len(runs) >= 2
    assert [r for r in caplog.records if r.levelno <= logging.INFO] == []


def test_a_level_configured_for_apschedulers_loggers_is_kept():
    logger = logging.getLogger("apscheduler.executors.default")
    before = logger.level
    try:
        logger.setLevel(logging.INFO)  # an operator's logging config asked for it
        quiet_apscheduler("INFO")
        assert logger.level == logging.INFO
        logger.setLevel(logging.NOTSET)
        quiet_apscheduler("DEBUG")  # debugging: APScheduler's lines are wanted
        assert logger.level == logging.NOTSET
        quiet_apscheduler("INFO")
        assert logger.level == logging.WARNING
    finally:
        logger.setLevel(before)
