"""The audit chain's hashing is canonical: stable across key order and round trips."""

from datetime import UTC, datetime
from decimal import Decimal

from riskctl.core.audit import GENESIS_HASH, canonical, content_hash

ROW = {
    "seq": 1,
    "at": datetime(2026, 11, 22, 8, 0, tzinfo=UTC),
    "actor_id": 7,
    "actor": "admin",
    "source": "cli",
    "action": "unit.created",
    "target_type": "unit",
    "target_id": "czj",
    "unit_id": 2,
    "before": None,
    "after": {"name": "区财政局", "amount": Decimal("12.50")},
    "prev_hash": GENESIS_HASH,
}


def test_key_order_does_not_change_the_hash():
    shuffled = dict(reversed(list(ROW.items())))
    assert content_hash(shuffled) == content_hash(ROW)


def test_every_field_is_covered_by_the_hash():
    for key in ROW:
        changed = dict(ROW, **{key: "tampered"})
        assert content_hash(changed) != content_hash(ROW), key


def test_chinese_text_and_decimals_are_kept_exactly():
    text = canonical(ROW)
    assert "区财政局" in text
    assert '"12.50"' in text
