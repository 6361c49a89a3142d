"""What the pages compute without a server: the process diagram's text, time left on a
task in working days, money and due times as a reader expects them."""

import re
from datetime import UTC, datetime

from riskctl.core.calendar import WorkingCalendar
from riskctl.core.formatting import remaining, yuan
from riskctl.process.diagram import condition_label, flowchart
from riskctl.process.validation import validate
from tests.unit.test_process_validation import API_EXAMPLE, COUNTERSIGN, POSTS

PURCHASE = validate(API_EXAMPLE, POSTS).definition
COUNTER = validate(COUNTERSIGN, POSTS).definition


def _ids(text: str) -> dict[str, str]:
    """node name → Mermaid id, from the node lines of the chart."""
    found = {}
    for line in text.splitlines():
        match = re.match(r'\s*(n\d+)\W+"([^"]*)"', line)
        if match and "-->" not in line:
            found[match.group(2).split(" · ")[0]] = match.group(1)
    return found


def test_the_diagram_marks_the_path_the_gateway_on_it_and_the_open_node():
    text = flowchart(PURCHASE, visited={"request", "approve"}, current={"sign"},
                     posts={"purchaser": "采购经办"})  # fmt: skip
    ids = _ids(text)
    assert text.startswith("flowchart TD")
    assert f"class {ids['采购需求']} visited" in text
    assert f"class {ids['合同签订']} current" in text
    assert f"class {ids['分管领导审批']} " not in text  # the branch not taken
    assert f"class {ids['?']} visited" in text  # approve → route → sign: the route was passed
    assert '["采购需求 · 采购经办"]' in text  # posts by name
    assert "|金额 ≥ ¥100,000.00|" in text and "|否则|" in text and "|同意|" in text


def test_the_diagram_of_an_ended_item_reaches_its_end_and_labels_are_made_safe():
    text = flowchart(COUNTER, visited={"propose", "a", "b", "decide"}, ended="rejected")
    ids = _ids(text)
    assert f"class {ids['终止']} visited" in text and f"class {ids['结束']} " not in text
    assert "linkStyle" in text
    from dataclasses import replace

    hostile = replace(PURCHASE.nodes[1], name='采购"需求"]-->x[<b>')
    risky = replace(PURCHASE, nodes=(PURCHASE.nodes[0], hostile, *PURCHASE.nodes[2:]))
    line = next(x for x in flowchart(risky).splitlines() if "采购" in x and "-->" not in x)
    assert line.count('"') == 2 and "<" not in line and "]-->" not in line


def test_condition_labels_read_as_words():
    route = next(e for e in PURCHASE.edges if e.source == "route" and e.when)
    assert condition_label(route.when, PURCHASE) == "金额 ≥ ¥100,000.00"


def test_time_left_counts_working_days_and_lateness():
    calendar = WorkingCalendar()
    due = datetime(2026, 12, 10, 16, tzinfo=UTC)  # 24:00 on Thursday 10 December, Beijing
    monday = datetime(2026, 12, 7, 2, tzinfo=UTC)
    assert remaining(due, monday, calendar) == ("3 working days left", "ok")
    assert remaining(due, datetime(2026, 12, 10, 2, tzinfo=UTC), calendar) == ("14 h left", "soon")
    late = remaining(due, datetime(2026, 12, 15, 3, tzinfo=UTC), calendar)
    assert late == ("3 working days overdue", "late")  # Fri 11, Mon 14, Tue 15
    assert remaining(due, datetime(2026, 12, 10, 18, tzinfo=UTC), calendar) == (
        "2 h overdue", "late",
    )  # fmt: skip
    assert remaining(None, monday, calendar) is None


def test_money_is_shown_in_yuan_with_separators():
    assert yuan("3980000.00") == "¥3,980,000.00"
    assert yuan("12.5") == "¥12.50"
    assert yuan(None) == "—" and yuan("n/a") == "n/a"
