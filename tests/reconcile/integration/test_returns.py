"""R-C15's statement path: the custody account's statement reverses returned payouts through
custody's own command, once; the channel's settlement file settles the recharges it paid for.
On SQLite and PostgreSQL (the ``engine`` fixture)."""

from datetime import date

from sqlalchemy import Engine

from cunguan.custody.handlers.lending_service import LendingService
from cunguan.custody.rules import accounts as chart
from cunguan.reconcile.handlers.returns import apply_channel_settlement, apply_statement_returns
from cunguan.reconcile.rules.returns import OutcomeKind
from cunguan.reconcile.rules.statements import Direction, LineStatus, StatementLine
from tests.custody_helpers import PASSWORD, PLATFORM, icbc_card, open_user, services

TUESDAY = date(2026, 11, 24)


def _line(no: int, amount_fen: int, ref: str, *, status: LineStatus = LineStatus.RETURNED,
          direction: Direction = Direction.CREDIT, original_ref: str = "",
          fee_fen: int = 0, day: date = TUESDAY) -> StatementLine:
    return StatementLine(no, day, day, direction, amount_fen, f"BANK{no:06d}",
                         end_to_end_ref=ref, status=status, original_ref=original_ref,
                         fee_fen=fee_fen)


def _books(custody: LendingService) -> dict[str, tuple[int, int]]:
    return {a.account_no: (a.balance_fen, a.frozen_fen)
            for a in custody.ledger.accounts(PLATFORM)}


def _paid_out(custody: LendingService) -> str:
    """A user of 500,000 fen who withdrew 100,000 (free) and 200,000 (fee 600), both paid."""
    user = open_user(custody, 1, recharge_fen=500_000)
    for no, amount in (("wd-1", 100_000), ("wd-2", 200_000)):
        assert custody.withdraw(PLATFORM, no, user, icbc_card(1), amount,
                                password=PASSWORD).ok
        assert custody.channel_result(PLATFORM, f"ch-{no}", no, succeeded=True).ok
    return user


