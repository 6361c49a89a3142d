"""sign_in_session: browser sessions that end on the server (sign-out, a password
change, being disabled); sign_in_unlock: administrators' unlocks of the login throttle

Existing browser sessions (signed cookies without a server-side session) are signed out
by this release: their holders sign in again.

Revision ID: ec76b9af18c4
Revises: 0fd6533b001b
Create Date: 2026-12-01 20:10:14.878342

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ec76b9af18c4'
down_revision = '0fd6533b001b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_in_unlock',
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('unlocked_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('username', name=op.f('pk_sign_in_unlock'))
    )
    op.create_table('sign_in_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_sign_in_session_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_session')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_sign_in_session_key_hash'))
    )
    with op.batch_alter_table('sign_in_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_session_last_seen_at'), ['last_seen_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_session_person_id'), ['person_id'], unique=False)



def downgrade():
    with op.batch_alter_table('sign_in_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_session_person_id'))
        batch_op.drop_index(batch_op.f('ix_sign_in_session_last_seen_at'))

    op.drop_table('sign_in_session')
    op.drop_table('sign_in_unlock')
