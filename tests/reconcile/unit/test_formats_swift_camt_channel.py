"""R-B2 statements in, R-C15 custody statements: MT940, camt.053/camt.054 (XSD-checked,
streamed) and a quick-pay channel's settlement file, on sample files and broken copies."""

from datetime import date

import pytest

from cunguan.reconcile.formats import read_statement
from cunguan.reconcile.rules.statements import Direction, LineStatus

from .formats_helpers import refused, sample

MT940 = sample("cunguan_20261207.sta")
CAMT053 = sample("camt053_20261207.xml")
CAMT054 = sample("camt054_20261207.xml")
QUICKPAY = sample("quickpay_20261207.txt")


def _with(data: bytes, old: bytes, new: bytes) -> bytes:
    assert old in data
    return data.replace(old, new, 1)


# MT940


def test_r_b2_mt940_reads_balances_lines_and_narratives() -> None:
    statement = read_statement(MT940, "mt940")
    assert (statement.statement_id, statement.account_no) == (
        "STMT20261207:00342/001", "0200001234567890123")
    assert (statement.opening_balance_fen, statement.closing_balance_fen) == (
        123_456_789, 133_456_289)
    assert [line.line_no for line in statement.lines] == [5, 8, 10, 12]
    payout = statement.lines[0]
    assert (payout.direction, payout.amount_fen, payout.bank_ref, payout.end_to_end_ref) == (
        Direction.DEBIT, 1_234_567, "ICBC202612070001", "W20261207000001")
    assert "ZHANG SAN" in payout.description
    assert statement.lines[2].end_to_end_ref == ""  # NONREF


def test_r_c15_mt940_reversal_of_a_debit_is_a_reversed_credit_of_the_original() -> None:
    returned = read_statement(MT940, "mt940").lines[3]
    assert (returned.direction, returned.status, returned.original_ref) == (
        Direction.CREDIT, LineStatus.REVERSED, "W20261207000001")


def test_r_b3_mt940_balances_must_continue() -> None:
    refused(lambda: read_statement(_with(MT940, b":62F:C261207CNY1334562,89",
                                         b":62F:C261207CNY1334562,88"), "mt940"),
            "statement_balance_mismatch")
    debit_closing = _with(MT940, b":62F:C261207CNY1334562,89", b":62F:D261207CNY1334562,89")
    refused(lambda: read_statement(debit_closing, "mt940"), "statement_balance_mismatch")


@pytest.mark.parametrize(("old", "new", "line"), [
    (b"2612071207C100000,00", "2612071207C10０000,00".encode(), 8),
    (b"2612071207C100000,00", b"2612071207X100000,00", 8),
    (b"2612071207C100000,00", b"2613071207C100000,00", 8),
    (b":20:STMT20261207", b":20:STMT20261207\n:61:", 2),
])
def test_r_b2_mt940_a_bad_tag_is_refused_with_its_line(old: bytes, new: bytes,
                                                      line: int) -> None:
    error = refused(lambda: read_statement(_with(MT940, old, new), "mt940"),
                    "statement_unparsable")
    assert error.details["line"] == line


def test_r_b2_mt940_not_a_statement_or_two_of_them_is_refused() -> None:
    refused(lambda: read_statement(b"hello", "mt940"), "statement_unparsable")
    refused(lambda: read_statement(MT940.replace(b"-\n", b"") + MT940, "mt940"),
            "statement_unparsable")
    no_closing = MT940.replace(b":62F:C261207CNY1334562,89\n", b"")
    refused(lambda: read_statement(no_closing, "mt940"), "statement_unparsable")


# camt.053 / camt.054


