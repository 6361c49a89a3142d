"""The audit trail records every change, the sealer chains it, and `audit verify` finds
tampering in sealed and in not-yet-sealed records."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from riskctl.core import audit
from riskctl.core.access import SYSTEM_ADMIN
from riskctl.core.audit import AuditRecord, link_hash, record_digest, seal_pending, verify_chain
from riskctl.core.clock import utcnow
from riskctl.org import services


def records(session, **where):
    stmt = sa.select(AuditRecord).order_by(AuditRecord.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(AuditRecord, key) == value)
    return session.scalars(stmt).all()


def sealed(session):
    seal_pending(session)
    session.flush()
    session.expire_all()
    return session.scalars(sa.select(AuditRecord).order_by(AuditRecord.seq)).all()


def test_every_model_change_is_recorded_with_actor_before_and_after(client, session, token_for):
    client.post("/api/v1/units", json={"code": "aud", "name": "审计局", "kind": "department"},
                headers=token_for("admin"))  # fmt: skip
    created = records(session, action="unit.created", target_id="aud")
    assert len(created) == 1
    assert created[0].actor == "admin"
    assert created[0].source.startswith("api ")
    assert created[0].after["name"] == "审计局"

    services.save_unit(
        session,
        SYSTEM_ADMIN,
        {"code": "aud", "name": "区审计局", "kind": "department"},
        upsert=True,
    )
    session.flush()
    updated = records(session, action="unit.updated", target_id="aud")
    assert updated[-1].before == {"name": "审计局"}
    assert updated[-1].after == {"name": "区审计局"}


def test_passwords_never_reach_the_audit_trail(session, person):
    from riskctl.auth.services import set_password

    set_password(session, person("czj.wangfang"), "another-pass-9")
    row = records(session, action="person.updated", target_id="czj.wangfang")[-1]
    assert row.after == {"password_hash": "***"}


def test_writers_leave_records_for_the_sealer_and_the_sealer_chains_them_in_order(session):
    audit.record(session, "export.people", target_type="person", after={"rows": 3})
    session.flush()
    waiting = records(session, action="export.people")[-1]
    assert waiting.seq is None and waiting.hash is None
    assert waiting.digest == record_digest({c: getattr(waiting, c) for c in audit.CONTENT})
    chain = sealed(session)
    assert [r.seq for r in chain] == list(range(1, len(chain) + 1))
    assert chain[-1].action == "export.people"
    assert seal_pending(session) == 0  # idempotent: nothing left to seal


def test_the_chain_is_intact_after_normal_work(session):
    chain = sealed(session)
    report = verify_chain(session)
    assert report.ok, report.first_break
    assert report.count == len(chain) == len(records(session))
    assert report.pending == 0
    assert (report.head_seq, report.head_hash) == (chain[-1].seq, chain[-1].hash)


def _tamper(session, statement):
    session.execute(statement)
    session.flush()
    session.expire_all()


def test_a_changed_row_is_reported(session):
    target = sealed(session)[10]
    _tamper(session, sa.update(AuditRecord).where(AuditRecord.id == target.id)
            .values(actor="someone-else"))  # fmt: skip
    report = verify_chain(session)
    assert not report.ok
    assert report.first_break.seq == target.seq
    assert "changed" in report.first_break.reason


def test_a_changed_row_with_a_recomputed_digest_breaks_its_own_link(session):
    target = sealed(session)[10]
    content = {c: getattr(target, c) for c in audit.CONTENT} | {"actor": "someone-else"}
    _tamper(session, sa.update(AuditRecord).where(AuditRecord.id == target.id)
            .values(actor="someone-else", digest=record_digest(content)))  # fmt: skip
    report = verify_chain(session)
    assert report.first_break.seq == target.seq
    assert "changed" in report.first_break.reason


def test_a_changed_row_with_recomputed_digest_and_link_breaks_the_next_link(session):
    rows = sealed(session)
    target = rows[10]
    content = {c: getattr(target, c) for c in audit.CONTENT} | {"actor": "someone-else"}
    digest = record_digest(content)
    forged_link = link_hash(target.seq, target.id, digest, target.prev_hash)
    _tamper(session, sa.update(AuditRecord).where(AuditRecord.id == target.id)
            .values(actor="someone-else", digest=digest, hash=forged_link))  # fmt: skip
    report = verify_chain(session)
    assert report.first_break.seq == rows[11].seq
    assert "prev_hash" in report.first_break.reason


def test_a_deleted_row_is_reported(session):
    rows = sealed(session)
    _tamper(session, sa.delete(AuditRecord).where(AuditRecord.id == rows[20].id))
    report = verify_chain(session)
    assert report.first_break.seq == rows[21].seq
    assert "deleted" in report.first_break.reason


def test_an_inserted_row_is_reported(session):
    rows = sealed(session)
    # Make room in the middle and slip a forged, well-formed row in, as an attacker would.
    middle = rows[30].seq
    for row in reversed(rows[30:]):
        _tamper(session, sa.update(AuditRecord).where(AuditRecord.id == row.id)
                .values(seq=row.seq + 1))  # fmt: skip
    content = {"at": rows[29].at, "actor_id": None, "actor": "forger", "source": "cli",
               "action": "unit.created", "target_type": "unit", "target_id": "fake",
               "unit_id": None, "before": None, "after": None}  # fmt: skip
    digest = record_digest(content)
    forged_id = rows[-1].id + 1000
    link = link_hash(middle, forged_id, digest, rows[29].hash)
    _tamper(
        session,
        sa.insert(AuditRecord).values(
            id=forged_id, **content, digest=digest, seq=middle, prev_hash=rows[29].hash, hash=link
        ),
    )
    report = verify_chain(session)
    assert not report.ok
    assert report.first_break.seq == middle + 1
    assert "prev_hash" in report.first_break.reason


def test_a_row_appended_with_a_wrong_link_is_reported(session):
    last = sealed(session)[-1]
    content = {"at": last.at, "actor_id": None, "actor": "forger", "source": "cli",
               "action": "x", "target_type": "x", "target_id": None, "unit_id": None,
               "before": None, "after": None}  # fmt: skip
    digest = record_digest(content)
    _tamper(
        session,
        sa.insert(AuditRecord).values(
            **content,
            digest=digest,
            seq=last.seq + 1,
            prev_hash="f" * 64,
            hash=link_hash(last.seq + 1, last.id + 1, digest, "f" * 64),
        ),
    )
    assert verify_chain(session).first_break.seq == last.seq + 1


def test_a_changed_record_that_waits_for_the_sealer_is_reported(session):
    sealed(session)
    audit.record(session, "export.people", target_type="person", after={"rows": 3})
    session.flush()
    waiting = records(session, action="export.people")[-1]
    _tamper(session, sa.update(AuditRecord).where(AuditRecord.id == waiting.id)
            .values(after={"rows": 0}))  # fmt: skip
    report = verify_chain(session)
    assert report.pending == 1
    assert report.first_break.seq is None
    assert report.first_break.row_id == waiting.id


def test_audit_verify_command_seals_then_exits_1_and_names_the_row(app, session):
    runner = app.test_cli_runner()
    audit.record(session, "export.people", target_type="person", after={"rows": 3})
    session.flush()
    ok = runner.invoke(args=["riskctl", "audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "审计链完好" in ok.output
    english = runner.invoke(args=["riskctl", "--lang", "en", "audit", "verify", "--no-seal"])
    assert "audit chain OK" in english.output
    assert records(session)[-1].seq is not None  # verify sealed the pending record first
    target = sealed(session)[5]
    _tamper(session, sa.update(AuditRecord).where(AuditRecord.id == target.id)
            .values(action="unit.deleted"))  # fmt: skip
    broken = runner.invoke(args=["riskctl", "audit", "verify", "--no-seal"])
    assert broken.exit_code == 1
    assert f"审计链断裂于序号 {target.seq} 处" in broken.output


# ---------------------------------------------------------------- clocks in other zones

BEIJING = ZoneInfo("Asia/Shanghai")


def test_records_written_on_a_clock_in_beijing_verify(session, at):
    # The demo history runs on such a clock; the database gives the moments back in UTC.
    at(datetime(2026, 12, 1, 10, 0, 0, tzinfo=BEIJING))
    services.save_unit(session, SYSTEM_ADMIN, {"code": "bjt", "name": "北京时间局",
                                               "kind": "department"})  # fmt: skip
    audit.record(session, "export.people", target_type="person",
                 after={"rows": 3, "asked_at": utcnow(), "on": utcnow().date()})  # fmt: skip
    session.flush()
    written = records(session, action="export.people")[-1]
    assert written.digest_scheme == audit.DIGEST_SCHEME
    assert written.after["asked_at"] == "2026-12-01T02:00:00.000000Z"
    sealed(session)
    report = verify_chain(session)
    assert report.ok, report.first_break
    assert report.local_time == 0  # nothing needed the lenience of old records


def test_the_zone_of_the_writers_clock_does_not_change_a_records_digest(session, at):
    moment = datetime(2026, 12, 1, 2, 0, 0, tzinfo=UTC)
    digests = []
    for clock in (moment, moment.astimezone(BEIJING)):
        at(clock)
        audit.record(session, "export.people", target_type="person", after={"rows": 1})
        session.flush()
        digests.append(records(session, action="export.people")[-1].digest)
    assert digests[0] == digests[1]


def _scheme_1_record(session, moment, clock_zone, **changes):
    """A record as the code before digest scheme 2 wrote it from a clock in ``clock_zone``:
    its digest covers Python's isoformat of the moment in that zone."""
    content = {"at": moment, "actor_id": None, "actor": "cli", "source": "cli demo",
               "action": "item.start", "target_type": "item", "target_id": "1",
               "unit_id": None, "before": None, "after": {"step": 1}}  # fmt: skip
    old_text = {**content, "at": moment.astimezone(clock_zone).isoformat()}
    session.execute(sa.insert(AuditRecord).values(
        **(content | changes), digest=audit.content_hash(old_text), digest_scheme=1,
    ))  # fmt: skip
    session.flush()
    return records(session)[-1]


