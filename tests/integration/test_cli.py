"""flask riskctl …: user bootstrap, demo data, tokens, org import."""

import sqlalchemy as sa

from riskctl.core.audit import AuditRecord
from riskctl.org.models import Person
from tests.conftest import count, fresh_database
from tests.processes import riskctl_env, run_flask


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["riskctl", *args], input=input)


def test_the_first_admin_is_created_from_stdin_without_a_unit(app, session):
    result = run(app, "user", "create", "root.admin", "--role", "admin", "--password-stdin",
                 input="a-strong-pass-1\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    admin = session.scalar(sa.select(Person).where(Person.username == "root.admin"))
    assert admin.unit_id is None
    assert admin.password_hash.startswith("scrypt:")
    actor = session.scalars(sa.select(AuditRecord.actor)
                            .where(AuditRecord.target_id == "root.admin")).first()  # fmt: skip
    assert actor == "cli"


def test_user_create_reports_bad_input(app, session):
    before = count(session, Person)
    no_unit = run(app, "user", "create", "lonely", "--role", "staff", "--password-stdin",
                  input="a-strong-pass-1\n")  # fmt: skip
    assert no_unit.exit_code != 0
    assert "unit" in no_unit.output
    weak = run(app, "user", "create", "weakling", "--role", "admin", "--password-stdin",
               input="short\n")  # fmt: skip
    assert weak.exit_code != 0
    assert "password" in weak.output
    bad_role = run(app, "user", "create", "x.y", "--role", "boss", "--password-stdin", input="x\n")
    assert bad_role.exit_code == 2
    assert count(session, Person) == before


def test_the_demo_is_idempotent(app, session):
    before = count(session, AuditRecord)
    result = run(app, "demo", "--no-history")
    assert result.exit_code == 0, result.output
    assert "人员 新建 0 / 更新 0 / 未变 60" in result.output  # the CLI speaks Chinese
    assert "admin" in result.output and "demo-pass-2026" in result.output
    # Only the import itself is recorded: nothing changed.
    assert count(session, AuditRecord) == before + 1
    assert count(session, Person) == 60


def test_tokens_are_created_and_revoked_from_the_cli(app, client):
    created = run(app, "token", "create", "czj.wangfang", "--hours", "2")
    assert created.exit_code == 0
    token = created.stdout.strip().splitlines()[0]
    header = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=header).status_code == 200
    assert run(app, "token", "revoke", "czj.wangfang").exit_code == 0
    assert client.get("/api/v1/me", headers=header).status_code == 401


def test_org_import_from_the_cli_rejects_bad_rows_with_their_line(app, session, tmp_path):
    units = tmp_path / "units.csv"
    units.write_text("code,name,kind\nok1,好单位,department\nBAD CODE,坏单位,ministry\n")
    result = run(app, "org", "import", "--units", str(units))
    assert result.exit_code == 1
    assert "第 3 行" in result.output  # the CLI speaks Chinese unless --lang en
    assert session.scalar(sa.select(sa.func.count()).where(Person.username == "ok1")) == 0


def test_risk_values_are_set_from_the_cli(app, session):
    from riskctl.risk import services as risk

    result = run(app, "risk-value", "5", "--unit", "czj", "--process", "procurement",
                 "--node", "accept")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "czj：节点 procurement/accept 风险值 5" in result.output
    assert run(app, "risk-value", "2", "--unit", "czj", "--post", "cashier").exit_code == 0
    from riskctl.core.access import SYSTEM_ADMIN

    values = risk.risk_values(session, SYSTEM_ADMIN, "czj")
    (procurement,) = [p for p in values["processes"] if p["process"] == "procurement"]
    assert {n["node"]: n["risk"] for n in procurement["nodes"]}["accept"] == 5
    assert {p["post"]: p["risk"] for p in values["posts"]}["cashier"] == 2
    bad = run(app, "risk-value", "3", "--unit", "czj", "--process", "procurement",
              "--node", "nowhere")  # fmt: skip
    assert bad.exit_code != 0 and "node" in bad.output
    both = run(
        app, "risk-value", "3", "--unit", "czj", "--post", "cashier", "--person", "czj.liujing"
    )
    assert both.exit_code != 0


def test_a_fresh_installation_with_the_demo_history_passes_audit_verify(backend, tmp_path):
    # As a user runs it (make run): real processes, the demo history on a clock in Beijing.
    url, cleanup = fresh_database(backend, tmp_path)
    try:
        env = riskctl_env(url)
        run_flask(env, "db", "upgrade")
        assert "历史数据：" in run_flask(env, "riskctl", "demo")
        verified = run_flask(env, "riskctl", "audit", "verify")  # exit code 0, or it fails
        assert "审计链完好" in verified
    finally:
        cleanup()
