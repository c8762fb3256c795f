"""The pure parts of R-C15's statement path and R-C22's file: which return line custody acts on,
the serial nos. it acts under, and the file's records, totals and continuity."""

import csv
import io
import random
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cunguan.core.errors import InvariantViolation
from cunguan.reconcile.rules import platform_files as files
from cunguan.reconcile.rules import returns
from cunguan.reconcile.rules.returns import OutcomeKind, PayoutSeen
from cunguan.reconcile.rules.statements import Direction, LineStatus, StatementLine

DAY = date(2026, 11, 23)
SERIAL = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def _line(amount_fen: int = 100, ref: str = "wd-1", *, original: str = "",
          direction: Direction = Direction.CREDIT,
          status: LineStatus = LineStatus.RETURNED) -> StatementLine:
    return StatementLine(1, DAY, DAY, direction, amount_fen, "B1", end_to_end_ref=ref,
                         original_ref=original, status=status)


@given(st.text(max_size=300))
def test_r_c15_every_line_key_gives_one_custody_serial_no(key: str) -> None:
    request_no = returns.return_request_no(key)
    assert SERIAL.fullmatch(request_no) and request_no == returns.return_request_no(key)
    assert request_no != returns.return_request_no(key + "x")


def test_r_c15_references_are_tried_end_to_end_first_and_only_in_serial_form() -> None:
    assert returns.references(_line(ref=" wd-9 ", original="wd-9")) == ["wd-9"]
    assert returns.references(_line(ref="", original="wd-2")) == ["wd-2"]
    assert returns.references(_line(ref="wd-1", original="wd-2")) == ["wd-1", "wd-2"]
    for bad in ("wd\x001", "wd 1", "ｗｄ１", "x" * 65, "wd#1"):
        assert returns.references(_line(ref=bad)) == []


@pytest.mark.parametrize(("line", "payout", "before", "kind"), [
    (_line(), PayoutSeen("wd-1", 100, "succeeded"), False, None),
    (_line(), PayoutSeen("wd-1", 100, "reversed"), True, None),       # a re-import: replay
    (_line(), PayoutSeen("wd-1", 100, "reversed"), False, OutcomeKind.NOT_SUCCEEDED),
    (_line(), PayoutSeen("wd-1", 100, "processing"), False, OutcomeKind.NOT_SUCCEEDED),
    (_line(), PayoutSeen("wd-1", 101, "succeeded"), False, OutcomeKind.AMOUNT_MISMATCH),
    (_line(), None, False, OutcomeKind.UNKNOWN_WITHDRAWAL),
    (_line(direction=Direction.DEBIT), PayoutSeen("wd-1", 100, "succeeded"), False,
     OutcomeKind.NOT_A_RETURN),
])
def test_r_c15_only_a_paid_payout_of_the_same_amount_is_reversed(
        line: StatementLine, payout: PayoutSeen | None, before: bool,
        kind: OutcomeKind | None) -> None:
    outcome = returns.judge_return("k", line, payout, before)
    assert (outcome.kind if outcome else None) is kind
    assert outcome is None or (outcome.is_break and outcome.break_class)


def test_r_c15_settlement_serial_no_is_one_per_day() -> None:
    assert returns.settlement_request_no(DAY) == returns.settlement_request_no(DAY)
    assert returns.settlement_request_no(DAY) != returns.settlement_request_no(
        DAY + timedelta(days=1))


# -- R-C22 -----------------------------------------------------------------------------------
_AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _day(moves: list[tuple[int, int, int]]) -> tuple[list[files.AccountTotals],
                                                      list[files.FileLine]]:
    """Balanced transfers (from account i to account j, amount) between credit-normal
    accounts A0..A3 that open with 1,000 fen each, and a hold and its release on A0."""
    balance = {f"A{i}": 1_000 for i in range(4)}
    seq = dict.fromkeys(balance, 10)
    turnover = {no: [0, 0] for no in balance}
    lines: list[files.FileLine] = []

    def add(no: str, tx: int, kind: str, side: str | None, amount: int) -> None:
        seq[no] += 1
        lines.append(files.FileLine(no, seq[no], tx, kind, side, amount, balance[no], 0, "",
                                    f"r-{tx}", "transfer", DAY, _AT))
    for tx, (i, j, amount) in enumerate(moves, start=1):
        payer, payee = f"A{i}", f"A{j}"
        balance[payer] -= amount
        balance[payee] += amount
        turnover[payer][0] += amount
        turnover[payee][1] += amount
        add(payer, tx, "posting", "D", amount)
        add(payee, tx, "posting", "C", amount)
    moved = {line.account_no for line in lines}
    accounts = [files.AccountTotals(no, "C", 1_000, 0, turnover[no][0], turnover[no][1],
                                    balance[no], 0) for no in sorted(moved)]
    return accounts, lines


_MOVES = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(1, 50)).filter(
    lambda m: m[0] != m[1]), min_size=1, max_size=30)


@given(_MOVES, st.randoms())
def test_r_c22_file_is_the_same_bytes_whatever_order_the_lines_come_in(
        moves: list[tuple[int, int, int]], rnd: random.Random) -> None:
    accounts, lines = _day(moves)
    content, totals = files.render("P2P", DAY, accounts, lines)
    shuffled = lines[:]
    rnd.shuffle(shuffled)
    assert files.render("P2P", DAY, accounts[::-1], shuffled) == (content, totals)
    rows = list(csv.reader(io.StringIO(content.decode(), newline="")))
    assert [r[0] for r in rows].count("D") == totals.lines == len(lines)
    assert totals.credit_fen == totals.debit_fen == sum(m[2] for m in moves)
    assert rows[-1] == ["T", str(len(lines)), str(len(lines)), str(totals.credit_fen),
                        str(totals.debit_fen), str(len(accounts))]


@given(_MOVES)
def test_r_c22_a_line_that_does_not_continue_is_never_written(
        moves: list[tuple[int, int, int]]) -> None:
    accounts, lines = _day(moves)
    last = lines[-1]
    broken = [*lines[:-1], replace(last, balance_after_fen=last.balance_after_fen + 1)]
    with pytest.raises(InvariantViolation):
        files.render("P2P", DAY, accounts, broken)
    first = accounts[0]
    wrong_close = [replace(first, closing_balance_fen=first.closing_balance_fen + 1),
                   *accounts[1:]]
    with pytest.raises(InvariantViolation):
        files.render("P2P", DAY, wrong_close, lines)
    with pytest.raises(InvariantViolation):   # a line of another day
        files.render("P2P", DAY, accounts, [*lines[:-1], replace(last, accounting_date=DAY
                                                                 + timedelta(days=1))])


def test_r_c22_holds_move_the_frozen_amount_and_no_totals() -> None:
    account = files.AccountTotals("U-1", "C", 500, 0, 0, 0, 500, 0)
    lines = [files.FileLine("U-1", 1, 7, "hold", None, 200, 500, 200, "", "wd", "withdrawal",
                            DAY, _AT),
             files.FileLine("U-1", 2, 8, "unhold", None, 200, 500, 0, "", "x", "withdrawal",
                            DAY, _AT)]
    content, totals = files.render("P2P", DAY, [account], lines)
    assert (totals.lines, totals.postings, totals.credit_fen) == (2, 0, 0)
    assert b"D,U-1,1,2026-11-23T10:00:00.000000+08:00,2026-11-23,withdrawal,wd,hold,,200," \
           b"500,200,,7\r\n" in content
