"""The ``flask riskctl`` command group as every process builds it: its ``--lang`` and its
answer to a busy database.  Apart from riskctl.cli (the administration commands, with
everything they import) so that the scheduler process can have its one command without
them (riskctl.scheduler.cli)."""

from __future__ import annotations

from typing import Any

import click
import flask_babel
import sqlalchemy as sa
from flask.cli import AppGroup
from flask_babel import gettext as _

from riskctl.core.db import is_busy
from riskctl.core.locale import LANGUAGES, OUTSIDE_REQUEST


class _Commands(AppGroup):
    """Every command: a busy database (another process holds SQLite's write lock longer
    than the busy timeout) is a short message and exit status 75, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except sa.exc.OperationalError as exc:
            if not is_busy(exc):
                raise
            # The command's app context has ended with it: its session is rolled back.
            raise _Busy() from None


class _Busy(click.ClickException):
    exit_code = 75  # EX_TEMPFAIL: try again later

    def __init__(self) -> None:
        super().__init__(
            _(
                "the database is busy with other work (an import or a scan holds it); "
                "nothing was changed — try again in a few seconds"
            )
        )


def _speak(ctx: click.Context, _param: click.Parameter, lang: str) -> str:
    """The language of every message the command prints (a service's refusal, a bad
    row): Chinese by default, for the administrators riskctl serves; ``--lang en`` for
    English.  Set for the command's run only."""
    token = OUTSIDE_REQUEST.set(lang)
    flask_babel.refresh()  # an app context already open (tests) chose its language

    def restore() -> None:
        OUTSIDE_REQUEST.reset(token)
        flask_babel.refresh()

    ctx.call_on_close(restore)
    return lang


def riskctl_group() -> AppGroup:
    """A new ``riskctl`` group, without commands yet."""
    return _Commands(
        "riskctl",
        help="riskctl 廉政风险防控平台 administration.",
        params=[
            click.Option(
                ["--lang"], type=click.Choice(sorted(LANGUAGES)), default="zh_CN",
                show_default=True, expose_value=False, is_eager=True, callback=_speak,
                help="the language of the messages printed",
            ),
        ],
    )  # fmt: skip
