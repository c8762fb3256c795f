"""R-B2 statements in: Chinese bank exports (CSV, XLSX) through the shipped layouts and an
operator's own, in every encoding banks use, and the bad files they must refuse."""

import io
import tomllib
from datetime import date

import pytest
import xlsxwriter

from cunguan.reconcile.formats import (
    FORMAT_NAMES,
    column_map_from_mapping,
    read_statement,
    read_table_statement,
)
from cunguan.reconcile.rules.statements import Direction, LineStatus

from .formats_helpers import refused, sample

ICBC = sample("icbc_20261207.csv")
CCB = sample("ccb_20261207.csv")
BOC = sample("boc_20261207.csv")


def test_r_b2_every_format_is_named() -> None:
    assert {"csv:icbc", "csv:ccb", "csv:boc", "xlsx:icbc", "xlsx:ccb", "xlsx:boc", "mt940",
            "camt.053", "camt.054", "channel:quickpay"} <= set(FORMAT_NAMES)
    refused(lambda: read_statement(ICBC, "csv:nobank"), "field_invalid")


def test_r_b2_icbc_export_reads_to_its_balances_and_lines() -> None:
    statement = read_statement(ICBC, "csv:icbc")
    assert statement.account_no == "0200001234567890123"
    assert (statement.opening_balance_fen, statement.closing_balance_fen) == (
        123_456_789, 133_456_289)
    assert (statement.from_date, statement.to_date) == (date(2026, 12, 7), date(2026, 12, 7))
    assert [line.signed_fen for line in statement.lines] == [
        -1_234_567, 10_000_000, -500, 1_234_567]
    payout = statement.lines[0]
    assert (payout.line_no, payout.bank_ref, payout.end_to_end_ref) == (
        8, "ICBC202612070001", "W20261207000001")
    assert payout.counterparty_name == "张三" and payout.balance_after_fen == 122_222_222
    assert statement.statement_id.startswith("csv:icbc:0200001234567890123:20261207-20261207:")


def test_r_b2_ccb_export_signed_amounts_direction_column_and_reversal() -> None:
    statement = read_statement(CCB, "csv:ccb")
    assert statement.account_no == "44050100000000001234"
    assert (statement.opening_balance_fen, statement.closing_balance_fen) == (
        50_000_000, 54_120_000)
    assert [line.direction for line in statement.lines] == [
        Direction.CREDIT, Direction.DEBIT, Direction.DEBIT, Direction.CREDIT]
    assert statement.lines[3].status is LineStatus.REVERSED
    assert statement.lines[1].amount_fen == 880_000


def test_r_b2_boc_export_slashed_dates_and_value_dates() -> None:
    statement = read_statement(BOC, "csv:boc")
    assert (statement.opening_balance_fen, statement.closing_balance_fen) == (
        1_200_000_000, 1_250_000_001)
    first = statement.lines[0]
    assert (first.value_date, first.booking_date) == (date(2026, 12, 6), date(2026, 12, 7))
    assert statement.lines[2].amount_fen == 51


@pytest.mark.parametrize(("name", "data"), [("icbc", ICBC), ("ccb", CCB), ("boc", BOC)])
def test_r_b2_one_statement_in_every_encoding_reads_alike(name: str, data: bytes) -> None:
    text = data.decode("utf-8")
    readings = [read_statement(encoded, f"csv:{name}") for encoded in (
        text.encode("utf-8"), b"\xef\xbb\xbf" + text.encode("utf-8"), text.encode("gbk"),
        text.encode("gb18030"), text.replace("\n", "\r\n").encode("gbk"))]
    assert all(reading.lines == readings[0].lines for reading in readings)
    assert len({(r.opening_balance_fen, r.closing_balance_fen) for r in readings}) == 1


