"""The process designer in Chromium (issue 22): an administrator starts from the shipped
procurement template, adds a step with its post and time limit, connects it, marks it
incompatible with the payment, watches the problems appear on the diagram and go, saves
the draft, compares it with the published version, publishes it; an item started then
runs on the new version and its diagram shows the new step."""

from __future__ import annotations

import pytest
import requests

from riskctl.process.services import template
from tests.e2e.conftest import api_headers, sign_in

pytestmark = pytest.mark.browser
NEW_STEP = "合规复核"


def centre(page, selector):
    box = page.locator(selector).bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def select(page, element_id, click):
    """Click until the element is selected: a click right after a gesture (a connection
    drawn) only ends the gesture, as it does for a person."""
    selected = page.locator(f'.djs-element.selected[data-element-id="{element_id}"]')
    for _ in range(3):
        click()
        if selected.count():
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{element_id} could not be selected")


def click_element(page, element_id):
    """Select a shape, clicked near its top left corner (its middle may lie under an
    arrow)."""
    shape = page.locator(f'.djs-element[data-element-id="{element_id}"]').first
    select(page, element_id, lambda: shape.click(position={"x": 12, "y": 10}))


def click_connection(page, element_id):
    x, y = centre(page, f'.djs-connection[data-element-id="{element_id}"]')
    select(page, element_id, lambda: page.mouse.click(x, y))


def bring_into_view(page, element_id):
    """Scroll the canvas (the mouse wheel, as a person does) until the shape is in it."""
    canvas = page.locator("#canvas").bounding_box()
    page.mouse.move(canvas["x"] + canvas["width"] / 2, canvas["y"] + canvas["height"] / 2)
    for _ in range(40):
        box = page.locator(f'.djs-element[data-element-id="{element_id}"]').bounding_box()
        if box["x"] + box["width"] + 180 < canvas["x"] + canvas["width"]:
            return
        page.mouse.wheel(300, 0)
        page.wait_for_timeout(50)
    raise AssertionError(f"{element_id} never came into view")


def connect(page, source, target):
    click_element(page, source)
    page.click('.djs-context-pad .entry[data-action="connect"]')
    x, y = centre(page, f'.djs-element[data-element-id="{target}"]')
    page.mouse.move(x, y, steps=5)
    page.mouse.click(x, y)


def wait_checked(page):
    page.wait_for_function(
        "() => !['检查中…', '有改动尚未保存。'].includes(document.querySelector('#status')"
        ".textContent)"
    )


def test_a_template_is_adapted_in_the_designer_published_and_run(page, live_server):
    edges = template("procurement").raw["edges"]
    last = next(i for i, e in enumerate(edges) if e == ["pay", "done"])
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server}/admin/processes?unit=czj")
    page.select_option("#template", "procurement")
    with page.expect_response(lambda r: "/design?" in r.url) as opened:
        page.click("button >> text=在设计器中调整…")
    # bpmn-js runs under the strict policy: no inline script, no inline style.
    policy = opened.value.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    page.wait_for_selector('.djs-element[data-element-id="pay"]')
    wait_checked(page)
    assert page.inner_text("#status") == "没有问题，可以发布。"

    # A new task, dropped below the payment: its problems show on it at once.
    bring_into_view(page, "done")
    page.click('.djs-palette .entry[data-action="create.task"]')
    px, py = centre(page, '.djs-element[data-element-id="pay"]')
    page.mouse.move(px + 60, py + 150, steps=8)
    page.mouse.click(px + 60, py + 150)
    page.wait_for_selector("#panel h2 >> text=任务")
    new_id = page.evaluate(
        "() => document.querySelector('.djs-element.selected').getAttribute('data-element-id')"
    )
    wait_checked(page)
    page.wait_for_selector(f'.riskctl-problem-badge[data-element="{new_id}"]')
    assert "岗位" in page.inner_text("#problems")

    # Its name, post and time limit, from the pickers.
    page.fill("#panel input[name=name]", NEW_STEP)
    page.press("#panel input[name=name]", "Tab")
    page.select_option("#panel select[name=post]", "section_chief")
    page.fill("#panel input[name=limit-amount]", "2")
    page.press("#panel input[name=limit-amount]", "Tab")

    # Connected between the payment and the end; the old way out of the payment deleted.
    connect(page, "pay", new_id)
    connect(page, new_id, "done")
    wait_checked(page)
    page.wait_for_selector('.riskctl-problem-badge[data-element="pay"]')  # two ways out
    click_connection(page, f"Flow_{last}")
    page.click('.djs-context-pad .entry[data-action="delete"]')
    wait_checked(page)
    page.wait_for_function("() => !document.querySelector('.riskctl-problem-badge')")
    assert page.inner_text("#status") == "没有问题，可以发布。"

    # Incompatible with the payment: picked on the diagram, flagged, with its basis.
    click_element(page, new_id)
    page.click("#panel button[name=pair-with]")
    page.locator('.djs-element[data-element-id="pay"]').click(position={"x": 12, "y": 10})
    page.wait_for_selector("#panel h2 >> text=不相容节点")
    page.select_option("#panel select[name=mode]", "flag")
    page.fill("#panel input[name=pair-name]", "合规复核与资金支付宜分离")
    page.press("#panel input[name=pair-name]", "Tab")
    page.fill("#panel input[name=basis]", "单位内部管理规定（良好实践）")
    page.press("#panel input[name=basis]", "Tab")
    assert page.locator(".riskctl-pair-mark").count() == 9  # the template's 8 and this one
    wait_checked(page)

    page.click("#save")
    page.wait_for_function("() => document.querySelector('#status').textContent"
                           ".startsWith('草稿 v2 已保存')")  # fmt: skip
    assert page.is_enabled("#publish")

    # The comparison: the new step added, the payment changed … on the diagram.
    diff = page.context.new_page()
    diff.goto(live_server + page.get_attribute("#compare", "href"))
    diff.wait_for_selector(f'#new .djs-element.riskctl-added[data-element-id="{new_id.lower()}"]')
    assert diff.locator("#old .djs-element.riskctl-removed").count() >= 1  # pay → done
    diff.close()

    page.click("#publish")
    page.wait_for_function("() => document.querySelector('#status').textContent"
                           ".startsWith('已发布为 v2')")  # fmt: skip

    # An item started now runs on v2, and its diagram draws the new step.
    started = requests.post(f"{live_server}/api/v1/items", json={
        "process": "procurement", "title": "设计器测试：办公桌采购",
        "fields": {"budget_project": "2026年办公设备购置", "item_category": "货物",
                   "method": "询价", "amount": "30000.00"},
    }, headers=api_headers(live_server, "czj.wangfang"), timeout=10)  # fmt: skip
    assert started.status_code == 201, started.text
    assert started.json()["version"] == 2
    page.goto(f"{live_server}/items/{started.json()['id']}")
    page.wait_for_selector("pre.mermaid svg")
    assert NEW_STEP in page.locator("pre.mermaid svg").text_content()
    page.shot_name = "designer-item"
