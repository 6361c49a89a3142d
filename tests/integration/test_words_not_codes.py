"""Words, not codes (issue 18): the exports of warnings and notifications, a warning's
handling history, the handler's explanation, an item's control hits, the monitor's rule
filter and the policy preview name units, processes, nodes, items and people as a reader
knows them — 王芳（区财政局·经办人）, never ``czj.wangfang`` or a snake_case key.  The codes
an administrator needs stay, at the end of an export or small beside a name."""

from __future__ import annotations

import csv
import html as html_lib
import io
import re
from typing import Any

import sqlalchemy as sa
from openpyxl import load_workbook

from riskctl.controls.models import ControlHit
from riskctl.org.models import Person, Unit
from riskctl.org.services import person_labels
from riskctl.risk import services as risk
from riskctl.risk.models import RiskEvent
from riskctl.workflow.models import Item
from riskctl.workflow.services import definition_of_item
from tests.integration.test_admin_pages import post
from tests.integration.test_codes_and_admin_inputs import _policy_form
from tests.integration.test_pages import csrf_from, sign_in
from tests.integration.test_warning_evidence_pages import _demo_events, visible
from tests.unit.test_evidence_words import problems

INSPECTOR = "jw.hexiaoping"  # an inspector of the commission over all five units
USERNAME = re.compile(r"\b[a-z]+\.[a-z]+\b")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _english(client: Any) -> None:
    with client.session_transaction() as s:
        s["lang"] = "en"


def _handled(session: Any, person: Any) -> RiskEvent:
    """A demo warning on an item, acknowledged and closed by the inspector and explained
    by the person it is about: every line of its handling history names someone."""
    events = _demo_events(session)
    event = next(e for e in events if e.person_id and e.item_id and e.node)
    inspector = person(INSPECTOR).principal()
    risk.acknowledge(session, inspector, event.id)
    about = session.get(Person, event.person_id)
    risk.explain(session, about.principal(), event.id, "已按规定补办手续，附说明材料。")
    risk.resolve(session, inspector, event.id, "reminder_talk", "已进行谈话提醒。")
    session.flush()
    return event


def _rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8").lstrip("\ufeff"))))


def _read_words(rows: list[list[str]], codes: int) -> str:
    """What a reader reads in an export: every cell but the trailing code columns."""
    return "\n".join(" | ".join(r[: len(r) - codes]) for r in rows)


def test_the_handling_history_and_the_explanation_name_people_never_usernames(
    client, session, person
):
    event = _handled(session, person)
    labels = person_labels(session, {event.person_id, person(INSPECTOR).id})
    about, inspector = labels[event.person_id], labels[person(INSPECTOR).id]
    assert re.fullmatch(r".+（.+）", about) and re.fullmatch(r".+（.+）", inspector)
    sign_in(client, INSPECTOR)
    page = client.get(f"/monitor/warnings/{event.id}").get_data(as_text=True)
    history = visible(page, '<ol class="timeline lifecycle">', "</ol>")
    assert history.count(inspector) == 2 and about in history  # acknowledged, closed; explained
    assert "谈话提醒（第一种形态）" in history
    assert not USERNAME.search(history) and problems(history) == [], history

    # The person it is about reads their own explanation, signed as others see it.
    client.post("/logout", data={"csrf_token": csrf_from(page)})
    sign_in(client, session.get(Person, event.person_id).username)
    mine = ""
    for offset in range(0, 500, 25):  # their warnings, newest first, a page at a time
        mine = client.get(f"/work/warnings?offset={offset}").get_data(as_text=True)
        if f'id="warning-{event.id}"' in mine or 'id="warning-' not in mine:
            break
    quote = visible(mine, f'id="warning-{event.id}"', "</blockquote>")
    assert about in quote and not USERNAME.search(quote), quote


def test_the_control_hits_of_an_item_name_the_person_never_the_username(client, session, person):
    _demo_events(session)  # the demo history plants a control hit
    hit = session.scalars(
        sa.select(ControlHit).where(ControlHit.person_id.is_not(None),
                                    ControlHit.item_id.is_not(None))
    ).first()  # fmt: skip
    assert hit is not None
    sign_in(client, INSPECTOR)
    page = client.get(f"/items/{hit.item_id}").get_data(as_text=True)
    assert "内控记录" in page
    hits = visible(page, "<h2>内控记录</h2>", "</section>")
    assert person_labels(session, {hit.person_id})[hit.person_id] in hits
    assert not USERNAME.search(hits) and problems(hits) == [], hits


def test_the_rule_filter_names_the_rules_in_the_readers_language(client, session):
    sign_in(client, INSPECTOR)

    def options() -> list[str]:
        page = client.get("/monitor/warnings").get_data(as_text=True)
        select = page[page.index('<select name="rule">') :]
        select = select[: select.index("</select>")]
        return [html_lib.unescape(t) for v, t in
                re.findall(r'<option value="([^"]+)"[^>]*>([^<]*)</option>', select)]  # fmt: skip

    chinese = options()
    assert len(chinese) == len(risk.REGISTRY)
    assert all(CJK.search(n) and not re.search(r"[A-Za-z]{2,}", n) for n in chinese), chinese
    _english(client)
    english = options()
    assert len(english) == len(risk.REGISTRY)
    assert all(not CJK.search(n) for n in english), english
    assert problems(" | ".join(chinese + english)) == []


