"""The reserve-fund report set (R-B5): the report model from reserve days, XLSX read back by
openpyxl, the PDF's pages and text, the ageing buckets, and monthly = the days aggregated."""

import base64
import io
import re
import zlib
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st

from cunguan.reconcile.reports.build import AGEING, ageing, report_set
from cunguan.reconcile.reports.model import Aggregate, ColumnKind, Report, ReportSet
from cunguan.reconcile.reports.pdf import render_pdf
from cunguan.reconcile.reports.xlsx import HEADER_ROW, render_xlsx, sheet_name
from cunguan.reconcile.rules.reserve import InTransitItem, ReserveDay, Side
from cunguan.reconcile.rules.statements import Direction
from tests.reconcile.unit.reserve_days import DAY, consistent_days, hand_day

CODES = ("1", "1-1", "2", "3/C001", "3/P001", "4", "5", "6/工商银行", "6/招商银行", "7", "8",
         "9/C001", "9/P001", "10", "11", "12", "13")


def test_r_b5_the_day_set_holds_the_13_reports_and_the_per_account_variants() -> None:
    reports = report_set([hand_day()])
    assert tuple(r.code for r in reports.reports) == CODES
    assert reports.get("1").value("bank_total", "closing") == 191_780
    assert reports.get("1").value("difference", "closing") == 0
    assert reports.get("2").value("total", "due") == 10_000
    assert reports.get("2").value("total", "fee") == 100
    assert reports.get("5").value("payment", "receipts") == 38_000
    assert reports.get("11").value("difference", "amount") == 0
    assert reports.get("12").value("bank_balance", "amount") == 191_780
    assert reports.get("10").value("P001", "le5_count") == 1


def test_r_b5_item_rows_keep_their_sources() -> None:
    reports = report_set([hand_day()])
    assert [r.sources for r in reports.get("1-1").rows if not r.total] == [
        ("R1",), ("WR1",), ("R2",)]
    assert reports.get("2").rows[0].sources == ("W1",)
    assert reports.get("11").row("interest_received").sources == ("I1",)
    assert reports.get("9/P001").rows[0].sources == ("R2",)
    assert reports.get("1").row("untransferred_fee_income").sources == ("W1", "F1")
    assert reports.get("1").row("in_transit").sources == ("R0", "R2")
    assert reports.get("5").row("settlement").sources == ("B1",)


