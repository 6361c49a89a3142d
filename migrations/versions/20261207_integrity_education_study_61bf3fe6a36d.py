"""integrity education (廉政教育): materials, question banks, study tasks, assignments,
reading progress, quiz attempts; notifications of kind "study"

New tables only, and one more value of notification.kind (study assigned, due soon,
overdue).  Materials keep their files outside the database under their SHA-256 (like
attachments), the digest on the audit chain with the row.  No existing row changes, so the
upgrade writes no audit record.  The downgrade refuses while a study notification exists
(the old check constraint would not hold), then drops the tables.

Revision ID: 61bf3fe6a36d
Revises: d7a5e5e5a001
Create Date: 2026-12-07 17:38:07

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '61bf3fe6a36d'
down_revision = 'd7a5e5e5a001'
branch_labels = None
depends_on = None

# As the assessment migration (d7a5e5e5a001) left them.
OLD_KINDS = ('raised', 'escalated', 'repeat', 'resolved', 'summary', 'digest', 'watch',
             'reminder', 'notice')
NEW_KINDS = OLD_KINDS + ('study',)


def _notification_kinds(kinds):
    """The CHECK of notification.kind (a value_enum) allowing ``kinds``."""
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint('notification_kind', type_='check')  # ck_notification_notification_kind
        batch_op.create_check_constraint('notification_kind', sa.column('kind').in_(kinds))


def upgrade():
    op.create_table('question_bank',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_question_bank_created_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_bank')),
    sa.UniqueConstraint('name', name=op.f('uq_question_bank_name'))
    )
    op.create_table('study_material',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('pdf', 'video', 'article', name='study_material_kind', native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('category', sa.Enum('party_rules', 'warning_case', 'integrity_culture', name='study_material_category', native_enum=False, create_constraint=True, length=25), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('expected_minutes', sa.SmallInteger(), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=True),
    sa.Column('content_type', sa.String(length=100), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_study_material_created_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study_material'))
    )
    with op.batch_alter_table('study_material', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_study_material_sha256'), ['sha256'], unique=False)

    op.create_table('question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('single', 'multiple', 'true_false', name='question_kind', native_enum=False, create_constraint=True, length=18), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('answer', sa.JSON(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bank_id'], ['question_bank.id'], name=op.f('fk_question_bank_id_question_bank')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question'))
    )
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_bank_id'), ['bank_id'], unique=False)

    op.create_table('study_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', name='study_task_status', native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('follows', sa.JSON(), nullable=True),
    sa.Column('bank_id', sa.Integer(), nullable=True),
    sa.Column('quiz_questions', sa.SmallInteger(), nullable=False),
    sa.Column('pass_mark', sa.SmallInteger(), nullable=False),
    sa.Column('max_attempts', sa.SmallInteger(), nullable=False),
    sa.Column('is_sms_digest', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['bank_id'], ['question_bank.id'], name=op.f('fk_study_task_bank_id_question_bank')),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_study_task_created_by_id_person')),
    sa.ForeignKeyConstraint(['published_by_id'], ['person.id'], name=op.f('fk_study_task_published_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study_task'))
    )
    op.create_table('study_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('post', sa.String(length=40), nullable=True),
    sa.Column('source', sa.Enum('audience', 'joined', 'warning', name='study_assignment_source', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('risk_event_id', sa.Integer(), nullable=True),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('best_score', sa.SmallInteger(), nullable=True),
    sa.Column('passed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_study_assignment_person_id_person')),
    sa.ForeignKeyConstraint(['task_id'], ['study_task.id'], name=op.f('fk_study_assignment_task_id_study_task')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_study_assignment_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study_assignment')),
    sa.UniqueConstraint('task_id', 'person_id', name=op.f('uq_study_assignment_task_id_person_id'))
    )
    with op.batch_alter_table('study_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_study_assignment_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_study_assignment_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_study_assignment_task_id'), ['task_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_study_assignment_unit_id'), ['unit_id'], unique=False)

    op.create_table('study_task_material',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['material_id'], ['study_material.id'], name=op.f('fk_study_task_material_material_id_study_material')),
    sa.ForeignKeyConstraint(['task_id'], ['study_task.id'], name=op.f('fk_study_task_material_task_id_study_task'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study_task_material')),
    sa.UniqueConstraint('task_id', 'material_id', name=op.f('uq_study_task_material_task_id_material_id'))
    )
    with op.batch_alter_table('study_task_material', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_study_task_material_material_id'), ['material_id'], unique=False)

    op.create_table('study_task_unit',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['study_task.id'], name=op.f('fk_study_task_unit_task_id_study_task'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_study_task_unit_unit_id_unit')),
    sa.PrimaryKeyConstraint('task_id', 'unit_id', name=op.f('pk_study_task_unit'))
    )
    with op.batch_alter_table('study_task_unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_study_task_unit_unit_id'), ['unit_id'], unique=False)

    op.create_table('quiz_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.SmallInteger(), nullable=False),
    sa.Column('question_ids', sa.JSON(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('correct', sa.SmallInteger(), nullable=True),
    sa.Column('score', sa.SmallInteger(), nullable=True),
    sa.Column('is_passed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['study_assignment.id'], name=op.f('fk_quiz_attempt_assignment_id_study_assignment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_attempt')),
    sa.UniqueConstraint('assignment_id', 'number', name=op.f('uq_quiz_attempt_assignment_id_number'))
    )
    with op.batch_alter_table('quiz_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quiz_attempt_assignment_id'), ['assignment_id'], unique=False)

    op.create_table('study_reading_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Integer(), nullable=False),
    sa.Column('first_beat_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_beat_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assignment_id'], ['study_assignment.id'], name=op.f('fk_study_reading_progress_assignment_id_study_assignment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['material_id'], ['study_material.id'], name=op.f('fk_study_reading_progress_material_id_study_material')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study_reading_progress')),
    sa.UniqueConstraint('assignment_id', 'material_id', name=op.f('uq_study_reading_progress_assignment_id_material_id'))
    )

    _notification_kinds(NEW_KINDS)


def downgrade():
    held = op.get_bind().execute(
        sa.text("SELECT count(*) FROM notification WHERE kind = 'study'")
    ).scalar()
    if held:
        raise RuntimeError(f"{held} study notification(s): the old schema does not know them")
    _notification_kinds(OLD_KINDS)
    op.drop_table('study_reading_progress')
    with op.batch_alter_table('quiz_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quiz_attempt_assignment_id'))

    op.drop_table('quiz_attempt')
    with op.batch_alter_table('study_task_unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_study_task_unit_unit_id'))

    op.drop_table('study_task_unit')
    with op.batch_alter_table('study_task_material', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_study_task_material_material_id'))

    op.drop_table('study_task_material')
    with op.batch_alter_table('study_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_study_assignment_unit_id'))
        batch_op.drop_index(batch_op.f('ix_study_assignment_task_id'))
        batch_op.drop_index(batch_op.f('ix_study_assignment_person_id'))
        batch_op.drop_index(batch_op.f('ix_study_assignment_due_on'))

    op.drop_table('study_assignment')
    op.drop_table('study_task')
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_bank_id'))

    op.drop_table('question')
    with op.batch_alter_table('study_material', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_study_material_sha256'))

    op.drop_table('study_material')
    op.drop_table('question_bank')
