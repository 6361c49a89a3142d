"""assessment: frameworks as used, evaluations, monthly reports; in-app notices

分析评估 (issue 21).  Three new tables: ``assessment_framework`` (a framework's version as
an evaluation used it, never changed), ``evaluation`` (one per unit, year and framework:
raw inputs, recorded scores and the computed result), ``assessment_report`` (the monthly
report's PDF and XLSX, kept in the file store under their SHA-256; a partial unique index
allows one monthly report per month and scope).  The notification kinds gain ``notice``
(another domain's news for a person: a report is ready), which widens the CHECK
constraint of ``notification.kind``.  New tables and a wider constraint: no existing row
changes, so the upgrade writes no audit record.  The downgrade drops the tables and
narrows the constraint again after deleting the notices (they cannot be kept).

Revision ID: d7a5e5e5a001
Revises: d5e6f7a8b9c0
Create Date: 2026-12-07 17:40:30

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7a5e5e5a001'
down_revision = 'd5e6f7a8b9c0'
branch_labels = None
depends_on = None

# As the supervision migration (c88c3132e5aa) left them.
_OLD_KINDS = ('raised', 'escalated', 'repeat', 'resolved', 'summary', 'digest', 'watch',
              'reminder')
_NEW_KINDS = _OLD_KINDS + ('notice',)


def _kind(values):
    return sa.Enum(*values, name='notification_kind', native_enum=False, create_constraint=True,
                   length=17)


def _notification_kinds(old, new):
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite cannot alter a constraint: the table is copied with the new one.
        with op.batch_alter_table('notification', recreate='always') as batch_op:
            batch_op.alter_column('kind', existing_type=_kind(old), type_=_kind(new),
                                  existing_nullable=False)
        return
    name = op.f('ck_notification_notification_kind')
    op.drop_constraint(name, 'notification', type_='check')
    listed = ', '.join(f"'{v}'" for v in new)
    op.create_check_constraint(name, 'notification', f'kind IN ({listed})')


def upgrade():
    op.create_table('assessment_framework',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('stored_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_framework')),
    sa.UniqueConstraint('key', 'version', name=op.f('uq_assessment_framework_key_version'))
    )
    op.create_table('assessment_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('monthly', 'on_demand', name='assessment_report_kind', native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('period_first', sa.Date(), nullable=False),
    sa.Column('period_last', sa.Date(), nullable=False),
    sa.Column('unit_ids', sa.JSON(), nullable=False),
    sa.Column('scope_key', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
    sa.Column('pdf_size', sa.Integer(), nullable=False),
    sa.Column('pdf_pages', sa.SmallInteger(), nullable=False),
    sa.Column('xlsx_sha256', sa.String(length=64), nullable=False),
    sa.Column('xlsx_size', sa.Integer(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('build_seconds', sa.Double(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_assessment_report_created_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_report'))
    )
    with op.batch_alter_table('assessment_report', schema=None) as batch_op:
        batch_op.create_index('uq_assessment_report_monthly', ['period_first', 'scope_key'], unique=True, sqlite_where=sa.text("kind = 'monthly'"), postgresql_where=sa.text("kind = 'monthly'"))

    op.create_table('evaluation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.SmallInteger(), nullable=False),
    sa.Column('framework_key', sa.String(length=40), nullable=False),
    sa.Column('framework_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'final', name='evaluation_status', native_enum=False, create_constraint=True, length=13), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('recorded', sa.JSON(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('total', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.Column('recorded_total', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.Column('grade', sa.String(length=20), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_evaluation_created_by_id_person')),
    sa.ForeignKeyConstraint(['framework_id'], ['assessment_framework.id'], name=op.f('fk_evaluation_framework_id_assessment_framework')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_evaluation_unit_id_unit')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['person.id'], name=op.f('fk_evaluation_updated_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation')),
    sa.UniqueConstraint('unit_id', 'framework_key', 'year', name=op.f('uq_evaluation_unit_id_framework_key_year'))
    )
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_unit_id'), ['unit_id'], unique=False)

    _notification_kinds(_OLD_KINDS, _NEW_KINDS)


def downgrade():
    op.execute("DELETE FROM notification WHERE kind = 'notice'")
    _notification_kinds(_NEW_KINDS, _OLD_KINDS)
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_unit_id'))

    op.drop_table('evaluation')
    with op.batch_alter_table('assessment_report', schema=None) as batch_op:
        batch_op.drop_index('uq_assessment_report_monthly', sqlite_where=sa.text("kind = 'monthly'"), postgresql_where=sa.text("kind = 'monthly'"))

    op.drop_table('assessment_report')
    op.drop_table('assessment_framework')
