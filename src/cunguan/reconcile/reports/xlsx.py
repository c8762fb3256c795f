"""A report set as one XLSX workbook (xlsxwriter): a sheet per report, its title and period on
top, the header row frozen, amounts as numbers in yuan with two decimals ('#,##0.00'), counts
as whole numbers, total rows in bold, and a last column with each row's sources (traceability,
R-B5).

Amounts are written as ``Decimal(fen) / 100``: xlsxwriter writes a number with ``.16G``, which
for a Decimal is its exact decimal text (1234.56, never 1234.5599999), so the cell holds the fen
amount exactly; no float arithmetic touches money here.
"""

import io
from decimal import Decimal
from typing import Any

import xlsxwriter

from cunguan.core import limits
from cunguan.reconcile.reports.model import ColumnKind, Report, ReportSet, printable

#: Rows above the header: title, subtitle, a blank row.
HEADER_ROW = 3
SOURCES_TITLE = "来源(可追溯)"


def yuan(amount_fen: int) -> Decimal:
    """Fen as an exact yuan Decimal (123456 → 1234.56)."""
    return Decimal(amount_fen) / 100


def sheet_name(report: Report, taken: set[str]) -> str:
    """A unique sheet name within Excel's 31 characters and without []:*?/\\."""
    base = report.code.replace("/", " ")
    for char in "[]:*?\\":
        base = base.replace(char, " ")
    name = base[:31]
    n = 2
    while name in taken:
        suffix = f"~{n}"
        name = base[:31 - len(suffix)] + suffix
        n += 1
    taken.add(name)
    return name


def _width(text: str) -> int:
    """Display width in Excel characters (a CJK character takes two)."""
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)


def _write_sheet(book: Any, formats: dict[str, Any], report: Report, name: str) -> None:
    sheet = book.add_worksheet(name)
    last_column = len(report.columns)
    sheet.merge_range(0, 0, 0, last_column, printable(report.title), formats["title"])
    account = f"  账户: {report.account}" if report.account else ""
    institution = printable(report.institution)
    sheet.write_string(1, 0, f"机构: {institution}  期间: {report.period_from} 至 "
                             f"{report.period_to}{account}  单位: 元", formats["subtitle"])
    widths = [_width(c.title) + 2 for c in report.columns] + [_width(SOURCES_TITLE) + 2]
    for index, column in enumerate(report.columns):
        sheet.write_string(HEADER_ROW, index, column.title, formats["header"])
    sheet.write_string(HEADER_ROW, last_column, SOURCES_TITLE, formats["header"])
    for offset, row in enumerate(report.rows, start=1):
        bold = "_total" if row.total else ""
        for index, (column, cell) in enumerate(zip(report.columns, row.cells, strict=True)):
            if column.kind is ColumnKind.MONEY and isinstance(cell, int):
                sheet.write_number(HEADER_ROW + offset, index, yuan(cell), formats["money" + bold])
                widths[index] = max(widths[index], len(f"{yuan(cell):,.2f}") + 2)
            elif column.kind is ColumnKind.COUNT and isinstance(cell, int):
                sheet.write_number(HEADER_ROW + offset, index, cell, formats["count" + bold])
            else:
                text = printable(str(cell))
                sheet.write_string(HEADER_ROW + offset, index, text, formats["text" + bold])
                widths[index] = max(widths[index], _width(str(cell)) + 2)
        sources = printable(" ".join(row.sources))[:limits.report_cell_chars_max]
        sheet.write_string(HEADER_ROW + offset, last_column, sources, formats["text"])
    for index, width in enumerate(widths):
        sheet.set_column(index, index, min(width, 60))
    note_row = HEADER_ROW + len(report.rows) + 2
    for n, note in enumerate(report.notes):
        sheet.write_string(note_row + n, 0, f"注: {note}", formats["subtitle"])
    sheet.freeze_panes(HEADER_ROW + 1, 0)


def _formats(book: Any) -> dict[str, Any]:
    base = {"font_name": "SimSun", "font_size": 10, "valign": "vcenter"}
    cell = {**base, "border": 1}
    made = {
        "title": book.add_format({**base, "bold": True, "font_size": 14, "align": "center"}),
        "subtitle": book.add_format(base),
        "header": book.add_format({**cell, "bold": True, "align": "center", "bg_color": "#D9E1F2",
                                   "text_wrap": True}),
    }
    for suffix, extra in (("", {}), ("_total", {"bold": True, "bg_color": "#F2F2F2"})):
        made["money" + suffix] = book.add_format({**cell, **extra, "num_format": "#,##0.00"})
        made["count" + suffix] = book.add_format({**cell, **extra, "num_format": "#,##0"})
        made["text" + suffix] = book.add_format({**cell, **extra})
    return made


def render_xlsx(report_set: ReportSet) -> bytes:
    """The report set as an XLSX workbook, one sheet per report, in the set's order."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False})
    book.set_properties({"title": printable(report_set.title), "subject": "客户备付金报表 (R-B5)"})
    formats = _formats(book)
    taken: set[str] = set()
    for report in report_set.reports:
        _write_sheet(book, formats, report, sheet_name(report, taken))
    book.close()
    return buffer.getvalue()