def _read_back(data: bytes, reports: ReportSet) -> None:
    """Every sheet: header frozen below row HEADER_ROW + 1, titles, and each money cell equal
    to its fen / 100 exactly, each count its int, each text its text."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    taken: set[str] = set()
    for report in reports.reports:
        sheet = book[sheet_name(report, taken)]
        assert sheet.freeze_panes == f"A{HEADER_ROW + 2}"
        assert sheet.cell(1, 1).value == report.title
        header = [sheet.cell(HEADER_ROW + 1, i + 1).value for i in range(len(report.columns))]
        assert header == [c.title for c in report.columns]
        for n, row in enumerate(report.rows, start=HEADER_ROW + 2):
            for i, (column, cell) in enumerate(zip(report.columns, row.cells, strict=True)):
                got = sheet.cell(n, i + 1)
                if column.kind is ColumnKind.MONEY:
                    assert Decimal(repr(got.value)) == Decimal(cell) / 100, (report.code, n)
                    assert got.number_format == "#,##0.00"
                elif column.kind is ColumnKind.COUNT:
                    assert got.value == cell
                else:
                    assert (got.value or "") == cell
            assert (sheet.cell(n, len(report.columns) + 1).value or "") == " ".join(row.sources)


def test_r_b5_xlsx_reads_back_with_amounts_equal_to_fen_over_100() -> None:
    reports = report_set([hand_day()])
    _read_back(render_xlsx(reports), reports)


@settings(max_examples=15, deadline=None)
@given(consistent_days())
def test_r_b5_xlsx_of_any_consistent_day_reads_back_exactly(day: ReserveDay) -> None:
    reports = report_set([day])
    _read_back(render_xlsx(reports), reports)
    assert reports.get("12").value("difference", "amount") == 0


def test_r_b5_a_hostile_text_stays_text_in_the_workbook() -> None:
    day = hand_day()
    items = tuple(replace(i, counterparty_name="=HYPERLINK(\"http://x\")",
                          counterparty_account="62\x00<b>&amp;")
                  if i.source_id == "W1" else i for i in day.customer_items)
    reports = report_set([replace(day, customer_items=items)])
    sheet = openpyxl.load_workbook(io.BytesIO(render_xlsx(reports)))["2"]
    assert sheet.cell(HEADER_ROW + 2, 7).value == "=HYPERLINK(\"http://x\")"
    assert sheet.cell(HEADER_ROW + 2, 7).data_type == "s"
    assert sheet.cell(HEADER_ROW + 2, 6).value == "62\ufffd<b>&amp;"
    assert render_pdf(reports).startswith(b"%PDF-")


def pdf_text(data: bytes) -> str:
    """The text of a reportlab PDF: its content streams inflated, their strings decoded (the
    CID font writes UCS-2 big-endian)."""
    text = []
    for match in re.finditer(
            rb"/Filter \[ /ASCII85Decode /FlateDecode \] /Length (\d+)\s*>>\s*stream\r?\n", data):
        raw = data[match.end():match.end() + int(match.group(1))]
        stream = zlib.decompress(base64.a85decode(raw.strip(), adobe=True))
        for literal in re.findall(rb"\(((?:\\.|[^\\)])*)\) Tj", stream, re.S):
            decoded = re.sub(rb"\\([0-7]{1,3}|.)", lambda m: bytes(
                [int(m.group(1), 8)]) if m.group(1)[:1].isdigit() else {
                b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(m.group(1), m.group(1)),
                literal, flags=re.S)
            text.append(decoded.decode("utf-16-be", errors="ignore"))
    return "\n".join(text)


def test_r_b5_pdf_renders_a_cover_and_a_page_per_report_with_their_titles() -> None:
    reports = report_set([hand_day()])
    data = render_pdf(reports)
    assert data.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type /Page\b", data))
    assert pages == 1 + len(reports.reports)
    text = pdf_text(data)
    for title in ("客户备付金信息统计报表", "未达账项分析表", "客户资金账户余额试算表",
                  "预付卡发行企业备付金账户中售卡押金统计表", "未达账项账龄分析"):
        assert title in text
    assert "1,917.80" in pdf_text(data).replace("\x00", "")


items_in_transit = st.lists(st.builds(
    InTransitItem, st.text("abc", min_size=1, max_size=4), st.sampled_from(tuple(Side)),
    st.just("C001"), st.sampled_from(tuple(Direction)), st.integers(1, 10**9),
    st.integers(0, 40).map(lambda n: DAY - timedelta(days=n))), max_size=30)


@given(items_in_transit)
def test_r_b5_ageing_buckets_partition_the_in_transit_items(items: list[InTransitItem]) -> None:
    day = ReserveDay(DAY, "x", in_transit=tuple(items))
    buckets = ageing(items, day)
    assert sum(c for c, _ in buckets.values()) == len(items)
    assert sum(a for _, a in buckets.values()) == sum(i.amount_fen for i in items)
    for key, _, low, high in AGEING:
        inside = [i for i in items if low <= i.age_days(DAY) <= (high if high else 10**6)]
        assert buckets[key] == (len(inside), sum(i.amount_fen for i in inside))


def test_r_b5_ageing_bucket_edges_are_5_6_10_11_days() -> None:
    def one(age: int) -> dict[str, tuple[int, int]]:
        item = InTransitItem("k", Side.BANK, "C001", Direction.CREDIT, 1,
                             DAY - timedelta(days=age))
        return {k: v for k, v in ageing([item], ReserveDay(DAY, "x")).items() if v[0]}
    assert list(one(5)) == ["le5"] and list(one(6)) == ["d6_10"]
    assert list(one(10)) == ["d6_10"] and list(one(11)) == ["ge11"]


def _cell(report: Report | None, key: str, index: int) -> int:
    if report is None:
        return 0
    try:
        return int(report.row(key).cells[index])
    except KeyError:
        return 0


@settings(max_examples=25, deadline=None)
@given(st.lists(consistent_days(), min_size=2, max_size=4))
def test_r_b5_monthly_is_the_days_summed_with_balances_from_the_first_and_last(
        days: list[ReserveDay]) -> None:
    month = [replace(d, day=date(2026, 3, 1 + n)) for n, d in enumerate(days)]
    monthly = report_set(month, monthly=True)
    daily = [report_set([d]) for d in month]
    assert monthly.title.endswith("(月报 2026-03)")
    for code in ("1", "4", "5", "7", "8", "10", "11", "12", "13"):
        report = monthly.get(code)
        of_days = [d.get(code) for d in daily]
        for row in report.rows:
            if code in ("7", "8", "13") and not row.total:
                continue
            for index, column in enumerate(report.columns):
                if column.kind is ColumnKind.TEXT or column.aggregate is Aggregate.NONE:
                    continue
                values = [_cell(r, row.key, index) for r in of_days]
                expected = {Aggregate.SUM: sum(values), Aggregate.FIRST: values[0],
                            Aggregate.LAST: values[-1]}[column.aggregate]
                assert row.cells[index] == expected, (code, row.key, column.key)
    for code in ("1-1", "2", "3/C001", "6/工商银行"):
        rows = [r for r in monthly.get(code).rows if not r.total]
        assert len(rows) == sum(len(d.get(code).rows) - 1 for d in daily)
        total = monthly.get(code).row("total").cells
        assert [c for c in total if isinstance(c, int)] == [
            sum(x) for x in zip(*([c for c in d.get(code).row("total").cells
                                   if isinstance(c, int)] for d in daily), strict=True)]
