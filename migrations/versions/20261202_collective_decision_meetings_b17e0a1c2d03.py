"""collective decisions as meetings: meeting and meeting_attendee

A meeting node of a process (三重一大 集体决策) is completed by recording the meeting: one
``meeting`` row per completed node (date, topics sent, the quorum rule, members expected
and present, votes for, the outcome, the minutes), and one ``meeting_attendee`` row per
member expected or observer (present, recused and why, the view in speaking order).
New tables only; no existing row changes, so the upgrade writes no audit record.

Revision ID: b17e0a1c2d03
Revises: b17e0a1c2d02
Create Date: 2026-12-02 01:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b17e0a1c2d03'
down_revision = 'b17e0a1c2d02'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=False),
    sa.Column('node', sa.String(length=40), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('topics_sent_on', sa.Date(), nullable=True),
    sa.Column('quorum', sa.Enum('half', 'two_thirds', name='meeting_quorum', native_enum=False, create_constraint=True, length=18), nullable=False),
    sa.Column('expected', sa.SmallInteger(), nullable=False),
    sa.Column('present', sa.SmallInteger(), nullable=False),
    sa.Column('taking_part', sa.SmallInteger(), nullable=False),
    sa.Column('votes_for', sa.SmallInteger(), nullable=False),
    sa.Column('outcome', sa.Enum('approved', 'not_approved', name='meeting_outcome', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('decision', sa.String(length=40), nullable=True),
    sa.Column('minutes', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_meeting_item_id_item')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['person.id'], name=op.f('fk_meeting_recorded_by_id_person')),
    sa.ForeignKeyConstraint(['step_id'], ['step.id'], name=op.f('fk_meeting_step_id_step')),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_meeting_task_id_task')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_meeting_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting')),
    sa.UniqueConstraint('step_id', name=op.f('uq_meeting_step_id')),
    sa.UniqueConstraint('task_id', name=op.f('uq_meeting_task_id'))
    )
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_unit_id'), ['unit_id'], unique=False)

    op.create_table('meeting_attendee',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('member', 'observer', name='attendee_role', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('post', sa.String(length=40), nullable=False),
    sa.Column('is_chair', sa.Boolean(), nullable=False),
    sa.Column('is_present', sa.Boolean(), nullable=False),
    sa.Column('is_recused', sa.Boolean(), nullable=False),
    sa.Column('recusal_reason', sa.String(length=200), nullable=True),
    sa.Column('speaking_order', sa.SmallInteger(), nullable=True),
    sa.Column('view', sa.Enum('agree', 'disagree', 'defer', name='member_view', native_enum=False, create_constraint=True, length=16), nullable=True),
    sa.Column('view_text', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_attendee_meeting_id_meeting'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_meeting_attendee_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_attendee')),
    sa.UniqueConstraint('meeting_id', 'person_id', name=op.f('uq_meeting_attendee_meeting_id_person_id')),
    sa.UniqueConstraint('meeting_id', 'speaking_order', name=op.f('uq_meeting_attendee_meeting_id_speaking_order'))
    )
    with op.batch_alter_table('meeting_attendee', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_attendee_person_id'), ['person_id'], unique=False)



def downgrade():
    with op.batch_alter_table('meeting_attendee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_attendee_person_id'))

    op.drop_table('meeting_attendee')
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_unit_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_item_id'))

    op.drop_table('meeting')