def _xlsx(text: str) -> bytes:
    """The CSV sample as a workbook the way a bank writes one: amounts as numbers."""
    import csv

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("明细")
    for row, cells in enumerate(csv.reader(io.StringIO(text))):
        for col, cell in enumerate(cells):
            plain = cell.replace(",", "")
            if plain.replace(".", "", 1).isdigit() and "." in plain and row > 6:
                sheet.write_number(row, col, float(plain))
            else:
                sheet.write_string(row, col, cell)
    book.close()
    return buffer.getvalue()


def test_r_b2_xlsx_export_reads_like_the_csv() -> None:
    from_csv = read_statement(ICBC, "csv:icbc")
    from_xlsx = read_statement(_xlsx(ICBC.decode()), "xlsx:icbc")
    assert from_xlsx.lines == from_csv.lines
    assert from_xlsx.closing_balance_fen == from_csv.closing_balance_fen
    refused(lambda: read_statement(ICBC, "xlsx:icbc"), "statement_unparsable")


ABC_TOML = """
name = "abc"
delimiter = "\\t"
date = "交易日期"
bank_ref = "交易流水号"
amount = "交易金额"
balance = "本次余额"
counterparty_name = "对方户名"
description = ["摘要"]
account_labels = ["账户"]
opening_labels = ["期初余额"]
"""

ABC_FILE = ("账户：103300000000001\n期初余额：100.00\n"
            "交易日期\t交易流水号\t交易金额\t本次余额\t对方户名\t摘要\n"
            "2026-12-07\tABC0001\t-30.00\t70.00\t钱七\t转出\n"
            "2026-12-07\tABC0002\t+5.50\t75.50\t孙八\t转入\n")


def test_r_b2_an_operator_defines_a_layout_in_toml() -> None:
    cmap = column_map_from_mapping(tomllib.loads(ABC_TOML))
    statement = read_table_statement(ABC_FILE.encode("gbk"), cmap)
    assert statement.source_format == "csv:abc"
    assert statement.account_no == "103300000000001"
    assert [line.signed_fen for line in statement.lines] == [-3000, 550]
    assert statement.closing_balance_fen == 7550


@pytest.mark.parametrize(("change", "field"), [
    ({"colour": "red"}, "colour"),
    ({"date": 7}, "date"),
    ({"debit": "借方"}, "debit"),
    ({"amount": ""}, "amount"),
    ({"delimiter": "x"}, "delimiter"),
    ({"currency": "rmb"}, "currency"),
    ({"description": "摘要"}, "description"),
    ({"footer_markers": [""]}, "footer_markers"),
    ({"bank_ref": "交易金额"}, "date"),
    ({"name": "a\x00b"}, "name"),
])
def test_r_b2_a_bad_layout_is_refused_naming_its_key(change: dict[str, object],
                                                    field: str) -> None:
    mapping = {**tomllib.loads(ABC_TOML), **change}
    error = refused(lambda: column_map_from_mapping(mapping), "field_invalid")
    assert error.details["field"] == field


def _icbc_with(old: str, new: str) -> bytes:
    text = ICBC.decode()
    assert old in text
    return text.replace(old, new, 1).encode("gbk")


@pytest.mark.parametrize(("old", "new", "line"), [
    ('"12,345.67",,102100099996', '"１２,345.67",,102100099996', 8),
    ('"12,345.67",,102100099996', '"1,2,3",,102100099996', 8),
    ('"12,345.67",,102100099996', '"12.345",,102100099996', 8),
    ('"12,345.67",,102100099996', '18446744073709551616,,102100099996', 8),
    ('"12,345.67",,102100099996', 'NaN,,102100099996', 8),
    ('"12,345.67",,102100099996', '1e3,,102100099996', 8),
    ('"12,345.67",,102100099996', ',,102100099996', 8),
    ('"12,345.67",,102100099996', '"12,345.67","1.00",102100099996', 8),
    ("2026-12-07 09:15:02", "2026-13-07 09:15:02", 8),
    ("2026-12-07 09:15:02", "07/12/2026", 8),
    ("ICBC202612070002,", ",", 9),
    ("张三", "张\x00三", 8),
])
def test_r_b2_hostile_cells_are_refused_with_their_line(old: str, new: str, line: int) -> None:
    error = refused(lambda: read_statement(_icbc_with(old, new), "csv:icbc"),
                    "statement_unparsable")
    assert error.details["line"] == line


