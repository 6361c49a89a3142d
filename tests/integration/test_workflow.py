"""Items run through every shipped template over the API, on SQLite and PostgreSQL.

A driver completes each open task as the 区财政局 (czj) person holding its post, with the
decision the test names for that node (else the first one offered), and records the path
of nodes taken.  The paths are the assertions: they prove the branches, returns, the
countersign and its join.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from riskctl.controls.models import ControlHit
from riskctl.core.audit import AuditRecord

# Who does what in czj.  czj.yangjun holds acceptor *and* asset_keeper: the storing is
# czj.sunyan's, since 验收与保管 may not be one person's.
WHO = {
    "handler": "czj.wangfang",
    "purchaser": "czj.wangfang",
    "section_chief": "czj.liqiang",
    "finance_reviewer": "czj.zhangmin",
    "cashier": "czj.liujing",
    "accountant": "czj.chenli",
    "acceptor": "czj.yangjun",
    "asset_keeper": "czj.sunyan",
    "archivist": "czj.sunyan",
    "auditor": "czj.sunyan",
    "leader": "czj.zhaolei",
    "head": "czj.huangwei",
    "discipline_leader": "czj.zhoujie",
}

PROCUREMENT = {
    "budget_project": "2026年办公设备购置",
    "item_category": "货物",
    "method": "公开招标",
    "amount": "380000.00",
}
START_FIELDS = {
    "procurement": PROCUREMENT,
    "construction": {"project": "办公楼维修改造", "budget_project": "2026年基建维修"},
    "asset_acquisition": {"asset_name": "笔记本电脑", "quantity": 10, "amount": "60000.00"},
    "asset_disposal": {"asset_no": "ZC-2019-0031", "disposal_method": "报废",
                       "book_value": "12000.00"},
    "expense_reimbursement": {"purpose": "差旅费", "budget_line": "2026-公用经费",
                              "amount": "3200.50"},
    "contract": {"subject": "物业服务", "counterparty": "城南物业有限公司",
                 "contract_amount": "240000.00"},
    "budget_adjustment": {"budget_line": "2026-信息化建设", "original": "500000.00",
                          "direction": "调增", "change": "80000.00", "reason": "等保测评"},
    "major_decision": {"topic": "办公楼维修改造立项", "decision_type": "重大项目安排",
                       "amount": "1200000.00"},
    "budget_preparation": {"budget_year": "2027", "budget_line": "2027-公用经费",
                           "amount": "1800000.00", "reason": "上年执行数与人员编制"},
    "revenue": {"source": "场地租赁收入", "payer": "城南物业有限公司", "amount": "36000.00"},
}  # fmt: skip


class Driver:
    def __init__(self, client: Any, token_for: Any) -> None:
        self.client = client
        self.token_for = token_for

    def start(
        self, process: str, fields: dict[str, Any] | None = None, who: str = "czj.wangfang"
    ) -> dict[str, Any]:
        body = {"process": process, "title": f"测试{process}", "fields": fields or {}}
        response = self.client.post("/api/v1/items", json=body, headers=self.token_for(who))
        assert response.status_code == 201, response.get_json()
        return response.json

    def complete(
        self,
        task: dict[str, Any],
        who: str | None = None,
        decision: str | None = None,
        fields: dict[str, Any] | None = None,
        expect: int = 200,
    ) -> dict[str, Any]:
        who = who or WHO[task["post"]]
        body: dict[str, Any] = {"fields": fields or {}}
        if decision:
            body["decision"] = decision
        response = self.client.post(
            f"/api/v1/tasks/{task['id']}/complete", json=body, headers=self.token_for(who)
        )
        assert response.status_code == expect, response.get_json()
        return response.json

    def meeting(
        self, task: dict[str, Any], decision: str | None = None, expect: int = 200
    ) -> dict[str, Any]:
        """Record a meeting task's meeting: every member present, the chair last, all of
        one view — agree, or disagree (reject) or defer (return) as ``decision`` asks."""
        who = WHO[task["post"]]
        form = self.client.get(f"/api/v1/tasks/{task['id']}/meeting", headers=self.token_for(who))
        assert form.status_code == 200, form.get_json()
        members = sorted(form.json["members"], key=lambda m: m["is_chair"])
        view = {None: "agree", "approve": "agree", "reject": "disagree"}.get(decision, "defer")
        from riskctl.core.calendar_store import local_date

        today = local_date()
        body = {
            "held_on": today.isoformat(), "topics_sent_on": (today - timedelta(1)).isoformat(),
            "present": [m["person"] for m in members],
            "views": [{"person": m["person"], "view": view} for m in members],
            "observers_present": [o["person"] for o in form.json["observers"]],
            "minutes": "会议讨论了议题，与会成员逐一发表了意见。",
            "decision": None if view == "agree" else decision,
        }  # fmt: skip
        response = self.client.post(
            f"/api/v1/tasks/{task['id']}/meeting", json=body, headers=self.token_for(who)
        )
        assert response.status_code == expect, response.get_json()
        return response.json["item"] if expect == 200 else response.json

    def item(self, item_id: int, who: str = "czj.wangfang") -> dict[str, Any]:
        response = self.client.get(f"/api/v1/items/{item_id}", headers=self.token_for(who))
        assert response.status_code == 200, response.get_json()
        return response.json

    def drive(
        self,
        item: dict[str, Any],
        decisions: dict[str, Iterable[str] | str] | None = None,
        fields: dict[str, dict[str, Any]] | None = None,
        who: dict[str, str] | None = None,
    ) -> tuple[dict[str, Any], list[str]]:
        """Complete open tasks until the item ends; returns it and the nodes completed."""
        queues = {
            node: [d] if isinstance(d, str) else list(d) for node, d in (decisions or {}).items()
        }
        path: list[str] = []
        for _ in range(80):
            if item["status"] != "running":
                return item, path
            task = item["tasks"][0]
            node = task["node"]
            queue = queues.get(node)
            decision = queue.pop(0) if queue else None
            if task["kind"] == "meeting":
                item = self.meeting(task, decision)
                path.append(node)
                continue
            if decision is None and task["decisions"]:
                decision = task["decisions"][0]["key"]
            item = self.complete(
                task,
                who=(who or {}).get(node),
                decision=decision,
                fields=(fields or {}).get(node),
            )
            path.append(node)
        raise AssertionError(f"item did not end; path so far {path}")


@pytest.fixture
def run(client: Any, token_for: Any) -> Driver:
    return Driver(client, token_for)


# ---------------------------------------------------------------- every template


HAPPY_PATHS = {
    "procurement": ["request", "review", "budget_check", "tender_docs", "tender_review",
                    "bidding", "sign", "accept", "store", "pay_review", "pay"],
    "construction": ["feasibility", "decision", "estimate", "estimate_review", "tender",
                     "execution", "acceptance", "pay_review", "payment", "final_accounts",
                     "completion_audit"],
    "asset_acquisition": ["request", "review", "budget_check", "purchase", "accept", "store",
                          "book"],
    "asset_disposal": ["request", "appraisal", "leader_approve", "execute", "receipt"],
    "expense_reimbursement": ["apply", "chief", "review", "pay", "book"],
    "contract": ["draft", "legal_review", "finance_review", "approve", "sign", "perform", "pay",
                 "archive"],
    "budget_adjustment": ["prepare", "review", "leader_approve", "execute", "evaluate"],
    "budget_preparation": ["prepare", "review", "approve", "execute", "evaluate"],
    "revenue": ["register", "collect", "book", "reconcile"],
    "major_decision": ["propose", "legality", "sign_leader", "sign_finance", "sign_discipline",
                       "meeting", "minutes"],
}  # fmt: skip


@pytest.mark.parametrize("process", sorted(HAPPY_PATHS))
def test_every_template_runs_to_its_end(run, process):
    item = run.start(process, START_FIELDS[process])
    assert item["status"] == "running" and item["revision"] == 1
    assert item["steps"][0]["kind"] == "start"
    done, path = run.drive(item)
    assert done["status"] == "completed"
    assert done["tasks"] == []
    assert done["ended_at"] is not None
    assert sorted(path) == sorted(HAPPY_PATHS[process])
    if process != "major_decision":  # the countersign's order is the tasks' order
        assert path == HAPPY_PATHS[process]
    completed = [s["node"] for s in done["steps"] if s["kind"] == "complete"]
    assert completed == path
    assert done["control_hits"] == []
    assert done["revision"] == len(path) + 1


def test_every_step_is_in_the_audit_chain(run, session):
    item = run.start("expense_reimbursement", START_FIELDS["expense_reimbursement"])
    done, path = run.drive(item)
    actions = session.scalars(
        sa.select(AuditRecord.action)
        .where(AuditRecord.target_type == "item", AuditRecord.target_id == str(done["id"]))
        .order_by(AuditRecord.id)
    ).all()
    assert actions == ["item.start"] + ["task.complete"] * len(path)


def test_fields_edited_on_the_way_are_kept_and_typed(run):
    item = run.start("procurement", PROCUREMENT | {"method": "询价"})
    done, _ = run.drive(
        item,
        fields={
            "inquiry": {"bidders": 3, "supplier": "华信科技有限公司", "awarded_on": "2026-03-02"},
            "sign": {"contract_no": "CZJ-2026-017", "contract_amount": "372000",
                     "signed_on": "2026-03-10"},
        },
    )  # fmt: skip
    assert done["fields"]["bidders"] == 3
    assert done["fields"]["supplier"] == "华信科技有限公司"
    assert done["fields"]["contract_amount"] == "372000.00"
    assert done["fields"]["signed_on"] == "2026-03-10"
    sign = next(s for s in done["steps"] if s["node"] == "sign")
    assert sign["changes"]["contract_no"] == [None, "CZJ-2026-017"]


def test_a_field_the_node_may_not_edit_is_refused(run):
    item = run.start("procurement", PROCUREMENT)
    body = run.complete(item["tasks"][0], fields={"supplier": "某公司"}, expect=422)
    assert body["error"]["details"][0]["path"].startswith("fields")


def test_a_required_field_is_required_when_its_node_completes(run):
    item = run.start("procurement", {"method": "询价"})
    body = run.complete(item["tasks"][0], expect=422)
    paths = {d["path"] for d in body["error"]["details"]}
    assert {"fields.budget_project", "fields.amount", "fields.item_category"} <= paths
    done = run.complete(item["tasks"][0], fields=PROCUREMENT)
    assert done["tasks"][0]["node"] == "review"


def test_a_decision_not_offered_is_refused(run):
    item = run.start("expense_reimbursement", START_FIELDS["expense_reimbursement"])
    item = run.complete(item["tasks"][0])
    body = run.complete(item["tasks"][0], decision="maybe", expect=422)
    assert body["error"]["details"][0]["path"] == "decision"


# ---------------------------------------------------------------- procurement branches


@pytest.mark.parametrize(
    ("method", "amount", "through"),
    [
        ("公开招标", "380000.00", ["tender_docs", "tender_review", "bidding"]),
        ("竞争性磋商", "380000.00", ["negotiation_docs", "negotiation_review", "negotiation"]),
        ("询价", "180000.00", ["inquiry"]),
        ("单一来源", "380000.00", ["single_source_approve", "single_source"]),
        ("公开招标", "1000000.00", ["leader_approve", "tender_docs", "tender_review", "bidding"]),
        ("询价", "999999.99", ["inquiry"]),
    ],
)
def test_procurement_branches_by_amount_and_method(run, method, amount, through):
    item = run.start("procurement", PROCUREMENT | {"method": method, "amount": amount})
    done, path = run.drive(item)
    assert done["status"] == "completed"
    assert path[:3] == ["request", "review", "budget_check"]
    assert path[3 : 3 + len(through)] == through
    assert path[3 + len(through) :] == ["sign", "accept", "store", "pay_review", "pay"]


def test_a_leader_rejection_ends_the_item_as_rejected(run):
    item = run.start("procurement", PROCUREMENT | {"amount": "2500000.00"})
    done, path = run.drive(item, decisions={"leader_approve": "reject"})
    assert done["status"] == "rejected"
    assert path == ["request", "review", "budget_check", "leader_approve"]


def test_returns_send_the_item_back_and_it_goes_on(run):
    item = run.start("procurement", PROCUREMENT)
    done, path = run.drive(
        item,
        decisions={
            "review": ["return", "approve"],
            "tender_review": ["return", "approve"],
            "accept": ["fail", "pass"],
        },
    )
    assert done["status"] == "completed"
    assert path[:4] == ["request", "review", "request", "review"]
    assert path.count("tender_docs") == 2
    assert path.count("sign") == 2 and path.count("accept") == 2
    returned = [s for s in done["steps"] if s["decision"] == "return"]
    assert {s["node"] for s in returned} == {"review", "tender_review"}


def test_construction_change_orders_loop_back_to_execution(run):
    item = run.start("construction", START_FIELDS["construction"])
    done, path = run.drive(
        item,
        decisions={"execution": ["change", "change", "complete"]},
        fields={"change_order": {"change_amount": "35000.00"}},
    )
    assert done["status"] == "completed"
    assert path.count("change_order") == 2 and path.count("change_approve") == 2
    assert path.count("execution") == 3
    assert done["fields"]["change_amount"] == "35000.00"


@pytest.mark.parametrize(("value", "via"), [("499999.99", "leader_approve"),
                                              ("500000.00", "collective")])  # fmt: skip
def test_asset_disposal_needs_a_collective_decision_from_half_a_million(run, value, via):
    fields = START_FIELDS["asset_disposal"] | {"book_value": value}
    done, path = run.drive(run.start("asset_disposal", fields))
    assert path[2] == via and done["status"] == "completed"


# ---------------------------------------------------------------- countersign


def test_countersign_opens_three_tasks_at_once_and_joins_them(run):
    item = run.start("major_decision", START_FIELDS["major_decision"])
    item = run.complete(item["tasks"][0])  # propose
    item = run.complete(item["tasks"][0], decision="approve")  # legality
    assert sorted(t["node"] for t in item["tasks"]) == [
        "sign_discipline", "sign_finance", "sign_leader",
    ]  # fmt: skip
    by_node = {t["node"]: t for t in item["tasks"]}
    item = run.complete(by_node["sign_finance"], decision="approve")
    item = run.complete(by_node["sign_discipline"], decision="approve")
    assert sorted(t["node"] for t in item["tasks"]) == ["sign_leader"]  # the join waits
    item = run.complete(by_node["sign_leader"], decision="approve")
    assert [t["node"] for t in item["tasks"]] == ["meeting"]


def test_a_return_after_the_countersign_resets_the_join(run):
    item = run.start("major_decision", START_FIELDS["major_decision"])
    done, path = run.drive(item, decisions={"meeting": ["return", "approve"]})
    assert done["status"] == "completed"
    for node in ("sign_leader", "sign_finance", "sign_discipline", "propose"):
        assert path.count(node) == 2, path
    assert path.count("meeting") == 2


def test_one_person_may_not_sign_twice_in_a_countersign(run, client, token_for, session):
    # 赵磊 (leader) is made finance reviewer as well: the rule still stops a second signature.
    _give_post(session, "czj.zhaolei", "finance_reviewer")
    item = run.start("major_decision", START_FIELDS["major_decision"])
    item = run.complete(item["tasks"][0])
    item = run.complete(item["tasks"][0], decision="approve")
    by_node = {t["node"]: t for t in item["tasks"]}
    run.complete(by_node["sign_leader"], decision="approve")
    body = run.complete(by_node["sign_finance"], who="czj.zhaolei", decision="approve", expect=422)
    assert body["error"]["code"] == "incompatible_posts"


def run_person(session: Any, username: str) -> Any:
    from riskctl.auth.services import find_person

    found = find_person(session, username)
    assert found is not None
    return found


# ---------------------------------------------------------------- cancel


def test_an_admin_cancels_a_running_item_with_a_reason(run, client, token_for, session):
    item = run.start("expense_reimbursement", START_FIELDS["expense_reimbursement"])
    task = item["tasks"][0]
    response = client.post(f"/api/v1/items/{item['id']}/cancel", json={"reason": "重复申请"},
                           headers=token_for("admin"))  # fmt: skip
    assert response.status_code == 200, response.json
    cancelled = response.json
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancel_reason"] == "重复申请"
    assert cancelled["tasks"] == []
    assert cancelled["steps"][-1]["kind"] == "cancel"
    assert cancelled["steps"][-1]["comment"] == "重复申请"
    body = run.complete(task, expect=409)
    assert body["error"]["code"] in {"task_not_open", "item_cancelled"}
    again = client.post(f"/api/v1/items/{item['id']}/cancel", json={"reason": "再次"},
                        headers=token_for("admin"))  # fmt: skip
    assert again.status_code == 409
    audit = session.scalars(
        sa.select(AuditRecord.action).where(
            AuditRecord.target_type == "item", AuditRecord.target_id == str(item["id"])
        )
    ).all()
    assert "item.cancel" in audit


def test_a_cancel_needs_a_reason(run, client, token_for):
    item = run.start("expense_reimbursement", START_FIELDS["expense_reimbursement"])
    response = client.post(f"/api/v1/items/{item['id']}/cancel", json={"reason": ""},
                           headers=token_for("admin"))  # fmt: skip
    assert response.status_code == 422


def test_a_completed_item_cannot_be_cancelled(run, client, token_for):
    done, _ = run.drive(run.start("expense_reimbursement", START_FIELDS["expense_reimbursement"]))
    response = client.post(f"/api/v1/items/{done['id']}/cancel", json={"reason": "晚了"},
                           headers=token_for("admin"))  # fmt: skip
    assert response.status_code == 409


# ---------------------------------------------------------------- who may complete


def test_only_a_holder_of_the_post_completes_a_task(run):
    item = run.start("expense_reimbursement", START_FIELDS["expense_reimbursement"])
    item = run.complete(item["tasks"][0])
    body = run.complete(item["tasks"][0], who="czj.zhangmin", decision="approve", expect=403)
    assert body["error"]["code"] == "not_your_post"


def test_a_task_completed_twice_gives_409(run):
    item = run.start("expense_reimbursement", START_FIELDS["expense_reimbursement"])
    task = item["tasks"][0]
    run.complete(task)
    body = run.complete(task, expect=409)
    assert body["error"]["code"] == "task_not_open"


def test_an_unknown_task_is_404(run):
    body = run.complete({"id": 987654321, "post": "handler"}, expect=404)
    assert body["error"]["code"] == "unknown_task"


def test_my_tasks_lists_the_tasks_of_my_posts(run, client, token_for):
    item = run.start("expense_reimbursement", START_FIELDS["expense_reimbursement"])
    mine = client.get("/api/v1/tasks?limit=200", headers=token_for("czj.wangfang")).json
    assert item["tasks"][0]["id"] in {t["id"] for t in mine["items"]}
    theirs = client.get("/api/v1/tasks?limit=200", headers=token_for("czj.liujing")).json
    assert item["tasks"][0]["id"] not in {t["id"] for t in theirs["items"]}


def test_items_are_listed_with_filters(run, client, token_for):
    first = run.start("expense_reimbursement", START_FIELDS["expense_reimbursement"])
    second = run.start("contract", START_FIELDS["contract"])
    headers = token_for("czj.zhoujie")
    listed = client.get("/api/v1/items?process=contract&limit=200", headers=headers).json
    ids = {i["id"] for i in listed["items"]}
    assert second["id"] in ids and first["id"] not in ids
    running = client.get("/api/v1/items?status=running&unit=czj&limit=200", headers=headers).json
    assert {first["id"], second["id"]} <= {i["id"] for i in running["items"]}
    bad = client.get("/api/v1/items?status=sleeping", headers=headers)
    assert bad.status_code == 422


@pytest.mark.parametrize(
    "moment",
    [datetime(2027, 9, 15, 2, 0, tzinfo=UTC), datetime(2028, 2, 29, 2, 0, tzinfo=UTC)],
    ids=["a-year-on", "29-february"],
)
def test_a_demo_loaded_long_ago_still_works(run, at, moment):
    # The demo was loaded on DEMO_LOADED_AT; an installation is used for years after.
    at(moment)
    item = run.start("procurement", START_FIELDS["procurement"])
    done, path = run.drive(item)
    assert done["status"] == "completed" and path == HAPPY_PATHS["procurement"]
    assert done["steps"][-1]["at"].startswith(moment.date().isoformat())


@pytest.fixture
def national_day_eve(at):
    at(datetime(2026, 9, 30, 2, 0, tzinfo=UTC))  # Wed 10:00 in Beijing


def test_due_times_skip_the_holiday_and_count_the_make_up_saturday(run, national_day_eve):
    # 申请 has 5wd: 10/1–7 off; 10/8, 10/9, 10/10 (Saturday, 调休), 10/12, 10/13.
    item = run.start("expense_reimbursement", START_FIELDS["expense_reimbursement"])
    assert item["tasks"][0]["due_at"] == "2026-10-13T16:00:00+00:00"


def test_an_administrators_override_wins_over_the_package(run, client, token_for,
                                                          national_day_eve):  # fmt: skip
    put = client.put("/api/v1/calendar/overrides/2026-10-12",
                     json={"is_working": False, "reason": "测试：临时放假"},
                     headers=token_for("admin"))  # fmt: skip
    assert put.status_code == 200
    item = run.start("expense_reimbursement", START_FIELDS["expense_reimbursement"])
    assert item["tasks"][0]["due_at"] == "2026-10-14T16:00:00+00:00"


# ---------------------------------------------------------------- incompatible posts


def _hits(session: Any, item_id: int) -> list[ControlHit]:
    return list(session.scalars(sa.select(ControlHit).where(ControlHit.item_id == item_id)).all())


def test_a_block_pair_is_refused_with_the_rule_and_the_earlier_step(run, session):
    # 杨军 holds acceptor and asset_keeper: he may accept or store, never both.
    item = run.start("procurement", PROCUREMENT | {"method": "询价"})
    for _ in range(5):  # request, review, budget_check, inquiry, sign
        item = run.complete(item["tasks"][0], decision=_first(item["tasks"][0]))
    item = run.complete(item["tasks"][0], who="czj.yangjun", decision="pass")  # accept
    accept_step = next(s for s in item["steps"] if s["node"] == "accept")
    store = item["tasks"][0]
    assert store["node"] == "store"
    body = run.complete(store, who="czj.yangjun", expect=422)
    error = body["error"]
    assert error["code"] == "incompatible_posts"
    assert "不相容岗位" in error["message"] and "履约验收" in error["message"]
    assert "Incompatible posts" not in error["message"]  # the caller's language only
    rule = next(d for d in error["details"] if d["path"] == "rule")
    assert rule["rule"] == "accept~store"
    step = next(d for d in error["details"] if d["path"] == "step")
    assert step["step"]["id"] == accept_step["id"] and step["step"]["node"] == "accept"
    # Refused, recorded, nothing moved; another keeper then stores.
    hits = _hits(session, item["id"])
    assert [(h.rule, h.outcome.value, h.mode.value) for h in hits] == [
        ("procurement:accept~store", "refused", "block")
    ]
    assert hits[0].earlier_step_id == accept_step["id"]
    assert hits[0].step_id is None
    audit = session.scalars(
        sa.select(AuditRecord).where(AuditRecord.action == "task.refused",
                                     AuditRecord.target_id == str(item["id"]))
    ).all()  # fmt: skip
    assert len(audit) == 1
    after = run.item(item["id"])
    assert after["revision"] == item["revision"] and after["tasks"][0]["id"] == store["id"]
    stored = run.complete(store, who="czj.sunyan")
    assert stored["tasks"][0]["node"] == "pay_review"


def test_the_refusal_is_recorded_even_though_the_request_failed(run, session):
    item = run.start("expense_reimbursement", START_FIELDS["expense_reimbursement"])
    item = run.complete(item["tasks"][0])  # apply by 王芳
    run.complete(item["tasks"][0], who="czj.wangfang", expect=403)  # not her post at all
    assert _hits(session, item["id"]) == []


def _first(task: dict[str, Any]) -> str | None:
    return task["decisions"][0]["key"] if task["decisions"] else None


def _give_post(session: Any, username: str, post_code: str) -> None:
    from riskctl.org.models import Post, PostAssignment

    who = run_person(session, username)
    post = session.scalar(sa.select(Post).where(Post.code == post_code,
                                                Post.unit_id == who.unit_id))  # fmt: skip
    session.add(PostAssignment(person_id=who.id, post_id=post.id, valid_from=date(2026, 1, 1)))
    session.flush()


def test_a_post_is_held_by_the_local_day_of_the_step(run, client, session, at):
    # 李强 is 采购经办 from 10 to 20 December (days in Beijing, as the appointment says).
    # At 07:00 in Beijing it is still the day before in UTC: the local day decides.
    from riskctl.auth.services import issue_token
    from riskctl.org.models import Post, PostAssignment

    who = run_person(session, "czj.liqiang")
    post = session.scalar(sa.select(Post).where(Post.code == "purchaser",
                                                Post.unit_id == who.unit_id))  # fmt: skip
    held = (date(2026, 12, 10), date(2026, 12, 20))
    session.add(PostAssignment(person_id=who.id, post_id=post.id, valid_from=held[0],
                               valid_to=held[1]))  # fmt: skip
    session.flush()
    at(datetime(2026, 12, 9, 2, 0, tzinfo=UTC))
    items = [run.start("procurement", PROCUREMENT) for _ in range(4)]

    def request_at(item: dict[str, Any], moment: datetime, expect: int) -> None:
        at(moment)
        token, _ = issue_token(session, who, ttl=timedelta(hours=1))
        bearer = {"Authorization": f"Bearer {token}"}
        url = f"/api/v1/tasks/{item['tasks'][0]['id']}/complete"
        answer = client.post(url, json={"fields": {}}, headers=bearer)
        assert answer.status_code == expect, answer.json

    request_at(items[0], datetime(2026, 12, 9, 15, 30, tzinfo=UTC), 403)  # 9th, 23:30 Beijing
    request_at(items[1], datetime(2026, 12, 9, 23, 0, tzinfo=UTC), 200)  # 10th, 07:00
    request_at(items[2], datetime(2026, 12, 20, 15, 30, tzinfo=UTC), 200)  # 20th, 23:30
    request_at(items[3], datetime(2026, 12, 20, 23, 0, tzinfo=UTC), 403)  # 21st, 07:00


def test_a_flag_pair_lets_the_step_through_and_records_a_hit(run, session):
    # 王芳 wrote the requirement; made acceptor, she accepts the goods herself.  李强, made
    # purchaser too, signs (签订与验收 is a block pair; only the flag pair should fire).
    _give_post(session, "czj.wangfang", "acceptor")
    _give_post(session, "czj.liqiang", "purchaser")
    item = run.start("procurement", PROCUREMENT | {"method": "询价"})
    for _ in range(4):
        item = run.complete(item["tasks"][0], decision=_first(item["tasks"][0]))
    item = run.complete(item["tasks"][0], who="czj.liqiang")  # sign: not 王芳 (sign~accept)
    item = run.complete(item["tasks"][0], who="czj.wangfang", decision="pass")
    assert item["tasks"][0]["node"] == "store"
    hits = item["control_hits"]
    assert [(h["rule"], h["outcome"], h["mode"]) for h in hits] == [
        ("procurement:request~accept", "flagged", "flag")
    ]
    accept = next(s for s in item["steps"] if s["node"] == "accept")
    request = next(s for s in item["steps"] if s["node"] == "request")
    assert hits[0]["step_id"] == accept["id"] and hits[0]["earlier_step_id"] == request["id"]
    assert hits[0]["person"] == "czj.wangfang"


def test_a_mitigation_turns_a_flag_into_a_mitigated_hit(run, client, token_for, session):
    _give_post(session, "czj.wangfang", "acceptor")
    _give_post(session, "czj.liqiang", "purchaser")
    response = client.post(
        "/api/v1/mitigations",
        json={"unit": "czj", "rule": "procurement:request~accept", "person": "czj.wangfang",
              "name": "验收由纪检组长现场监督并签字", "approver": "czj.zhoujie",
              "valid_from": "2026-01-01", "valid_to": "2026-12-31"},
        headers=token_for("admin"),
    )  # fmt: skip
    assert response.status_code == 201, response.json
    mitigation = response.json["id"]
    item = run.start("procurement", PROCUREMENT | {"method": "询价"})
    for _ in range(4):
        item = run.complete(item["tasks"][0], decision=_first(item["tasks"][0]))
    item = run.complete(item["tasks"][0], who="czj.liqiang")
    item = run.complete(item["tasks"][0], who="czj.wangfang", decision="pass")
    (hit,) = item["control_hits"]
    assert hit["outcome"] == "mitigated" and hit["mitigation_id"] == mitigation


def test_a_mitigation_cannot_be_approved_by_the_person_it_covers(client, token_for):
    response = client.post(
        "/api/v1/mitigations",
        json={"unit": "czj", "rule": "procurement:request~accept", "person": "czj.wangfang",
              "name": "自己批准", "approver": "czj.wangfang",
              "valid_from": "2026-01-01", "valid_to": "2026-12-31"},
        headers=token_for("admin"),
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json["error"]["details"][0]["path"] == "approver"


def test_a_declared_conflict_of_interest_refuses_the_procurement_step(run, session):
    # 政府采购法 第十二条: 采购人员及相关人员与供应商有利害关系的，必须回避 — block, not flag.
    from riskctl.org.models import ConflictOfInterest

    zhangmin = run_person(session, "czj.zhangmin")
    session.add(ConflictOfInterest(person_id=zhangmin.id, counterparty="华信科技",
                                   relation="配偶任职", declared_on=date(2026, 1, 5)))  # fmt: skip
    session.flush()
    item = run.start("procurement", PROCUREMENT | {"method": "询价"})
    for _ in range(3):
        item = run.complete(item["tasks"][0], decision=_first(item["tasks"][0]))
    item = run.complete(item["tasks"][0], fields={"supplier": "华信科技有限公司", "bidders": 3})
    while item["tasks"][0]["node"] != "pay_review":
        item = run.complete(item["tasks"][0], decision=_first(item["tasks"][0]))
    body = run.complete(item["tasks"][0], who="czj.zhangmin", decision="approve", expect=422)
    assert body["error"]["code"] == "conflict_of_interest"
    assert "华信科技有限公司" in body["error"]["message"]
    hits = [h for h in run.item(item["id"])["control_hits"] if h["kind"] == "conflict_of_interest"]
    assert [(h["person"], h["node"], h["outcome"]) for h in hits] == [
        ("czj.zhangmin", "pay_review", "refused")
    ]
    assert hits[0]["evidence"]["item_value"] == "华信科技有限公司"


def test_control_hits_are_listed_for_the_discipline_leader(run, client, token_for, session):
    test_a_flag_pair_lets_the_step_through_and_records_a_hit(run, session)
    listed = client.get("/api/v1/control-hits?unit=czj&outcome=flagged",
                        headers=token_for("czj.zhoujie")).json  # fmt: skip
    assert any(h["rule"] == "procurement:request~accept" for h in listed["items"])
    assert client.get("/api/v1/control-hits", headers=token_for("czj.wangfang")).status_code == 403


# ---------------------------------------------------------------- static pairs


def _person_body(posts: list[str], username: str = "czj.newcomer") -> dict[str, Any]:
    return {"username": username, "password": "a-long-password-1", "name": "新人",
            "phone": "+8613900008888", "unit": "czj", "roles": ["staff"],
            "posts": posts}  # fmt: skip


def test_static_block_refuses_giving_a_cashier_the_accountant_post(client, token_for, session):
    response = client.post("/api/v1/people", json=_person_body(["cashier", "accountant"]),
                           headers=token_for("admin"))  # fmt: skip
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["code"] == "incompatible_posts"
    assert any(d.get("rule") == "posts:accountant~cashier" for d in error["details"])
    refused = session.scalars(
        sa.select(ControlHit).where(ControlHit.rule == "posts:accountant~cashier",
                                    ControlHit.kind == "static")
    ).all()  # fmt: skip
    assert [h.outcome.value for h in refused] == ["refused"]


def test_static_flag_pair_is_recorded_and_the_post_given(client, token_for, session):
    made = client.post("/api/v1/units/czj/incompatible-posts",
                       json={"posts": ["purchaser", "acceptor"], "mode": "flag",
                             "name": "采购与验收宜分离"},
                       headers=token_for("admin"))  # fmt: skip
    assert made.status_code == 201
    response = client.post("/api/v1/people", json=_person_body(["purchaser", "acceptor"]),
                           headers=token_for("admin"))  # fmt: skip
    assert response.status_code == 201, response.json
    hits = session.scalars(
        sa.select(ControlHit).where(ControlHit.rule == "posts:acceptor~purchaser")
    ).all()
    assert [(h.kind.value, h.outcome.value) for h in hits] == [("static", "flagged")]


def test_a_unit_may_switch_a_default_pair_off(client, token_for):
    made = client.post("/api/v1/units/czj/incompatible-posts",
                       json={"posts": ["archivist", "cashier"], "mode": "off"},
                       headers=token_for("admin"))  # fmt: skip
    assert made.status_code == 201
    pair = next(p for p in made.json if p["rule"] == "posts:archivist~cashier")
    assert pair["mode"] == "off" and pair["unit_specific"]
    response = client.post("/api/v1/people", json=_person_body(["cashier", "archivist"]),
                           headers=token_for("admin"))  # fmt: skip
    assert response.status_code == 201
    other = client.get("/api/v1/units/nmj/incompatible-posts", headers=token_for("admin")).json
    assert next(p for p in other if p["rule"] == "posts:archivist~cashier")["mode"] == "block"


def test_static_block_applies_to_the_csv_import(client, token_for):
    people = ("username,name,phone,unit,roles,posts,risk,scope\n"
              "czj.importee,导入,+8613900007777,czj,staff,cashier;auditor,3,\n")  # fmt: skip
    import io

    response = client.post(
        "/api/v1/org/import",
        data={"people": (io.BytesIO(people.encode()), "people.csv")},
        headers=token_for("admin"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422, response.json
    (problem,) = response.json["error"]["details"]
    assert problem["row"] == 2 and problem["path"] == "posts"
    assert "稽核" in problem["message"] and "出纳" in problem["message"]


# ---------------------------------------------------------------- process versions


SMALL = """key: leave_note
name: 请假条
category: other
nodes:
  - {key: s, kind: start}
  - {key: ask, name: 申请, post: handler, limit: 1wd}
  - {key: ok, name: 批准, post: section_chief, limit: 1wd, decisions: [approve]}
  - {key: e, kind: end}
