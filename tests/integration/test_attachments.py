"""Attachments over the API and the pages, on SQLite and PostgreSQL: who may attach, list,
download and withdraw; the type judged by the content; the size limit; the files stored
once per SHA-256 outside the database; a missing or altered file reported; the audit
chain intact.  In 区财政局 czj.wangfang starts an expense item and holds its first task,
czj.liqiang (section chief) holds the next; czj.zhoujie is the discipline leader,
jw.liuhong an inspector over czj, nmj.gaopeng staff of another unit."""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import quote, unquote

import pytest
import sqlalchemy as sa

from riskctl.attachments.models import Attachment
from riskctl.core.audit import AuditRecord, verify_chain
from riskctl.files.storage import FileStore
from tests import files
from tests.integration.test_pages import csrf_from, sign_in

STARTER = "czj.wangfang"
EXPENSE = {"purpose": "差旅", "budget_line": "2026-公用经费", "amount": "800.00"}


@pytest.fixture
def item(client: Any, token_for: Any, store: FileStore) -> dict[str, Any]:
    body = {"process": "expense_reimbursement", "title": "附件测试", "fields": EXPENSE}
    response = client.post("/api/v1/items", json=body, headers=token_for(STARTER))
    assert response.status_code == 201, response.get_json()
    return response.json


def multipart(data: bytes, name: str) -> tuple[bytes, str]:
    """A multipart body with one part ``file`` (built here: the test client spools a large
    one to a temporary file that it never closes)."""
    boundary = "riskctl-test-boundary-7f3a"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f"filename*=UTF-8''{quote(name, safe='')}\r\nContent-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return (
        head + data + f"\r\n--{boundary}--\r\n".encode(),
        f"multipart/form-data; boundary={boundary}",
    )


def upload(
    client: Any, token_for: Any, item_id: int, data: bytes, name: str, *, who: str = STARTER,
    expect: int = 201, query: str = "",
) -> dict[str, Any]:  # fmt: skip
    body, content_type = multipart(data, name)
    response = client.post(
        f"/api/v1/items/{item_id}/attachments{query}",
        data=body,
        content_type=content_type,
        headers=token_for(who),
    )
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def download(client: Any, attachment_id: int, who: Any) -> Any:
    """GET the content and close the response (its file) as a server would."""
    response = client.get(f"/api/v1/attachments/{attachment_id}/content", headers=who)
    response.get_data()
    response.close()
    return response


def audited(session: Any, action: str) -> list[AuditRecord]:
    return list(
        session.scalars(
            sa.select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id)
        )
    )


def test_an_upload_is_stored_by_its_sha256_and_its_digest_is_on_the_audit_chain(
    client, token_for, session, item, store
):
    import hashlib

    data = files.pdf()
    body = upload(client, token_for, item["id"], data, "采购合同.pdf")
    assert body["sha256"] == hashlib.sha256(data).hexdigest() and body["size"] == len(data)
    assert (body["filename"], body["content_type"]) == ("采购合同.pdf", "application/pdf")
    assert body["uploaded_by"] == STARTER and body["is_withdrawn"] is False
    assert store.path_of(body["sha256"]).read_bytes() == data
    created = audited(session, "attachment.created")[-1]
    assert created.after["sha256"] == body["sha256"] and created.after["size"] == len(data)
    assert created.actor == STARTER and created.unit_id is not None


def test_whoever_sees_the_item_lists_and_downloads_and_no_one_else(
    client, token_for, session, item
):
    body = upload(client, token_for, item["id"], files.pdf(), "验收报告.pdf")
    for who in ("czj.liqiang", "czj.zhoujie", "jw.liuhong", "admin"):
        listed = client.get(f"/api/v1/items/{item['id']}/attachments", headers=token_for(who))
        assert listed.status_code == 200
        assert [(a["id"], a["file_status"]) for a in listed.json["items"]] == [(body["id"], "ok")]
        assert download(client, body["id"], token_for(who)).status_code == 200
    other = token_for("nmj.gaopeng")
    assert client.get(f"/api/v1/items/{item['id']}/attachments", headers=other).status_code == 404
    assert client.get(f"/api/v1/attachments/{body['id']}", headers=other).status_code == 404
    assert download(client, body["id"], other).status_code == 404
    assert len(audited(session, "attachment.downloaded")) == 4


