"""``flask riskctl …``: serve, users, tokens, demo data, org import, audit verification,
processes and the working calendar."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import click
from flask import current_app
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.serving import run_simple

from riskctl.auth import services as auth
from riskctl.core import audit, calendar_store
from riskctl.core.access import SYSTEM_ADMIN, Role
from riskctl.core.commands import riskctl_group
from riskctl.core.errors import DomainError, flatten_messages
from riskctl.core.formatting import local_time
from riskctl.extensions import db
from riskctl.org import demo as demo_data
from riskctl.org import importer
from riskctl.org import services as org
from riskctl.org.schemas import PersonBootstrapIn
from riskctl.process import cli as process_cli
from riskctl.process import services as processes
from riskctl.process import upgrade
from riskctl.process.models import ProcessStatus

riskctl_cli = riskctl_group()


def _as_cli(command: str) -> None:
    audit.act_as(db.session, audit.AuditActor(None, "cli", f"cli {command}"))


def _fail(exc: DomainError) -> NoReturn:
    """A service's refusal, in the command's language (``--lang``), with its code."""
    db.session.rollback()
    lines = [_("%(message)s (code %(code)s)", message=exc.message, code=exc.code)]
    for d in exc.details:
        row = _("row %(row)s", row=d["row"]) if "row" in d else ""
        where = " ".join(p for p in (d.get("file", ""), row, d.get("path", "")) if p)
        lines.append(f"  - {where}: {d['message']}")
    raise click.ClickException("\n".join(lines))


@riskctl_cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve pages, API and Socket.IO (and the scheduler, in single-machine mode)."""
    from riskctl.scheduler import start_in_process

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    scheduler = None
    if app.config["RISKCTL"].SCHEDULER_IN_PROCESS:
        scheduler = start_in_process(app)
    running = scheduler is not None and scheduler.running
    click.echo(
        _("riskctl serving on %(url)s (scheduler: running)", url=f"http://{host}:{port}")
        if running
        else _(
            "riskctl serving on %(url)s (scheduler: not in this process)",
            url=f"http://{host}:{port}",
        )
    )
    try:
        # Not socketio.run(): under the `flask` command Flask ignores app.run().  With
        # async_mode="threading", Socket.IO is WSGI middleware on the app and werkzeug's
        # threaded server carries its websockets (simple-websocket).
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        if scheduler is not None:
            scheduler.shutdown()


@riskctl_cli.command("demo")
@click.option("--history/--no-history", default=True, show_default=True,
              help="also months of work in the pilot units, with planted problems, "
                   "and a month of their study")  # fmt: skip
