"""A single transfer on PostgreSQL goes through ``ledger_post_transfer`` (migration 0024, one
round trip); a batch goes through the planner. Both must answer and write the same."""

import itertools
import re
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from cunguan.core.clock import CST, FixedClock
from cunguan.core.errors import CunguanError
from cunguan.ledger.model import (
    AccountFlag,
    AccountSpec,
    AccountStatus,
    Freeze,
    Result,
    Side,
    Transfer,
)
from cunguan.ledger.service import LedgerService
from cunguan.ledger.store import daybook as daybook_store
from tests.helpers import DAY

pytestmark = pytest.mark.postgres

_tenants = itertools.count()
_ACCOUNTS = ("A0", "A1", "A2", "A3")
BANK = "BANK"
_FLAGS = st.sampled_from([0, int(AccountFlag.IN_ONLY), int(AccountFlag.OUT_ONLY),
                          int(AccountFlag.OVERDRAFT), int(AccountFlag.HOT),
                          int(AccountFlag.OVERDRAFT | AccountFlag.HOT)])
_ACCOUNT = st.tuples(st.sampled_from([Side.DEBIT, Side.CREDIT]), _FLAGS,
                     st.sampled_from([0, 500]),                  # overdraft limit, fen
                     st.sampled_from([0, 300, 5_000]),           # funded with, fen
                     st.sampled_from([0, 200, 4_000]),           # then held, fen
                     st.sampled_from([AccountStatus.NORMAL] * 3 + list(AccountStatus)))
_PROBE = st.builds(
    Transfer,
    request_no=st.sampled_from(["p0", "p1", "p2"]),    # repeats: replays and duplicates
    debit_account_no=st.sampled_from([*_ACCOUNTS, BANK, "MISSING"]),
    credit_account_no=st.sampled_from([*_ACCOUNTS, BANK, "MISSING"]),
    amount_fen=st.sampled_from([1, 100, 300, 700, 5_000, 0, -5]),
    business_type=st.sampled_from(["transfer", "fee"]),
    memo=st.sampled_from(["", "备注"]),
    funding=st.booleans(),
)


def _open(ledger: LedgerService, tenant_id: str,
          accounts: list[tuple[Side, int, int, int, int, AccountStatus]]) -> None:
    """The same accounts, funds, holds and statuses, through batches (the planner)."""
    ledger.create_tenant(tenant_id, "fast path", DAY)
    ledger.open_accounts(tenant_id, [
        AccountSpec(BANK, "bank", "summary", "1002", Side.DEBIT, AccountFlag.OVERDRAFT, 10**9),
        *(AccountSpec(no, "u", "lender", "2011", side, AccountFlag(flags), limit)
          for no, (side, flags, limit, *_) in zip(_ACCOUNTS, accounts, strict=True))])
    funding = [Transfer(f"f{no}", BANK, no, funded, funding=True) if side is Side.CREDIT
               else Transfer(f"f{no}", no, BANK, funded, funding=True)
               for no, (side, _, _, funded, _, _) in zip(_ACCOUNTS, accounts, strict=True)
               if funded]
    holds = [Freeze(f"h{no}", no, held, "bid")
             for no, (*_, held, _) in zip(_ACCOUNTS, accounts, strict=True) if held]
    with ledger.engine.begin() as conn:
        ledger.post_in(conn, tenant_id, [*funding, *holds])
    for no, (*_, status) in zip(_ACCOUNTS, accounts, strict=True):
        if status is not AccountStatus.NORMAL:
            try:
                ledger.set_account_status(tenant_id, no, status)
            except CunguanError as refused:     # closing an account that holds money
                assert refused.code == "account_not_empty"


def _answer(result: Result) -> tuple[Any, ...]:
    """A result without its transaction ids (each tenant has its own)."""
    return (result.request_no, result.reject, result.tx_id is not None, result.replayed,
            re.sub(r"tx \d+", "tx N", result.detail))


