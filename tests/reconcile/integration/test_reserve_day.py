"""The reserve-fund day assembled from the database on both backends (R-B1, R-B3): the bank
account's statement figures, the customer fund accounts and their items on the bank account,
the platform's own money as an R-B3 term, the in-transit items at T−1 and T."""

from datetime import timedelta

from sqlalchemy import Engine

from cunguan.ledger.model import Transfer
from cunguan.platform.day_service import DayService
from cunguan.reconcile.rules import reserve as r
from cunguan.reconcile.rules.statements import Direction
from tests.helpers import DAY, SUMMARY, TENANT
from tests.reconcile.integration.helpers import BANK_ACCOUNT, OPERATOR, line, statement, world

IN, OUT = Direction.CREDIT, Direction.DEBIT


def test_r_b3_a_day_assembled_from_the_ledger_and_the_statement_adds_up(engine: Engine
                                                                       ) -> None:
    w = world(engine)
    w.ledger.execute(TENANT, [Transfer("R1", SUMMARY, "U1", 10_000, "recharge"),
                              Transfer("F1", SUMMARY, "FEE", 5_000, "platform_funding"),
                              Transfer("W1", "U1", SUMMARY, 2_500, "withdrawal")])
    w.recon.import_statement(statement("ST1", 0, [
        line(1, IN, 10_000, ref="R1"), line(2, IN, 5_000, ref="F1")]),
        file_sha256="a" * 64, operator=OPERATOR)          # W1 not on the bank yet
    w.recon.match_day(BANK_ACCOUNT, DAY, operator=OPERATOR)
    day = w.recon.reserve_day(TENANT, DAY)
    (bank,) = day.bank_accounts
    assert (bank.previous_closing_fen, bank.opening_fen, bank.closing_fen) == (0, 0, 15_000)
    assert (bank.credits_fen, bank.debits_fen, len(bank.lines)) == (15_000, 0, 2)
    assert bank.account.kind is r.BankKind.CUSTODY
    u1 = next(c for c in day.customer_accounts if c.account_no == "U1")
    assert (u1.previous_closing_fen, u1.closing_fen, u1.credits_fen, u1.debits_fen) == (
        0, 7_500, 10_000, 2_500)
    assert sorted((i.direction, i.amount_fen, i.bank_account_no)
                  for i in day.customer_items) == [(IN, 10_000, BANK_ACCOUNT),
                                                   (OUT, 2_500, BANK_ACCOUNT)]
    assert [(a.kind, a.amount_fen) for a in day.adjustments] == [
        (r.AdjustmentKind.OWN_FUNDS_DEPOSITED, 5_000)]
    (transit,) = day.in_transit
    assert (transit.side, transit.amount_fen, transit.effect_fen) == (r.Side.BOOK, 2_500, 2_500)
    assert day.in_transit_previous == ()
    # R-B3: bank movement = customer movement + own funds + change in transit
    customers = sum(c.movement_fen for c in day.customer_accounts)
    assert bank.movement_fen == customers + 5_000 + r.in_transit_fen(day.in_transit)
    next_day = w.recon.reserve_day(TENANT, DAY + timedelta(days=1))
    assert next_day.bank_accounts[0].previous_closing_fen == 15_000
    assert next_day.previous_stocks.own_funds_fen == 5_000
    assert [t.key for t in next_day.in_transit_previous] == [transit.key]


def test_r_b3_a_closed_day_gives_the_same_record_from_the_day_close(engine: Engine) -> None:
    """After T is closed, T+1's record reads T's balances from the close's snapshot and T+1's
    postings after each account's last line of T: the same figures as a scan gives."""
    w = world(engine)
    w.ledger.execute(TENANT, [Transfer("R1", SUMMARY, "U1", 10_000, "recharge"),
                              Transfer("F1", SUMMARY, "FEE", 5_000, "platform_funding")])
    next_day = DAY + timedelta(days=1)
    scanned = w.recon.reserve_day(TENANT, next_day)
    days = DayService(engine, clock=lambda: w.clock() + timedelta(days=2))
    assert days.close(TENANT).closed
    w.ledger.execute(TENANT, [Transfer("W1", "U1", SUMMARY, 2_500, "withdrawal")])
    closed = w.recon.reserve_day(TENANT, next_day)
    assert closed.previous_stocks == scanned.previous_stocks
    u1 = next(c for c in closed.customer_accounts if c.account_no == "U1")
    assert (u1.previous_closing_fen, u1.closing_fen, u1.debits_fen) == (10_000, 7_500, 2_500)
    assert [(i.account_no, i.amount_fen) for i in closed.customer_items] == [("U1", 2_500)]
