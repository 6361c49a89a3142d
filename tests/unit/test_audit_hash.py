"""The audit trail's hashing is canonical: stable across key order and round trips, and
every content field and every link field is covered."""

from datetime import UTC, datetime
from decimal import Decimal

from riskctl.core.audit import CONTENT, GENESIS_HASH, canonical, link_hash, record_digest

ROW = {
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
}


def test_key_order_does_not_change_the_digest():
    shuffled = dict(reversed(list(ROW.items())))
    assert record_digest(shuffled) == record_digest(ROW)


def test_every_content_field_is_covered_by_the_digest():
    assert set(ROW) == set(CONTENT)
    for key in ROW:
        changed = dict(ROW, **{key: "tampered"})
        assert record_digest(changed) != record_digest(ROW), key


def test_the_link_covers_place_identity_digest_and_predecessor():
    digest = record_digest(ROW)
    base = link_hash(1, 10, digest, GENESIS_HASH)
    assert link_hash(2, 10, digest, GENESIS_HASH) != base
    assert link_hash(1, 11, digest, GENESIS_HASH) != base
    assert link_hash(1, 10, "f" * 64, GENESIS_HASH) != base
    assert link_hash(1, 10, digest, "f" * 64) != base


def test_chinese_text_and_decimals_are_kept_exactly():
    text = canonical(ROW)
    assert "区财政局" in text
    assert '"12.50"' in text
