"""Accounting dates, cutover, day-end snapshots and checks (R-L7, R-L8)."""

from datetime import timedelta

from sqlalchemy import Engine, text

from cunguan.ledger.model import Freeze, Transfer
from cunguan.service_layer.day_service import DayService
from tests.helpers import DAY, SUMMARY, TENANT, ledger_with_tenant


def test_r_l7_cutover_dates_later_postings_on_the_next_day(engine: Engine) -> None:
    ledger = ledger_with_tenant(engine)
    days = DayService(engine, clock=ledger.clock)
    ledger.execute(TENANT, [Transfer("a", SUMMARY, "U1", 1_000, "recharge")])
    outcome = days.close(TENANT)
    assert outcome.closed and outcome.accounting_date == DAY, outcome.report
    assert ledger.accounting_date(TENANT) == DAY + timedelta(days=1)
    ledger.execute(TENANT, [Transfer("b", SUMMARY, "U1", 500, "recharge")])
    assert [line.accounting_date for line in ledger.fund_log(TENANT, "U1")] == [
        DAY, DAY + timedelta(days=1)]
    assert ledger.balance_at(TENANT, "U1", DAY) == 1_000
    assert ledger.balance_at(TENANT, "U1", DAY + timedelta(days=1)) == 1_500
    assert ledger.balance_at(TENANT, "U1", DAY - timedelta(days=1)) == 0


def test_r_l7_days_record_status_and_working_day(engine: Engine) -> None:
    ledger = ledger_with_tenant(engine)
    days = DayService(engine, clock=ledger.clock)
    for _ in range(6):  # Mon 23 Nov → Sun 29 Nov 2026
        assert days.close(TENANT).closed
    listed = {row[0]: (row[1], row[2]) for row in days.days(TENANT)}
    assert listed[DAY] == ("closed", 1)
    assert listed[DAY + timedelta(days=5)] == ("closed", 0)   # Saturday
    assert listed[DAY + timedelta(days=6)] == ("open", 0)     # Sunday, still open


def test_r_l8_trial_balance_and_snapshots_by_subject(engine: Engine) -> None:
    ledger = ledger_with_tenant(engine)
    days = DayService(engine, clock=ledger.clock)
    ledger.execute(TENANT, [Transfer("a", SUMMARY, "U1", 1_000, "recharge"),
                            Transfer("b", SUMMARY, "U2", 2_000, "recharge"),
                            Transfer("c", "U2", "U1", 300),
                            Freeze("f", "U1", 200, "bid")])
    assert days.close(TENANT).closed
    subjects = {row[0]: row[1:] for row in days.subject_balances(TENANT, DAY)}
    assert subjects["1002"] == ("D", 3_000, 0, 3_000)
    assert subjects["2011"] == ("C", 300, 3_300, 3_000)


def test_r_l8_a_balance_changed_behind_the_ledger_stops_the_close(engine: Engine) -> None:
    ledger = ledger_with_tenant(engine)
    days = DayService(engine, clock=ledger.clock)
    ledger.execute(TENANT, [Transfer("a", SUMMARY, "U1", 1_000, "recharge")])
    with engine.begin() as conn:  # someone edits a balance directly
        conn.execute(text("UPDATE accounts SET balance_fen = balance_fen + 1 "
                          "WHERE account_no = 'U1'"))
    outcome = days.close(TENANT)
    assert not outcome.closed
    assert {(f.rule, f.check, f.subject) for f in outcome.findings} == {
        ("R-L8", "continuity", "U1")}
    assert "U1" in outcome.report and "FINDINGS" in outcome.report
    # The day stays cut over and un-closed; business goes on dated the next day.
    assert ledger.accounting_date(TENANT) == DAY + timedelta(days=1)
    assert ledger.execute(TENANT, [Transfer("b", SUMMARY, "U2", 1, "recharge")])[0].ok
    assert not days.close(TENANT).closed  # a retry checks the same day again, never skips it
    with engine.begin() as conn:
        conn.execute(text("UPDATE accounts SET balance_fen = balance_fen - 1 "
                          "WHERE account_no = 'U1'"))
    retried = days.close(TENANT)
    assert retried.closed and retried.accounting_date == DAY
    assert days.close(TENANT).accounting_date == DAY + timedelta(days=1)


def test_r_l4_frozen_out_of_step_with_holds_stops_the_close(engine: Engine) -> None:
    ledger = ledger_with_tenant(engine)
    days = DayService(engine, clock=ledger.clock)
    ledger.execute(TENANT, [Transfer("a", SUMMARY, "U1", 1_000, "recharge"),
                            Freeze("f", "U1", 400, "bid")])
    with engine.begin() as conn:
        conn.execute(text("UPDATE holds SET status = 'released'"))
    outcome = days.close(TENANT)
    assert [(f.rule, f.subject) for f in outcome.findings] == [("R-L4", "U1")]
