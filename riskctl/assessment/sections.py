"""The hook through which other modules add sections to the monthly report.

Education (廉政教育) and talks (谈话提醒) are built by other modules; the report does not
import them.  A module that has something to say connects a receiver to
``report_sections``; the report sends it while it is built and prints every section the
receivers return, in the order of their ``order``::

    from riskctl.assessment.sections import ReportSection, report_sections

    @report_sections.connect
    def _education(context):  # a SectionContext
        figures = my_services.stats(context.session, context.principal, ...)
        return ReportSection("education", 30, "廉政教育", ["…"], [Table(…)])

A receiver reads only (through its own services, within ``context.principal``'s reach
and ``context.unit_ids``); returning None adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from blinker import Namespace

from riskctl.core.access import Principal
from riskctl.core.db import DbSession

_signals = Namespace()

report_sections = _signals.signal("assessment-report-sections")


@dataclass(frozen=True)
class SectionContext:
    session: DbSession
    principal: Principal
    first: date
    last: date
    unit_ids: frozenset[int]


@dataclass(frozen=True)
class Table:
    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Any]]


@dataclass(frozen=True)
class ReportSection:
    key: str
    order: int  # where it goes among the added sections (after the risk picture)
    title: str
    paragraphs: Sequence[str] = ()
    tables: Sequence[Table] = field(default_factory=tuple)


def collect(context: SectionContext) -> list[ReportSection]:
    """The sections the connected modules return, in their order."""
    found = [s for _receiver, s in report_sections.send(context) if isinstance(s, ReportSection)]
    return sorted(found, key=lambda s: (s.order, s.key))
