"""item attachments: attachment

Files of evidence (procurement files, contracts, acceptance reports, minutes) on an item,
or on one of its tasks or steps.  The files live outside the database, named by their
SHA-256 (RISKCTL_UPLOAD_DIR); a row keeps the sanitised name, the type judged by the
content, the size and the SHA-256, and is audited.  Rows are never deleted: a wrong file
is withdrawn with a reason.  A new table only: no existing row changes, so the upgrade
writes no audit record.

Revision ID: b17e0a1c2d06
Revises: b17e0a1c2d05
Create Date: 2026-12-02 02:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b17e0a1c2d06'
down_revision = 'b17e0a1c2d05'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('step_id', sa.Integer(), nullable=True),
    sa.Column('node', sa.String(length=40), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('is_withdrawn', sa.Boolean(), nullable=False),
    sa.Column('withdrawn_reason', sa.String(length=500), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_attachment_item_id_item')),
    sa.ForeignKeyConstraint(['step_id'], ['step.id'], name=op.f('fk_attachment_step_id_step')),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_attachment_task_id_task')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_attachment_unit_id_unit')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['person.id'], name=op.f('fk_attachment_uploaded_by_id_person')),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['person.id'], name=op.f('fk_attachment_withdrawn_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_sha256'), ['sha256'], unique=False)


def downgrade():
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_sha256'))
        batch_op.drop_index(batch_op.f('ix_attachment_item_id'))

    op.drop_table('attachment')