def test_a_download_is_an_attachment_named_in_rfc_5987_never_inline(client, token_for, item):
    data = files.text()
    body = upload(client, token_for, item["id"], data, "会议纪要 (终稿).txt")
    got = download(client, body["id"], token_for("jw.liuhong"))
    assert got.data == data
    disposition = got.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    encoded = re.search(r"filename\*=UTF-8''([^;\s]+)", disposition)
    assert encoded and unquote(encoded.group(1)) == "会议纪要 (终稿).txt"
    assert "会" not in disposition  # the header itself stays ASCII
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Type"].startswith("text/plain")
    assert "no-store" in got.headers["Cache-Control"]


def test_only_the_starter_or_a_holder_of_an_open_task_attaches(client, token_for, session, item):
    upload(client, token_for, item["id"], files.pdf(), "a.pdf", who="czj.liqiang", expect=403)
    upload(client, token_for, item["id"], files.pdf(), "a.pdf", who="czj.zhoujie", expect=403)
    upload(client, token_for, item["id"], files.pdf(), "a.pdf", who="jw.liuhong", expect=403)
    upload(client, token_for, item["id"], files.pdf(), "a.pdf", who="nmj.gaopeng", expect=404)
    task = item["tasks"][0]
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={},
                       headers=token_for(STARTER)).json  # fmt: skip
    review = done["tasks"][0]
    assert review["post"] == "section_chief"
    body = upload(client, token_for, item["id"], files.pdf(), "审核意见.pdf", who="czj.liqiang",
                  query=f"?task={review['id']}")  # fmt: skip
    assert (body["task_id"], body["node"]) == (review["id"], review["node"])
    # The starter may still attach, and to the step they did; not to someone else's task.
    step = next(s for s in done["steps"] if s["node"] == task["node"])
    body = upload(
        client, token_for, item["id"], files.pdf(), "补充.pdf", query=f"?step={step['id']}"
    )
    assert body["step_id"] == step["id"]
    upload(client, token_for, item["id"], files.pdf(), "x.pdf", query=f"?task={review['id']}",
           expect=403)  # fmt: skip
    assert session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 2


@pytest.mark.parametrize(
    ("make", "name", "why"),
    [
        (files.exe, "发票.pdf", "可执行文件"),
        (files.html, "报告.txt", "网页"),
        (files.svg, "图.txt", "网页"),
        (files.pdf, "合同.docx", "与扩展名"),
        (files.docm, "宏.docx", "宏"),
        (lambda: b"", "空.pdf", "为空"),
        (files.pdf, "合同.exe", "扩展名"),
    ],
)
def test_hostile_files_are_refused_with_a_chinese_reason_and_nothing_is_kept(
    client, token_for, session, item, store, make, name, why
):
    body = upload(client, token_for, item["id"], make(), name, expect=422)
    assert body["error"]["details"][0]["path"] == "file"
    assert why in body["error"]["message"]
    assert session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0
    assert not any(p.is_file() for p in store.root.rglob("*"))


def test_a_path_in_the_name_is_dropped_and_the_file_lands_in_the_store(
    client, token_for, item, store
):
    body = upload(client, token_for, item["id"], files.pdf(), "../../../../etc/合同.pdf")
    assert body["filename"] == "合同.pdf"
    body = upload(client, token_for, item["id"], files.png(), "..\\..\\win\\扫描件.png")
    assert body["filename"] == "扫描件.png"
    stored = [p for p in store.root.rglob("*") if p.is_file()]
    assert len(stored) == 2 and all(p.is_relative_to(store.root) for p in stored)


def test_the_same_file_twice_is_stored_once_with_two_records(client, token_for, item, store):
    data = files.docx()
    first = upload(client, token_for, item["id"], data, "合同.docx")
    second = upload(client, token_for, item["id"], data, "合同（副本）.docx")
    assert first["id"] != second["id"] and first["sha256"] == second["sha256"]
    assert [p for p in store.root.rglob("*") if p.is_file()] == [store.path_of(first["sha256"])]


def test_every_allowed_kind_is_accepted(client, token_for, item):
    for make, name, kind in ((files.xlsx, "明细.xlsx", "spreadsheetml"),
                             (files.ofd, "发票.ofd", "ofd"), (files.jpeg, "照片.jpg", "jpeg"),
                             (files.png, "扫描.png", "png")):  # fmt: skip
        assert kind in upload(client, token_for, item["id"], make(), name)["content_type"]


