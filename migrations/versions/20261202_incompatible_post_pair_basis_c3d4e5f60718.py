"""an incompatible post pair carries the text it rests on (its basis)

Administrators now add and change a unit's incompatible post pairs on the unit page,
with the law, standard or internal rule each rests on.  Existing pairs get an empty
basis (not given); nobody's act, so no audit record.

Revision ID: c3d4e5f60718
Revises: b17e0a1c2d06
Create Date: 2026-12-02 02:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3d4e5f60718'
down_revision = 'b17e0a1c2d06'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('post_incompatibility', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('basis', sa.String(length=500), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('post_incompatibility', schema=None) as batch_op:
        batch_op.drop_column('basis')
