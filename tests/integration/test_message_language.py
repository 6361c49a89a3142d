"""The same bad request is answered in the caller's language, its code unchanged: Chinese
by default, English with ``Accept-Language: en``, the token's person's own language when
the request names none (riskctl.web.select_locale); the CLI speaks Chinese unless asked
for English (``flask riskctl --lang en``)."""

from __future__ import annotations

import io
from typing import Any

import pytest

from riskctl.files.storage import FileStore
from tests import files
from tests.integration.test_attachments import EXPENSE, multipart

ENGLISH = {"Accept-Language": "en"}
ROLES = "staff, discipline_leader, inspector, admin"


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data()[:300]
    return response.json["error"]  # type: ignore[no-any-return]


def test_an_unknown_item_is_404_in_the_callers_language(client, token_for, person, session):
    staff = token_for("czj.wangfang")
    chinese = error_of(client.get("/api/v1/items/9999", headers=staff), 404)
    english = error_of(client.get("/api/v1/items/9999", headers={**staff, **ENGLISH}), 404)
    assert chinese["code"] == english["code"] == "unknown_item"
    assert chinese["message"] == "没有编号为 9999 的事项"
    assert english["message"] == "no item 9999"
    # No Accept-Language: the language the token's person chose for the pages.
    person("czj.wangfang").locale = "en"
    session.flush()
    own = error_of(client.get("/api/v1/items/9999", headers=staff), 404)
    assert (own["code"], own["message"]) == ("unknown_item", "no item 9999")
    asked = error_of(client.get("/api/v1/items/9999", headers={**staff,
                                "Accept-Language": "zh-CN,zh;q=0.9"}), 404)  # fmt: skip
    assert asked["message"] == "没有编号为 9999 的事项"


def test_a_bad_role_is_refused_with_marshmallows_choices_in_words(client, token_for):
    admin = token_for("admin")
    body = {"username": "czj.xinren", "password": "welcome-2026", "name": "辛仁",
            "phone": "+8613911112222", "unit": "czj", "roles": ["boss"]}  # fmt: skip
    chinese = error_of(client.post("/api/v1/people", json=body, headers=admin), 422)
    english = error_of(client.post("/api/v1/people", json=body, headers={**admin, **ENGLISH}),
                       422)  # fmt: skip
    assert chinese["code"] == english["code"] == "validation_failed"
    assert chinese["details"] == [{"path": "roles[0]", "message": f"只能是以下之一：{ROLES}"}]
    assert english["details"] == [{"path": "roles[0]", "message": f"Must be one of: {ROLES}."}]
    assert chinese["message"] == f"roles[0]: 只能是以下之一：{ROLES}"


def test_a_policy_problem_is_said_in_the_callers_language(client, token_for):
    admin = token_for("admin")
    change = {"thresholds": {"red": 10, "orange": 20, "yellow": 30}, "rules": {"nope": {}}}
    chinese = error_of(client.put("/api/v1/policy", json=change, headers=admin), 422)
    english = error_of(client.put("/api/v1/policy", json=change,
                                  headers={**admin, **ENGLISH}), 422)  # fmt: skip
    assert chinese["code"] == english["code"] == "validation_failed"
    assert {d["path"]: d["message"] for d in chinese["details"]} == {
        "rules.nope": "未知规则",
        "thresholds": "应满足 红 > 橙 > 黄",
    }
    assert {d["path"]: d["message"] for d in english["details"]} == {
        "rules.nope": "unknown rule",
        "thresholds": "must order red > orange > yellow",
    }
    assert (chinese["message"], english["message"]) == ("策略有问题", "the policy has problems")


def test_an_attachment_refusal_is_said_in_the_callers_language(
    client, token_for, app, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "RISKCTL_UPLOAD_DIR", str(tmp_path / "uploads"))
    staff = token_for("czj.wangfang")
    started = client.post("/api/v1/items", headers=staff, json={
        "process": "expense_reimbursement", "title": "附件语言", "fields": EXPENSE})  # fmt: skip
    assert started.status_code == 201, started.json
    body, content_type = multipart(files.exe(), "发票.pdf")
    url = f"/api/v1/items/{started.json['id']}/attachments"

    def refused(headers: dict[str, str]) -> dict[str, Any]:
        sent = client.post(url, data=body, content_type=content_type, headers=headers)
        return error_of(sent, 422)

    chinese, english = refused(staff), refused({**staff, **ENGLISH})
    assert chinese["code"] == english["code"] == "validation_failed"
    assert chinese["details"] == [{"path": "file", "message": "可执行文件，不予接收"}]
    assert english["details"] == [{"path": "file",
                                   "message": "an executable program; not accepted"}]  # fmt: skip
    assert not any(p.is_file() for p in FileStore(tmp_path / "uploads").root.rglob("*"))


def test_a_csv_row_problem_is_said_in_the_callers_language(client, token_for):
    admin = token_for("admin")
    units = "code,name,kind\nok1,好单位,department\nok2,坏单位,ministry\n"

    def rejected(headers: dict[str, str]) -> dict[str, Any]:
        data = {"units": (io.BytesIO(units.encode()), "units.csv")}
        sent = client.post("/api/v1/org/import", data=data, headers=headers,
                           content_type="multipart/form-data")  # fmt: skip
        return error_of(sent, 422)

    chinese, english = rejected(admin), rejected({**admin, **ENGLISH})
    assert chinese["code"] == english["code"] == "import_rejected"
    kinds = "commission, department, township"
    assert chinese["details"] == [{"file": "units", "row": 3, "path": "kind",
                                   "message": f"只能是以下之一：{kinds}"}]  # fmt: skip
    assert english["details"] == [{"file": "units", "row": 3, "path": "kind",
                                   "message": f"Must be one of: {kinds}."}]  # fmt: skip
    assert chinese["message"] == "导入有 1 处问题，未写入任何内容"
    assert english["message"] == "1 problem(s) in the import; nothing was written"


def test_the_framework_s_errors_are_in_the_callers_language_too(client, token_for):
    staff = token_for("czj.wangfang")
    chinese = error_of(client.get("/api/v1/nowhere", headers=staff), 404)
    english = error_of(client.get("/api/v1/nowhere", headers={**staff, **ENGLISH}), 404)
    assert chinese["code"] == english["code"] == "not_found"
    assert (chinese["message"], english["message"]) == (
        "此地址不存在",
        "nothing is at this address",
    )
    bad = {"process": "expense_reimbursement", "title": "x", "fields": EXPENSE, "extra": 1}
    unknown = error_of(client.post("/api/v1/items", json=bad, headers=staff), 422)
    assert unknown["details"] == [{"path": "extra", "message": "未知字段"}]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ((), "没有用户名为“nobody”的人员（代码：unknown_person）"),
        (("--lang", "en"), "no person 'nobody' (code unknown_person)"),
    ],
)
def test_the_cli_speaks_chinese_unless_asked_for_english(app, session, args, said):
    result = app.test_cli_runner().invoke(args=["riskctl", *args, "user", "unlock", "nobody"])
    assert result.exit_code == 1
    assert said in result.output


def test_a_message_holding_what_someone_typed_is_escaped_on_a_page(app):
    from flask import render_template_string
    from flask_babel import lazy_gettext as _l

    typed = _l("no person '%(username)s'", username="<script>x()</script>")
    with app.test_request_context("/"):
        shown = render_template_string("<p>{{ message }}</p>", message=typed)
    assert "<script>" not in shown and "&lt;script&gt;x()&lt;/script&gt;" in shown
