"""Discipline inspectors in Chromium: a new warning appears in the monitor without
reloading; statistics are filtered by a time range; an export is downloaded and opened."""

from __future__ import annotations

import csv
import io

import pytest
import requests
from openpyxl import load_workbook

from tests.e2e.conftest import api_headers, sign_in

pytestmark = pytest.mark.browser


def test_a_new_warning_appears_in_the_monitor_without_reloading(page, live_server):
    sign_in(page, live_server, "czj.zhoujie")  # 区财政局's discipline team leader
    page.goto(f"{live_server}/monitor/warnings?period=today")
    page.wait_for_selector("#live:not([hidden])")  # the Socket.IO link is up
    page.evaluate("window.__notReloaded = true")
    # 王芳 starts a purchase budgeted just under the open-tender threshold; a scan finds it.
    body = {"process": "procurement", "title": "浏览器测试：贴近限额",
            "fields": {"budget_project": "2026年信息化设备", "item_category": "货物",
                       "method": "竞争性磋商", "amount": "3980000.00"}}  # fmt: skip
    staff = api_headers(live_server, "czj.wangfang")
    started = requests.post(f"{live_server}/api/v1/items", json=body, headers=staff, timeout=10)
    assert started.status_code == 201, started.text
    scan = requests.post(f"{live_server}/api/v1/scan", json={},
                         headers=api_headers(live_server, "admin"), timeout=60)  # fmt: skip
    assert scan.status_code == 200, scan.text
    fresh = page.locator("#warning-list tr.fresh")
    fresh.first.wait_for(timeout=10_000)
    assert "采购金额贴近限额" in fresh.first.inner_text()
    assert "浏览器测试：贴近限额" in fresh.first.inner_text()
    assert page.locator("#new-warnings").is_visible()
    assert page.evaluate("window.__notReloaded") is True  # the same page, not a reload


def test_statistics_are_filtered_by_a_time_range(page, live_server):
    sign_in(page, live_server, "jw.hexiaoping")
    page.goto(f"{live_server}/monitor/statistics")
    page.click("label.preset >> text=本年")
    page.wait_for_url("**period=year**")
    page.wait_for_selector("#chart-unit canvas")
    year_total = page.locator("#stats-total").inner_text()
    page.click("label.preset >> text=自定义")
    page.fill("#from", "2026-01-01")
    page.fill("#to", "2026-01-31")
    page.click("button.primary >> text=查询")
    page.wait_for_url("**period=custom**")
    assert "2026-01-01 — 2026-01-31" in page.locator("main h1").inner_text()
    assert page.locator(".empty").is_visible()  # the demo's warnings are all newer
    page.click("label.preset >> text=本年")
    page.wait_for_selector("#chart-day canvas")
    assert page.locator("#stats-total").inner_text() == year_total
    assert page.locator("#unit-table tbody tr").count() == 5  # every unit in reach
    page.wait_for_timeout(800)  # the charts' first frame
    page.shot_name = "statistics"
    page.full_page = True


def test_an_export_is_downloaded_and_opens(page, live_server, tmp_path):
    sign_in(page, live_server, "jw.hexiaoping")
    page.goto(f"{live_server}/monitor/warnings?period=year")
    shown = page.locator("#warning-list").get_attribute("data-total")
    with page.expect_download() as download:
        page.click("a.export >> text=XLSX")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.suffix == ".xlsx"
    sheet = load_workbook(path).active
    assert sheet.cell(1, 1).value == "编号" and sheet.cell(1, 2).value == "等级"
    assert sheet.max_row - 1 == int(shown)
    page.wait_for_selector(".export-status >> text=已导出")
    with page.expect_download() as download:
        page.click("a.export >> text=CSV")
    rows = list(csv.reader(io.StringIO(
        download.value.path().read_bytes().decode("utf-8-sig"))))  # fmt: skip
    assert rows[0][0] == "编号" and len(rows) - 1 == int(shown)
