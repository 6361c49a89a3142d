"""unit codes are unique ignoring case (unit.code_key: the code in lower case, unique)

The services already compare codes case-insensitively; the column lets the database
refuse the second of two units saved at the same moment as CZJ-01 and czj-01.  Existing
data cannot hold such a pair (every save checked it).  The model keeps the key (a
validator on ``code``); this fills it for existing units.

Revision ID: d1e2f3a4b5c6
Revises: c3d4e5f60718
Create Date: 2026-12-07 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd1e2f3a4b5c6'
down_revision = 'c3d4e5f60718'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code_key', sa.String(length=32), nullable=True))
    op.execute("UPDATE unit SET code_key = lower(code)")
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.alter_column('code_key', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_unit_code_key'), ['code_key'])


def downgrade():
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_unit_code_key'), type_='unique')
        batch_op.drop_column('code_key')