def test_r_c15_camt053_maps_balances_entries_returns_and_pending() -> None:
    statement = read_statement(CAMT053, "camt.053")
    assert (statement.statement_id, statement.account_no, statement.currency) == (
        "0200001234567890123-20261207", "0200001234567890123", "CNY")
    assert (statement.opening_balance_fen, statement.closing_balance_fen) == (
        123_456_789, 133_456_289)
    assert (statement.from_date, statement.to_date) == (date(2026, 12, 7), date(2026, 12, 7))
    payout, receipt, fee, returned, pending = statement.lines
    assert (payout.counterparty_account, payout.counterparty_name) == (
        "6222020200012345678", "张三")
    assert (receipt.counterparty_name, receipt.end_to_end_ref) == (
        "李四科技有限公司", "R20261207000001")
    assert (fee.description, fee.amount_fen) == ("手续费", 500)
    assert (returned.status, returned.original_ref, returned.description) == (
        LineStatus.RETURNED, "W20261207000001", "AC04 / 账户已销户")
    assert pending.status is LineStatus.PENDING
    assert statement.balances_stated


@pytest.mark.parametrize("return_info, narrative", [
    ("<OrgnlBkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly>"
     "</Domn></OrgnlBkTxCd><Rsn><Cd>AC04</Cd></Rsn>", "AC04 / 账户已销户"),
    ("<Orgtr><Nm>收款行</Nm></Orgtr><Rsn><Prtry>R01</Prtry></Rsn>", "R01 / 账户已销户"),
    ("", "账户已销户")])
def test_r_c15_camt053_a_return_is_narrated_by_its_reason_not_its_original_code(
        return_info: str, narrative: str) -> None:
    """Rsn's code, or its proprietary code: not the first Cd under RtrInf, which is the
    original transaction code's domain (PMNT) when OrgnlBkTxCd is given."""
    data = _with(CAMT053, b"<Rsn><Cd>AC04</Cd></Rsn>", return_info.encode())
    returned = read_statement(data, "camt.053").lines[3]
    assert (returned.status, returned.description) == (LineStatus.RETURNED, narrative)


def test_r_c15_camt054_notification_reversal_with_fee_and_no_balances() -> None:
    statement = read_statement(CAMT054, "camt.054")
    (line,) = statement.lines
    assert (line.status, line.direction, line.fee_fen, line.booking_date) == (
        LineStatus.REVERSED, Direction.DEBIT, 50, date(2026, 12, 7))
    assert not statement.balances_stated
    assert statement.balances_continue()


@pytest.mark.parametrize(("data", "fmt"), [
    (CAMT054, "camt.053"),  # the other message's schema
    (CAMT053, "camt.054"),
    (CAMT053.replace(b"camt.053.001.08", b"camt.053.001.02"), "camt.053"),  # another version
    (CAMT053.replace(b"<CdtDbtInd>DBIT</CdtDbtInd>", b"<CdtDbtInd>XXX</CdtDbtInd>", 1),
     "camt.053"),
    (CAMT053.replace(b"<Sts><Cd>BOOK</Cd></Sts>", b"", 1), "camt.053"),
    (CAMT053[:2500], "camt.053"),
    (CAMT053.replace(b"<Amt Ccy=\"CNY\">5.00</Amt>", b"<Amt Ccy=\"CNY\">NaN</Amt>"),
     "camt.053"),
    (CAMT053.replace(b"12345.67", b"12345.678", 1), "camt.053"),
    (CAMT053.replace(b"<Document", b"<!DOCTYPE d [<!ENTITY a \"b\">]><Document"), "camt.053"),
    (b"\x00\x01 not xml", "camt.053"),
])
def test_r_b2_camt_that_fails_its_xsd_or_its_amounts_is_refused(data: bytes, fmt: str) -> None:
    refused(lambda: read_statement(data, fmt), "statement_unparsable")


def test_r_b2_camt_xsd_refusal_names_the_line() -> None:
    bad = CAMT053.replace(b"<CdtDbtInd>DBIT</CdtDbtInd>", b"<CdtDbtInd>XXX</CdtDbtInd>", 1)
    error = refused(lambda: read_statement(bad, "camt.053"), "statement_unparsable")
    assert error.details["line"] == CAMT053[:CAMT053.index(b"<CdtDbtInd>DBIT")].count(b"\n") + 1


def test_r_b3_camt053_balances_must_continue() -> None:
    refused(lambda: read_statement(CAMT053.replace(b"1334562.89", b"1334562.88"), "camt.053"),
            "statement_balance_mismatch")
    no_close = CAMT053.replace(b"<Cd>CLBD</Cd>", b"<Cd>ITBD</Cd>")
    refused(lambda: read_statement(no_close, "camt.053"), "statement_unparsable")