def test_r_c15_returned_payout_on_the_statement_is_reversed_once(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    user = _paid_out(custody)
    account = chart.user_account_no(user)
    assert _books(custody)[account] == (199_400, 0)
    lines = [("stmt-1:7", _line(7, 200_000, "wd-2"))]
    outcomes = apply_statement_returns(custody, PLATFORM, lines)
    assert [(o.kind, o.reference, o.is_break) for o in outcomes] == [
        (OutcomeKind.REVERSED, "wd-2", False)]
    assert _books(custody)[account] == (400_000, 0)   # the 200,000 and the 600 fee back
    assert custody.withdrawal(PLATFORM, "wd-2")["status"] == "reversed"
    assert custody.withdrawal(PLATFORM, "wd-1")["status"] == "succeeded"
    books = _books(custody)
    again = apply_statement_returns(custody, PLATFORM, lines)   # the same file imported again
    assert [o.kind for o in again] == [OutcomeKind.ALREADY_REVERSED]
    assert again[0].request_no == outcomes[0].request_no
    assert _books(custody) == books
    # another line returning the same payout reverses nothing: it is reported
    twice = apply_statement_returns(custody, PLATFORM, [("stmt-2:1", _line(1, 200_000, "x",
                                                                            original_ref="wd-2"))])
    assert [(o.kind, o.break_class) for o in twice] == [
        (OutcomeKind.NOT_SUCCEEDED, "status_mismatch")]
    assert _books(custody) == books


def test_r_c15_reversed_line_found_by_its_original_reference(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    user = _paid_out(custody)
    line = _line(3, 100_000, "BANK-OWN-REF-77", status=LineStatus.REVERSED, original_ref="wd-1")
    outcomes = apply_statement_returns(custody, PLATFORM, [("stmt-3:3", line)])
    assert [o.kind for o in outcomes] == [OutcomeKind.REVERSED]
    assert _books(custody)[chart.user_account_no(user)] == (299_400, 0)


def test_r_c15_unknown_or_other_amount_lines_are_reported_not_reversed(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    _paid_out(custody)
    assert custody.withdraw(PLATFORM, "wd-3", "u0001", icbc_card(1), 1_000,
                            password=PASSWORD).ok   # still processing
    books = _books(custody)
    lines = [("k:1", _line(1, 5_000, "no-such-withdrawal")),
             ("k:2", _line(2, 99_999, "wd-1")),
             ("k:3", _line(3, 1_000, "wd-3")),
             ("k:4", _line(4, 100_000, "wd-1", direction=Direction.DEBIT)),
             ("k:5", _line(5, 100_000, "wd-1", status=LineStatus.BOOKED)),  # not a return
             ("k:6", _line(6, 7, "bad\x00ref"))]
    outcomes = apply_statement_returns(custody, PLATFORM, lines)
    assert [(o.line_key, o.kind, o.break_class) for o in outcomes] == [
        ("k:1", OutcomeKind.UNKNOWN_WITHDRAWAL, "bank_only"),
        ("k:2", OutcomeKind.AMOUNT_MISMATCH, "amount_mismatch"),
        ("k:3", OutcomeKind.NOT_SUCCEEDED, "status_mismatch"),
        ("k:4", OutcomeKind.NOT_A_RETURN, "status_mismatch"),
        ("k:6", OutcomeKind.UNKNOWN_WITHDRAWAL, "bank_only")]
    assert outcomes[1].expected_fen == 100_000 and outcomes[1].amount_fen == 99_999
    assert all(o.is_break for o in outcomes)
    assert _books(custody) == books
    assert custody.withdrawal(PLATFORM, "wd-1")["status"] == "succeeded"
    assert custody.withdrawal(PLATFORM, "wd-3")["status"] == "processing"


def test_r_c15_channel_settlement_file_settles_the_recharges_once(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    open_user(custody, 1, recharge_fen=1_000_000)
    open_user(custody, 2, recharge_fen=300_000)
    fee = {no: custody.request_status(PLATFORM, no)["result"]["channel_fee_fen"]  # type: ignore[index]
           for no in ("rc-u0001", "rc-u0002")}
    net_fen = 1_300_000 - sum(fee.values())
    assert _books(custody)[chart.CHANNEL_TRANSIT][0] == net_fen
    lines = [("chn:1", _line(1, 1_000_000, "rc-u0001", status=LineStatus.BOOKED,
                             fee_fen=fee["rc-u0001"])),
             ("chn:2", _line(2, 300_000, "rc-u0002", status=LineStatus.BOOKED,
                             fee_fen=fee["rc-u0002"]))]
    outcomes = apply_channel_settlement(custody, PLATFORM, lines)
    assert [(o.kind, o.reference) for o in outcomes] == [
        (OutcomeKind.ITEM_CONFIRMED, "rc-u0001"), (OutcomeKind.ITEM_CONFIRMED, "rc-u0002"),
        (OutcomeKind.SETTLED, TUESDAY.isoformat())]
    assert outcomes[-1].expected_fen == outcomes[-1].amount_fen == net_fen
    books = _books(custody)
    assert books[chart.CHANNEL_TRANSIT][0] == 0
    assert books[chart.SUMMARY][0] == 20_000_000 + net_fen
    again = apply_channel_settlement(custody, PLATFORM, lines)
    assert [o.kind for o in again] == [o.kind for o in outcomes]
    assert _books(custody) == books


def test_r_c15_channel_items_that_differ_are_reported(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    open_user(custody, 1, recharge_fen=1_000_000)
    fee_fen = custody.request_status(PLATFORM, "rc-u0001")["result"]["channel_fee_fen"]  # type: ignore[index]
    lines = [("chn:1", _line(1, 1_000_000, "rc-u0001", status=LineStatus.BOOKED,
                             fee_fen=fee_fen + 1)),
             ("chn:2", _line(2, 4_000, "rc-nobody", status=LineStatus.BOOKED)),
             ("chn:3", _line(3, 4_000, "rc-u0001", status=LineStatus.RETURNED))]  # not booked
    outcomes = apply_channel_settlement(custody, PLATFORM, lines)
    assert [(o.kind, o.break_class) for o in outcomes] == [
        (OutcomeKind.FEE_MISMATCH, "fee_mismatch"), (OutcomeKind.UNKNOWN_RECHARGE, "bank_only"),
        (OutcomeKind.SETTLEMENT_MISMATCH, "amount_mismatch")]
    assert outcomes[-1].amount_fen == 1_000_000 - fee_fen - 1 + 4_000
    assert outcomes[-1].expected_fen == 1_000_000 - fee_fen
