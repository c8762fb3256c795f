"""Accounting dates, cutover, day-end snapshots and checks (R-L7, R-L8)."""

import itertools
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from cunguan.core.clock import CST, FixedClock
from cunguan.ledger.daybook import CloseOutcome
from cunguan.ledger.model import Command, Freeze, Transfer
from cunguan.ledger.service import LedgerService
from cunguan.ledger.store import daybook as daybook_store
from cunguan.platform.day_service import DayService
from tests.helpers import DAY, SUMMARY, TENANT, USERS, chart, ledger_with_tenant

#: A clock after every day these tests close (a day closes once it has ended in CST).
AFTER_THE_DAYS = FixedClock(datetime(2027, 1, 1, 9, 0, tzinfo=CST))


def test_r_l7_cutover_dates_later_postings_on_the_next_day(engine: Engine) -> None:
    ledger = ledger_with_tenant(engine)
    days = DayService(engine, clock=AFTER_THE_DAYS)
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
    ledger_with_tenant(engine)
    days = DayService(engine, clock=AFTER_THE_DAYS)
    for _ in range(6):  # Mon 23 Nov → Sun 29 Nov 2026
        assert days.close(TENANT).closed
    listed = {row[0]: (row[1], row[2]) for row in days.days(TENANT)}
    assert listed[DAY] == ("closed", 1)
    assert listed[DAY + timedelta(days=5)] == ("closed", 0)   # Saturday
    assert listed[DAY + timedelta(days=6)] == ("open", 0)     # Sunday, still open


def test_r_l8_trial_balance_and_snapshots_by_subject(engine: Engine) -> None:
    ledger = ledger_with_tenant(engine)
    days = DayService(engine, clock=AFTER_THE_DAYS)
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
    days = DayService(engine, clock=AFTER_THE_DAYS)
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
    days = DayService(engine, clock=AFTER_THE_DAYS)
    ledger.execute(TENANT, [Transfer("a", SUMMARY, "U1", 1_000, "recharge"),
                            Freeze("f", "U1", 400, "bid")])
    with engine.begin() as conn:
        conn.execute(text("UPDATE holds SET status = 'released'"))
    outcome = days.close(TENANT)
    assert [(f.rule, f.subject) for f in outcome.findings] == [("R-L4", "U1")]


_DAY_OPS = st.lists(st.one_of(
    st.tuples(st.just("recharge"), st.sampled_from(USERS), st.integers(1, 5_000)),
    st.tuples(st.just("transfer"), st.sampled_from(USERS), st.sampled_from(USERS),
              st.integers(1, 3_000)),
    st.tuples(st.just("freeze"), st.sampled_from(USERS), st.integers(1, 2_000))),
    max_size=6)
_tenants = itertools.count()


def _commands(ops: list[tuple[Any, ...]], tag: str) -> list[Command]:
    made: list[Command] = []
    for n, op in enumerate(ops):
        no = f"{tag}-{n}"
        if op[0] == "recharge":
            made.append(Transfer(no, SUMMARY, op[1], op[2], "recharge"))
        elif op[0] == "transfer":
            made.append(Transfer(no, op[1], op[2], op[3]))
        else:
            made.append(Freeze(no, op[1], op[2], "bid"))
    return made


def _date(value: date | str) -> date:   # SQLite answers a raw query's dates as text
    return value if isinstance(value, date) else date.fromisoformat(value)


def _snapshots(engine: Engine, tenant_id: str) -> dict[tuple[date, str], tuple[int, ...]]:
    with engine.connect() as conn:
        return {(_date(r[0]), r[1]): tuple(r[2:]) for r in conn.execute(text(
            "SELECT accounting_date, account_no, balance_fen, frozen_fen, debit_fen, credit_fen, "
            "last_entry_seq FROM day_balances WHERE tenant_id = :t"), {"t": tenant_id})}


def _from_whole_history(engine: Engine, tenant_id: str, closed: list[date]
                        ) -> dict[tuple[date, str], tuple[int, ...]]:
    """Each closed day's snapshot computed from every fund-log line by its accounting date,
    as the close did before migration 0013."""
    with engine.connect() as conn:
        lines = [(*line[:7], _date(line[7])) for line in conn.execute(text(
            "SELECT account_no, entry_seq, line_kind, side, amount_fen, balance_after_fen, "
            "frozen_after_fen, accounting_date FROM fund_log WHERE tenant_id = :t "
            "ORDER BY account_no, entry_seq"), {"t": tenant_id})]
        accounts = conn.execute(text("SELECT account_no FROM accounts WHERE tenant_id = :t"),
                                {"t": tenant_id}).scalars().all()
    expected = {}
    for day in closed:
        for account_no in accounts:
            mine = [line for line in lines if line[0] == account_no and line[7] <= day]
            today = [line for line in mine if line[7] == day and line[2] == "posting"]
            last = mine[-1] if mine else None
            expected[(day, account_no)] = (
                last[5] if last else 0, last[6] if last else 0,
                sum(line[4] for line in today if line[3] == "D"),
                sum(line[4] for line in today if line[3] == "C"), last[1] if last else 0)
    return expected


