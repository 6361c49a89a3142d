"""分析评估 over the API and the pages, on SQLite and PostgreSQL: evaluations from raw
inputs (the seed's table, drafts, revisions, year on year, every bad input a 422 at its
path), the rule on lost points, profiles, platform use, and the monthly report (built by
the job once per scope, its files checked and every download audited, the inspectors
told)."""

from __future__ import annotations

import copy
import io
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from openpyxl import load_workbook

from riskctl.alerts.models import Kind, Notification
from riskctl.assessment import reports
from riskctl.assessment.models import Evaluation, Report, ReportKind
from riskctl.core.access import SYSTEM_ADMIN
from riskctl.core.audit import AuditRecord
from riskctl.risk import services as risk
from riskctl.risk.models import RiskEvent

SEED = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "riskctl/assessment/seed_2019.yaml").read_text("utf-8")
)
INSPECTOR = "jw.liuhong"  # scope: 区财政局 (czj), 区卫计局 (wjj)
URL = "/api/v1/assessment/evaluations"


def body(unit: str = "czj", year: int = 2019, **changes: Any) -> dict[str, Any]:
    found = {
        "framework": SEED["framework"],
        "unit": unit,
        "year": year,
        "inputs": copy.deepcopy(SEED["inputs"]),
        "recorded": dict(SEED["recorded"]),
    }
    found.update(changes)
    return found


def post(
    client: Any,
    token_for: Any,
    data: dict[str, Any],
    *,
    who: str = INSPECTOR,
    query: str = "",
    expect: int = 201,
) -> dict[str, Any]:
    response = client.post(URL + query, json=data, headers=token_for(who))
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def test_the_seeds_inputs_give_88_71_computed_and_88_72_recorded(client, token_for, session):
    view = post(client, token_for, body())
    result = view["result"]
    assert (result["total"], result["recorded_total"], result["grade"]) == (
        "88.71",
        "88.72",
        "良好",
    )
    assert view["status"] == "final" and view["unit"] == "czj" and view["year"] == 2019
    (difference,) = result["differences"]
    assert difference["indicator"] == "carryover_control"
    assert "3%" in difference["reason_words"] and "3.13%" in difference["reason_words"]
    row = {r["key"]: r for r in result["indicators"]}["carryover_control"]
    assert row["rate_words"] == "103.18 ÷ 3294.78 × 100% = 3.13%"
    again = client.get(f"{URL}/{view['id']}", headers=token_for(INSPECTOR)).get_json()
    assert again["result"]["total"] == "88.71"
    stored = session.get(Evaluation, view["id"])
    assert str(stored.total) == "88.71" and str(stored.recorded_total) == "88.72"
    audited = session.scalars(
        sa.select(AuditRecord.action).where(
            AuditRecord.target_type == "evaluation", AuditRecord.target_id == str(view["id"])
        )
    ).all()
    assert "evaluation.created" in audited


def test_a_dry_run_computes_and_saves_nothing(client, token_for, session):
    before = session.scalar(sa.select(sa.func.count()).select_from(Evaluation))
    view = post(client, token_for, body(), query="?dry_run=1", expect=200)
    assert view["id"] is None and view["result"]["total"] == "88.71"
    assert session.scalar(sa.select(sa.func.count()).select_from(Evaluation)) == before


def test_saving_again_revises_the_evaluation_and_it_compares_with_the_year_before(
    client, token_for
):
    post(client, token_for, body(year=2019))
    data = body(year=2020)
    data["inputs"]["public_funds_control"] = {
        "public_funds_actual": "1200",
        "public_funds_budget": "1180",
    }
    data["recorded"] = None
    first = post(client, token_for, data)
    data["inputs"]["public_funds_control"]["public_funds_actual"] = "1180"
    second = post(client, token_for, data, expect=200)
    assert second["id"] == first["id"] and second["revision"] == 2
    assert second["result"]["total"] == "92.71"  # 88.71 and the 4 points of 公用经费
    assert second["result"]["recorded_total"] is None
    assert second["previous"]["year"] == 2019 and second["previous"]["delta"] == "4.00"
    listed = client.get(f"{URL}?unit=czj", headers=token_for(INSPECTOR)).get_json()
    assert [(e["year"], e["total"]) for e in listed["items"][:2]] == [
        (2020, "92.71"),
        (2019, "88.71"),
    ]


def test_a_draft_keeps_the_inputs_given_and_has_no_total(client, token_for):
    data = body(year=2021, recorded=None, draft=True)
    del data["inputs"]["staff_control"]
    view = post(client, token_for, data)
    assert view["status"] == "draft" and view["result"]["total"] is None
    assert "inputs.staff_control.staff_quota" in view["result"]["missing"]