def _large_camt(entries: int) -> bytes:
    head, _, rest = CAMT053.partition(b"      <Ntry>")
    entry = b"      <Ntry>" + rest.partition(b"</Ntry>")[0] + b"</Ntry>\n"
    body = b"".join(entry.replace(b"ICBC202612070001", f"REF{n:012d}".encode())
                    for n in range(entries))
    tail = b"    </Stmt>" + CAMT053.partition(b"    </Stmt>")[2]
    closing = 123_456_789 - entries * 1_234_567
    fixed = head.replace(b"<Amt Ccy=\"CNY\">1334562.89</Amt>\n        <CdtDbtInd>CRDT",
                         f"<Amt Ccy=\"CNY\">{abs(closing) // 100}.{abs(closing) % 100:02d}"
                         f"</Amt>\n        <CdtDbtInd>{'DBIT' if closing < 0 else 'CRDT'}"
                         .encode())
    return fixed + body + tail


def test_r_b2_camt053_of_many_entries_streams_to_every_line() -> None:
    statement = read_statement(_large_camt(5_000), "camt.053")
    assert len(statement.lines) == 5_000
    assert statement.lines[-1].bank_ref == "REF000000004999"
    assert statement.movement_fen == -5_000 * 1_234_567


# quick-pay channel settlement file


def test_r_c15_quickpay_settlement_file_is_a_statement_with_fees() -> None:
    statement = read_statement(QUICKPAY, "channel:quickpay")
    assert (statement.statement_id, statement.account_no) == (
        "quickpay:M100200300:20261207:0001", "6222600000000001234")
    assert [line.fee_fen for line in statement.lines] == [30, 300, 15, 0]
    refund = statement.lines[3]
    assert (refund.direction, refund.original_ref, refund.end_to_end_ref) == (
        Direction.DEBIT, "R20261207100003", "F20261207100001")
    assert not statement.balances_stated
    assert statement.closing_balance_fen == 110_000
    assert read_statement(QUICKPAY.decode().encode("gbk"), "channel:quickpay") == statement


@pytest.mark.parametrize("totals", [
    b"T|5|3|1,150.00|1|50.00|3.45|1,096.55",
    b"T|4|2|1,150.00|1|50.00|3.45|1,096.55",
    b"T|4|3|1,150.01|1|50.00|3.45|1,096.56",
    b"T|4|3|1,150.00|0|50.00|3.45|1,096.55",
    b"T|4|3|1,150.00|1|49.99|3.45|1,096.56",
    b"T|4|3|1,150.00|1|50.00|3.44|1,096.56",
    b"T|4|3|1,150.00|1|50.00|3.45|1,096.54",
])
def test_r_b2_quickpay_control_totals_must_match_the_details(totals: bytes) -> None:
    data = _with(QUICKPAY, b"T|4|3|1,150.00|1|50.00|3.45|1,096.55", totals)
    refused(lambda: read_statement(data, "channel:quickpay"),
            "statement_control_totals_mismatch")


@pytest.mark.parametrize(("old", "new"), [
    (b"|REFUND|R20261207100003|", b"|REFUND||"),
    (b"|SUCCESS||\xe5\xa4\xa7", b"|PAID||\xe5\xa4\xa7"),
    (b"QP2026120700000002", b"QP2026120700000001"),
    (b"|100.00|0.30|", b"|100.00|-0.30|"),
    (b"|100.00|0.30|", b"|100.001|0.30|"),
    (b"H|M100200300|20261207", b"H|M100200300|20261307"),
    (b"H|M100200300|", b"X|M100200300|"),
    (b"|SUCCESS||\n", b"|SUCCESS|\n"),
])
def test_r_b2_quickpay_bad_records_are_refused(old: bytes, new: bytes) -> None:
    refused(lambda: read_statement(_with(QUICKPAY, old, new), "channel:quickpay"),
            "statement_unparsable")
