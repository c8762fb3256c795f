"""Public sample statements (tests/reconcile/data/public, LICENCES.md there) read to the totals
written down from the files themselves: balances, entry counts and sums; where a sample's own
figures do not add up, the refusal names them. One statement per file is read: a file of
several statements is refused whole, and read statement by statement (as a bank's daily
files are imported one by one)."""

from datetime import date
from pathlib import Path

import pytest

from cunguan.reconcile import formats
from cunguan.reconcile.rules.refusals import ReconcileError
from cunguan.reconcile.rules.statements import Direction, Statement

PUBLIC = Path(__file__).resolve().parents[1] / "data" / "public"


def _statements(name: str) -> list[bytes]:
    """The file's statements, each as a file of its own (split at the ``-`` trailer)."""
    text = (PUBLIC / name).read_text("ascii")
    return [(block + "\n-\n").encode() for block in text.split("\n-\n") if block.strip()]


def _sums(statement: Statement) -> tuple[int, int, int, int]:
    credits = [i.amount_fen for i in statement.lines if i.direction is Direction.CREDIT]
    debits = [i.amount_fen for i in statement.lines if i.direction is Direction.DEBIT]
    return len(credits), sum(credits), len(debits), sum(debits)


def test_r_b2_every_public_sample_has_its_licence_written_down() -> None:
    licences = (PUBLIC / "LICENCES.md").read_text()
    samples = sorted(p.name for p in PUBLIC.iterdir() if p.name != "LICENCES.md")
    assert samples and all(f"`{name}`" in licences for name in samples)


def test_r_b2_sns_mt940_two_statements_to_their_totals() -> None:
    whole = (PUBLIC / "mt940_jejik_sns.sta").read_bytes()
    with pytest.raises(ReconcileError) as refused:
        formats.read_statement(whole, "mt940")
    assert refused.value.code == "statement_unparsable" and "second statement" in str(
        refused.value)
    first, second = (formats.read_statement(data, "mt940") for data in _statements(
        "mt940_jejik_sns.sta"))
    assert (first.statement_id, first.account_no, first.currency) == (
        "0000000000:160/1", "0123456789", "EUR")
    assert (first.opening_balance_fen, first.closing_balance_fen) == (123_456, 120_956)
    assert _sums(first) == (0, 0, 2, 2_500)                 # 20,00 and 5,00 out
    assert [i.value_date for i in first.lines] == [date(2012, 6, 7), date(2012, 6, 8)]
    assert first.to_date == date(2012, 6, 8) and first.balances_continue()
    assert (second.statement_id, second.opening_balance_fen, second.closing_balance_fen,
            second.lines) == ("0000000000:161/1", 120_956, 120_956, ())


def test_r_b2_postfinance_mt940_first_statement_to_its_totals_second_refused() -> None:
    first_data, second_data = _statements("mt940_jejik_postfinance.sta")
    first = formats.read_statement(first_data, "mt940")
    assert (first.account_no, first.currency, first.opening_balance_fen,
            first.closing_balance_fen) == ("123456789", "CHF", 0, 22_920)
    assert _sums(first) == (2, 7_970 + 14_950, 0, 0)        # 79,7 and 149,5 in
    assert [i.bank_ref for i in first.lines] == ["5", "9"]  # "//NONREF": the line's place
    # the second statement's own figures do not add up: 229,20 − 79,90 + 10,10 ≠ 159,60
    with pytest.raises(ReconcileError) as refused:
        formats.read_statement(second_data, "mt940")
    assert refused.value.code == "statement_balance_mismatch"
    assert "22920 + movement -6980 = 15940" in str(refused.value)
    assert "15960" in str(refused.value)


def test_r_b2_triodos_mt940_refused_on_its_own_balances() -> None:
    with pytest.raises(ReconcileError) as refused:
        formats.read_statement((PUBLIC / "mt940_jejik_triodos.sta").read_bytes(), "mt940")
    assert refused.value.code == "statement_balance_mismatch"
    # 4975,09 − 15,70 − 700,00 = 4259,39; the file closes at 4370,79
    assert "497509 + movement -71570 = 425939" in str(refused.value)
    assert "437079" in str(refused.value)


def test_r_b2_genkgo_camt053_valid_xml_refused_on_its_own_balances() -> None:
    """XSD-valid camt.053.001.08: opening 18.15 EUR CRDT, one booked credit of 8.85, closing
    27.00 DBIT (in SEK): the balances cannot continue, and the refusal says by how much."""
    with pytest.raises(ReconcileError) as refused:
        formats.read_statement((PUBLIC / "camt053_genkgo_v8.xml").read_bytes(), "camt.053")
    assert refused.value.code == "statement_balance_mismatch"
    assert "opening 1815 + movement 885 = 2700" in str(refused.value)
    assert "-2700" in str(refused.value)