def test_a_file_over_the_limit_is_refused_with_413(
    app, client, token_for, session, item, store, monkeypatch
):
    monkeypatch.setitem(app.config, "RISKCTL_ATTACHMENT_MAX_BYTES", 1024)
    over = files.pdf(b"x" * 2000)
    body = upload(client, token_for, item["id"], over, "大.pdf", expect=413)
    assert body["error"]["code"] == "file_too_large" and "上限" in body["error"]["message"]
    # Far over (beyond the request's own limit): refused before the body is read.
    huge = files.pdf(b"x" * (200 * 1024))
    body = upload(client, token_for, item["id"], huge, "大.pdf", expect=413)
    assert body["error"]["code"] == "file_too_large" and "上限" in body["error"]["message"]
    assert session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0
    assert upload(client, token_for, item["id"], files.pdf(b"y" * 900), "小.pdf")["size"] <= 1024


def test_an_upload_larger_than_the_usual_request_limit_is_accepted(
    app, client, token_for, item, monkeypatch
):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    body = upload(client, token_for, item["id"], files.pdf(b"z" * (512 * 1024)), "扫描.pdf")
    assert body["size"] > 512 * 1024


def test_a_wrong_file_is_withdrawn_with_a_reason_never_deleted(client, token_for, session, item):
    body = upload(client, token_for, item["id"], files.pdf(), "错传.pdf")
    url = f"/api/v1/attachments/{body['id']}/withdraw"
    assert (
        client.post(url, json={"reason": "x"}, headers=token_for("czj.liqiang")).status_code == 403
    )
    assert client.post(url, json={"reason": ""}, headers=token_for(STARTER)).status_code == 422
    done = client.post(url, json={"reason": "传错了文件"}, headers=token_for(STARTER))
    assert done.status_code == 200
    assert (done.json["is_withdrawn"], done.json["withdrawn_reason"]) == (True, "传错了文件")
    assert client.post(url, json={"reason": "再撤"}, headers=token_for(STARTER)).status_code == 409
    change = audited(session, "attachment.updated")[-1]
    assert change.after["is_withdrawn"] is True and change.after["withdrawn_reason"] == "传错了文件"
    listed = client.get(f"/api/v1/items/{item['id']}/attachments", headers=token_for("czj.liqiang"))
    assert [a["is_withdrawn"] for a in listed.json["items"]] == [True]
    assert download(client, body["id"], token_for("czj.liqiang")).status_code == 403
    for who in (STARTER, "czj.zhoujie", "jw.liuhong"):
        assert download(client, body["id"], token_for(who)).status_code == 200
    assert session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 1


def test_a_missing_or_altered_file_is_reported_on_download_and_recorded(
    client, token_for, session, item, store
):
    gone = upload(client, token_for, item["id"], files.pdf(), "缺失.pdf")
    changed = upload(client, token_for, item["id"], files.pdf(), "改动.pdf")
    store.path_of(gone["sha256"]).unlink()
    path = store.path_of(changed["sha256"])
    path.chmod(0o644)
    path.write_bytes(path.read_bytes().replace(b"%%EOF", b"%%EOX"))
    who = token_for("jw.liuhong")
    missing = client.get(f"/api/v1/attachments/{gone['id']}/content", headers=who)
    assert missing.status_code == 410 and missing.json["error"]["code"] == "file_missing"
    assert "文件缺失" in missing.json["error"]["message"]
    altered = client.get(f"/api/v1/attachments/{changed['id']}/content", headers=who)
    assert altered.status_code == 409 and altered.json["error"]["code"] == "file_altered"
    assert "文件已被改动" in altered.json["error"]["message"]
    listed = client.get(f"/api/v1/items/{item['id']}/attachments", headers=who).json["items"]
    assert [a["file_status"] for a in listed] == ["missing", "altered"]
    assert [r.target_id for r in audited(session, "attachment.file_missing")] == [str(gone["id"])]
    assert [r.target_id for r in audited(session, "attachment.file_altered")] == [
        str(changed["id"])
    ]


