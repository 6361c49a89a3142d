"""The audit trail's hashing is canonical: stable across key order and round trips, and
every content field and every link field is covered."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from riskctl.core.audit import (
    CONTENT,
    DIGEST_SCHEME,
    GENESIS_HASH,
    canonical,
    content_hash,
    digest_match,
    link_hash,
    record_digest,
)

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


# ---------------------------------------------------------------- moments (digest scheme 2)

BEIJING = ZoneInfo("Asia/Shanghai")


def test_the_same_moment_in_beijing_and_in_utc_has_one_digest():
    in_beijing = dict(ROW, at=ROW["at"].astimezone(BEIJING))
    assert in_beijing["at"].isoformat().endswith("+08:00")
    assert record_digest(in_beijing) == record_digest(ROW)


def test_a_naive_moment_is_taken_as_utc_as_sqlite_gives_it_back():
    naive = dict(ROW, at=ROW["at"].replace(tzinfo=None))
    assert record_digest(naive) == record_digest(ROW)


def test_a_moment_is_written_in_utc_with_microseconds_always():
    assert '"at":"2026-11-22T08:00:00.000000Z"' in canonical(ROW)
    later = dict(ROW, at=ROW["at"].astimezone(BEIJING).replace(microsecond=1200))
    assert '"at":"2026-11-22T08:00:00.001200Z"' in canonical(later)


def test_moments_inside_before_and_after_are_canonical_too():
    utc = dict(ROW, before={"due_at": datetime(2026, 11, 22, 8, 0, tzinfo=UTC)})
    local = dict(ROW, before={"due_at": datetime(2026, 11, 22, 16, 0, tzinfo=BEIJING)})
    naive = dict(ROW, before={"due_at": datetime(2026, 11, 22, 8, 0)})
    assert record_digest(local) == record_digest(utc) == record_digest(naive)
    assert '"due_at":"2026-11-22T08:00:00.000000Z"' in canonical(local)


def test_a_set_is_written_in_one_order_whatever_its_iteration_order():
    one = dict(ROW, after={"posts": {"cashier", "handler", "acceptor"}})
    other = dict(ROW, after={"posts": frozenset(["acceptor", "handler", "cashier"])})
    assert record_digest(one) == record_digest(other)
    assert '"posts":["acceptor","cashier","handler"]' in canonical(one)


# ---------------------------------------------------------------- records of scheme 1


def _scheme_1(row, zone):
    """A record as the code before scheme 2 digested it: ``at`` as Python's isoformat of
    whatever the writer's clock gave (here: the moment in ``zone``)."""
    fields = {**row, "at": row["at"].astimezone(zone).isoformat()}
    return dict(row, digest=content_hash(fields), digest_scheme=1)


def test_a_scheme_1_record_matches_with_its_moment_in_utc_or_in_the_platform_zone():
    assert digest_match(_scheme_1(ROW, UTC), BEIJING) == "utc"
    assert digest_match(_scheme_1(ROW, BEIJING), BEIJING) == "local"
    current = dict(ROW, digest=record_digest(ROW), digest_scheme=DIGEST_SCHEME)
    assert digest_match(current, BEIJING) == "canonical"


def test_the_local_rendering_is_the_same_instant_and_hides_no_change():
    written = _scheme_1(ROW, BEIJING)
    # The wall time in Beijing stored as if it were UTC: eight hours off, not the same instant.
    shifted = dict(written, at=ROW["at"] + timedelta(hours=8))
    assert digest_match(shifted, BEIJING) is None
    assert digest_match(dict(written, actor="someone-else"), BEIJING) is None
    # A record of the current scheme gets no lenience, and its scheme cannot be changed.
    assert digest_match(dict(written, digest_scheme=DIGEST_SCHEME), BEIJING) is None
    current = dict(ROW, digest=record_digest(ROW), digest_scheme=DIGEST_SCHEME)
    assert digest_match(dict(current, digest_scheme=1), BEIJING) is None
    assert digest_match(dict(current, digest_scheme=99), BEIJING) is None
