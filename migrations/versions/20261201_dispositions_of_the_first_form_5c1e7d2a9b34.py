"""dispositions: the first form's instruments, and the form each disposition was

risk_event.disposition takes four more values (criticism, self_examination,
circulated_criticism, rectification); the codes already stored keep their meaning, only
their words change (提醒谈话 → 谈话提醒, 函询 → 约谈函询, 诫勉谈话 → 诫勉, 无问题 →
经核实无问题（予以了结）).  New column disposition_form: the form (四种形态) a disposition
was when it was made.  Existing resolved events get it from their disposition by the
same table the code uses (reminder_talk, letter_inquiry, admonishment: the first form);
the downgrade refuses while an event holds one of the new values.

Revision ID: 5c1e7d2a9b34
Revises: ec76b9af18c4
Create Date: 2026-12-01 22:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c1e7d2a9b34'
down_revision = 'ec76b9af18c4'
branch_labels = None
depends_on = None

OLD = ('no_problem', 'reminder_talk', 'letter_inquiry', 'admonishment', 'case_clue')
NEW = ('no_problem', 'criticism', 'reminder_talk', 'letter_inquiry', 'admonishment',
       'self_examination', 'circulated_criticism', 'rectification', 'case_clue')
FIRST_FORM = ('criticism', 'reminder_talk', 'letter_inquiry', 'admonishment',
              'self_examination')


def _enum(values, length):
    return sa.Enum(*values, name='risk_disposition', native_enum=False,
                   create_constraint=True, length=length)


def upgrade():
    with op.batch_alter_table('risk_event', schema=None) as batch_op:
        batch_op.alter_column('disposition', existing_type=_enum(OLD, 22),
                              type_=_enum(NEW, 28), existing_nullable=True)
        batch_op.add_column(sa.Column('disposition_form', sa.String(length=20), nullable=True))
    first = ", ".join(f"'{v}'" for v in FIRST_FORM)
    op.execute(f"UPDATE risk_event SET disposition_form = 'first' WHERE disposition IN ({first})")


def downgrade():
    added = ", ".join(f"'{v}'" for v in NEW if v not in OLD)
    held = op.get_bind().execute(
        sa.text(f"SELECT count(*) FROM risk_event WHERE disposition IN ({added})")
    ).scalar()
    if held:
        raise RuntimeError(f"{held} event(s) hold a disposition the old schema does not know")
    with op.batch_alter_table('risk_event', schema=None) as batch_op:
        batch_op.drop_column('disposition_form')
        batch_op.alter_column('disposition', existing_type=_enum(NEW, 28),
                              type_=_enum(OLD, 22), existing_nullable=True)
