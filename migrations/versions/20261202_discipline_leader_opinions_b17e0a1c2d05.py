"""the discipline team leader's opinions on a warning: risk_event_opinion

意见 of the unit's 纪检组长 on a warning of the unit (a red he may not close), for the
commission's inspectors; one row per opinion, never updated.  A new table only: no
existing row changes, so the upgrade writes no audit record.

Revision ID: b17e0a1c2d05
Revises: b17e0a1c2d03
Create Date: 2026-12-02 02:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b17e0a1c2d05'
down_revision = 'b17e0a1c2d03'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('risk_event_opinion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['person.id'], name=op.f('fk_risk_event_opinion_author_id_person')),
    sa.ForeignKeyConstraint(['event_id'], ['risk_event.id'], name=op.f('fk_risk_event_opinion_event_id_risk_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_event_opinion'))
    )
    with op.batch_alter_table('risk_event_opinion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_event_opinion_event_id'), ['event_id'], unique=False)


def downgrade():
    with op.batch_alter_table('risk_event_opinion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_event_opinion_event_id'))

    op.drop_table('risk_event_opinion')
