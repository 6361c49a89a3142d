"""BPMN in and out of the API, the CLI and the designer's pages (issue 22), on SQLite and
PostgreSQL: a version exported and imported back, problems on their elements, what
cannot run refused with nothing saved, drafts with problems kept but not published, the
layout kept beside the definition, running items on their version."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from riskctl.core.errors import Conflict
from riskctl.org.models import Unit
from riskctl.process.bpmn import BPMN, BPMNDI, RISKCTL
from riskctl.process.definition import parse
from riskctl.process.models import ProcessDefinition, ProcessStatus
from riskctl.workflow.models import Item
from tests.integration.test_pages import csrf_from, sign_in
from tests.integration.test_workflow import START_FIELDS, Driver

CORPUS = Path(__file__).parents[1] / "bpmn"
XML = {"Content-Type": "application/xml"}


def versions(session: Any, key: str, unit: str = "czj") -> list[ProcessDefinition]:
    unit_id = session.scalar(sa.select(Unit.id).where(Unit.code == unit))
    return list(session.scalars(
        sa.select(ProcessDefinition)
        .where(ProcessDefinition.unit_id == unit_id, ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version)
    ))  # fmt: skip


def exported(client: Any, headers: dict[str, str], key: str, **query: Any) -> str:
    args = "&".join(f"{k}={v}" for k, v in {"unit": "czj", **query}.items())
    response = client.get(f"/api/v1/processes/{key}/bpmn?{args}", headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/xml"
    return response.get_data(as_text=True)


def save(client: Any, headers: dict[str, str], text: str | bytes, **query: Any) -> Any:
    args = "&".join(f"{k}={v}" for k, v in {"unit": "czj", **query}.items())
    return client.post(f"/api/v1/processes/import-bpmn?{args}", data=text,
                       headers={**headers, **XML})  # fmt: skip


def with_new_task(text: str) -> str:
    """The contract process with a step 法律顾问复核 between 合同起草 and 合法性审核, as
    the designer saves it (riskctl's attributes, ids from bpmn-js)."""
    root = ET.fromstring(text)
    process = root.find(f"{{{BPMN}}}process")
    flows = [f for f in process.iter(f"{{{BPMN}}}sequenceFlow")]
    first = flows[1]  # review → …
    target = first.get("targetRef")
    first.set("targetRef", "Activity_0legal1")
    task = ET.SubElement(process, f"{{{BPMN}}}userTask", {
        "id": "Activity_0legal1", "name": "法律顾问复核", f"{{{RISKCTL}}}post": "section_chief",
        f"{{{RISKCTL}}}limit": "3wd",
    })  # fmt: skip
    assert task is not None
    ET.SubElement(
        process,
        f"{{{BPMN}}}sequenceFlow",
        {"id": "Flow_0new", "sourceRef": "Activity_0legal1", "targetRef": target},
    )
    return ET.tostring(root, encoding="unicode")


@pytest.fixture
def admin(token_for: Any) -> dict[str, str]:
    return token_for("admin")


# ---------------------------------------------------------------- the API


def test_a_published_version_goes_out_as_bpmn_and_comes_back_as_the_same_process(
    client, session, admin
):
    text = exported(client, admin, "procurement")
    root = ET.fromstring(text)
    assert root.find(f"{{{BPMN}}}process").get(f"{{{RISKCTL}}}key") == "procurement"
    assert root.find(f".//{{{BPMNDI}}}BPMNShape") is not None
    published = versions(session, "procurement")[-1]
    response = save(client, admin, text)
    assert response.status_code == 201, response.get_json()
    assert response.json["status"] == "draft" and response.json["problems"] == []
    draft = versions(session, "procurement")[-1]
    assert draft.version == published.version + 1
    assert parse(draft.body)[0] == parse(published.body)[0]
    assert draft.layout is not None and "request" in draft.layout["nodes"]


def test_a_template_is_exported_laid_out(client, admin):
    response = client.get("/api/v1/process-templates/construction/bpmn", headers=admin)
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert 'filename="construction.bpmn"' in response.headers["Content-Disposition"]
    assert "bpmndi:BPMNShape" in response.get_data(as_text=True)


def test_a_drawing_is_checked_with_each_problem_on_its_element(client, admin):
    text = exported(client, admin, "contract").replace(
        'riskctl:post="section_chief"', 'riskctl:post="nobody"', 1
    )
    response = client.post("/api/v1/processes/validate-bpmn?unit=czj", data=text,
                           headers={**admin, **XML})  # fmt: skip
    assert response.status_code == 200
    body = response.json
    assert body["ok"] is False
    (problem,) = body["problems"]
    assert problem["path"].endswith(".post") and "nobody" in problem["message"]
    assert problem["element"] == "legal_review"
    assert body["conditions"] and all(k.startswith("Flow_") for k in body["conditions"])


def test_the_problems_speak_the_readers_language(client, admin):
    text = exported(client, admin, "contract").replace(
        'riskctl:post="section_chief"', 'riskctl:post="nobody"', 1
    )
    chinese = client.post("/api/v1/processes/validate-bpmn?unit=czj", data=text,
                          headers={**admin, **XML, "Accept-Language": "zh-CN"})  # fmt: skip
    english = client.post("/api/v1/processes/validate-bpmn?unit=czj", data=text,
                          headers={**admin, **XML, "Accept-Language": "en"})  # fmt: skip
    assert chinese.json["problems"][0]["message"] == "未知岗位 'nobody'"
    assert english.json["problems"][0]["message"] == "unknown post 'nobody'"


def test_what_riskctl_cannot_run_is_refused_element_by_element_and_nothing_is_saved(
    client, session, admin
):
    before = session.scalar(sa.select(sa.func.count()).select_from(ProcessDefinition))
    response = save(client, admin, (CORPUS / "refused.bpmn").read_bytes(), keep_problems="true")
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "bpmn_not_runnable"
    by_element = {d["element"]: d for d in error["details"]}
    assert {"deadline", "script", "inclusive", "sub", "each", "f2"} <= by_element.keys()
    assert by_element["deadline"]["name"] == "三天未办"
    assert by_element["deadline"]["path"] == "deadline"
    assert session.scalar(sa.select(sa.func.count()).select_from(ProcessDefinition)) == before


@pytest.mark.parametrize(
    ("name", "status"), [("billion_laughs.bpmn", 422), ("external_entity.bpmn", 422)]
)
def test_a_hostile_file_gets_a_clear_refusal(client, admin, name, status):
    response = save(client, admin, (CORPUS / name).read_bytes())
    assert response.status_code == status
    assert response.json["error"]["details"][0]["path"] == ""
    assert "DTD" in response.json["error"]["message"]


def test_a_file_too_large_or_not_xml_is_refused(client, admin):
    huge = b"<x>" + b" " * (2 * 1024 * 1024) + b"</x>"
    assert save(client, admin, huge).status_code == 413
    not_xml = save(client, admin, b"key: procurement")
    assert not_xml.status_code == 422
    assert not_xml.json["error"]["code"] == "validation_failed"


def test_a_draft_saved_with_problems_cannot_be_published_until_they_are_fixed(
    client, session, admin
):
    text = exported(client, admin, "contract").replace(
        'riskctl:post="section_chief"', 'riskctl:post="nobody"', 1
    )
    refused = save(client, admin, text)
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "invalid_definition"
    assert refused.json["error"]["details"][0]["element"] == "legal_review"
    kept = save(client, admin, text, keep_problems="true")
    assert kept.status_code == 201
    assert [p["element"] for p in kept.json["problems"]] == ["legal_review"]
    publish = client.post("/api/v1/processes/contract/publish?unit=czj", headers=admin)
    assert publish.status_code == 422
    assert versions(session, "contract")[-1].status is ProcessStatus.DRAFT


def test_a_draft_needs_a_valid_key_and_name_even_with_problems(client, admin):
    text = exported(client, admin, "contract").replace('riskctl:key="contract"',
                                                       'riskctl:key="Not A Key"')  # fmt: skip
    response = save(client, admin, text, keep_problems="true")
    assert response.status_code == 422
    assert [d["path"] for d in response.json["error"]["details"]] == ["key"]


def test_the_layout_is_kept_with_the_draft_and_never_changes_once_published(client, session, admin):
    text = exported(client, admin, "contract")
    moved = re.sub(r'(<bpmndi:BPMNShape id="BPMNShape_legal_review" bpmnElement="legal_review">\s*'
                   r'<dc:Bounds x=")(\d+)', r"\g<1>777", text)  # fmt: skip
    assert moved != text
    assert save(client, admin, moved).status_code == 201
    draft = versions(session, "contract")[-1]
    assert draft.layout["nodes"]["legal_review"][0] == 777
    again = exported(client, admin, "contract", version=draft.version)
    assert 'bpmnElement="legal_review">\n        <dc:Bounds x="777"' in again
    assert client.post("/api/v1/processes/contract/publish?unit=czj",
                       headers=admin).status_code == 200  # fmt: skip
    session.refresh(draft)
    draft.layout = {"nodes": {}, "edges": {}}
    with pytest.raises(Conflict):
        session.flush()


def test_running_items_keep_their_version_when_the_designer_publishes_a_new_one(
    client, session, admin, token_for
):
    run = Driver(client, token_for)
    before = run.start("contract", START_FIELDS["contract"])
    old = versions(session, "contract")[-1]
    assert (
        save(client, admin, with_new_task(exported(client, admin, "contract"))).status_code == 201
    )
    published = client.post("/api/v1/processes/contract/publish?unit=czj", headers=admin)
    assert published.status_code == 200, published.get_json()
    after = run.start("contract", START_FIELDS["contract"])
    items = {i.id: i for i in session.scalars(sa.select(Item).where(
        Item.id.in_([before["id"], after["id"]])))}  # fmt: skip
    assert items[before["id"]].definition_id == old.id
    new = versions(session, "contract")[-1]
    assert items[after["id"]].definition_id == new.id
    assert "activity_0legal1" in {n["key"] for n in new.body["nodes"]}


# ---------------------------------------------------------------- the CLI


def test_the_cli_exports_a_version_and_imports_a_file(app, session, tmp_path):
    runner = app.test_cli_runner()
    target = tmp_path / "contract.bpmn"
    out = runner.invoke(args=["riskctl", "process", "export", "contract", "--unit", "czj",
                              "-o", str(target)])  # fmt: skip
    assert out.exit_code == 0, out.output
    back = runner.invoke(args=["riskctl", "process", "import-bpmn", str(target), "--unit", "czj"])
    assert back.exit_code == 0, back.output
    assert re.search(r"czj: contract v\d+ 草稿", back.output)
    refused = runner.invoke(args=["riskctl", "process", "import-bpmn",
                                  str(CORPUS / "refused.bpmn"), "--unit", "czj"])  # fmt: skip
    assert refused.exit_code == 1
    assert "deadline (三天未办)" in refused.output


# ---------------------------------------------------------------- the pages


def test_the_designer_opens_on_a_process_and_on_a_template(client):
    sign_in(client)
    page = client.get("/admin/processes/czj/design?key=procurement")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "vendor/bpmn-js/bpmn-modeler.min.js" in html and 'id="designer-config"' in html
    assert "保存草稿" in html and "发布" in html
    assert client.get("/admin/processes/czj/design?template=revenue").status_code == 200
    assert client.get("/admin/processes/czj/design?key=nothing").status_code == 404
    assert client.get("/admin/processes/czj/design?template=nothing").status_code == 404


def test_the_designer_is_for_administrators_only(client):
    sign_in(client, "czj.wangfang")
    assert client.get("/admin/processes/czj/design?key=procurement").status_code == 403


def test_a_bpmn_file_imported_on_the_page_opens_in_the_designer(client, session):
    sign_in(client)
    token = csrf_from(client.get("/admin/processes/import-bpmn?unit=czj").get_data(as_text=True))
    refused = client.post("/admin/processes/import-bpmn", data={
        "csrf_token": token, "unit": "czj",
        "file": ((CORPUS / "refused.bpmn").open("rb"), "refused.bpmn"),
    }, content_type="multipart/form-data")  # fmt: skip
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "三天未办" in html and "时限" in html  # what to do, in Chinese
    done = client.post("/admin/processes/import-bpmn", data={
        "csrf_token": token, "unit": "czj",
        "file": ((CORPUS / "camunda8_review.bpmn").open("rb"), "review.bpmn"),
    }, content_type="multipart/form-data")  # fmt: skip
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/admin/processes/czj/design?key=contract-review")
    page = client.get("/admin/processes/czj/contract-review/v1")
    assert page.status_code == 200
    assert "未知字段" in page.get_data(as_text=True)  # its problems, not a 500


def test_the_comparison_page_colours_what_changed(client, admin):
    assert (
        save(client, admin, with_new_task(exported(client, admin, "contract"))).status_code == 201
    )
    sign_in(client)
    page = client.get("/admin/processes/czj/contract/diff")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '"activity_0legal1": "added"' in html
    assert "vendor/bpmn-js/bpmn-viewer.min.js" in html
