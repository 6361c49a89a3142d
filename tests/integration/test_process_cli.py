"""flask riskctl process … and calendar …: the administrator's commands."""

from datetime import date

import sqlalchemy as sa

from riskctl.core.calendar_store import working_calendar
from riskctl.process.models import ProcessDefinition, ProcessStatus


def run(app, *args):
    return app.test_cli_runner().invoke(args=["riskctl", *args])


SMALL = """key: leave_note
name: 请假条
category: other
nodes:
  - {key: s, kind: start}
  - {key: ask, name: 申请, post: handler, limit: 1wd}
  - {key: e, kind: end}
edges:
  - [s, ask]
  - [ask, e]
"""


def _versions(session, unit_code, key):
    from riskctl.org.models import Unit

    unit = session.scalar(sa.select(Unit).where(Unit.code == unit_code))
    return session.scalars(
        sa.select(ProcessDefinition)
        .where(ProcessDefinition.unit_id == unit.id, ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version)
    ).all()


def test_templates_are_listed(app, session):
    result = run(app, "process", "templates")
    assert result.exit_code == 0, result.output
    assert "procurement" in result.output and "政府采购" in result.output
    assert len(result.output.strip().splitlines()) == 10  # budget_preparation, revenue added


def test_adopt_with_local_changes_publishes(app, session):
    result = run(app, "process", "adopt", "contract", "--unit", "nmj", "--key", "contract_small",
                 "--name", "合同管理（小额）", "--post", "archivist=section_chief",
                 "--limit", "sign=5wd", "--risk", "pay=5", "--risk", "process=2")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "contract_small 第 1 版" in result.output and "已发布" in result.output
    (row,) = _versions(session, "nmj", "contract_small")
    nodes = {n["key"]: n for n in row.body["nodes"]}
    assert nodes["archive"]["post"] == "section_chief"
    assert nodes["sign"]["limit"] == "5wd" and nodes["pay"]["risk"] == 5 and row.risk == 2
    assert row.template == "contract"


def test_adopt_reports_what_does_not_fit(app, session):
    changes = ["--post", "astronaut=handler", "--limit", "sign=3x", "--risk", "pay=9"]
    result = run(app, "process", "adopt", "contract", "--unit", "nmj", "--key", "c2", *changes)
    assert result.exit_code == 1
    for path in ("posts.astronaut", "limits.sign", "risks.pay"):
        assert path in result.output
    assert _versions(session, "nmj", "c2") == []
    bad = run(app, "process", "adopt", "contract", "--unit", "nmj", "--post", "handler")
    assert bad.exit_code == 2 and "NAME=VALUE" in bad.output


def test_validate_load_publish_and_list(app, session, tmp_path):
    good = tmp_path / "leave.yaml"
    good.write_text(SMALL, encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL.replace("post: handler", "post: astronaut").replace("1wd", "1y"),
                   encoding="utf-8")  # fmt: skip
    checked = run(app, "process", "validate", str(bad), "--unit", "czj")
    assert checked.exit_code == 1
    assert "nodes[1].post" in checked.output and "nodes[1].limit" in checked.output
    assert run(app, "process", "validate", str(good), "--unit", "czj").exit_code == 0
    loaded = run(app, "process", "load", str(good), "--unit", "czj")
    assert loaded.exit_code == 0 and "leave_note v1 草稿" in loaded.output
    published = run(app, "process", "publish", "leave_note", "--unit", "czj")
    assert published.exit_code == 0, published.output
    (row,) = _versions(session, "czj", "leave_note")
    assert row.status is ProcessStatus.PUBLISHED and row.source == SMALL
    listed = run(app, "process", "list", "--unit", "czj")
    assert "leave_note" in listed.output
    again = run(app, "process", "publish", "leave_note", "--unit", "czj")
    assert again.exit_code == 1


def test_calendar_override_wins_and_is_removed(app, session):
    day = date(2027, 2, 6)  # a Saturday
    made = run(app, "calendar", "override", "2027-02-06", "--working", "--reason", "调休上班")
    assert made.exit_code == 0, made.output
    assert working_calendar(session).is_working_day(day)
    assert "2027-02-06" in run(app, "calendar", "list").output
    assert run(app, "calendar", "remove", "2027-02-06").exit_code == 0
    assert not working_calendar(session).is_working_day(day)
    assert run(app, "calendar", "override", "2027-02-30", "--off", "--reason", "x").exit_code == 2