def _problems(client, token_for, data):
    headers = {**token_for(INSPECTOR), "Accept-Language": "en"}
    response = client.post(URL, json=data, headers=headers)
    assert response.status_code == 422, response.get_json()
    assert set(response.json["error"]) == {"code", "message", "details"}
    return {d["path"]: d["message"] for d in response.json["error"]["details"]}


def test_every_bad_input_is_a_422_at_its_path_and_nothing_is_written(client, token_for, session):
    before = session.scalar(sa.select(sa.func.count()).select_from(Evaluation))
    data = body(year=2022)
    del data["inputs"]["staff_control"]["staff_quota"]
    data["inputs"]["sangong_control"]["sangong_budget"] = "一百万"
    data["inputs"]["procurement_execution"]["procurement_budget"] = 1691.5  # a float
    data["inputs"]["goal_reasonableness"]["points_met"] = -1
    data["inputs"]["asset_safety"]["points_met"] = 6  # of 5 points
    data["inputs"]["public_satisfaction"]["grade"] = "很好"
    data["inputs"]["nonsense"] = {"x": 1}
    data["recorded"]["carryover_control"] = "3.5"  # above its maximum of 3
    found = _problems(client, token_for, data)
    assert {
        "inputs.staff_control.staff_quota",
        "inputs.sangong_control.sangong_budget",
        "inputs.procurement_execution.procurement_budget",
        "inputs.goal_reasonableness.points_met",
        "inputs.asset_safety.points_met",
        "inputs.public_satisfaction.grade",
        "inputs.nonsense",
        "recorded.carryover_control",
    } == set(found)
    assert found["inputs.staff_control.staff_quota"] == "is required"
    assert found["inputs.goal_reasonableness.points_met"] == "must not be negative"
    assert session.scalar(sa.select(sa.func.count()).select_from(Evaluation)) == before


def test_a_zero_denominator_is_a_422_at_the_divisor(client, token_for):
    data = body(year=2022)
    data["inputs"]["staff_control"]["staff_quota"] = 0
    data["inputs"]["carryover_change"]["carryover_last_year"] = "0"
    found = _problems(client, token_for, data)
    assert set(found) == {
        "inputs.staff_control.staff_quota",
        "inputs.carryover_change.carryover_last_year",
    }
    assert "0" in found["inputs.staff_control.staff_quota"]


def test_a_unit_outside_the_scope_is_refused_and_an_unknown_framework_is_404(client, token_for):
    response = client.post(URL, json=body(unit="nmj"), headers=token_for(INSPECTOR))
    assert response.status_code == 403
    response = client.post(URL, json=body(framework="nope"), headers=token_for(INSPECTOR))
    assert response.status_code == 404


def test_the_frameworks_list_and_one_framework_with_its_inputs(client, token_for):
    listed = client.get("/api/v1/assessment/frameworks", headers=token_for(INSPECTOR)).get_json()
    assert [(f["key"], f["indicators"]) for f in listed["items"]] == [
        ("dept_overall_expenditure", 30)
    ]
    one = client.get(
        "/api/v1/assessment/frameworks/dept_overall_expenditure", headers=token_for(INSPECTOR)
    ).get_json()
    staff = one["groups"][0]["groups"][1]["indicators"][0]
    assert staff["key"] == "staff_control"
    assert [i["key"] for i in staff["inputs"]] == ["staff_actual", "staff_quota"]


def test_lost_points_on_public_funds_raise_a_unit_warning(client, token_for, session):
    post(client, token_for, body())
    risk.scan_now(session, SYSTEM_ADMIN, full=True)
    (event,) = session.scalars(
        sa.select(RiskEvent).where(RiskEvent.rule == "assessment_points_lost")
    ).all()
    assert event.subject == "dept_overall_expenditure:2019:public_funds_control"
    assert event.evidence["rate"] == "148.68" and event.evidence["score"] == "0"
    assert event.item_id is None and event.level.value == "orange"


def test_profiles_and_platform_use_answer_within_the_scope(client, token_for):
    h = token_for(INSPECTOR)
    found = client.get(
        "/api/v1/assessment/profiles?from=2026-11-01&to=2026-11-30", headers=h
    ).get_json()
    assert {u["unit"] for u in found["units"]} == {"czj", "wjj"}
    assert found["formula"]["level_weights"] == {"red": 10, "orange": 4, "yellow": 1}
    assert len(found["heat"]) == 2 * len(found["areas"])
    use = client.get("/api/v1/assessment/platform-use?month=2026-11", headers=h).get_json()
    assert {u["unit"] for u in use["units"]} == {"czj", "wjj"}
    bad = client.get("/api/v1/assessment/profiles?from=2026-11-30&to=2026-11-01", headers=h)
    assert bad.status_code == 422 and bad.json["error"]["details"][0]["path"] == "to"


