"""``flask riskctl assessment …``: check a framework file before shipping it, and build a
report for a period by hand (what the scheduler does each month)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _

from riskctl.assessment import reports, spec
from riskctl.core import audit
from riskctl.core.access import SYSTEM_ADMIN
from riskctl.core.inputs import InputProblem, day
from riskctl.extensions import db

assessment_cli = AppGroup("assessment", help="分析评估: frameworks and monthly reports.")


@assessment_cli.command("validate")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate(path: Path) -> None:
    """Read a framework file and list every problem with its path; exit 1 if any."""
    framework, problems, _raw = spec.read_file(path)
    if framework is not None:
        click.echo(
            _(
                "%(file)s: %(name)s version %(version)s, %(count)d indicators, %(max)s points: OK",
                file=path.name, name=framework.name, version=framework.version,
                count=len(framework.indicators), max=framework.max,
            )
        )  # fmt: skip
        return
    for problem in problems:
        click.echo(f"{path.name}: {problem.path or _('(document)')}: {problem.message}", err=True)
    sys.exit(1)


@assessment_cli.command("report")
@click.option("--from", "first", required=True, help="first day, YYYY-MM-DD")
@click.option("--to", "last", required=True, help="last day, YYYY-MM-DD")
def report(first: str, last: str) -> None:
    """Build a report of all units for a period now (PDF and XLSX in the file store)."""
    try:
        start, end = day(first), day(last)
    except InputProblem as exc:
        raise click.BadParameter(exc.message) from None
    audit.act_as(db.session, audit.AuditActor(None, "cli", "cli assessment report"))
    row = reports.build_on_demand(
        db.session, SYSTEM_ADMIN, reports.store_of(current_app.config), start, end
    )
    db.session.commit()
    click.echo(
        _(
            "report %(id)d: %(title)s; PDF %(pages)d pages sha256 %(pdf)s; XLSX sha256 "
            "%(xlsx)s; %(seconds)s s",
            id=row.id, title=row.title, pages=row.pdf_pages, pdf=row.pdf_sha256,
            xlsx=row.xlsx_sha256, seconds=f"{row.build_seconds:.1f}",
        )
    )  # fmt: skip
