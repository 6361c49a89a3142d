"""units carry their government level (中央/省/市/县/乡镇)

The procurement thresholds depend on it (政府采购法 第八条、第二十七条).  Every existing
unit becomes county level (区县: the pilot district's units), a township-kind unit
township level; an administrator corrects the others on the unit page.  The change is
a schema default, not an act of a person, so it writes no audit record.

Revision ID: b17e0a1c2d01
Revises: 5c1e7d2a9b34
Create Date: 2026-12-02 01:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b17e0a1c2d01'
down_revision = '5c1e7d2a9b34'
branch_labels = None
depends_on = None

LEVELS = ('central', 'provincial', 'city', 'county', 'township')


def upgrade():
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'level',
            sa.Enum(*LEVELS, name='unit_level', native_enum=False, create_constraint=True,
                    length=18),
            nullable=False, server_default='county'))
    op.execute("UPDATE unit SET level = 'township' WHERE kind = 'township'")


def downgrade():
    with op.batch_alter_table('unit', schema=None) as batch_op:
        # The enum's CHECK goes first: SQLite's table copy would keep it, naming a
        # column that is no longer there.
        batch_op.drop_constraint('unit_level', type_='check')  # ck_unit_unit_level
        batch_op.drop_column('level')
