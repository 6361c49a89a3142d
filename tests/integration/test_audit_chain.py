"""The audit trail records every change and `audit verify` finds tampering."""

import sqlalchemy as sa

from riskctl.core import audit
from riskctl.core.access import SYSTEM_ADMIN
from riskctl.core.audit import AuditRecord, content_hash, verify_chain
from riskctl.org import services


def records(session, **where):
    stmt = sa.select(AuditRecord).order_by(AuditRecord.seq)
    for key, value in where.items():
        stmt = stmt.where(getattr(AuditRecord, key) == value)
    return session.scalars(stmt).all()


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


def test_the_chain_is_intact_after_normal_work(session):
    report = verify_chain(session)
    assert report.ok, report.first_break
    assert report.count == len(records(session))


def _tamper(session, statement):
    session.execute(statement)
    session.flush()
    session.expire_all()


def test_a_changed_row_is_reported(session):
    target = records(session)[10]
    _tamper(session, sa.update(AuditRecord).where(AuditRecord.id == target.id)
            .values(actor="someone-else"))  # fmt: skip
    report = verify_chain(session)
    assert not report.ok
    assert report.first_break.seq == target.seq
    assert "changed" in report.first_break.reason


def test_a_changed_row_with_a_recomputed_hash_breaks_the_next_link(session):
    rows = records(session)
    target = rows[10]
    fields = {
        k: getattr(target, k)
        for k in (
            "seq",
            "at",
            "actor_id",
            "actor",
            "source",
            "action",
            "target_type",
            "target_id",
            "unit_id",
            "before",
            "after",
            "prev_hash",
        )
    }
    fields["actor"] = "someone-else"
    _tamper(session, sa.update(AuditRecord).where(AuditRecord.id == target.id)
            .values(actor="someone-else", hash=content_hash(fields)))  # fmt: skip
    report = verify_chain(session)
    assert report.first_break.seq == rows[11].seq
    assert "prev_hash" in report.first_break.reason


def test_a_deleted_row_is_reported(session):
    rows = records(session)
    _tamper(session, sa.delete(AuditRecord).where(AuditRecord.id == rows[20].id))
    report = verify_chain(session)
    assert report.first_break.seq == rows[21].seq
    assert "deleted" in report.first_break.reason


def test_an_inserted_row_is_reported(session):
    rows = records(session)
    # Make room in the middle and slip a forged row in, as an attacker would have to.
    middle = rows[30].seq
    for row in reversed(rows[30:]):
        _tamper(session, sa.update(AuditRecord).where(AuditRecord.id == row.id)
                .values(seq=row.seq + 1))  # fmt: skip
    forged = {"seq": middle, "at": rows[29].at, "actor_id": None, "actor": "forger",
              "source": "cli", "action": "unit.created", "target_type": "unit",
              "target_id": "fake", "unit_id": None, "before": None, "after": None,
              "prev_hash": rows[29].hash}  # fmt: skip
    _tamper(session, sa.insert(AuditRecord).values(**forged, hash=content_hash(forged)))
    report = verify_chain(session)
    assert not report.ok
    assert report.first_break.seq == middle + 1
    assert "prev_hash" in report.first_break.reason


def test_a_row_appended_with_a_wrong_link_is_reported(session):
    last = records(session)[-1]
    forged = {"seq": last.seq + 1, "at": last.at, "actor_id": None, "actor": "forger",
              "source": "cli", "action": "x", "target_type": "x", "target_id": None,
              "unit_id": None, "before": None, "after": None, "prev_hash": "f" * 64}  # fmt: skip
    _tamper(session, sa.insert(AuditRecord).values(**forged, hash=content_hash(forged)))
    assert verify_chain(session).first_break.seq == last.seq + 1


def test_explicit_records_join_the_chain(session):
    audit.record(session, "export.people", target_type="person", after={"rows": 3})
    session.flush()
    report = verify_chain(session)
    assert report.ok
    assert records(session)[-1].action == "export.people"


def test_audit_verify_command_exits_1_and_names_the_row(app, session):
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["riskctl", "audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "audit chain OK" in ok.output
    target = records(session)[5]
    _tamper(session, sa.update(AuditRecord).where(AuditRecord.id == target.id)
            .values(action="unit.deleted"))  # fmt: skip
    broken = runner.invoke(args=["riskctl", "audit", "verify"])
    assert broken.exit_code == 1
    assert f"BROKEN at seq {target.seq}" in broken.output
