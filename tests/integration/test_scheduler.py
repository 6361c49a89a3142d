"""Exactly one in-process scheduler per machine, guarded by a file lock."""

from riskctl.scheduler import JOBS, build_scheduler, start_in_process


def test_a_second_process_does_not_start_another_scheduler(app, tmp_path):
    settings = app.config["RISKCTL"]
    app.config["RISKCTL"] = settings.model_copy(
        update={"SCHEDULER_LOCK_FILE": str(tmp_path / "scheduler.lock")}
    )
    try:
        first = start_in_process(app)
        second = start_in_process(app)
        try:
            assert first.running
            assert not second.running
        finally:
            first.shutdown()
        third = start_in_process(app)  # the lock was released with the first
        assert third.running
        third.shutdown()
    finally:
        app.config["RISKCTL"] = settings


def test_jobs_have_explicit_ids_and_never_overlap(app):
    scheduler = build_scheduler(app)
    scheduler.start(paused=True)  # job defaults are applied once the scheduler starts
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {spec.id for spec in JOBS}
        for job in jobs.values():
            assert job.max_instances == 1
            assert job.coalesce is True
    finally:
        scheduler.shutdown(wait=False)


def test_the_token_purge_job_deletes_only_long_expired_tokens(session, person):
    from datetime import timedelta

    import sqlalchemy as sa

    from riskctl.auth.models import ApiToken
    from riskctl.auth.services import issue_token, purge_expired_tokens
    from riskctl.core.clock import utcnow

    _, old = issue_token(session, person("czj.wangfang"), ttl=timedelta(hours=1))
    _, fresh = issue_token(session, person("czj.wangfang"), ttl=timedelta(hours=1))
    old.expires_at = utcnow() - timedelta(days=31)
    session.flush()
    assert purge_expired_tokens(session) == 1
    remaining = set(session.scalars(sa.select(ApiToken.id)).all())
    assert fresh.id in remaining and old.id not in remaining


def test_the_risk_jobs_are_scheduled_with_their_ids():
    ids = {spec.id for spec in JOBS}
    assert {"risk.scan", "risk.escalate", "risk.snapshot"} <= ids
    (scan,) = [spec for spec in JOBS if spec.id == "risk.scan"]
    assert scan.trigger_args == {"minutes": 1}


def test_a_fenced_scheduler_runs_no_job(app):
    from riskctl.scheduler import JobSpec, _in_app_context

    ran = []
    spec = JobSpec("test.job", lambda: ran.append(1), "interval", {"seconds": 1})
    _in_app_context(app, spec, fence=lambda: False)()
    assert ran == []
    _in_app_context(app, spec, fence=lambda: True)()
    assert ran == [1]


def test_leadership_is_one_advisory_lock_checked_on_its_own_connection():
    """Two scheduler processes: one leads; when its database session is killed it sees
    the loss (fencing) and the standby takes over."""
    import sqlalchemy as sa

    from riskctl.scheduler.leader import Leadership
    from tests.conftest import PG_URL, need_service

    engine = sa.create_engine(PG_URL)
    try:
        with engine.connect() as probe:
            probe.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        need_service("PostgreSQL", str(exc).splitlines()[0])
    key = 0x7E57_0001  # this test's own lock, so that a running scheduler is not disturbed
    first, second = Leadership(engine, key), Leadership(engine, key)
    try:
        assert first.try_acquire() and first.holds()
        assert not second.try_acquire() and not second.holds()
        with engine.connect() as admin:
            admin.execute(sa.select(sa.func.pg_terminate_backend(first.backend_pid())))
            admin.commit()
        assert not first.holds()
        assert second.try_acquire() and second.holds()
    finally:
        first.release()
        second.release()
        engine.dispose()


def test_cli_scan_runs_one_scan(app, session):
    result = app.test_cli_runner().invoke(args=["riskctl", "scan", "--full"])
    assert result.exit_code == 0, result.output
    assert "全量扫描：" in result.output and "新预警" in result.output


def test_the_scheduler_process_stands_by_leads_and_exits_when_fenced(tmp_path):
    """Two `flask riskctl scheduler` processes: one leads, the other stands by; when the
    leader's lock connection is killed, it exits with status 3 and the standby leads."""
    import os
    import subprocess
    import sys
    import time

    import sqlalchemy as sa
    from flask_migrate import upgrade

    from riskctl.extensions import db
    from tests.conftest import fresh_database, make_app

    url, cleanup = fresh_database("postgresql", tmp_path)
    app = make_app(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    env = {**os.environ, "FLASK_APP": "wsgi", "RISKCTL_ENV": "testing",
           "RISKCTL_DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}  # fmt: skip
    command = [sys.executable, "-m", "flask", "riskctl", "scheduler",
               "--standby-interval", "0.2", "--watchdog-interval", "0.2"]  # fmt: skip

    def start(name):
        log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 (closed below)
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT), log

    def wait_for(path, text, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in path.read_text():
                return True
            time.sleep(0.1)
        return False

    first, first_log = start("first")
    second = second_log = None
    try:
        assert wait_for(tmp_path / "first.log", "已成为主调度进程"), (
            tmp_path / "first.log"
        ).read_text()
        second, second_log = start("second")
        assert wait_for(tmp_path / "second.log", "待命："), (tmp_path / "second.log").read_text()
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND granted AND objid = 1381188424 "
                # This test's database only: a scheduler leading another (a developer's,
                # a bench's) holds the same lock key there.
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ))  # fmt: skip
            conn.commit()
        engine.dispose()
        assert first.wait(timeout=30) == 3
        assert "已失去主调度地位" in (tmp_path / "first.log").read_text()
        assert wait_for(tmp_path / "second.log", "已成为主调度进程")
    finally:
        for proc, log in ((first, first_log), (second, second_log)):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=10)
            if log is not None:
                log.close()
        cleanup()
