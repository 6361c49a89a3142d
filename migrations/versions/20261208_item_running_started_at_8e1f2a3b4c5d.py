"""the running items by age: a partial index on item.started_at where the item has not
ended (status running or frozen)

The item-overdue rule reads the running items started long enough ago to be late.  A
year's items are mostly ended; through ``ix_item_started_at`` the read passed them all,
and through ``ix_item_definition_id`` it fetched every item of every process.  The index
holds only the running ones, so the read is a range over them.  It changes when an item
starts or ends (its status), not at each step.

Revision ID: 8e1f2a3b4c5d
Revises: 7df3dc2e5182
Create Date: 2026-12-08 01:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8e1f2a3b4c5d'
down_revision = '7df3dc2e5182'
branch_labels = None
depends_on = None

RUNNING_ITEMS = "status IN ('running', 'frozen')"


def upgrade():
    op.create_index(
        'ix_item_running_started_at', 'item', ['started_at'],
        sqlite_where=sa.text(RUNNING_ITEMS), postgresql_where=sa.text(RUNNING_ITEMS),
    )


def downgrade():
    op.drop_index('ix_item_running_started_at', table_name='item')
