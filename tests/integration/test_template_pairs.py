"""The new templates adopted and run, their pairs enforced and cited, and adopted processes
carried forward to the changed templates (issue 17), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from riskctl.controls.models import ControlHit
from riskctl.core.access import SYSTEM_ADMIN
from riskctl.core.audit import AuditRecord
from riskctl.org.models import Post, PostAssignment, Unit
from riskctl.process import services as processes
from riskctl.process.models import ProcessDefinition, ProcessStatus
from riskctl.risk.models import RiskEvent
from riskctl.workflow.models import Item
from tests.integration.test_pages import sign_in
from tests.integration.test_risk import _scan
from tests.integration.test_workflow import START_FIELDS, Driver

STANDARD = "《行政事业单位内部控制规范（试行）》（财会〔2012〕21号）第十五条（不相容岗位相互分离）"
PRACTICE = "单位内部管理规定（良好实践）"


@pytest.fixture
def run(client: Any, token_for: Any) -> Driver:
    return Driver(client, token_for)


def cli(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["riskctl", *args])


def give_post(session: Any, person: Any, username: str, post_code: str) -> None:
    who = person(username)
    post = session.scalar(
        sa.select(Post).where(Post.code == post_code, Post.unit_id == who.unit_id)
    )
    session.add(PostAssignment(person_id=who.id, post_id=post.id, valid_from=date(2026, 1, 1)))
    session.flush()


def versions(session: Any, key: str, unit: str = "czj") -> list[ProcessDefinition]:
    unit_id = session.scalar(sa.select(Unit.id).where(Unit.code == unit))
    return list(
        session.scalars(
            sa.select(ProcessDefinition)
            .where(ProcessDefinition.unit_id == unit_id, ProcessDefinition.key == key)
            .order_by(ProcessDefinition.version)
        )
    )


# ---------------------------------------------------------------- the new templates


@pytest.mark.parametrize(
    ("template", "key", "path"),
    [
        ("budget_preparation", "budget_2027", ["prepare", "review", "approve", "execute",
                                               "evaluate"]),
        ("revenue", "fees", ["register", "collect", "book", "reconcile"]),
    ],
)  # fmt: skip
def test_a_new_template_is_adopted_by_the_cli_and_runs_to_its_end(
    app, session, run, template, key, path
):
    adopted = cli(
        app, "process", "adopt", template, "--unit", "czj", "--key", key, "--name", f"{key} 试行"
    )
    assert adopted.exit_code == 0, adopted.output
    assert f"czj：{key} 第 1 版 已发布（来自模板 {template}）" in adopted.output
    (row,) = versions(session, key)
    assert row.template == template
    bases = {p["basis"] for p in row.body["incompatible"]}
    assert bases <= {STANDARD, PRACTICE} and STANDARD in bases

    item = run.start(key, START_FIELDS[template])
    done, taken = run.drive(item)
    assert done["status"] == "completed" and taken == path
    assert done["control_hits"] == []


def test_one_person_preparing_and_approving_a_budget_is_refused(run, session, person):
    # 王芳 (经办人) is also given 财务审核: she may prepare or review, never both.
    give_post(session, person, "czj.wangfang", "finance_reviewer")
    item = run.start("budget_preparation", START_FIELDS["budget_preparation"])
    item = run.complete(item["tasks"][0], who="czj.wangfang")  # prepare
    review = item["tasks"][0]
    assert review["node"] == "review"
    body = run.complete(review, who="czj.wangfang", decision="approve", expect=422)
    assert body["error"]["code"] == "incompatible_posts"
    rule = next(d for d in body["error"]["details"] if d["path"] == "rule")
    assert rule["rule"] == "prepare~review"
    hit = session.scalars(sa.select(ControlHit).where(ControlHit.item_id == item["id"])).one()
    assert (hit.rule, hit.outcome.value) == ("budget_preparation:prepare~review", "refused")
    # another reviewer goes on
    assert run.complete(review, decision="approve")["tasks"][0]["node"] == "approve"


def test_the_cashier_may_not_book_what_she_collected(run, session, person):
    give_post(session, person, "czj.liujing", "accountant")
    item = run.start("revenue", START_FIELDS["revenue"])
    item = run.complete(item["tasks"][0])  # register, 王芳
    received = {"received_amount": "36000", "received_on": "2026-11-02"}
    item = run.complete(item["tasks"][0], who="czj.liujing", fields=received)  # collect
    book = item["tasks"][0]
    assert book["node"] == "book"
    body = run.complete(book, who="czj.liujing", expect=422)
    assert body["error"]["code"] == "incompatible_posts"
    assert "收款与会计核算不相容" in body["error"]["message"]


def test_the_warning_cites_the_pairs_own_basis(client, run, session, person, token_for):
    # 资产保管与记账 (flag) is the unit's practice, not the standard: the warning says so.
    give_post(session, person, "czj.sunyan", "accountant")
    item = run.start("asset_acquisition", START_FIELDS["asset_acquisition"])
    done, path = run.drive(item, who={"book": "czj.sunyan"})
    assert done["status"] == "completed" and path[-2:] == ["store", "book"]
    (hit,) = done["control_hits"]
    assert (hit["rule"], hit["outcome"]) == ("asset_acquisition:store~book", "flagged")
    _scan(session, full=True)
    event = session.scalars(
        sa.select(RiskEvent).where(
            RiskEvent.item_id == item["id"], RiskEvent.rule == "incompatible_posts"
        )
    ).one()
    assert event.evidence["pair_basis"] == PRACTICE
    shown = client.get(f"/api/v1/risk-events/{event.id}", headers=token_for("jw.liuhong")).json
    assert shown["basis"] == PRACTICE
    sign_in(client, "jw.liuhong")
    page = client.get(f"/monitor/warnings/{event.id}").text
    assert f"依据：{PRACTICE}" in page


def test_the_process_page_lists_each_pair_with_its_basis(client, session):
    (row,) = [r for r in versions(session, "revenue") if r.status is ProcessStatus.PUBLISHED]
    sign_in(client, "admin")
    page = client.get(f"/admin/processes/czj/revenue/v{row.version}").text
    assert 'id="incompatible"' in page
    assert "收款与会计核算不相容" in page and "收款 ↔ 会计核算" in page
    assert STANDARD in page and PRACTICE in page


# ---------------------------------------------------------------- carrying adoptions forward


def _old_expense_template() -> dict[str, Any]:
    """支出报销 as it shipped before issue 17: four pairs, no basis, 会计记账."""
    raw = processes.template("expense_reimbursement").raw
    for node in raw["nodes"]:
        if node["key"] == "book":
            node["name"] = "会计记账"
    raw["incompatible"] = [
        {"nodes": ["apply", "chief"], "mode": "block", "name": "支出申请与审批不相容"},
        {"nodes": ["apply", "review"], "mode": "block", "name": "业务经办与财务审核不相容"},
        {"nodes": ["review", "pay"], "mode": "block", "name": "付款审批与付款执行不相容"},
        {"nodes": ["pay", "book"], "mode": "block", "name": "出纳与记账不相容"},
    ]
    return raw


def _adopt_old(session: Any) -> ProcessDefinition:
    """czj adopted the old template with its own key, a limit and a risk value."""
    raw = processes.adjusted(
        _old_expense_template(), key="expense_local", limits={"pay": "3wd"}, risks={"book": 4}
    )
    processes.save_draft(session, SYSTEM_ADMIN, raw, unit="czj",
                         template="expense_reimbursement")  # fmt: skip
    return processes.publish(session, SYSTEM_ADMIN, "expense_local", unit="czj")


def test_upgrade_publishes_the_changed_template_with_the_units_changes(app, session, run):
    old = _adopt_old(session)
    running = run.start("expense_local", START_FIELDS["expense_reimbursement"])
    assert running["version"] == old.version

    result = cli(app, "process", "upgrade-templates", "--unit", "czj")
    assert result.exit_code == 0, result.output
    line = f"czj：expense_local 第 {old.version} 版（模板 expense_reimbursement）已升级"
    assert f"{line} → v{old.version + 1}" in result.output
    old_row, new_row = versions(session, "expense_local")
    assert (old_row.status, new_row.status) == (ProcessStatus.RETIRED, ProcessStatus.PUBLISHED)
    assert old_row.body["incompatible"] == _old_expense_template()["incompatible"]  # unchanged
    # the template as it is now, with czj's own changes kept
    assert new_row.body == processes.adjusted(
        processes.template("expense_reimbursement").raw, key="expense_local",
        limits={"pay": "3wd"}, risks={"book": 4},
    )  # fmt: skip
    assert new_row.template == "expense_reimbursement"
    names = {p["name"]: p.get("basis") for p in new_row.body["incompatible"]}
    assert names["业务经办与会计核算不相容"] == STANDARD

    # The running item keeps its version; a new one starts on the new version.
    assert session.get(Item, running["id"]).definition_id == old_row.id
    done, _ = run.drive(running)
    assert done["status"] == "completed" and done["version"] == old.version
    fresh = run.start("expense_local", START_FIELDS["expense_reimbursement"])
    assert fresh["version"] == new_row.version

    # The system is named in the audit chain, with what the unit kept.
    record = session.scalars(
        sa.select(AuditRecord).where(AuditRecord.action == "process.template_upgraded")
    ).one()
    assert record.actor == "system" and record.actor_id is None
    assert record.source == "cli process upgrade-templates"
    assert record.target_id == str(new_row.id)
    assert record.after["kept"] == {"posts": {}, "limits": {"pay": "3wd"}, "risks": {"book": 4}}
    assert record.before == {"key": "expense_local", "version": old.version}

    again = cli(app, "process", "upgrade-templates", "--unit", "czj")
    assert again.exit_code == 0, again.output
    assert f"czj：expense_local 第 {new_row.version} 版（模板 expense_reimbursement）已是最新" in (
        again.output
    )
    assert len(versions(session, "expense_local")) == 2


def test_a_dry_run_writes_nothing(app, session):
    old = _adopt_old(session)
    session.commit()  # the test's savepoint: the dry run rolls its own work back
    result = cli(app, "process", "upgrade-templates", "--unit", "czj", "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"→ v{old.version + 1}（试运行）" in result.output
    assert [r.version for r in versions(session, "expense_local")] == [old.version]


def test_a_process_with_a_draft_in_progress_is_left_alone(app, session):
    _adopt_old(session)
    draft = processes.adjusted(_old_expense_template(), key="expense_local")
    draft["name"] = "支出报销（修订中）"
    processes.save_draft(session, SYSTEM_ADMIN, draft, unit="czj")
    result = cli(app, "process", "upgrade-templates", "--unit", "czj")
    assert result.exit_code == 0, result.output
    assert "expense_local" in result.output and "跳过: 本单位有该流程的草稿" in result.output
    assert [r.status for r in versions(session, "expense_local")] == [
        ProcessStatus.PUBLISHED, ProcessStatus.DRAFT,
    ]  # fmt: skip


def test_demo_adoptions_of_the_shipped_templates_are_current(app, session):
    # The demo adopted today's templates: nothing to carry forward.
    result = cli(app, "process", "upgrade-templates", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "待升级流程 0 个" in result.output
