"""``flask riskctl process export|import-bpmn``: a version as a BPMN 2.0 file, and a BPMN
file as a unit's draft (registered on the ``process`` group by ``riskctl.cli``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask_babel import gettext as _

from riskctl.core import audit
from riskctl.core.access import SYSTEM_ADMIN
from riskctl.core.errors import DomainError
from riskctl.extensions import db
from riskctl.process import interchange
from riskctl.process.models import ProcessStatus


def status_word(status: ProcessStatus) -> str:
    """A version's status as the administrator reads it."""
    words: dict[ProcessStatus, str] = {
        ProcessStatus.DRAFT: _("draft"), ProcessStatus.PUBLISHED: _("published"),
        ProcessStatus.RETIRED: _("retired"),
    }  # fmt: skip
    return words[status]


def _fail(exc: DomainError) -> None:
    db.session.rollback()
    lines = [_("error: %(message)s", message=exc.message)] + [
        f"  - {d.get('element') or d.get('path') or ''}"
        f"{' (' + d['name'] + ')' if d.get('name') else ''}: {d['message']}"
        for d in exc.details
    ]
    raise click.ClickException("\n".join(lines))


@click.command("export")
@click.argument("key")
@click.option("--unit", required=True, help="the unit's code")
@click.option("--version", type=click.IntRange(min=1), default=None,
              help="a version (default: the published one, else the latest draft)")  # fmt: skip
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="write to this file (default: standard output)")  # fmt: skip
def export_command(key: str, unit: str, version: int | None, output: Path | None) -> None:
    """A unit's process KEY as BPMN 2.0 XML with its diagram."""
    try:
        row, text = interchange.export_version(db.session, SYSTEM_ADMIN, key, unit=unit,
                                               version=version)  # fmt: skip
    except DomainError as exc:
        _fail(exc)
        return
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(
            _("%(unit)s: %(key)s v%(version)d written to %(path)s", unit=unit, key=row.key,
              version=row.version, path=output)
        )  # fmt: skip


@click.command("import-bpmn")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--unit", required=True, help="the unit whose draft it becomes")
@click.option("--keep-problems", is_flag=True,
              help="save the draft even when the definition has problems (publishing still "
                   "refuses it until they are fixed)")  # fmt: skip
def import_command(path: Path, unit: str, keep_problems: bool) -> None:
    """Save the BPMN file PATH as the unit's draft of its process.  Elements riskctl
    cannot run are listed, each with what to do, and nothing is saved."""
    audit.act_as(db.session, audit.AuditActor(None, "cli", "cli process import-bpmn"))
    try:
        row, checked = interchange.save_bpmn(
            db.session, SYSTEM_ADMIN, path.read_bytes(), unit=unit, keep_problems=keep_problems,
            max_bytes=int(current_app.config["RISKCTL"].PROCESS_BPMN_MAX_BYTES),
        )  # fmt: skip
    except DomainError as exc:
        _fail(exc)
        return
    db.session.commit()
    for note in checked.notes:
        said = _("note")
        click.echo(f"  {said}: {note['element']} {note['name']}: {note['message']}".rstrip())
    for problem in checked.problems:
        word = _("problem")
        click.echo(f"  {word}: {problem['element']} {problem['path']}: {problem['message']}")
    said = _(" with %(count)d problem(s)", count=len(checked.problems)) if checked.problems else ""
    click.echo(f"{unit}: {row.key} v{row.version} {status_word(row.status)}{said}")