def test_the_profile_weighs_warnings_per_items_handled(client, token_for, session, at):
    from riskctl.assessment import profiles
    from riskctl.org.models import Unit
    from riskctl.risk.models import EventStatus, Level

    czj = session.scalar(sa.select(Unit.id).where(Unit.code == "czj"))
    at(datetime(2026, 11, 10, 2, 0, tzinfo=UTC))
    for n, (level, score) in enumerate([("red", 90.0), ("yellow", 30.0)]):
        session.add(
            RiskEvent(
                identity=f"profile|{n}",
                rule="step_overdue",
                unit_id=czj,
                severity=int(score),
                score=score,
                level=Level(level),
                factors={},
                evidence={},
                status=EventStatus.OPEN,
                policy_version=0,
            )
        )
    session.flush()
    found = profiles.profiles(session, SYSTEM_ADMIN, date(2026, 11, 1), date(2026, 11, 30))
    mine = {u["unit"]: u for u in found["units"]}["czj"]
    # (10 × 90/100 + 1 × 30/100) ÷ max(0 items, 20) × 100
    assert mine["weight"] == 9.3 and mine["index"] == 46.5 and mine["rank"] == 1
    assert mine["raised"] == {"red": 1, "orange": 0, "yellow": 1}
    assert mine["rules"][0]["count"] == 2


def test_the_monthly_job_builds_each_scopes_report_once_and_tells_its_inspectors(
    app, client, session
):
    store = reports.store_of(app.config)
    # all units; and the three inspectors' scopes (何晓平: the five units, 刘红, 孙伟)
    assert reports.monthly_due(session, store, today=date(2026, 12, 1)) == 4
    assert reports.monthly_due(session, store, today=date(2026, 12, 1)) == 0
    rows = session.scalars(sa.select(Report).where(Report.kind == ReportKind.MONTHLY)).all()
    assert {(r.period_first, r.period_last) for r in rows} == {
        (date(2026, 11, 1), date(2026, 11, 30))
    }
    notices = session.scalars(sa.select(Notification).where(Notification.kind == Kind.NOTICE)).all()
    from riskctl.org.models import Person

    told = {session.get(Person, n.recipient_id).username for n in notices}
    assert told == {"jw.liuhong", "jw.hexiaoping", "jw.sunwei"}
    assert all("月度廉政风险分析报告" in n.title for n in notices)
    # 刘红 opens hers: the report's page, with its charts drawn on the server.
    from tests.integration.test_pages import sign_in

    (mine,) = [n for n in notices if session.get(Person, n.recipient_id).username == INSPECTOR]
    sign_in(client, INSPECTOR)
    assert f"/notifications/{mine.id}/open" in client.get("/notifications").get_data(as_text=True)
    opened = client.get(f"/notifications/{mine.id}/open")
    assert opened.headers["Location"] == f"/assessment/reports/{mine.data['report']}"
    page = client.get(opened.headers["Location"]).get_data(as_text=True)
    assert "data:image/svg+xml;base64," in page


def test_no_monthly_report_before_the_first_working_day(session, tmp_path):
    # 2027-01-01 is a holiday: the first working day of January 2027 is the 4th.
    store = reports.FileStore(tmp_path)
    assert reports.monthly_due(session, store, today=date(2027, 1, 1)) == 0


