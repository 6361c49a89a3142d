"""A unit's government level: given through the API and the CSV import, and deciding
which procurement thresholds its items are judged by."""

from datetime import date

import sqlalchemy as sa

from riskctl.org.models import Unit, UnitLevel
from riskctl.risk.services import current_policy
from tests.integration.test_org_import import upload


def test_a_central_unit_is_judged_by_the_state_councils_figures(client, session, token_for):
    admin = token_for("admin")
    made = client.post("/api/v1/units", headers=admin,
                       json={"code": "zyj", "name": "某中央预算单位", "kind": "department",
                             "level": "central"})  # fmt: skip
    assert made.status_code == 201, made.json
    assert made.json["level"] == "central"
    wrong = {"code": "xxj", "name": "某局", "kind": "department", "level": "国家"}
    bad = client.post("/api/v1/units", headers=admin, json=wrong)
    assert bad.status_code == 422 and bad.json["error"]["details"][0]["path"] == "level"
    central = session.scalar(sa.select(Unit).where(Unit.code == "zyj"))
    county = session.scalar(sa.select(Unit).where(Unit.code == "czj"))
    assert county.level is UnitLevel.COUNTY  # the demo district's units
    policy = current_policy(session)
    day = date(2026, 6, 1)
    central_figures = policy.params("procurement_splitting", central.id, day)["open_tender"]
    local_figures = policy.params("procurement_splitting", county.id, day)["open_tender"]
    assert central_figures["货物"] == "2000000" and local_figures["货物"] == "4000000"


def test_the_import_reads_the_level_in_chinese_and_defaults_by_kind(client, session, token_for):
    units = (
        "code,name,kind,parent,level\n"
        "jyj,区教育局,department,,县级\nsjt,省某厅,部门,,省级\nzz,某镇,乡镇,,\n"
    )
    response = upload(client, token_for("admin"), units=units)
    assert response.status_code == 200, response.json
    levels = dict(session.execute(sa.select(Unit.code, Unit.level)
                                  .where(Unit.code.in_(["jyj", "sjt", "zz"]))).all())  # fmt: skip
    assert levels == {
        "jyj": UnitLevel.COUNTY,
        "sjt": UnitLevel.PROVINCIAL,
        "zz": UnitLevel.TOWNSHIP,
    }
