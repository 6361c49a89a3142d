"""templates carry internal-control pairs — a deliberate no-op; the carry-forward is a command

The templates shipped with riskctl now give every incompatible pair its ``basis`` and add
pairs and nodes (《行政事业单位内部控制规范（试行）》第十五条; docs/processes.md).  The
schema does not change: a pair's basis lives in the definition body (JSON), which already
holds any key the format allows.

What existing databases need is a new *published version* of each process a unit adopted
from a changed template, with the unit's own changes (posts, limits, risk values) kept and
the old version retired, not rewritten (published versions never change; running items
keep their version).  That needs the application's services, and a migration must not
call them: the definition has to be validated against the unit's posts, the version
published under the row lock of ``publish``, and each change appended to the audit chain,
whose digests the migration would otherwise have to compute by hand from code that keeps
evolving after this revision.  So this migration changes nothing, and the carry-forward
is the command, run after ``flask db upgrade``:

    flask riskctl process upgrade-templates --dry-run   # what would be published
    flask riskctl process upgrade-templates             # publish; audit actor "system"

Processes with a draft in progress, or whose changes cannot be carried, are listed and
left alone.  Downgrading has nothing to undo.  Note that older code refuses the
``basis`` key when it reads a definition: versions published by the command (or adopted
after this change) do not load on older code, so going back means restoring the database
taken before the upgrade, as for any data written meanwhile.

Revision ID: b17e0a1c2d02
Revises: b17e0a1c2d01
Create Date: 2026-12-02 01:15:00

"""


# revision identifiers, used by Alembic.
revision = 'b17e0a1c2d02'
down_revision = 'b17e0a1c2d01'
branch_labels = None
depends_on = None


def upgrade():
    # No schema or data change: see the docstring (flask riskctl process upgrade-templates).
    pass


def downgrade():
    # Nothing was changed by upgrade().
    pass
