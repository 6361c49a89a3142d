"""a process version keeps where its boxes are drawn (its layout), beside its definition

The process designer (issue 22) saves the positions of a draft's nodes and the bends of
its arrows.  They are presentation only: kept in a column of their own, never in
``body``, so the engine, the compiled cache and the comparison of definitions do not see
them.  Existing versions have none (drawn automatically); nobody's act, no audit record.

Revision ID: d5e6f7a8b9c0
Revises: c88c3132e5aa
Create Date: 2026-12-07 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5e6f7a8b9c0'
down_revision = 'c88c3132e5aa'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('layout', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.drop_column('layout')
