"""the form fields the risk rules judge, typed beside the item's JSON (f_<name> columns)

The risk scan read and decoded every item's JSON to judge a few dozen fields; the engine
now also writes those fields, parsed (money as whole cents, days as dates), into nullable
``f_<name>`` columns of the item row in the same statement (riskctl.workflow.rule_fields).
This adds the columns and fills them for existing items, in batches of 2,000 by id, from
the JSON with the same parser; items whose JSON has none of the fields stay all NULL.
No audit record: the audited JSON is unchanged, the columns are a derived copy.
The downgrade drops the columns (in place on SQLite 3.35+, no copy of the table).

Revision ID: 7df3dc2e5182
Revises: 61bf3fe6a36d
Create Date: 2026-12-07 21:40:00

"""
from alembic import op
import sqlalchemy as sa

from riskctl.core.db import Cents, Day


# revision identifiers, used by Alembic.
revision = '7df3dc2e5182'
down_revision = '61bf3fe6a36d'
branch_labels = None
depends_on = None

# The columns as this revision adds them (a later revision adding a field fills its own).
KINDS = {
    'money': Cents, 'day': Day, 'text': sa.Text, 'int': sa.BigInteger, 'flag': sa.Boolean,
    'ref': sa.Integer,
}
FIELDS = {
    'amount': 'money', 'contract_amount': 'money', 'change_amount': 'money',
    'supplement_amount': 'money', 'paid_amount': 'money', 'completed_value': 'money',
    'appraised_value': 'money', 'approved_floor': 'money', 'proceeds': 'money',
    'original_value': 'money', 'book_value': 'money', 'award_amount': 'money',
    'tender_start': 'day', 'tender_end': 'day', 'awarded_on': 'day', 'signed_on': 'day',
    'published_on': 'day', 'filed_on': 'day', 'accepted_on': 'day', 'delivered_on': 'day',
    'paid_on': 'day', 'completed_on': 'day', 'final_on': 'day',
    'item_category': 'text', 'budget_project': 'text', 'catalogue_code': 'text',
    'method': 'text', 'supplier': 'text', 'disposal_method': 'text', 'project_size': 'text',
    'budget_line': 'text',
    'bidders': 'int', 'payment_days': 'int', 'final_extension_months': 'int',
    'budget_adjusted': 'flag', 'non_open_approved': 'flag', 'two_suppliers_allowed': 'flag',
    'sme': 'flag', 'payment_on_acceptance': 'flag',
    'procurement_ref': 'ref',
}
BATCH = 2000


def upgrade():
    for name, kind in FIELDS.items():
        op.add_column('item', sa.Column(f'f_{name}', KINDS[kind](), nullable=True))
    _fill()


def _fill():
    # The parser of the running code: this revision's columns are exactly its fields.
    from riskctl.workflow.rule_fields import rule_fields

    wanted = {f'f_{name}' for name in FIELDS}
    item = sa.table(
        'item', sa.column('id', sa.Integer), sa.column('fields', sa.JSON),
        *(sa.column(f'f_{name}', KINDS[kind]()) for name, kind in FIELDS.items()),
    )
    update = (
        sa.update(item).where(item.c.id == sa.bindparam('b_id'))
        .values({c: sa.bindparam(c) for c in sorted(wanted)})
    )
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(item.c.id, item.c.fields).where(item.c.id > last)
            .order_by(item.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        last = rows[-1][0]
        changes = []
        for item_id, data in rows:
            typed = {k: v for k, v in rule_fields(data or {}).items() if k in wanted}
            if any(v is not None for v in typed.values()):
                changes.append({'b_id': item_id, **typed})
        if changes:
            conn.execute(update, changes)


def downgrade():
    with op.batch_alter_table('item', recreate='never') as batch_op:
        for name in reversed(FIELDS):
            batch_op.drop_column(f'f_{name}')
