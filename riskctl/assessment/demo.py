"""Demo data of 分析评估: the seed's evaluation (铜仁市纪委, 2019; seed_2019.yaml) entered for
区财政局, so that an inspector of the demo (刘红, 何晓平) finds a complete evaluation with
its one difference (结转结余控制率 2.69 computed, 2.70 recorded: 88.71 / 88.72) and the
unit signal its lost points raise (公用经费控制率 148.68 %: 0 of 4).

Idempotent: an evaluation already saved for the unit and year is left as it is.  Monthly
reports are not made here: the scheduler builds the previous month's on its first run.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from riskctl.assessment import services
from riskctl.core.access import SYSTEM_ADMIN
from riskctl.core.db import DbSession
from riskctl.org.services import unit_by_code

SEED = Path(__file__).resolve().parent / "seed_2019.yaml"
UNIT = "czj"


def load(session: DbSession) -> int:
    """Save the demo evaluation once; returns how many were saved (0 or 1)."""
    if unit_by_code(session, UNIT) is None:
        return 0
    data = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    saved = services.saved_inputs(session, SYSTEM_ADMIN, UNIT, data["year"], data["framework"])
    if saved is not None:
        return 0
    services.submit(
        session, SYSTEM_ADMIN, framework=data["framework"], unit=UNIT, year=data["year"],
        inputs=data["inputs"], recorded=data["recorded"],
    )  # fmt: skip
    return 1