def demo(history: bool) -> None:
    """Load the six pilot units, their posts and people (idempotent), a few months of
    their work (once), and scan it for risks."""
    from riskctl.assessment import demo as assessment_demo
    from riskctl.education import demo as study_demo
    from riskctl.files.services import store_of
    from riskctl.risk import services as risk
    from riskctl.workflow.history import load_history

    _as_cli("demo")
    try:
        result = demo_data.load_demo(db.session, SYSTEM_ADMIN)
    except DomainError as exc:
        _fail(exc)
        return
    db.session.commit()
    if history:
        from riskctl.supervision import demo as supervision_demo

        made = load_history(db.session)
        db.session.commit()
        # Talks and ledger findings, some of them late: before the scan that finds them.
        planted = supervision_demo.load_demo(db.session)
        db.session.commit()
        if planted.talks or planted.findings:
            click.echo(
                _(
                    "supervision: %(talks)d talks, %(findings)d ledger findings",
                    talks=planted.talks, findings=planted.findings,
                )
            )  # fmt: skip
        if assessment_demo.load(db.session):
            db.session.commit()
            click.echo(_("assessment: the seed's 2019 evaluation saved for 区财政局"))
        if made.items:
            click.echo(
                _(
                    "history: %(items)d items, %(steps)d steps, %(open)d open tasks",
                    items=made.items, steps=made.steps, open=made.open_tasks,
                )
            )  # fmt: skip
        # Study (廉政教育): a library, and a task a month old that some completed and
        # some are overdue on — a month of study, like the history's months of work.
        studied = study_demo.load_demo(db.session, store_of(current_app.config))
        db.session.commit()
        if not studied.skipped:
            click.echo(
                _(
                    "study: %(materials)d materials, %(questions)d questions, %(tasks)d "
                    "tasks, %(assigned)d assigned, %(completed)d completed",
                    materials=studied.materials, questions=studied.questions,
                    tasks=studied.tasks, assigned=studied.assignments,
                    completed=studied.completed,
                )
            )  # fmt: skip
        if made.items or planted.talks or planted.findings or not studied.skipped:
            scanned = risk.scan_now(db.session, SYSTEM_ADMIN, full=True)
            db.session.commit()
            click.echo(_("risk scan: %(raised)d warnings raised", raised=scanned.raised))
    summary = result.imported.summary
    parts = {"units": _("units"), "posts": _("posts"), "people": _("people")}
    click.echo(
        _("demo data: ")
        + _("; ").join(
            _(
                "%(part)s %(created)d created / %(updated)d updated / %(unchanged)d unchanged",
                part=parts.get(part, part), created=counts["created"],
                updated=counts["updated"], unchanged=counts["unchanged"],
            )
            for part, counts in summary.items()
        )
    )  # fmt: skip
    click.echo(_("processes: %(count)d published from templates", count=result.processes_published))
    click.echo(
        "\n" + _("Demo logins (password for all: %(password)s):", password=demo_data.DEMO_PASSWORD)
    )
    for username, who in demo_data.SHOWCASE:
        click.echo(f"  {username:<16} {who}")


@riskctl_cli.group("user")
def user() -> None:
    """People who log in."""


def _read_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise click.ClickException(_("no password on standard input"))
    return password


@user.command("create")
@click.argument("username")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="repeat for several roles",
)
@click.option("--unit", default=None, help="unit code (optional only for an admin)")
@click.option("--name", default=None, help="display name (default: the username)")
@click.option("--phone", default=None, help="mobile number, e.g. +8613800000000")
@click.option(
    "--password-stdin", is_flag=True, required=True, help="read the password from standard input"
)
def user_create(
    username: str,
    roles: tuple[str, ...],
    unit: str | None,
    name: str | None,
    phone: str | None,
    password_stdin: bool,
) -> None:
    """Create a person who can log in (bootstraps the first admin)."""
    _as_cli("user create")
    password = _read_password()
    raw: dict[str, Any] = {
        "username": username,
        "name": name or username,
        "unit": unit,
        "roles": list(roles),
        "password": password,
        "phone": phone,
    }
    try:
        data = PersonBootstrapIn().load(raw)
    except ValidationError as exc:
        raise click.ClickException(
            "; ".join(f"{d['path']}: {d['message']}" for d in flatten_messages(exc.messages))
        ) from exc
    try:
        person, _created = org.save_person(db.session, SYSTEM_ADMIN, data)
    except DomainError as exc:
        _fail(exc)
        return
    db.session.commit()
    click.echo(
        _("created %(username)s (%(roles)s)", username=person.username, roles=", ".join(roles))
    )


@user.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, required=True)
def user_set_password(username: str, password_stdin: bool) -> None:
    """Set a person's password (e.g. after an import); a change ends every browser
    session and revokes every API token of theirs."""
    _as_cli("user set-password")
    person = auth.find_person(db.session, username)
    if person is None:
        raise click.ClickException(_("no person '%(username)s'", username=username))
    try:
        auth.set_password(db.session, person, _read_password())
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(
        _(
            "password set for %(username)s; any session or API token of theirs is ended",
            username=username,
        )
    )