edges:
  - [s, ask]
  - [ask, ok]
  - [ok, e]
"""


def _post_definition(client: Any, token_for: Any, text: str) -> Any:
    return client.post("/api/v1/processes?unit=czj", data=text.encode(),
                       content_type="application/yaml", headers=token_for("admin"))  # fmt: skip


def test_draft_publish_and_running_items_keep_their_version(run, client, token_for):
    assert _post_definition(client, token_for, SMALL).status_code == 201
    published = client.post("/api/v1/processes/leave_note/publish?unit=czj",
                            headers=token_for("admin"))  # fmt: skip
    assert published.status_code == 200 and published.json["version"] == 1
    old = run.start("leave_note")
    v2 = SMALL.replace("limit: 1wd}\n  - {key: ok", "limit: 1wd}\n  - {key: check, name: 复核, "
                       "post: finance_reviewer, limit: 1wd}\n  - {key: ok")  # fmt: skip
    v2 = v2.replace("  - [ask, ok]", "  - [ask, check]\n  - [check, ok]")
    draft = _post_definition(client, token_for, v2)
    assert draft.status_code == 201 and draft.json["version"] == 2
    assert draft.json["status"] == "draft"
    assert client.post("/api/v1/processes/leave_note/publish?unit=czj",
                       headers=token_for("admin")).json["version"] == 2  # fmt: skip
    new = run.start("leave_note")
    assert new["version"] == 2 and old["version"] == 1
    _, old_path = run.drive(old)
    _, new_path = run.drive(new)
    assert old_path == ["ask", "ok"] and new_path == ["ask", "check", "ok"]
    v1 = client.get("/api/v1/processes/leave_note?unit=czj&version=1",
                    headers=token_for("czj.wangfang")).json  # fmt: skip
    assert v1["status"] == "retired"


def test_publishing_twice_or_without_a_draft_is_a_conflict(client, token_for):
    assert _post_definition(client, token_for, SMALL).status_code == 201
    url = "/api/v1/processes/leave_note/publish?unit=czj"
    assert client.post(url, headers=token_for("admin")).status_code == 200
    again = client.post(url, headers=token_for("admin"))
    assert again.status_code == 409


def test_validation_lists_every_problem_with_its_path(client, token_for):
    bad = SMALL.replace("post: section_chief", "post: astronaut").replace(
        "limit: 1wd}", "limit: 3x}"
    )
    response = client.post("/api/v1/processes/validate?unit=czj", data=bad.encode(),
                           content_type="application/yaml", headers=token_for("admin"))  # fmt: skip
    assert response.status_code == 200
    body = response.json
    assert body["ok"] is False
    paths = [p["path"] for p in body["problems"]]
    assert "nodes[2].post" in paths
    assert "nodes[1].limit" in paths
    saved = _post_definition(client, token_for, bad)
    assert saved.status_code == 422
    assert saved.json["error"]["code"] == "invalid_definition"
    assert len(saved.json["error"]["details"]) == len(body["problems"])


def test_a_definition_that_is_not_yaml_is_a_clear_422(client, token_for):
    response = _post_definition(client, token_for, "key: [unclosed")
    assert response.status_code == 422


def test_adopting_a_template_with_local_posts_limits_and_risks(client, token_for):
    response = client.post(
        "/api/v1/processes/adopt",
        json={"template": "expense_reimbursement", "unit": "czj", "key": "expense_small",
              "name": "支出报销（小额）", "limits": {"pay": "1wd"},
              "risks": {"pay": 5, "process": 2}, "posts": {"section_chief": "leader"}},
        headers=token_for("admin"),
    )  # fmt: skip
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "published" and body["template"] == "expense_reimbursement"
    nodes = {n["key"]: n for n in body["definition"]["nodes"]}
    assert nodes["pay"]["limit"] == "1wd" and nodes["pay"]["risk"] == 5
    assert nodes["chief"]["post"] == "leader"
    assert body["risk"] == 2
    wrong = client.post("/api/v1/processes/adopt",
                        json={"template": "expense_reimbursement", "unit": "czj",
                              "posts": {"section_chief": "astronaut"}},
                        headers=token_for("admin"))  # fmt: skip
    assert wrong.status_code == 422


def test_templates_are_listed_and_readable(client, token_for):
    listed = client.get("/api/v1/process-templates", headers=token_for("czj.wangfang")).json
    assert {t["key"] for t in listed} == set(HAPPY_PATHS)
    one = client.get("/api/v1/process-templates/procurement", headers=token_for("czj.wangfang"))
    assert "政府采购" in one.json["source"]
    assert client.get("/api/v1/process-templates/nope",
                      headers=token_for("czj.wangfang")).status_code == 404  # fmt: skip


# ---------------------------------------------------------------- calendar overrides


def test_calendar_overrides_are_set_listed_and_removed(run, client, token_for):
    put = client.put("/api/v1/calendar/overrides/2027-02-06",
                     json={"is_working": False, "reason": "测试：国务院通知"},
                     headers=token_for("admin"))  # fmt: skip
    assert put.status_code == 200 and put.json["is_working"] is False
    listed = client.get("/api/v1/calendar/overrides?from=2027-01-01&to=2027-12-31",
                        headers=token_for("czj.wangfang")).json  # fmt: skip
    assert [o["day"] for o in listed] == ["2027-02-06"]
    bad = client.put("/api/v1/calendar/overrides/2027-13-01",
                     json={"is_working": True, "reason": "x"},
                     headers=token_for("admin"))  # fmt: skip
    assert bad.status_code == 404
    gone = client.delete("/api/v1/calendar/overrides/2027-02-06", headers=token_for("admin"))
    assert gone.status_code == 204
