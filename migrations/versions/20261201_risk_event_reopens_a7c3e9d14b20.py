"""risk_event.reopens_id and reopen_reason; an index on every event's identity

A situation that a person resolved or dismissed is no longer raised again by the next
scan unless its facts changed materially; then the new event points at the closed one
and says what changed.  Existing events are left as they are (both columns NULL: no
event raised before this revision claims to reopen another).

Revision ID: a7c3e9d14b20
Revises: 386d8545c243
Create Date: 2026-12-01 20:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9d14b20'
down_revision = '386d8545c243'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('risk_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reopens_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reopen_reason', sa.JSON(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_risk_event_reopens_id_risk_event'), 'risk_event', ['reopens_id'], ['id']
        )
        batch_op.create_index(batch_op.f('ix_risk_event_identity'), ['identity'], unique=False)


def downgrade():
    with op.batch_alter_table('risk_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_event_identity'))
        batch_op.drop_constraint(batch_op.f('fk_risk_event_reopens_id_risk_event'), type_='foreignkey')
        batch_op.drop_column('reopen_reason')
        batch_op.drop_column('reopens_id')
