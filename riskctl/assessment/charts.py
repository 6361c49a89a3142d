"""Charts drawn on the server with ReportLab's graphics: one drawing serves the PDF (as
vectors, in the embedded CJK font) and the web page (as SVG, ``svg``).  No browser, no
image files, nothing from the machine's fonts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reportlab import rl_config
from reportlab.graphics import renderSVG
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT = "WQYMicroHei"
FONT_FILE = Path(__file__).resolve().parent / "fonts" / "wqy-microhei.ttc"
LEVEL_COLOURS = {
    "red": colors.HexColor("#c0392b"),
    "orange": colors.HexColor("#e67e22"),
    "yellow": colors.HexColor("#d4ac0d"),
}
BLUE = colors.HexColor("#2c6fbb")


def register_font() -> str:
    """The shipped CJK font, registered once with ReportLab (embedded as a subset)."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE), subfontIndex=0))
        # Every canvas starts in this font rather than Helvetica (a font the PDF would
        # name without embedding): nothing in a report then depends on the reader's fonts.
        rl_config.canvas_basefontname = FONT
    return FONT


def _title(drawing: Drawing, text: str, width: float, height: float) -> None:
    drawing.add(
        String(width / 2, height - 14, text, fontName=FONT, fontSize=10, textAnchor="middle")
    )


def ranking(
    names: Sequence[str], values: Sequence[float], title: str, width: float = 460
) -> Drawing:
    """Horizontal bars, the highest first at the top (a unit ranking)."""
    register_font()
    rows = max(len(values), 1)
    height = 40 + 16 * rows
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 110, 10
    chart.width, chart.height = width - 140, height - 40
    chart.data = [list(reversed(values)) or [0]]
    chart.categoryAxis.categoryNames = list(reversed(names)) or [""]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 8
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = BLUE
    chart.barLabelFormat = "%.2f"
    chart.barLabels.fontName = FONT
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 12
    drawing.add(chart)
    _title(drawing, title, width, height)
    return drawing


def levels(
    labels: Sequence[str],
    series: dict[str, Sequence[int]],
    names: dict[str, str],
    title: str,
    width: float = 460,
    height: float = 200,
) -> Drawing:
    """Stacked columns by level (red, orange, yellow) per category."""
    register_font()
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 40, 40
    chart.width, chart.height = width - 60, height - 70
    keys = [k for k in ("red", "orange", "yellow") if k in series]
    chart.data = [list(series[k]) or [0] for k in keys] or [[0]]
    chart.categoryAxis.style = "stacked"
    chart.categoryAxis.categoryNames = list(labels) or [""]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 30 if len(labels) > 6 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(labels) > 6 else "n"
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    for n, key in enumerate(keys):
        chart.bars[n].fillColor = LEVEL_COLOURS[key]
    drawing.add(chart)
    _title(drawing, title, width, height)
    x = width - 150
    for n, key in enumerate(keys):  # the legend
        drawing.add(
            String(
                x + 50 * n,
                height - 28,
                f"■ {names[key]}",
                fontName=FONT,
                fontSize=8,
                fillColor=LEVEL_COLOURS[key],
            )
        )
    return drawing


def trend(
    months: Sequence[str],
    values: Sequence[float],
    title: str,
    width: float = 460,
    height: float = 180,
) -> Drawing:
    """One line over the months (the risk index of the scope)."""
    register_font()
    drawing = Drawing(width, height)
    chart = HorizontalLineChart()
    chart.x, chart.y = 40, 30
    chart.width, chart.height = width - 60, height - 60
    chart.data = [list(values) or [0]]
    chart.categoryAxis.categoryNames = [m[2:] for m in months] or [""]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.lines[0].strokeColor = BLUE
    chart.lines[0].strokeWidth = 2
    drawing.add(chart)
    _title(drawing, title, width, height)
    return drawing


def svg(drawing: Drawing) -> str:
    """The drawing as an SVG document (for the web page)."""
    text: str = renderSVG.drawToString(drawing)
    return text
