"""SMS links are opened on phones: at 390×844 the pages a text message leads to — 我的待办,
a task, a warning — fit the screen's width (no sideways scrolling), the menu folds
behind a button that opens it, and the printed forms fit too."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def fits_the_screen(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways: {width} px wide"


def test_my_tasks_a_task_and_a_warning_fit_a_phone(page, live_server):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "czj.wangfang")
    # The menu is folded: the button opens it and closes it again.
    menu, button = page.locator("nav.sidebar"), page.get_by_role("button", name="菜单")
    assert not menu.is_visible()
    button.click()
    assert menu.is_visible() and button.get_attribute("aria-expanded") == "true"
    page.click("nav.sidebar >> text=我的待办")
    page.wait_for_url(f"{live_server}/work")
    assert not menu.is_visible()  # a new page starts with the menu folded
    assert page.locator("#tasks tbody tr").count() >= 1
    fits_the_screen(page)
    page.locator("#tasks tbody tr td a[href^='/tasks/']").first.click()
    page.wait_for_url(f"{live_server}/tasks/*")
    page.wait_for_selector("pre.mermaid svg")  # the diagram is drawn, and stays inside
    fits_the_screen(page)
    comment = page.locator("#comment")
    if comment.count():  # a task of hers: the form takes the full width
        box, card = comment.bounding_box(), page.locator("main section.card").first.bounding_box()
        assert box["width"] > card["width"] * 0.8
    button.click()
    assert menu.is_visible()
    button.click()
    assert not menu.is_visible()
    page.click("button >> text=退出")

    sign_in(page, live_server, "czj.zhoujie")  # the discipline team leader's warnings
    page.goto(f"{live_server}/monitor/warnings?period=year")
    fits_the_screen(page)
    page.locator("table.warnings-table tbody a").first.click()
    page.wait_for_url(f"{live_server}/monitor/warnings/*")
    page.locator("h1").first.wait_for()
    fits_the_screen(page)
    page.goto(page.url + "/print")  # the disposition form (预警处置单)
    assert "预警处置单" in page.locator("h1").inner_text()
    fits_the_screen(page)
    page.shot_name = "phone_warning_print"


def test_the_item_list_stacks_its_rows_on_a_phone(page, live_server):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "jw.hexiaoping")  # an inspector over five units
    page.goto(f"{live_server}/items")
    assert page.locator("select[name=unit] option").count() == 6  # all, and five units
    fits_the_screen(page)
    page.select_option("select[name=unit]", "czj")  # applies at once (filters.js)
    page.wait_for_url("**/items?*unit=czj*")
    units = page.locator("#items tbody td[data-label='单位']").all_inner_texts()
    assert units and set(units) == {"区财政局"}
    fits_the_screen(page)
    page.shot_name = "phone_items"
