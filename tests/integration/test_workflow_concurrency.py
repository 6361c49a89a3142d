"""Two people completing one task at the same moment, with real threads, each request in
its own connection and transaction (no shared test transaction here)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa

from riskctl.extensions import db
from riskctl.workflow.models import Step, Task, TaskStatus
from tests.conftest import IsolatedClient, bearer_for, fresh_database, make_app, with_demo

RACERS = 6


@pytest.fixture(scope="module")
def live_app(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    url, cleanup = fresh_database(backend, tmp_path_factory.mktemp(f"race-{backend}"))
    app = make_app(url)
    app.test_client_class = IsolatedClient
    with_demo(app)
    yield app
    with app.app_context():
        db.engine.dispose()
    cleanup()


def _race(app: Any, calls: list[tuple[str, dict[str, str], dict[str, Any]]]) -> list[Any]:
    """POST every (url, headers, body) at once from its own thread; the responses."""
    gate = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def go(n: int) -> None:
        url, headers, body = calls[n]
        client = app.test_client()
        gate.wait()
        try:
            results[n] = client.post(url, json=body, headers=headers)
        except BaseException as exc:  # reported on the test's thread
            results[n] = exc

    threads = [threading.Thread(target=go, args=(n,)) for n in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_one_task_completed_at_once_by_many_gives_one_success(live_app):
    wangfang = bearer_for(live_app, "czj.wangfang")
    client = live_app.test_client()
    fields = {"purpose": "差旅", "budget_line": "2026-公用经费", "amount": "900.00"}
    item = client.post("/api/v1/items", headers=wangfang,
                       json={"process": "expense_reimbursement", "title": "并发",
                             "fields": fields}).json  # fmt: skip
    task = item["tasks"][0]["id"]
    url = f"/api/v1/tasks/{task}/complete"
    # The same person on several devices, all pressing 提交 together.
    results = _race(live_app, [(url, wangfang, {"comment": f"#{n}"}) for n in range(RACERS)])
    assert all(not isinstance(r, BaseException) for r in results), results
    codes = sorted(r.status_code for r in results)
    assert codes == [200] + [409] * (RACERS - 1), [r.get_json() for r in results]
    losers = {r.json["error"]["code"] for r in results if r.status_code == 409}
    assert losers <= {"task_not_open", "stale_revision"}
    with live_app.app_context():
        steps = db.session.scalars(
            sa.select(Step).where(Step.item_id == item["id"], Step.kind == "complete")
        ).all()
        assert len(steps) == 1  # exactly one step written
        open_chief = db.session.scalars(
            sa.select(Task).where(Task.item_id == item["id"], Task.status == TaskStatus.OPEN)
        ).all()
        assert [t.node for t in open_chief] == ["chief"]  # and one next task, not several
        db.session.remove()


def test_the_three_countersigners_signing_at_once_all_succeed(live_app):
    people = ("czj.wangfang", "czj.liqiang", "czj.zhaolei", "czj.zhangmin", "czj.zhoujie")
    heads = {u: bearer_for(live_app, u) for u in people}
    client = live_app.test_client()
    fields = {"topic": "议题", "decision_type": "重大项目安排"}
    item = client.post("/api/v1/items", headers=heads["czj.wangfang"],
                       json={"process": "major_decision", "title": "并发会签",
                             "fields": fields}).json  # fmt: skip
    task = item["tasks"][0]["id"]
    item = client.post(f"/api/v1/tasks/{task}/complete", json={},
                       headers=heads["czj.wangfang"]).json  # fmt: skip
    task = item["tasks"][0]["id"]
    item = client.post(f"/api/v1/tasks/{task}/complete", json={"decision": "approve"},
                       headers=heads["czj.liqiang"]).json  # fmt: skip
    signer = {"sign_leader": "czj.zhaolei", "sign_finance": "czj.zhangmin",
              "sign_discipline": "czj.zhoujie"}  # fmt: skip
    calls = [
        (f"/api/v1/tasks/{t['id']}/complete", heads[signer[t["node"]]], {"decision": "approve"})
        for t in item["tasks"]
    ]
    assert len(calls) == 3
    results = _race(live_app, calls)
    assert [r.status_code for r in results] == [200, 200, 200], [r.get_json() for r in results]
    final = client.get(f"/api/v1/items/{item['id']}", headers=heads["czj.wangfang"]).json
    assert [t["node"] for t in final["tasks"]] == ["meeting"]  # the join fired exactly once
    assert final["revision"] == 6  # start, propose, legality, three signatures
