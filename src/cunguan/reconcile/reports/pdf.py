"""A report set as one PDF (reportlab): a cover with the R-B3 identities, a chart of the reserve
bank and customer fund balances and a chart of the in-transit items' ageing, then each report
as a table (header repeated on every page), in landscape A4.

Chinese text uses reportlab's built-in CID font STSong-Light (no font file is shipped or read).
Amounts are printed from fen with ``format_yuan`` (exact); the charts plot yuan as floats only
to place bars, never to compute money.
"""

import io
from collections.abc import Sequence
from decimal import Decimal

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import (
    Flowable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from cunguan.core import limits
from cunguan.core.money import format_yuan
from cunguan.reconcile.reports.build import AGEING
from cunguan.reconcile.reports.model import ColumnKind, Report, ReportSet, printable

FONT = "STSong-Light"
_registered: list[bool] = []


def _font() -> str:
    """Register the CID font once per process (reportlab keeps a global registry)."""
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered.append(True)
    return FONT


def _styles() -> dict[str, ParagraphStyle]:
    font = _font()
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=16, leading=22, spaceAfter=6),
        "heading": ParagraphStyle("heading", fontName=font, fontSize=12, leading=16,
                                  spaceAfter=4),
        "body": ParagraphStyle("body", fontName=font, fontSize=9, leading=12),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=7, leading=9),
    }


def _escape(text: str) -> str:
    """Text for a Paragraph: printable, and its markup characters escaped."""
    return printable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _table(report: Report, styles: dict[str, ParagraphStyle], width: float) -> Table:
    cell = styles["cell"]
    header = [Paragraph(_escape(c.title), cell) for c in report.columns]
    shown = report.rows[:limits.report_pdf_rows_max]
    column_width = width / max(len(report.columns), 1)
    # Body cells are plain strings (a Paragraph per cell costs ~10× the time), cut to what the
    # column holds at 7 pt, a CJK character being 7 pt wide; the XLSX has every text whole.
    chars = max(int((column_width - 4) // 7), 4)
    body = []
    for row in shown:
        values: list[str] = []
        for column, value in zip(report.columns, row.cells, strict=True):
            if column.kind is ColumnKind.MONEY and isinstance(value, int):
                values.append(format_yuan(value))
            elif column.kind is ColumnKind.COUNT:
                values.append(f"{value:,}" if isinstance(value, int) else str(value))
            else:
                text = printable(str(value))
                values.append(text if len(text) <= chars else text[:chars - 1] + "…")
        body.append(values)
    table = Table([header, *body], repeatRows=1, colWidths=[column_width] * len(report.columns))
    style = [("FONTNAME", (0, 0), (-1, -1), FONT), ("FONTSIZE", (0, 0), (-1, -1), 7),
             ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
             ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#D9E1F2")),
             ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
    for index, column in enumerate(report.columns):
        if column.kind is not ColumnKind.TEXT:
            style.append(("ALIGN", (index, 1), (index, -1), "RIGHT"))
    for n, row in enumerate(shown, start=1):
        if row.total:
            style.append(("BACKGROUND", (0, n), (-1, n), colors.HexColor("#F2F2F2")))
    table.setStyle(TableStyle(style))
    return table


def _bar_chart(title: str, names: Sequence[str], series: Sequence[Sequence[float]],
               width: float) -> Drawing:
    drawing = Drawing(width, 180)
    drawing.add(String(0, 168, printable(title), fontName=FONT, fontSize=10))
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 50, 30, width - 80, 120
    chart.data = [list(s) for s in series] if names else [[0.0]]
    chart.categoryAxis.categoryNames = list(names) or [""]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.forceZero = True
    chart.bars[0].fillColor = colors.HexColor("#4472C4")
    if len(series) > 1:
        chart.bars[1].fillColor = colors.HexColor("#ED7D31")
    drawing.add(chart)
    return drawing


def _plot(amount_fen: int) -> float:
    """A yuan amount as a bar height (drawing only)."""
    return float(Decimal(amount_fen) / 100)


def _charts(report_set: ReportSet, width: float) -> list[Flowable]:
    summary = report_set.get("1")
    balances = [r for r in summary.rows if r.key.startswith("bank:") or r.key == "customer"]
    names = [printable(str(r.cells[1]))[:18] for r in balances]
    closing = summary.column_index("closing")
    opening = summary.column_index("opening")
    chart = _bar_chart("备付金银行账户与客户资金账户余额(元): 期初 / 期末", names,
                       [[_plot(int(r.cells[opening])) for r in balances],
                        [_plot(int(r.cells[closing])) for r in balances]], width)
    ageing = report_set.get("10").row("total")
    report = report_set.get("10")
    amounts = [_plot(int(ageing.cells[report.column_index(f"{k}_amount")]))
               for k, _, _, _ in AGEING]
    counts = [int(ageing.cells[report.column_index(f"{k}_count")]) for k, _, _, _ in AGEING]
    labels = [f"{t} ({c}笔)" for (_, t, _, _), c in zip(AGEING, counts, strict=True)]
    return [chart, Spacer(1, 4 * mm),
            _bar_chart("未达账项账龄分析(金额, 元)", labels, [amounts], width)]


def _cover(report_set: ReportSet, styles: dict[str, ParagraphStyle],
           width: float) -> list[Flowable]:
    story: list[Flowable] = [Paragraph(_escape(report_set.title), styles["title"]),
                             Paragraph(f"期间: {report_set.period_from} 至 "
                                       f"{report_set.period_to}  单位: 元", styles["body"]),
                             Spacer(1, 4 * mm)]
    trial = report_set.get("12").row("difference")
    moves = report_set.get("11").row("difference")
    story.append(Paragraph(
        f"R-B3 余额勾稽差额: {format_yuan(int(trial.cells[-1]))}; "
        f"变动勾稽差额: {format_yuan(int(moves.cells[-1]))}", styles["body"]))
    story.append(Spacer(1, 4 * mm))
    story += _charts(report_set, width)
    return story


def render_pdf(report_set: ReportSet) -> bytes:
    """The report set as a PDF: the cover with its charts, then a table per report."""
    buffer = io.BytesIO()
    page = landscape(A4)
    doc = SimpleDocTemplate(buffer, pagesize=page, leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm,
                            title=printable(report_set.title),
                            author=printable(report_set.institution), invariant=1)
    styles = _styles()
    width = page[0] - 24 * mm
    story = _cover(report_set, styles, width)
    for report in report_set.reports:
        story.append(PageBreak())
        account = f"  账户: {report.account}" if report.account else ""
        story.append(Paragraph(_escape(f"{report.code}  {report.title}"), styles["heading"]))
        story.append(Paragraph(_escape(f"机构: {report.institution}  期间: {report.period_from} "
                                       f"至 {report.period_to}{account}  单位: 元"),
                               styles["body"]))
        story.append(Spacer(1, 2 * mm))
        story.append(_table(report, styles, width))
        hidden = len(report.rows) - limits.report_pdf_rows_max
        if hidden > 0:
            story.append(Paragraph(f"另有 {hidden} 行见 XLSX", styles["body"]))
        for note in report.notes:
            story.append(Paragraph(_escape(f"注: {note}"), styles["body"]))
    doc.build(story)
    return buffer.getvalue()
