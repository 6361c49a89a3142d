"""talks and the supervision ledger: talk_plan, talk, talk_subject, finding,
finding_update, supervision_file; post.is_leading; notification kind "reminder"

谈话 (collective, pre-appointment, reminder, inquiry, admonishment) with their subjects'
confirmations, annual plans of collective talks, the supervision ledger's findings with
their history, and the stored files (a talk record's scan, evidence of progress) named
by SHA-256.  A post may be marked leading (领导职务): whoever starts holding it has a
pre-appointment talk planned.  Existing posts are not leading (an administrator marks
them).  In-app reminders before a due day are notifications of the new kind "reminder".
New tables and a column with a schema default: no existing row is changed by a person,
so the upgrade writes no audit record.

Revision ID: c88c3132e5aa
Revises: d1e2f3a4b5c6
Create Date: 2026-12-07 17:34:29

"""
from alembic import op
import sqlalchemy as sa

NOTIFICATION_KINDS = ('raised', 'escalated', 'repeat', 'resolved', 'summary', 'digest', 'watch')


def _notification_kinds(kinds):
    """The CHECK of notification.kind (a value_enum) allowing ``kinds``."""
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint('notification_kind', type_='check')  # ck_notification_notification_kind
        batch_op.create_check_constraint(
            'notification_kind', sa.column('kind').in_(kinds))