def test_the_cli_verifies_every_file(app, client, token_for, session, item, store):
    ok = upload(client, token_for, item["id"], files.pdf(), "好.pdf")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["riskctl", "attachments", "verify"])
    assert result.exit_code == 0, result.output
    assert "附件完好" in result.output
    bad = upload(client, token_for, item["id"], files.png(), "坏.png")
    store.path_of(bad["sha256"]).unlink()
    result = runner.invoke(args=["riskctl", "attachments", "verify"])
    assert result.exit_code == 1
    assert f"附件 {bad['id']}" in result.output and "文件缺失" in result.output
    assert f"附件 {ok['id']}" not in result.output


def test_the_audit_chain_verifies_after_uploads_and_withdrawals(
    app, client, token_for, session, item
):
    body = upload(client, token_for, item["id"], files.pdf(), "合同.pdf")
    upload(client, token_for, item["id"], files.pdf(), "合同二.pdf")
    assert download(client, body["id"], token_for("jw.liuhong")).status_code == 200
    client.post(f"/api/v1/attachments/{body['id']}/withdraw", json={"reason": "重复"},
                headers=token_for(STARTER))  # fmt: skip
    result = app.test_cli_runner().invoke(args=["riskctl", "audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "审计链完好" in result.output
    assert verify_chain(session).ok


# ---------------------------------------------------------------- pages


def _browser(app: Any, username: str) -> Any:
    browser = app.test_client()
    assert sign_in(browser, username).status_code == 302
    return browser


def test_the_item_page_lists_the_files_and_marks_a_missing_or_altered_one(
    app, client, token_for, item, store
):
    gone = upload(client, token_for, item["id"], files.pdf(), "缺失.pdf")
    changed = upload(client, token_for, item["id"], files.pdf(), "改动.pdf")
    upload(client, token_for, item["id"], files.pdf(), "完好.pdf")
    store.path_of(gone["sha256"]).unlink()
    path = store.path_of(changed["sha256"])
    path.chmod(0o644)
    path.write_bytes(b"%PDF-forged")
    html = _browser(app, "jw.liuhong").get(f"/items/{item['id']}").get_data(as_text=True)
    assert "缺失.pdf" in html and "完好.pdf" in html
    assert "文件缺失" in html and "文件已被改动" in html
    assert f"/api/v1/attachments/{gone['id']}/content" in html
    assert 'enctype="multipart/form-data"' not in html  # the inspector does not attach


def test_a_file_is_attached_from_the_task_page_to_its_step(app, session, item, store):
    browser = _browser(app, STARTER)
    task = item["tasks"][0]
    html = browser.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and f'name="task" value="{task["id"]}"' in html
    response = browser.post(
        f"/items/{item['id']}/attachments",
        data={"csrf_token": csrf_from(html), "task": str(task["id"]),
              "back": f"/tasks/{task['id']}", "file": (io.BytesIO(files.pdf()), "申请表.pdf")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 302 and response.headers["Location"] == f"/tasks/{task['id']}"
    row = session.scalars(sa.select(Attachment)).one()
    assert (row.task_id, row.node, row.filename) == (task["id"], task["node"], "申请表.pdf")
    page = browser.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert "申请表.pdf" in page and re.search(r"已上传|File attached", page)


def test_a_refused_file_on_the_page_says_why(app, session, item, store):
    browser = _browser(app, STARTER)
    html = browser.get(f"/items/{item['id']}").get_data(as_text=True)
    response = browser.post(
        f"/items/{item['id']}/attachments",
        data={"csrf_token": csrf_from(html), "file": (io.BytesIO(files.exe()), "发票.pdf")},
        content_type="multipart/form-data", follow_redirects=True,
    )  # fmt: skip
    assert "可执行文件" in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0


def test_a_file_is_withdrawn_from_the_item_page(app, client, token_for, session, item):
    body = upload(client, token_for, item["id"], files.pdf(), "错传.pdf")
    browser = _browser(app, STARTER)
    html = browser.get(f"/items/{item['id']}").get_data(as_text=True)
    response = browser.post(
        f"/attachments/{body['id']}/withdraw",
        data={"csrf_token": csrf_from(html), "reason": "传错了", "back": f"/items/{item['id']}"},
    )
    assert response.status_code == 302
    assert session.get(Attachment, body["id"]).withdrawn_reason == "传错了"


def test_a_file_attached_from_a_task_names_the_step_once_the_task_is_done(client, token_for, item):
    task = item["tasks"][0]
    body = upload(
        client, token_for, item["id"], files.pdf(), "申请.pdf", query=f"?task={task['id']}"
    )
    assert body["step_id"] is None
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={}, headers=token_for(STARTER))
    step = next(s for s in done.json["steps"] if s["node"] == task["node"])
    got = client.get(f"/api/v1/attachments/{body['id']}", headers=token_for("jw.liuhong")).json
    assert (got["task_id"], got["step_id"], got["file_status"]) == (task["id"], step["id"], "ok")


def test_an_oversize_file_on_the_page_is_refused_in_chinese(app, session, item, monkeypatch):
    monkeypatch.setitem(app.config, "RISKCTL_ATTACHMENT_MAX_BYTES", 1024)
    browser = _browser(app, STARTER)
    html = browser.get(f"/items/{item['id']}").get_data(as_text=True)
    for size in (2000, 200 * 1024):  # over the file limit; over the request's own limit
        big = io.BytesIO(files.pdf(b"x" * size))
        response = browser.post(
            f"/items/{item['id']}/attachments",
            data={"csrf_token": csrf_from(html), "file": (big, "大.pdf")},
            content_type="multipart/form-data", follow_redirects=True,
        )  # fmt: skip
        assert response.status_code == 200
        assert "上限" in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0


# ---------------------------------------------------------------- concurrency


@pytest.fixture(scope="module")
def live_app(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """An app whose requests commit for real, with its own upload directory."""

    from riskctl.extensions import db
    from tests.conftest import IsolatedClient, fresh_database, make_app, with_demo

    tmp = tmp_path_factory.mktemp(f"attach-{backend}")
    url, cleanup = fresh_database(backend, tmp)
    app = make_app(url, UPLOAD_DIR=str(tmp / "uploads"))
    app.test_client_class = IsolatedClient
    with_demo(app)
    yield app
    with app.app_context():
        db.engine.dispose()
    cleanup()


def test_concurrent_uploads_of_one_file_store_it_once_with_a_record_each(live_app):
    import threading

    from riskctl.extensions import db
    from tests.conftest import bearer_for

    who = bearer_for(live_app, STARTER)
    body = {"process": "expense_reimbursement", "title": "并发附件", "fields": EXPENSE}
    item = live_app.test_client().post("/api/v1/items", json=body, headers=who).json
    data = files.pdf(b"x" * 300_000)
    racers, gate, results = 6, threading.Barrier(6), [None] * 6

    def go(n: int) -> None:
        payload, content_type = multipart(data, f"合同{n}.pdf")
        client = live_app.test_client()
        gate.wait()
        try:
            results[n] = client.post(f"/api/v1/items/{item['id']}/attachments", data=payload,
                                     content_type=content_type, headers=who)  # fmt: skip
        except BaseException as exc:  # reported on the test's thread
            results[n] = exc

    threads = [threading.Thread(target=go, args=(n,)) for n in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert [getattr(r, "status_code", r) for r in results] == [201] * racers
    store = FileStore(live_app.config["RISKCTL_UPLOAD_DIR"])
    digests = {r.json["sha256"] for r in results}
    assert len(digests) == 1
    assert [p for p in store.root.rglob("*") if p.is_file()] == [store.path_of(digests.pop())]
    with live_app.app_context():
        rows = db.session.scalars(sa.select(Attachment).where(Attachment.item_id == item["id"]))
        assert len(rows.all()) == racers
    result = live_app.test_cli_runner().invoke(args=["riskctl", "audit", "verify"])
    assert result.exit_code == 0, result.output
    result = live_app.test_cli_runner().invoke(args=["riskctl", "attachments", "verify"])
    assert result.exit_code == 0 and f"已校验 {racers} 个文件" in result.output


def test_no_file_is_added_to_an_item_once_it_is_closed(client, token_for, session, item):
    cancelled = client.post(f"/api/v1/items/{item['id']}/cancel", json={"reason": "重复发起"},
                            headers=token_for("admin"))  # fmt: skip
    assert cancelled.status_code == 200, cancelled.json
    refused = upload(client, token_for, item["id"], files.pdf(), "迟到.pdf", expect=409)
    assert refused["error"]["code"] == "item_cancelled"
    assert refused["error"]["message"] == "事项已办结、退回或撤销，不能再添加附件"
    assert session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0