def test_r_l8_each_close_reads_the_lines_after_the_previous_one(engine: Engine) -> None:
    """Whatever the days' postings, and with postings of the next day made between the
    cutover and the close (business goes on), every close passes and its snapshot — the
    day's debits and credits, the closing balance and frozen amount, the last line — is
    what the whole fund log says by accounting date; and an account's fund log from a date
    (which starts after the snapshot of the day before) is its whole log from that date."""
    @settings(max_examples=25, deadline=None)
    @given(days=st.lists(st.tuples(_DAY_OPS, _DAY_OPS), min_size=1, max_size=4))
    def check(days: list[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]) -> None:
        tenant_id = f"D{next(_tenants)}"
        ledger = LedgerService(engine, clock=FixedClock(datetime(2026, 11, 23, 10, 0,
                                                                 tzinfo=CST)))
        ledger.create_tenant(tenant_id, "days", DAY)
        ledger.open_accounts(tenant_id, chart())
        close = DayService(engine, clock=AFTER_THE_DAYS)
        closed = []
        for n, (during, late) in enumerate(days):
            ledger.execute(tenant_id, _commands(during, f"d{n}"))
            with engine.begin() as conn:
                daybook_store.cut_over(conn, tenant_id, close.calendar.is_working_day)
            ledger.execute(tenant_id, _commands(late, f"l{n}"))   # dated the next day
            outcome = close.close(tenant_id)    # closes the day cut over above
            assert outcome.closed, outcome.report
            closed.append(outcome.accounting_date)
        assert closed == [DAY + timedelta(days=n) for n in range(len(days))]
        assert _snapshots(engine, tenant_id) == _from_whole_history(engine, tenant_id, closed)
        for account_no in (SUMMARY, *USERS):   # R-L6: a page from a date starts at its close
            whole = ledger.fund_log(tenant_id, account_no)
            for day in [*closed, closed[-1] + timedelta(days=1)]:
                assert ledger.fund_log(tenant_id, account_no, date_from=day) == [
                    line for line in whole if line.accounting_date >= day]
    check()


def test_r_l7_a_day_closes_once_it_has_ended_in_cst_and_only_once(engine: Engine) -> None:
    """A close before the day is over is refused; once the bank's calendar (CST) is past it
    the day closes; run again, the close is a no-op that says the day is already closed —
    it never closes the next day, nor the one after, into the future."""
    clock = FixedClock(datetime(2026, 11, 23, 23, 59, 59, tzinfo=CST))
    ledger = ledger_with_tenant(engine, clock)
    days = DayService(engine, clock=clock)
    early = days.close(TENANT)
    assert (early.outcome, early.accounting_date) == (CloseOutcome.NOT_ENDED, DAY)
    assert not early.closed and "has not ended" in early.report
    assert ledger.accounting_date(TENANT) == DAY     # no cutover either
    clock.advance(timedelta(seconds=1))              # 24 Nov 00:00 CST (23 Nov 16:00 UTC)
    assert days.close(TENANT).closed
    for _ in range(3):
        again = days.close(TENANT)
        assert (again.outcome, again.accounting_date) == (CloseOutcome.ALREADY_CLOSED, DAY)
        assert f"day {DAY} is already closed" in again.report
    assert ledger.accounting_date(TENANT) == DAY + timedelta(days=1)
    tomorrow = DAY + timedelta(days=1)
    assert days.close(TENANT, tomorrow).outcome is CloseOutcome.NOT_ENDED
    assert days.close(TENANT, DAY).outcome is CloseOutcome.ALREADY_CLOSED
    assert days.close(TENANT, DAY - timedelta(days=1)).outcome is CloseOutcome.NOT_NEXT
    clock.advance(timedelta(days=2))   # 26 Nov: the 24th and the 25th have ended
    assert days.close(TENANT, DAY + timedelta(days=2)).outcome is CloseOutcome.NOT_NEXT
    assert days.close(TENANT, tomorrow).closed
    assert days.close(TENANT).accounting_date == DAY + timedelta(days=2)
    assert days.close(TENANT).outcome is CloseOutcome.ALREADY_CLOSED


def test_r_l7_a_day_already_closed_by_another_close_is_not_closed_twice(
        engine: Engine) -> None:
    """Two closes of one day racing: the second to record finds the day closed and says so
    (its snapshot is not written twice)."""
    ledger_with_tenant(engine)
    days = DayService(engine, clock=AFTER_THE_DAYS)
    with engine.begin() as conn:
        daybook_store.cut_over(conn, TENANT, days.calendar.is_working_day)
    first, second = days._check_and_close(TENANT, DAY), days._check_and_close(TENANT, DAY)
    assert first.closed and second.outcome is CloseOutcome.ALREADY_CLOSED


def test_r_l7_no_day_ever_closes_before_it_ends(engine: Engine) -> None:
    """Whatever the hours between closes, every closed day had ended in CST when it closed,
    each day closes once and in order, and the open day is never later than the CST date."""
    @settings(max_examples=20, deadline=None)
    @given(steps=st.lists(st.integers(0, 40), min_size=1, max_size=12))
    def check(steps: list[int]) -> None:
        tenant_id = f"C{next(_tenants)}"
        clock = FixedClock(datetime(2026, 11, 23, 7, 0, tzinfo=CST))
        ledger = LedgerService(engine, clock=clock)
        ledger.create_tenant(tenant_id, "days", DAY)
        days = DayService(engine, clock=clock)
        closed: list[date] = []
        for hours in steps:
            clock.advance(timedelta(hours=hours))
            outcome = days.close(tenant_id)
            today = clock().astimezone(CST).date()
            if outcome.closed:
                assert outcome.accounting_date < today
                closed.append(outcome.accounting_date)
            assert ledger.accounting_date(tenant_id) <= today
        assert closed == [DAY + timedelta(days=n) for n in range(len(closed))]
    check()