# revision identifiers, used by Alembic.
revision = 'c88c3132e5aa'
down_revision = 'd1e2f3a4b5c6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('talk_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.SmallInteger(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_talk_plan_created_by_id_person')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_talk_plan_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_talk_plan')),
    sa.UniqueConstraint('unit_id', 'year', name=op.f('uq_talk_plan_unit_id_year'))
    )
    op.create_table('finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Enum('patrol', 'inspection', 'audit', 'special_check', 'risk_warning', name='finding_source', native_enum=False, create_constraint=True, length=21), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('measures', sa.Text(), nullable=False),
    sa.Column('responsible_id', sa.Integer(), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('rectifying', 'submitted', 'verified', name='finding_status', native_enum=False, create_constraint=True, length=18), nullable=False),
    sa.Column('risk_event_id', sa.Integer(), nullable=True),
    sa.Column('disposition', sa.String(length=40), nullable=True),
    sa.Column('disposed_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('returns', sa.SmallInteger(), nullable=False),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_finding_created_by_id_person')),
    sa.ForeignKeyConstraint(['disposed_by_id'], ['person.id'], name=op.f('fk_finding_disposed_by_id_person')),
    sa.ForeignKeyConstraint(['responsible_id'], ['person.id'], name=op.f('fk_finding_responsible_id_person')),
    sa.ForeignKeyConstraint(['risk_event_id'], ['risk_event.id'], name=op.f('fk_finding_risk_event_id_risk_event')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_finding_unit_id_unit')),
    sa.ForeignKeyConstraint(['verified_by_id'], ['person.id'], name=op.f('fk_finding_verified_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finding'))
    )
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finding_responsible_id'), ['responsible_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_risk_event_id'), ['risk_event_id'], unique=False)
        batch_op.create_index('ix_finding_status_deadline', ['status', 'deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_unit_id'), ['unit_id'], unique=False)

    op.create_table('talk',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('collective', 'pre_appointment', 'reminder_talk', 'letter_inquiry', 'admonishment', name='talk_kind', native_enum=False, create_constraint=True, length=23), nullable=False),
    sa.Column('status', sa.Enum('planned', 'held', 'cancelled', name='talk_status', native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('talker_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=True),
    sa.Column('topic', sa.String(length=500), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('risk_event_id', sa.Integer(), nullable=True),
    sa.Column('disposition', sa.String(length=40), nullable=True),
    sa.Column('disposed_by_id', sa.Integer(), nullable=True),
    sa.Column('held_on', sa.Date(), nullable=True),
    sa.Column('record', sa.Text(), nullable=True),
    sa.Column('follow_up_on', sa.Date(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.String(length=500), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_talk_created_by_id_person')),
    sa.ForeignKeyConstraint(['disposed_by_id'], ['person.id'], name=op.f('fk_talk_disposed_by_id_person')),
    sa.ForeignKeyConstraint(['plan_id'], ['talk_plan.id'], name=op.f('fk_talk_plan_id_talk_plan')),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_talk_post_id_post')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['person.id'], name=op.f('fk_talk_recorded_by_id_person')),
    sa.ForeignKeyConstraint(['risk_event_id'], ['risk_event.id'], name=op.f('fk_talk_risk_event_id_risk_event')),
    sa.ForeignKeyConstraint(['talker_id'], ['person.id'], name=op.f('fk_talk_talker_id_person')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_talk_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_talk'))
    )
    with op.batch_alter_table('talk', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_talk_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_talk_risk_event_id'), ['risk_event_id'], unique=False)
        batch_op.create_index('ix_talk_status_due_on', ['status', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_talk_talker_id'), ['talker_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_talk_unit_id'), ['unit_id'], unique=False)

    op.create_table('finding_update',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('progress', 'submitted', 'returned', 'verified', name='finding_update_kind', native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['person.id'], name=op.f('fk_finding_update_author_id_person')),
    sa.ForeignKeyConstraint(['finding_id'], ['finding.id'], name=op.f('fk_finding_update_finding_id_finding')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finding_update'))
    )
    with op.batch_alter_table('finding_update', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finding_update_finding_id'), ['finding_id'], unique=False)

    op.create_table('talk_subject',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('talk_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_talk_subject_person_id_person')),
    sa.ForeignKeyConstraint(['talk_id'], ['talk.id'], name=op.f('fk_talk_subject_talk_id_talk'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_talk_subject')),
    sa.UniqueConstraint('talk_id', 'person_id', name=op.f('uq_talk_subject_talk_id_person_id'))
    )
    with op.batch_alter_table('talk_subject', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_talk_subject_person_id'), ['person_id'], unique=False)

    op.create_table('supervision_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('talk_id', sa.Integer(), nullable=True),
    sa.Column('finding_id', sa.Integer(), nullable=True),
    sa.Column('update_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(talk_id IS NULL) <> (finding_id IS NULL)', name=op.f('ck_supervision_file_one_owner')),
    sa.ForeignKeyConstraint(['finding_id'], ['finding.id'], name=op.f('fk_supervision_file_finding_id_finding')),
    sa.ForeignKeyConstraint(['talk_id'], ['talk.id'], name=op.f('fk_supervision_file_talk_id_talk')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_supervision_file_unit_id_unit')),
    sa.ForeignKeyConstraint(['update_id'], ['finding_update.id'], name=op.f('fk_supervision_file_update_id_finding_update')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['person.id'], name=op.f('fk_supervision_file_uploaded_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_file'))
    )
    with op.batch_alter_table('supervision_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_file_finding_id'), ['finding_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_file_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_file_talk_id'), ['talk_id'], unique=False)

    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_leading', sa.Boolean(), server_default=sa.false(), nullable=False))

    _notification_kinds(NOTIFICATION_KINDS + ('reminder',))


def downgrade():
    # Reminders mean nothing to the older schema, whose CHECK would refuse them.
    op.execute("DELETE FROM notification WHERE kind = 'reminder'")
    _notification_kinds(NOTIFICATION_KINDS)
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.drop_column('is_leading')

    with op.batch_alter_table('supervision_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_file_talk_id'))
        batch_op.drop_index(batch_op.f('ix_supervision_file_sha256'))
        batch_op.drop_index(batch_op.f('ix_supervision_file_finding_id'))

    op.drop_table('supervision_file')
    with op.batch_alter_table('talk_subject', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_talk_subject_person_id'))

    op.drop_table('talk_subject')
    with op.batch_alter_table('finding_update', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finding_update_finding_id'))

    op.drop_table('finding_update')
    with op.batch_alter_table('talk', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_talk_unit_id'))
        batch_op.drop_index(batch_op.f('ix_talk_talker_id'))
        batch_op.drop_index('ix_talk_status_due_on')
        batch_op.drop_index(batch_op.f('ix_talk_risk_event_id'))
        batch_op.drop_index(batch_op.f('ix_talk_plan_id'))

    op.drop_table('talk')
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finding_unit_id'))
        batch_op.drop_index('ix_finding_status_deadline')
        batch_op.drop_index(batch_op.f('ix_finding_risk_event_id'))
        batch_op.drop_index(batch_op.f('ix_finding_responsible_id'))

    op.drop_table('finding')
    op.drop_table('talk_plan')