def test_r_b2_undecodable_bytes_are_refused_with_their_line() -> None:
    data = ICBC.decode().encode("gbk").replace("李四".encode("gbk"), b"\x81\x20", 1)
    error = refused(lambda: read_statement(data, "csv:icbc"), "statement_unparsable")
    assert error.details["line"] == 9
    refused(lambda: read_statement(b"\xff\xfe" + "账号".encode("utf-16-le"), "csv:icbc"),
            "statement_unparsable")


def test_r_b2_empty_and_headerless_files_are_refused() -> None:
    refused(lambda: read_statement(b"", "csv:icbc"), "statement_unparsable")
    refused(lambda: read_statement("账号,1\n".encode(), "csv:icbc"), "statement_unparsable")
    refused(lambda: read_statement(ICBC, "csv:ccb"), "statement_unparsable")


def test_r_b3_a_balance_that_does_not_continue_is_refused_at_its_line() -> None:
    error = refused(lambda: read_statement(_icbc_with('"1,322,222.22",R', '"1,322,222.21",R'),
                                           "csv:icbc"), "statement_balance_mismatch")
    assert error.details["line"] == 9
    refused(lambda: read_statement(_icbc_with('期末余额,"1,334,562.89"', '期末余额,"1,334,562.90"'),
                                   "csv:icbc"), "statement_balance_mismatch")


def test_r_b2_printed_totals_must_be_the_lines() -> None:
    refused(lambda: read_statement(_icbc_with("合计笔数,4", "合计笔数,5"), "csv:icbc"),
            "statement_control_totals_mismatch")
    refused(lambda: read_statement(_icbc_with('借方合计,"12,350.67"', '借方合计,"12,350.68"'),
                                   "csv:icbc"), "statement_control_totals_mismatch")


def test_r_b2_a_line_after_the_summary_is_refused() -> None:
    row = ICBC.decode().splitlines()[7]
    data = (ICBC.decode() + row + "\n").encode()
    refused(lambda: read_statement(data, "csv:icbc"), "statement_unparsable")


def test_r_b2_the_account_must_be_the_one_named() -> None:
    assert read_statement(ICBC, "csv:icbc", account_no="0200001234567890123").lines
    refused(lambda: read_statement(ICBC, "csv:icbc", account_no="999"),
            "statement_account_mismatch")
    no_account = ABC_FILE.replace("账户：103300000000001\n", "").encode()
    cmap = column_map_from_mapping(tomllib.loads(ABC_TOML))
    refused(lambda: read_table_statement(no_account, cmap), "statement_account_mismatch")
    assert read_table_statement(no_account, cmap, account_no="42").account_no == "42"


def test_r_b2_files_beyond_the_limits_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from cunguan.core import limits

    monkeypatch.setattr(limits, "statement_file_bytes_max", len(ICBC) - 1)
    refused(lambda: read_statement(ICBC, "csv:icbc"), "statement_too_large")
    monkeypatch.setattr(limits, "statement_file_bytes_max", len(ICBC))
    monkeypatch.setattr(limits, "statement_lines_max", 3)
    refused(lambda: read_statement(ICBC, "csv:icbc"), "statement_too_large")


def test_r_b2_a_bank_reference_stands_once_and_fits_the_store() -> None:
    error = refused(lambda: read_statement(_icbc_with("ICBC202612070002", "ICBC202612070001"),
                                           "csv:icbc"), "statement_unparsable")
    assert error.details["line"] == 9
    long_ref = "X" * 129
    error = refused(lambda: read_statement(_icbc_with("ICBC202612070003", long_ref),
                                           "csv:icbc"), "statement_unparsable")
    assert error.details["line"] == 10