def test_the_warnings_export_names_what_it_lists_and_keeps_the_codes_last(client, session, person):
    event = _handled(session, person)
    item = session.get(Item, event.item_id)
    unit = session.get(Unit, event.unit_id)
    node = definition_of_item(session, item.id).node_map[event.node].name
    label = person_labels(session, {event.person_id})[event.person_id]
    sign_in(client, INSPECTOR)
    answer = client.get("/monitor/warnings/export.csv?period=year")
    assert answer.status_code == 200
    rows = _rows(answer.data)
    head = rows[0]
    assert head[-2:] == ["单位代码", "规则代码"]
    mine = dict(zip(head, next(r for r in rows[1:] if r[0] == str(event.id)), strict=True))
    assert mine["单位"] == unit.name and mine["单位代码"] == unit.code
    assert mine["事项"] == f"#{item.id} {item.title}" and mine["节点"] == node
    assert mine["人员"] == label and mine["说明人"] == label
    assert mine["状态"] == "已办结" and mine["处置方式"] == "谈话提醒（第一种形态）"
    assert mine["办结人"].startswith(person(INSPECTOR).name + "（")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", mine["办结时间"])
    assert mine["规则代码"] == event.rule and mine["预警"] != event.rule
    words = _read_words(rows, codes=2)
    assert not USERNAME.search(words) and problems(words) == [], words

    xlsx = client.get("/monitor/warnings/export.xlsx?period=year")
    sheet = list(load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(values_only=True))
    assert [str(c) for c in sheet[0]] == head and len(sheet) == len(rows)

    _english(client)
    english = _rows(client.get("/monitor/warnings/export.csv?period=year").data)
    assert english[0][:4] == ["Number", "Level", "Score", "Warning"]
    assert english[0][-2:] == ["Unit code", "Rule code"]
    row = next(r for r in english[1:] if r[0] == str(event.id))
    assert not CJK.search(row[1] + row[3]) and row[10] == "Resolved", row  # level, rule, status
    words = _read_words(english, codes=2)
    assert not USERNAME.search(words) and problems(words) == [], words


def test_the_notifications_export_names_kinds_units_and_recipients(client, session, person):
    _handled(session, person)  # its closing writes "warning closed" notifications
    sign_in(client, INSPECTOR)
    answer = client.get("/monitor/notifications/export.csv")
    assert answer.status_code == 200
    rows = _rows(answer.data)
    head = rows[0]
    assert head[-3:] == ["单位代码", "运营商状态", "错误"] and len(rows) > 1
    kinds = {r[head.index("类型")] for r in rows[1:]}
    assert "预警已办结" in kinds and all(CJK.search(k) for k in kinds), kinds
    units = {n for (n,) in session.execute(sa.select(Unit.name))}
    assert {r[head.index("单位")] for r in rows[1:]} <= units | {""}
    recipients = [r[head.index("接收人")] for r in rows[1:] if r[head.index("接收人")]]
    assert recipients and all(re.fullmatch(r".+（.+）|大屏", r) for r in recipients), recipients
    words = _read_words(rows, codes=3)
    assert not USERNAME.search(words) and problems(words) == [], words

    _english(client)
    english = _rows(client.get("/monitor/notifications/export.csv").data)
    assert english[0][-3:] == ["Unit code", "Provider status", "Error"]
    assert "Warning closed" in {r[2] for r in english[1:]}
    words = _read_words(english, codes=3)
    assert not USERNAME.search(words) and problems(words) == [], words


def test_the_policy_preview_names_rules_and_units_with_the_rule_code_small(client, session):
    _demo_events(session)
    sign_in(client, "admin")
    form = _policy_form(client.get("/admin/policy").text)
    form.update({"threshold-red": "30", "threshold-orange": "20", "threshold-yellow": "10"})
    units = {n for (n,) in session.execute(sa.select(Unit.name))}
    for lang in ("zh", "en"):
        if lang == "en":
            _english(client)
        answer = post(client, "/admin/policy", {**form, "action": "preview"})
        assert answer.status_code == 200
        page = answer.get_data(as_text=True)
        table = page[page.index("<h3>", page.index('id="preview"')) :]
        table = table[: table.index("</table>")]
        codes = re.findall(r'<code class="muted">([^<]*)</code>', table)
        assert codes and set(codes) <= set(risk.REGISTRY), codes  # the rule's, beside its name
        shown = re.sub(r"<code\b.*?</code>", " ", table, flags=re.S)
        cells = re.findall(r"<td>([^<]*)</td>", shown)
        assert units & set(cells), cells  # the unit by its name
        words = html_lib.unescape(re.sub(r"<[^>]+>", " ", shown))
        assert not USERNAME.search(words) and problems(words) == [], (lang, words)
