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
