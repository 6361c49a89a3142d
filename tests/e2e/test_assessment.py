"""An inspector in Chromium fills in the seed's evaluation table from its raw figures and
reads 88.72 as recorded, 88.71 as computed, with the reason of the difference; a monthly
report is built, and its PDF opens (pdftotext) with its pages and its Chinese text."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import requests
import yaml

from tests.conftest import need_service
from tests.e2e.conftest import SHOTS, api_headers, sign_in

pytestmark = pytest.mark.browser
SEED = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "riskctl/assessment/seed_2019.yaml").read_text("utf-8")
)


def test_an_inspector_fills_in_the_seeds_figures_and_sees_recorded_and_computed(page, live_server):
    sign_in(page, live_server, "jw.liuhong")  # 区财政局 and 区卫计局
    page.goto(f"{live_server}/assessment/evaluations/new?unit=wjj&year=2019")
    for indicator, given in SEED["inputs"].items():
        for key, value in given.items():
            selector = f"#i-{indicator}-{key}"
            if isinstance(value, bool):
                page.select_option(selector, "yes" if value else "no")
            elif key == "grade":
                page.select_option(selector, value)
            else:
                page.fill(selector, str(value))
    for indicator, score in SEED["recorded"].items():
        page.fill(f"#r-{indicator}", score)
    page.click("#compute")
    page.wait_for_selector("#computed-total")
    assert page.locator("#recorded-total").inner_text() == "88.72"
    assert page.locator("#computed-total").inner_text() == "88.71"
    assert page.locator("#computed-grade").inner_text() == "良好"
    differences = page.locator("#differences").inner_text()
    assert "结转结余控制率" in differences and "3%" in differences and "3.13%" in differences
    row = page.locator("#row-carryover_control")
    assert row.locator(".computed").inner_text() == "2.69"
    assert row.locator(".recorded").inner_text() == "2.70"
    assert "×3" in page.locator("#row-sangong_control .note").first.inner_text()  # the typo
    page.wait_for_selector("#chart-groups canvas")
    page.full_page = True


def test_the_profiles_heat_map_and_the_platform_use_show_the_scope(page, live_server):
    sign_in(page, live_server, "jw.hexiaoping")  # the five units
    page.goto(f"{live_server}/assessment/platform-use")
    assert page.locator("#usage tbody tr").count() == 5
    page.goto(f"{live_server}/assessment/profiles")
    assert page.locator("#ranking tbody tr").count() == 5
    assert "风险指数 = Σ" in page.locator("#formula").inner_text()
    page.wait_for_selector("#chart-heat canvas")
    page.wait_for_selector("#chart-trend canvas")
    page.full_page = True


def test_a_monthly_report_pdf_opens_with_its_pages_and_its_text(live_server, tmp_path):
    if shutil.which("pdftotext") is None:
        need_service("pdftotext", "install Debian's poppler-utils")
    headers = api_headers(live_server, "jw.hexiaoping")
    built = requests.post(
        f"{live_server}/api/v1/assessment/reports",
        headers=headers,
        json={"from": "2026-11-01", "to": "2026-11-30"},
        timeout=120,
    )
    assert built.status_code == 201, built.text
    report = built.json()
    pdf = requests.get(
        f"{live_server}/api/v1/assessment/reports/{report['id']}/file",
        params={"format": "pdf"},
        headers=headers,
        timeout=30,
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.content)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    pages = int(next(x for x in info.stdout.splitlines() if x.startswith("Pages:")).split()[1])
    assert pages == report["pdf_pages"] >= 3
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    headings = (
        "月度廉政风险分析报告",
        "一、总体情况",
        "二、单位风险画像与排名",
        "三、平台使用情况",
        "四、尚未处置的红色预警",
        "五、逾期未处置",
        "区财政局",
    )
    for heading in headings:
        assert heading in text, heading
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    assert "WenQuanYiMicroHei" in fonts.stdout  # embedded: the machine's fonts play no part
    if shutil.which("pdftoppm"):  # the first page as a picture, beside the screenshots
        SHOTS.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                "60",
                "-png",
                "-f",
                "1",
                "-l",
                "1",
                str(path),
                str(SHOTS / "monthly_report"),
            ],
            check=True,
        )