def test_old_records_written_on_a_clock_in_beijing_still_verify_and_are_counted(app, session):
    moment = datetime(2026, 9, 3, 1, 6, tzinfo=UTC)
    _scheme_1_record(session, moment, BEIJING)
    _scheme_1_record(session, moment, UTC)
    sealed(session)
    report = verify_chain(session)
    assert report.ok, report.first_break
    assert report.local_time == 1
    shown = app.test_cli_runner().invoke(
        args=["riskctl", "--lang", "en", "audit", "verify", "--no-seal"]
    )
    assert shown.exit_code == 0, shown.output
    assert "1 record(s) of digest scheme 1 matched with their moment in Asia/Shanghai" in (
        shown.output
    )


def test_an_old_record_whose_moment_was_moved_is_still_reported(session):
    moment = datetime(2026, 9, 3, 1, 6, tzinfo=UTC)
    # Its Beijing wall time written back as UTC: a different instant, eight hours later.
    target = _scheme_1_record(session, moment, BEIJING, at=moment + timedelta(hours=8))
    sealed(session)
    report = verify_chain(session)
    assert report.first_break.row_id == target.id
    assert "changed" in report.first_break.reason


def test_a_records_scheme_cannot_be_changed_to_get_the_old_lenience(session, at):
    at(datetime(2026, 12, 1, 10, 0, 0, tzinfo=BEIJING))
    audit.record(session, "export.people", target_type="person", after={"rows": 3})
    session.flush()
    target = records(session, action="export.people")[-1]
    sealed(session)
    _tamper(session, sa.update(AuditRecord).where(AuditRecord.id == target.id)
            .values(digest_scheme=1))  # fmt: skip
    report = verify_chain(session)
    assert report.first_break.seq == target.seq
    assert "changed" in report.first_break.reason
