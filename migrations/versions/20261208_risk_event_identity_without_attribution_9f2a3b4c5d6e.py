"""a warning's identity no longer holds the person (and node) the scan attributed it to

Rules about form fields (just under a threshold, a single bidder, a late contract …) do
not know who filled the field; the scan names the last person who completed a node that
edits it.  That person and node were part of the warning's identity, so a warning raised
before anybody had completed the node came back as a new warning once somebody had: the
first closed automatically, the second was raised and told again (two SMS for one
situation), and a situation a person had closed was not recognised as the same one.
The identity is now the rule's own: rule, item, the rule's own node and person (none for
these rules), subject.  This rewrites the identity of the existing warnings of those rules
in the same way, so that the next scan finds its active warnings, and the closed ones stay
closed.  Where two active warnings now share an identity (a red waiting for its
disposition after the person changed), the newest takes it and the older keeps its own
(it stays until a person disposes of it).  Not audited: the identity is a derived key; the
audited facts (rule, level, score, disposition) are unchanged.  The downgrade cannot
recover the attributed people from the identity and leaves it as it is.

Revision ID: 9f2a3b4c5d6e
Revises: 8e1f2a3b4c5d
Create Date: 2026-12-08 01:30:00

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9f2a3b4c5d6e'
down_revision = '8e1f2a3b4c5d'
branch_labels = None
depends_on = None

# The rules whose signals the scan attributes (riskctl.risk.rules: ``_signal``), as of this
# revision; the payment rule only when no payment step named the person itself.
ATTRIBUTED = (
    'procurement_just_under_threshold', 'procurement_splitting', 'procurement_single_bidder',
    'procurement_short_tender_period', 'procurement_late_contract',
    'procurement_late_contract_publication', 'procurement_late_contract_filing',
    'procurement_late_sme_payment', 'procurement_supplement_excess',
    'construction_change_order_excess', 'construction_late_final_accounts',
    'assets_disposal_below_appraisal', 'finance_payment_over_budget',
)
SOMETIMES = 'construction_payment_before_acceptance'
ACTIVE = ('open', 'acknowledged', 'explained')


def _identity(rule, item_id, subject):
    parts = (rule, item_id, None, None, subject)
    return '|'.join('' if p is None else str(p) for p in parts)[:300]


def upgrade():
    conn = op.get_bind()
    event = sa.table(
        'risk_event', sa.column('id', sa.Integer), sa.column('identity', sa.String),
        sa.column('rule', sa.String), sa.column('item_id', sa.Integer),
        sa.column('subject', sa.String), sa.column('status', sa.String),
        sa.column('evidence', sa.JSON),
    )
    rows = conn.execute(
        sa.select(event.c.id, event.c.identity, event.c.rule, event.c.item_id,
                  event.c.subject, event.c.status, event.c.evidence)
        .where(event.c.rule.in_(ATTRIBUTED + (SOMETIMES,)))
        .order_by(event.c.id.desc())
    ).all()
    wanted = {}  # event id → its identity after the rewrite
    for row in rows:
        evidence = row.evidence
        if isinstance(evidence, str):
            evidence = json.loads(evidence)
        named_itself = row.rule == SOMETIMES and (evidence or {}).get('payment_step') is not None
        wanted[row.id] = row.identity if named_itself else _identity(
            row.rule, row.item_id, row.subject)
    # Active warnings that keep their identity hold it first (those whose process had no
    # node to attribute to were already in the new form).
    taken = {r.identity for r in rows if r.status in ACTIVE and wanted[r.id] == r.identity}
    changes = []
    for row in rows:  # newest first
        new = wanted[row.id]
        if new == row.identity:
            continue
        if row.status in ACTIVE:
            if new in taken:
                continue  # an older active one: keeps its own identity
            taken.add(new)
        changes.append({'event_id': row.id, 'new_identity': new})
    # Active ones last, newest first (the rows' order): none ever shares an identity with
    # another active one on the way (the partial unique index).
    for n in range(0, len(changes), 1000):
        conn.execute(
            event.update().where(event.c.id == sa.bindparam('event_id'))
            .values(identity=sa.bindparam('new_identity')),
            changes[n:n + 1000],
        )


def downgrade():
    pass