@user.command("unlock")
@click.argument("username")
def user_unlock(username: str) -> None:
    """Unlock USERNAME's sign-in after too many wrong passwords: every failed-login count
    of the username (the account's and each address's) starts from zero."""
    _as_cli("user unlock")
    try:
        auth.unlock_sign_in(db.session, SYSTEM_ADMIN, username)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(_("sign-in of %(username)s unlocked", username=username))


@riskctl_cli.group("token")
def token() -> None:
    """Bearer tokens for programs."""


@token.command("create")
@click.argument("username")
@click.option("--hours", default=24 * 30, show_default=True, type=click.IntRange(1, 24 * 365))
@click.option("--name", default="cli", show_default=True)
def token_create(username: str, hours: int, name: str) -> None:
    """Issue a token for USERNAME and print it (shown once)."""
    _as_cli("token create")
    person = auth.find_person(db.session, username)
    if person is None or not person.is_active:
        raise click.ClickException(_("no active person '%(username)s'", username=username))
    value, row = auth.issue_token(db.session, person, ttl=timedelta(hours=hours), name=name)
    db.session.commit()
    click.echo(value)
    click.echo(_("expires %(moment)s", moment=local_time(row.expires_at)), err=True)


@token.command("revoke")
@click.argument("username")
def token_revoke(username: str) -> None:
    """Revoke every token of USERNAME."""
    _as_cli("token revoke")
    try:
        count = auth.revoke_tokens_of(db.session, username)
    except DomainError as exc:
        _fail(exc)
        return
    db.session.commit()
    click.echo(_("revoked %(count)d token(s) of %(username)s", count=count, username=username))


@riskctl_cli.group("org")
def org_group() -> None:
    """Units, posts and people."""