def _report(client, token_for, who=INSPECTOR):
    response = client.post(
        "/api/v1/assessment/reports",
        headers=token_for(who),
        json={"from": "2026-11-01", "to": "2026-11-30"},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _download(client, url, headers):
    response = client.get(url, headers=headers)
    response.get_data()
    response.close()  # the stored file, as a server closes it
    return response


def test_a_report_on_demand_has_its_pdf_pages_and_xlsx_sheets_and_every_download_is_audited(
    client, token_for, session
):
    post(client, token_for, body())
    report = _report(client, token_for)
    assert report["units"] == ["czj", "wjj"] and report["pdf_pages"] >= 3
    h = token_for(INSPECTOR)
    pdf = _download(client, f"/api/v1/assessment/reports/{report['id']}/file?format=pdf", h)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert b"WenQuanYiMicroHei" in pdf.data  # the CJK font travels with the file
    xlsx = _download(client, f"/api/v1/assessment/reports/{report['id']}/file?format=xlsx", h)
    book = load_workbook(io.BytesIO(xlsx.data))
    assert book.sheetnames[:6] == [
        "概况",
        "风险排名",
        "风险走势",
        "风险分布",
        "平台使用",
        "红色预警",
    ]
    assert "绩效评价" in book.sheetnames
    downloads = session.scalars(
        sa.select(AuditRecord).where(AuditRecord.action == "assessment.report_downloaded")
    ).all()
    assert [d.after["format"] for d in downloads] == ["pdf", "xlsx"]
    listed = client.get("/api/v1/assessment/reports", headers=h).get_json()
    assert report["id"] in [r["id"] for r in listed["items"]]


def test_a_report_is_hidden_from_an_inspector_whose_scope_does_not_hold_all_its_units(
    client, token_for
):
    report = _report(client, token_for, who="jw.hexiaoping")  # all five units
    h = token_for(INSPECTOR)
    assert (
        client.get(
            f"/api/v1/assessment/reports/{report['id']}/file?format=pdf", headers=h
        ).status_code
        == 404
    )
    listed = client.get("/api/v1/assessment/reports", headers=h).get_json()
    assert report["id"] not in [r["id"] for r in listed["items"]]


def test_an_altered_report_file_is_a_409_on_the_audit_chain(client, token_for, session, app):
    report = _report(client, token_for)
    path = reports.store_of(app.config).path_of(report["xlsx_sha256"])
    path.chmod(0o644)
    original = path.read_bytes()
    try:
        path.write_bytes(original + b"x")
        response = client.get(
            f"/api/v1/assessment/reports/{report['id']}/file?format=xlsx",
            headers=token_for(INSPECTOR),
        )
        assert response.status_code == 409 and response.json["error"]["code"] == "file_altered"
        assert (
            session.scalar(
                sa.select(sa.func.count())
                .select_from(AuditRecord)
                .where(AuditRecord.action == "assessment.report_altered")
            )
            == 1
        )
    finally:
        path.write_bytes(original)
        path.chmod(0o444)


@pytest.mark.parametrize("who", ["czj.wangfang", "czj.zhoujie"])
def test_staff_and_discipline_leaders_do_not_see_the_assessment_pages(client, session, who):
    from tests.integration.test_pages import sign_in

    sign_in(client, who)
    assert client.get("/assessment/").status_code == 403


def test_an_inspector_fills_in_the_form_and_reads_the_result_and_its_exports(client, session):
    from tests.integration.test_pages import sign_in

    sign_in(client, INSPECTOR)
    from tests.integration.test_pages import csrf_from

    token = csrf_from(client.get("/assessment/evaluations/new").get_data(as_text=True))
    form = {
        "framework": SEED["framework"],
        "unit": "wjj",
        "year": "2019",
        "action": "final",
        "csrf_token": token,
    }
    for indicator, given in SEED["inputs"].items():
        for key, value in given.items():
            shown = ("yes" if value else "no") if isinstance(value, bool) else str(value)
            form[f"inputs.{indicator}.{key}"] = shown
    form.update({f"recorded.{k}": v for k, v in SEED["recorded"].items()})
    form["inputs.staff_control.staff_quota"] = "二百"
    page = client.post("/assessment/evaluations/new", data=form)
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert 'id="error-inputs-staff_control-staff_quota"' in text and 'value="二百"' in text
    form["inputs.staff_control.staff_quota"] = "241"
    done = client.post("/assessment/evaluations/new", data=form)
    assert done.status_code == 302
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert 'id="computed-total">88.71' in result and 'id="recorded-total">88.72' in result
    evaluation_id = int(done.headers["Location"].rsplit("/", 1)[-1])
    xlsx = client.get(f"/assessment/evaluations/{evaluation_id}/export.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    cells = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "88.71" in cells and "88.72" in cells and "9、结转结余控制率" in cells
    pdf = client.get(f"/assessment/evaluations/{evaluation_id}/export.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    for path in ("/assessment/profiles", "/assessment/platform-use", "/assessment/reports"):
        assert client.get(path).status_code == 200, path


def test_the_cli_checks_a_framework_file_and_names_every_problem(app, tmp_path):
    shipped = Path(__file__).resolve().parents[2] / (
        "riskctl/assessment/frameworks/dept_overall_expenditure.yaml"
    )
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["riskctl", "assessment", "validate", str(shipped)])
    assert ok.exit_code == 0 and "30 项指标" in ok.output
    broken = tmp_path / "dept_overall_expenditure.yaml"
    broken.write_text(shipped.read_text("utf-8").replace("max: 24", "max: 25"), "utf-8")
    bad = runner.invoke(args=["riskctl", "assessment", "validate", str(broken)])
    assert bad.exit_code == 1
    assert "groups[1].groups[0].max: 各部分合计 24，不等于 25" in bad.output  # Chinese by default