def _rows(engine: Engine, tenant_id: str) -> list[list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return [list(conn.execute(text(sql), {"t": tenant_id})) for sql in (
            "SELECT account_no, status, flags, balance_fen, frozen_fen, entry_seq "
            "FROM accounts WHERE tenant_id = :t ORDER BY account_no",
            "SELECT account_no, entry_seq, line_kind, side, amount_fen, balance_after_fen, "
            "frozen_after_fen, available_after_fen, counterparty_account_no, request_no, "
            "business_type, accounting_date, posted_at FROM fund_log WHERE tenant_id = :t "
            "ORDER BY account_no, entry_seq",
            "SELECT request_no, kind, business_type, content_hash, accounting_date, "
            "created_at, hold_id IS NULL, reverses_tx_id, memo FROM transactions "
            "WHERE tenant_id = :t ORDER BY request_no")]


def test_r_l5_a_single_transfer_answers_and_writes_what_a_batch_does(
        pg_engine: Engine) -> None:
    """Whatever the accounts (sides, direction and overdraft flags, hot or not, funds,
    holds, statuses) and the transfers (to missing accounts, to itself, zero or negative,
    funding, a request no. repeated with the same or other content): a transfer posted
    alone (``ledger_post_transfer``) and the same posted inside a caller's transaction
    (the planner) give the same answers — codes, details, replays — and leave the same
    accounts, fund-log lines and transactions (R-L1, R-L3, R-L4, R-L5)."""
    clock = FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=CST))
    ledger = LedgerService(pg_engine, clock=clock)

    @settings(max_examples=60, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(accounts=st.lists(_ACCOUNT, min_size=4, max_size=4),
           probes=st.lists(_PROBE, min_size=1, max_size=5))
    def check(accounts: list[tuple[Side, int, int, int, int, AccountStatus]],
              probes: list[Transfer]) -> None:
        n = next(_tenants)
        alone, planned = f"S{n}", f"B{n}"
        for tenant_id in (alone, planned):
            _open(ledger, tenant_id, accounts)
        for probe in probes:
            fast = ledger.transfer(alone, probe)
            with pg_engine.begin() as conn:
                slow = ledger.post_in(conn, planned, [probe])[0]
            assert _answer(fast) == _answer(slow), probe
        assert _rows(pg_engine, alone) == _rows(pg_engine, planned)
    check()


def test_r_l5_a_single_transfer_posts_once_and_replays(pg_engine: Engine) -> None:
    """Migration 0024 created the function; a transfer posted alone moves the balance and
    writes its line once, and sent again is replayed with the first transaction's id."""
    clock = FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=CST))
    ledger = LedgerService(pg_engine, clock=clock)
    ledger.create_tenant("F1", "fast", DAY)
    ledger.open_accounts("F1", [AccountSpec(BANK, "bank", "summary", "1002", Side.DEBIT),
                                AccountSpec("U1", "u", "lender", "2011", Side.CREDIT)])
    with pg_engine.connect() as conn:
        found = conn.execute(text(
            "SELECT count(*) FROM pg_proc WHERE proname = 'ledger_post_transfer'")).scalar()
    assert found == 1
    first = ledger.transfer("F1", Transfer("r1", BANK, "U1", 700))
    again = ledger.transfer("F1", Transfer("r1", BANK, "U1", 700))
    assert first.ok and not first.replayed
    assert again.ok and again.replayed and again.tx_id == first.tx_id
    assert ledger.account("F1", "U1").balance_fen == 700
    lines = ledger.fund_log("F1", "U1")
    assert [(line.entry_seq, line.amount_fen, line.balance_after_fen) for line in lines] == [
        (1, 700, 700)]


def _in_thread(act: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    done: list[Any] = []
    thread = threading.Thread(target=lambda: done.append(act()))
    thread.start()
    return thread, done


def test_r_l7_the_cutover_waits_for_postings_and_later_ones_read_the_new_day(
        pg_engine: Engine) -> None:
    """The day lock (shared by every posting transaction, exclusive for the cutover): a
    cutover waits while a batch posting on day T is uncommitted, and that batch's lines stay
    dated T; a single transfer sent while a cutover is uncommitted waits for it and is dated
    T+1 (it reads the date after the lock)."""
    clock = FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=CST))
    ledger = LedgerService(pg_engine, clock=clock)
    ledger.create_tenant("L7", "day lock", DAY)
    ledger.open_accounts("L7", [AccountSpec(BANK, "bank", "summary", "1002", Side.DEBIT),
                                AccountSpec("U1", "u", "lender", "2011", Side.CREDIT)])

    def cut_over() -> object:
        with pg_engine.begin() as conn:
            return daybook_store.cut_over(conn, "L7", lambda _: True)

    with pg_engine.begin() as conn:     # a batch posting on day T, not committed yet
        assert ledger.post_in(conn, "L7", [Transfer("t1", BANK, "U1", 100)])[0].ok
        cutover, cut = _in_thread(cut_over)
        cutover.join(timeout=0.5)
        assert cutover.is_alive() and not cut       # it waits for the posting
    cutover.join(timeout=10)
    assert cut == [DAY]
    with pg_engine.begin() as conn:     # a cutover to T+2, not committed yet
        assert daybook_store.cut_over(conn, "L7", lambda _: True) == DAY + timedelta(days=1)
        sender, sent = _in_thread(lambda: ledger.transfer("L7", Transfer("t2", BANK, "U1", 5)))
        sender.join(timeout=0.5)
        assert sender.is_alive() and not sent       # the transfer waits for the cutover
    sender.join(timeout=10)
    assert sent and sent[0].ok
    assert [line.accounting_date for line in ledger.fund_log("L7", "U1")] == [
        DAY, DAY + timedelta(days=2)]