@org_group.command("import")
@click.option("--units", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--posts", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--people", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--partial", is_flag=True, help="write the valid rows, report the bad ones")
def org_import(units: Path | None, posts: Path | None, people: Path | None, partial: bool) -> None:
    """Import CSV files (see riskctl/org/importer.py for the columns)."""
    _as_cli("org import")
    files = {
        name: path.read_bytes()
        for name, path in (("units", units), ("posts", posts), ("people", people))
        if path
    }
    try:
        result = importer.import_org(db.session, SYSTEM_ADMIN, files, partial=partial)
    except DomainError as exc:
        _fail(exc)
        return
    db.session.commit()
    click.echo(
        _(
            "created %(created)d, updated %(updated)d, rejected rows %(rejected)d",
            created=result.created, updated=result.updated,
            rejected=sum(c["rejected"] for c in result.summary.values()),
        )
    )  # fmt: skip
    for e in result.errors:
        row = _("row %(row)s", row=e["row"])
        click.echo(f"  - {e['file']} {row} {e['path']}: {e['message']}", err=True)


@riskctl_cli.group("audit")
def audit_group() -> None:
    """The hash-chained audit trail."""


@audit_group.command("seal")
def audit_seal() -> None:
    """Give every committed, unsealed record its place in the chain (the scheduler does
    this every few seconds)."""
    sealed = audit.seal_pending(db.session)
    db.session.commit()
    click.echo(_("sealed %(count)d record(s)", count=sealed))


@audit_group.command("verify")
@click.option("--no-seal", is_flag=True, help="only read: do not seal pending records first")
def audit_verify(no_seal: bool) -> None:
    """Check every record of the audit chain; exit 1 at the first broken one."""
    if not no_seal:
        audit.seal_pending(db.session)
        db.session.commit()
    report = audit.verify_chain(db.session)
    if report.ok:
        click.echo(
            _(
                "audit chain OK: %(count)d sealed records; head seq %(seq)s hash %(hash)s",
                count=report.count, seq=report.head_seq, hash=report.head_hash,
            )
            + (
                _("; %(pending)d waiting to be sealed (digests OK)", pending=report.pending)
                if report.pending
                else ""
            )
        )  # fmt: skip
        if report.local_time:
            click.echo(
                _(
                    "%(count)d record(s) of digest scheme 1 matched with their moment in "
                    "%(zone)s (written on a local clock: the same instant; "
                    "docs/decisions.md, Audit chain)",
                    count=report.local_time, zone=calendar_store.zone().key,
                )
            )  # fmt: skip
        click.echo(_("record the head outside the database to detect truncation later"))
        return
    brk = report.first_break
    assert brk is not None
    where = _("seq %(seq)s", seq=brk.seq) if brk.seq is not None else _("an unsealed record")
    click.echo(
        _(
            "audit chain BROKEN at %(where)s (row id %(row)s): %(reason)s",
            where=where, row=brk.row_id, reason=brk.reason,
        ),
        err=True,
    )  # fmt: skip
    sys.exit(1)


@riskctl_cli.group("process")
def process_group() -> None:
    """Process definitions: templates, adopting, drafts, validation, publishing."""


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    """``("a=b", …)`` → ``{"a": "b"}``; a clear error for anything else."""
    found: dict[str, str] = {}
    for value in values:
        left, sep, right = value.partition("=")
        if not sep or not left.strip() or not right.strip():
            raise click.BadParameter(
                _("%(value)s: write NAME=VALUE", value=repr(value)), param_hint=option
            )
        found[left.strip()] = right.strip()
    return found


# BPMN 2.0 out and in (issue 22): commands of the process package, on this group.
process_group.add_command(process_cli.export_command)
process_group.add_command(process_cli.import_command)


@process_group.command("templates")
def process_templates() -> None:
    """The templates shipped with riskctl."""
    for found in processes.templates():
        click.echo(f"{found.key:<24}{found.category:<14}{found.name}  {found.description}")


@process_group.command("adopt")
@click.argument("template")
@click.option("--unit", required=True, help="the adopting unit's code")
@click.option("--key", default=None, help="the unit's process key (default: the template's)")
@click.option("--name", default=None, help="the unit's process name (default: the template's)")
@click.option("--post", "posts", multiple=True, help="TEMPLATE_POST=UNIT_POST (repeatable)")
@click.option("--limit", "limits", multiple=True, help="NODE=LIMIT, e.g. review=3wd")
@click.option("--risk", "risks", multiple=True, help="NODE=1..5, or process=1..5")
@click.option("--draft", is_flag=True, help="save as a draft instead of publishing")
def process_adopt(
    template: str,
    unit: str,
    key: str | None,
    name: str | None,
    posts: tuple[str, ...],
    limits: tuple[str, ...],
    risks: tuple[str, ...],
    draft: bool,
) -> None:
    """A unit adopts TEMPLATE, with its own posts, time limits and risk values.  A
    second adoption of a template needs its own --key and --name."""
    _as_cli("process adopt")
    risk_values: dict[str, int] = {}
    for node, value in _pairs(risks, "--risk").items():
        if not value.isdigit():
            raise click.BadParameter(
                _("%(node)s=%(value)s: a risk value is 1 to 5", node=node, value=value),
                param_hint="--risk",
            )
        risk_values[node] = int(value)
    try:
        row = processes.adopt(
            db.session, SYSTEM_ADMIN, template, unit=unit, key=key, name=name,
            posts=_pairs(posts, "--post"), limits=_pairs(limits, "--limit"),
            risks=risk_values, publish_now=not draft,
        )  # fmt: skip
    except DomainError as exc:
        _fail(exc)
        return
    db.session.commit()
    click.echo(
        _(
            "%(unit)s: %(key)s v%(version)d %(status)s (from template %(template)s)",
            unit=unit, key=row.key, version=row.version, status=process_cli.status_word(row.status),
            template=template,
        )
    )  # fmt: skip


@process_group.command("upgrade-templates")
@click.option("--unit", default=None, help="one unit's processes (default: every unit's)")
@click.option("--dry-run", is_flag=True, help="say what would be published; write nothing")
def process_upgrade_templates(unit: str | None, dry_run: bool) -> None:
    """Publish a new version of each adopted process whose template changed.

    The unit's own changes (key, posts, limits, risk values) are kept; the old version is
    retired and items running on it keep it.  Recorded in the audit chain as the system."""
    source = "cli process upgrade-templates"
    audit.act_as(db.session, audit.AuditActor(None, "system", source))
    try:
        found = upgrade.upgrade_adopted(
            db.session, SYSTEM_ADMIN, unit=unit, dry_run=dry_run, source=source
        )
    except DomainError as exc:
        _fail(exc)
        return
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    for u in found:
        outcome = {"upgraded": _("upgraded"), "current": _("current"), "skipped": _("skipped")}
        line = _(
            "%(unit)s: %(key)s v%(version)d (template %(template)s) %(outcome)s",
            unit=u.unit, key=u.key, version=u.version, template=u.template,
            outcome=outcome[u.outcome],
        )  # fmt: skip
        if u.new_version is not None:
            line += f" → v{u.new_version}" + (_(" (dry run)") if dry_run else "")
        click.echo(line + (f": {u.reason}" if u.reason else ""))
    done = sum(u.outcome == "upgraded" for u in found)
    skipped = sum(u.outcome == "skipped" for u in found)
    click.echo(
        _("%(done)d process(es) to upgrade, %(skipped)d skipped", done=done, skipped=skipped)
        if dry_run
        else _("%(done)d process(es) upgraded, %(skipped)d skipped", done=done, skipped=skipped)
    )


@process_group.command("list")
@click.option("--unit", default=None, help="one unit's processes (default: every unit's)")
@click.option(
    "--status",
    type=click.Choice([s.value for s in ProcessStatus] + ["all"]),
    default="published",
    show_default=True,
)
def process_list(unit: str | None, status: str) -> None:
    """Process versions by unit."""
    try:
        page = processes.list_definitions(
            db.session, SYSTEM_ADMIN, unit=unit, status=None if status == "all" else status,
            limit=10_000,
        )  # fmt: skip
    except DomainError as exc:
        _fail(exc)
        return
    for row in page.items:
        click.echo(
            f"{row.unit.code:<6}{row.key:<24}v{row.version:<4}{process_cli.status_word(row.status):<10}{row.name}"
        )
    click.echo(_("%(count)d version(s)", count=page.total))


def _read_definition(path: Path) -> tuple[Any, str]:
    text = path.read_text(encoding="utf-8")
    try:
        return processes.read_text(text), text
    except DomainError as exc:
        _fail(exc)


@process_group.command("validate")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--unit", required=True, help="check posts against this unit")
def process_validate(path: Path, unit: str) -> None:
    """Check a YAML/JSON definition; print every problem with its path (exit 1 if any)."""
    raw, _text = _read_definition(path)
    try:
        result = processes.validate_only(db.session, SYSTEM_ADMIN, raw, unit=unit)
    except DomainError as exc:
        _fail(exc)
        return
    if result.ok:
        click.echo(_("%(path)s: valid", path=path))
        return
    for problem in result.problems:
        click.echo(f"  - {problem.path}: {problem.message}", err=True)
    raise click.ClickException(
        _("%(path)s: %(count)d problem(s)", path=path, count=len(result.problems))
    )


@process_group.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--unit", required=True)
@click.option("--publish", "publish_now", is_flag=True, help="publish it at once")
def process_load(path: Path, unit: str, publish_now: bool) -> None:
    """Save a definition file as the unit's draft (and publish it with --publish)."""
    _as_cli("process load")
    raw, text = _read_definition(path)
    try:
        row = processes.save_draft(db.session, SYSTEM_ADMIN, raw, unit=unit, source=text)
        if publish_now:
            row = processes.publish(db.session, SYSTEM_ADMIN, row.key, unit=unit)
    except DomainError as exc:
        _fail(exc)
        return
    db.session.commit()
    click.echo(f"{unit}: {row.key} v{row.version} {process_cli.status_word(row.status)}")


@process_group.command("publish")
@click.argument("key")
@click.option("--unit", required=True)
def process_publish(key: str, unit: str) -> None:
    """Publish the unit's latest draft of KEY (running items keep their version)."""
    _as_cli("process publish")
    try:
        row = processes.publish(db.session, SYSTEM_ADMIN, key, unit=unit)
    except DomainError as exc:
        _fail(exc)
        return
    db.session.commit()
    click.echo(
        f"{unit}: {row.key} v{row.version} {process_cli.status_word(ProcessStatus.PUBLISHED)}"
    )


@riskctl_cli.group("calendar")
def calendar_group() -> None:
    """The working-day calendar: overrides that win over the holidays package."""


@calendar_group.command("override")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--working/--off", required=True, help="a working day, or a day off")
@click.option("--reason", required=True, help="e.g. 国务院办公厅关于2027年部分节假日安排的通知")
def calendar_override(day: datetime, working: bool, reason: str) -> None:
    """Declare DAY (YYYY-MM-DD) a working day or a day off."""
    _as_cli("calendar override")
    try:
        calendar_store.set_override(
            db.session, SYSTEM_ADMIN, day.date(), is_working=working, reason=reason
        )
    except DomainError as exc:
        _fail(exc)
        return
    db.session.commit()
    kind = _("working day") if working else _("day off")
    click.echo(f"{day.date().isoformat()}: {kind} ({reason})")


@calendar_group.command("remove")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
def calendar_remove(day: datetime) -> None:
    """Remove DAY's override: the holidays package decides again."""
    _as_cli("calendar remove")
    try:
        calendar_store.remove_override(db.session, SYSTEM_ADMIN, day.date())
    except DomainError as exc:
        _fail(exc)
        return
    db.session.commit()
    click.echo(_("%(day)s: override removed", day=day.date().isoformat()))


@calendar_group.command("list")
def calendar_list() -> None:
    """Every override, by date."""
    for row in calendar_store.list_overrides(db.session):
        kind = _("working day") if row.is_working else _("day off")
        click.echo(f"{row.day.isoformat()}  {kind:<12}{row.reason}")


@riskctl_cli.command("scan")
@click.option("--full", is_flag=True, help="judge everything, not only what changed")
def scan(full: bool) -> None:
    """Run one risk scan now (the scheduler runs one every minute)."""
    from riskctl.risk import services as risk

    _as_cli("scan")
    try:
        result = risk.scan_now(db.session, SYSTEM_ADMIN, full=full)
    except DomainError as exc:
        _fail(exc)
        return
    db.session.commit()
    click.echo(
        _(
            "%(mode)s scan at %(at)s: %(scanned)d signals, %(raised)d raised, %(updated)d "
            "updated, %(closed)d closed, %(hints)d under the lowest threshold",
            mode=_("full") if result.mode == "full" else _("incremental"),
            at=local_time(result.at, "%Y-%m-%d %H:%M:%S"),
            scanned=result.scanned, raised=result.raised, updated=result.updated,
            closed=result.closed, hints=result.hints,
        )
    )  # fmt: skip


@riskctl_cli.command("dispatch")
@click.option("--once", is_flag=True, help="one round, then exit")
@click.option("--interval", default=5.0, show_default=True, help="seconds between rounds")
def dispatch(once: bool, interval: float) -> None:
    """Send the SMS due in the outbox (the scheduler's `alerts.dispatch` job does this
    every few seconds; this command is for operators and for crash tests)."""
    import time
    from datetime import timedelta

    from riskctl.alerts import dispatch as dispatcher
    from riskctl.alerts import sms
    from riskctl.risk import services as risk

    settings = current_app.config["RISKCTL"]
    backend = sms.backend_from(settings)
    stale = timedelta(seconds=settings.SMS_STALE_ATTEMPT_SECONDS)
    while True:
        _as_cli("dispatch")
        result = dispatcher.dispatch_sms(
            db.session,
            backend,
            risk.current_policy(db.session),
            stale_after=stale,
            parallel=settings.SMS_PARALLEL,
        )
        db.session.commit()
        click.echo(" ".join(f"{k}={v}" for k, v in result.as_dict().items() if v))
        if once:
            return
        time.sleep(interval)


@riskctl_cli.command("screen-token")
@click.argument("name")
def screen_token(name: str) -> None:
    """Create a big screen's kiosk token; open /screen?token=… on the screen."""
    from riskctl.alerts import services as alerts

    _as_cli("screen-token")
    try:
        token, kiosk = alerts.create_kiosk(db.session, SYSTEM_ADMIN, name)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(
        _("screen %(id)d (%(name)s): %(path)s", id=kiosk.id, name=kiosk.name,
          path=f"/screen?token={token}")
    )  # fmt: skip


@riskctl_cli.command("fake-twilio")
@click.option("--port", default=8099, show_default=True, type=int)
def fake_twilio(port: int) -> None:
    """A local imitation of Twilio's Messages API for demonstrations (never production):
    run riskctl with RISKCTL_SMS_BACKEND=twilio, RISKCTL_TWILIO_BASE_URL=http://127.0.0.1:PORT
    and the account SID and auth token this prints."""
    import time

    from riskctl.alerts.fake_twilio import FakeTwilio

    fake = FakeTwilio(port=port).start()
    click.echo(
        f"fake Twilio on {fake.url}: RISKCTL_TWILIO_ACCOUNT_SID={fake.account_sid} "
        f"RISKCTL_TWILIO_AUTH_TOKEN={fake.auth_token}"
    )
    seen = 0
    try:
        while True:
            time.sleep(0.5)
            for message in fake.messages[seen:]:
                click.echo(f"SMS {message['sid']} to {message['to']}: {message['body']}")
            seen = len(fake.messages)
    except KeyboardInterrupt:
        fake.stop()


@riskctl_cli.command("risk-value")
@click.argument("risk", type=click.IntRange(1, 5))
@click.option("--unit", required=True, help="unit code")
@click.option("--process", default=None, help="process key (with --node: one of its nodes)")
@click.option("--node", default=None, help="task node key of --process")
@click.option("--post", default=None, help="post code")
@click.option("--person", default=None, help="username")
def risk_value(
    risk: int, unit: str, process: str | None, node: str | None, post: str | None,
    person: str | None,
) -> None:  # fmt: skip
    """Set a risk value (风险值, 1–5) on a process, node, post or person of a unit."""
    from riskctl.risk import services as risk_services

    chosen = [name for name, value in (("post", post), ("person", person)) if value]
    if node:
        chosen.append("node")
    elif process:
        chosen.append("process")
    if len(chosen) != 1:
        raise click.UsageError(_("give exactly one of --process [--node], --post, --person"))
    _as_cli("risk-value")
    try:
        set_ = risk_services.set_risk_value(
            db.session, SYSTEM_ADMIN, unit=unit, target=chosen[0], risk=risk,
            process=process, node=node, post=post, person=person,
        )  # fmt: skip
    except DomainError as exc:
        _fail(exc)
        return
    db.session.commit()
    what = {"process": process, "node": f"{process}/{node}", "post": post, "person": person}
    target = {"process": _("process"), "node": _("node"), "post": _("post"),
              "person": _("person")}[chosen[0]]  # fmt: skip
    click.echo(
        _("%(unit)s: %(target)s %(what)s risk value %(risk)d", unit=set_["unit"],
          target=target, what=what[chosen[0]], risk=risk)
    )  # fmt: skip
