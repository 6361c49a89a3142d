"""``flask riskctl scheduler``: the production scheduler process.

Built on the application without its pages (``create_app(role="scheduler")``, chosen by
wsgi.py from the command line): it imports what its jobs need and no more
(docs/benchmarks.md, "The scheduler process")."""

from __future__ import annotations

import sys
import time

import click
from flask import current_app
from flask_babel import gettext as _


@click.command("scheduler")
@click.option("--standby-interval", default=5.0, show_default=True, help="seconds between tries")
@click.option("--watchdog-interval", default=5.0, show_default=True, help="seconds between checks")
def scheduler(standby_interval: float, watchdog_interval: float) -> None:
    """The production scheduler process: waits as a standby until it holds the
    PostgreSQL advisory lock, runs the jobs while it does, exits (status 3) when it
    loses it — the supervisor starts it again as a standby."""
    from riskctl.extensions import db as database
    from riskctl.scheduler import build_scheduler
    from riskctl.scheduler.leader import Leadership

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    engine = database.engine
    if engine.dialect.name != "postgresql":
        raise click.ClickException(
            _(
                "the scheduler process needs PostgreSQL (its leadership is an advisory lock); "
                "with SQLite, `flask riskctl serve` runs the scheduler in-process"
            )
        )
    leader = Leadership(engine)
    while not leader.try_acquire():
        click.echo(
            _(
                "standby: another scheduler leads; trying again in %(seconds)ss",
                seconds=f"{standby_interval:g}",
            )
        )
        time.sleep(standby_interval)
    jobs = build_scheduler(app, fence=leader.holds)
    jobs.start()
    click.echo(_("leader: running jobs %(jobs)s", jobs=", ".join(j.id for j in jobs.get_jobs())))
    try:
        while leader.holds():
            time.sleep(watchdog_interval)
        click.echo(_("leadership lost: stopping"), err=True)
        jobs.shutdown(wait=False)
        sys.exit(3)
    except KeyboardInterrupt:
        jobs.shutdown(wait=True)
    finally:
        leader.release()
