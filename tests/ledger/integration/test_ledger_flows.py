"""Holds, idempotency, fund log, reversals and direction-flag funding, on both backends."""

from datetime import timedelta

import pytest
from sqlalchemy import Engine, text

from cunguan.ledger.model import (
    AccountFlag,
    CompoundTransfer,
    Freeze,
    HoldStatus,
    LineKind,
    Payee,
    Posting,
    Reject,
    Release,
    Reverse,
    Settle,
    Side,
    Transfer,
)
from cunguan.ledger.service import LedgerService
from tests.helpers import DAY, FEE, MARKETING, SUMMARY, TENANT, balances, ledger_with_tenant


@pytest.fixture
def ledger(engine: Engine) -> LedgerService:
    ledger = ledger_with_tenant(engine)
    assert ledger.execute(TENANT, [Transfer("fund", SUMMARY, "U1", 10_000, "recharge")])[0].ok
    return ledger


def test_r_l1_compound_transaction_posts_all_legs(ledger: LedgerService) -> None:
    result = ledger.execute(TENANT, [CompoundTransfer("c1", (
        Posting("U1", Side.DEBIT, 1_000), Posting("U2", Side.CREDIT, 990),
        Posting(FEE, Side.CREDIT, 10)), "lend")])[0]
    assert result.ok
    assert [ledger.account(TENANT, n).balance_fen for n in ("U1", "U2", FEE)] == [9_000, 990, 10]


def test_r_l4_freeze_lowers_available_only(ledger: LedgerService) -> None:
    hold_id = ledger.execute(TENANT, [Freeze("f1", "U1", 3_000, "bid")])[0].tx_id
    account = ledger.account(TENANT, "U1")
    assert (account.balance_fen, account.frozen_fen, account.available_fen) == (10_000, 3_000,
                                                                                7_000)
    assert hold_id is not None
    assert ledger.hold(TENANT, hold_id).status is HoldStatus.OPEN
    assert ledger.execute(TENANT, [Transfer("t", "U1", "U2", 7_001)])[0].reject is (
        Reject.EXCEEDS_AVAILABLE)


def test_r_l4_partial_settle_to_many_payees_releases_the_rest_once(
        ledger: LedgerService) -> None:
    hold_id = ledger.execute(TENANT, [Freeze("f1", "U1", 3_000, "bid")])[0].tx_id
    assert hold_id is not None
    settled = ledger.execute(TENANT, [Settle("s1", hold_id, (Payee("U2", 2_000),
                                                             Payee(FEE, 500)))])[0]
    assert settled.ok
    u1 = ledger.account(TENANT, "U1")
    assert (u1.balance_fen, u1.frozen_fen) == (7_500, 0)
    assert ledger.account(TENANT, "U2").balance_fen == 2_000
    assert ledger.account(TENANT, FEE).balance_fen == 500
    hold = ledger.hold(TENANT, hold_id)
    assert (hold.status, hold.closed_tx_id) == (HoldStatus.SETTLED, settled.tx_id)
    again = ledger.execute(TENANT, [Settle("s2", hold_id, (Payee("U2", 1),))])[0]
    assert again.reject is Reject.HOLD_NOT_OPEN


def test_r_l4_release_and_expiry(ledger: LedgerService) -> None:
    soon = ledger.clock() + timedelta(minutes=30)
    first, second = ledger.execute(TENANT, [Freeze("f1", "U1", 1_000, "bid"),
                                            Freeze("f2", "U1", 2_000, "withdrawal", soon)])
    assert first.tx_id is not None and second.tx_id is not None
    assert ledger.execute(TENANT, [Release("r1", first.tx_id, "raise failed")])[0].ok
    assert ledger.hold(TENANT, first.tx_id).status is HoldStatus.RELEASED
    assert ledger.expire_holds(TENANT) == []  # not due yet
    ledger.clock.advance(timedelta(minutes=31))  # type: ignore[attr-defined]
    expired = ledger.expire_holds(TENANT)
    assert [r.ok for r in expired] == [True]
    assert ledger.hold(TENANT, second.tx_id).status is HoldStatus.EXPIRED
    assert ledger.account(TENANT, "U1").frozen_fen == 0
    assert ledger.expire_holds(TENANT) == []  # safe to run again


def test_r_l5_replay_returns_first_result_and_posts_nothing(ledger: LedgerService) -> None:
    first = ledger.execute(TENANT, [Transfer("p1", "U1", "U2", 500)])[0]
    before = balances(ledger)
    again = ledger.execute(TENANT, [Transfer("p1", "U1", "U2", 500)])[0]
    assert again.ok and again.replayed and again.tx_id == first.tx_id
    assert balances(ledger) == before
    conflict = ledger.execute(TENANT, [Transfer("p1", "U1", "U3", 500)])[0]
    assert conflict.reject is Reject.DUPLICATE_WITH_DIFFERENT_CONTENT
    assert balances(ledger) == before


def test_r_l5_duplicate_inside_one_batch_posts_once(ledger: LedgerService) -> None:
    results = ledger.execute(TENANT, [Transfer("d", "U1", "U2", 100)] * 3)
    assert [r.replayed for r in results] == [False, True, True]
    assert ledger.account(TENANT, "U2").balance_fen == 100


def test_r_l5_request_nos_are_per_tenant(ledger: LedgerService) -> None:
    ledger.create_tenant("P2", "Platform two", DAY)
    from tests.helpers import chart

    ledger.open_accounts("P2", chart())
    assert ledger.execute("P2", [Transfer("fund", SUMMARY, "U1", 77, "recharge")])[0].ok
    assert ledger.account("P2", "U1").balance_fen == 77
    assert ledger.account(TENANT, "U1").balance_fen == 10_000


def test_r_l6_fund_log_has_balances_after_and_pages(ledger: LedgerService) -> None:
    hold_id = ledger.execute(TENANT, [Freeze("f", "U1", 1_000, "bid")])[0].tx_id
    assert hold_id is not None
    ledger.execute(TENANT, [Transfer(f"t{i}", "U1", "U2", 100) for i in range(5)])
    ledger.execute(TENANT, [Settle("s", hold_id, (Payee("U2", 1_000),))])
    lines = ledger.fund_log(TENANT, "U1")
    assert [line.entry_seq for line in lines] == list(range(1, 10))
    assert lines[0].counterparty_account_no == SUMMARY and lines[0].business_type == "recharge"
    assert lines[1].line_kind is LineKind.HOLD and lines[1].available_after_fen == 9_000
    for line in lines:
        assert line.available_after_fen == line.balance_after_fen - line.frozen_after_fen
        assert line.accounting_date == DAY
    assert lines[-1].balance_after_fen == ledger.account(TENANT, "U1").balance_fen == 8_500
    page_one = ledger.fund_log(TENANT, "U1", rows_max=4)
    page_two = ledger.fund_log(TENANT, "U1", after_seq=page_one[-1].entry_seq, rows_max=4)
    assert [x.entry_seq for x in page_one + page_two] == list(range(1, 9))


def test_r_l9_reversal_is_a_new_linked_transaction(ledger: LedgerService, engine: Engine
                                                   ) -> None:
    tx_id = ledger.execute(TENANT, [Transfer("t", "U1", FEE, 300, "fee")])[0].tx_id
    assert tx_id is not None
    reversal = ledger.execute(TENANT, [Reverse("v", tx_id, "charged twice")])[0]
    assert reversal.ok
    # The fee account is in-only, yet a reversal may take back what was wrongly credited.
    assert ledger.account(TENANT, FEE).balance_fen == 0
    assert ledger.account(TENANT, "U1").balance_fen == 10_000
    with engine.connect() as conn:
        row = conn.execute(text("SELECT reverses_tx_id, kind FROM transactions "
                                "WHERE tx_id = :t"), {"t": reversal.tx_id}).one()
        assert tuple(row) == (tx_id, "reversal")
        assert conn.execute(text("SELECT count(*) FROM fund_log WHERE tx_id = :t"),
                            {"t": tx_id}).scalar_one() == 2  # the original is untouched


def test_funding_tops_up_out_only_and_sweeps_in_only(ledger: LedgerService) -> None:
    plain = ledger.execute(TENANT, [Transfer("m0", SUMMARY, MARKETING, 500)])[0]
    assert plain.reject is Reject.ACCOUNT_OUT_ONLY
    topup, sweep_refused = ledger.execute(TENANT, [
        Transfer("m1", SUMMARY, MARKETING, 500, "marketing_topup", funding=True),
        Transfer("s0", MARKETING, "U2", 100, "red_packet")])
    assert topup.ok and sweep_refused.ok
    ledger.execute(TENANT, [Transfer("fee", "U1", FEE, 50, "fee")])
    assert ledger.execute(TENANT, [Transfer("s1", FEE, SUMMARY, 50)])[0].reject is (
        Reject.ACCOUNT_IN_ONLY)
    assert ledger.execute(TENANT, [Transfer("s2", FEE, SUMMARY, 50, "fee_sweep",
                                            funding=True)])[0].ok


def test_r_l2_accounts_carry_their_attributes(ledger: LedgerService) -> None:
    summary = ledger.account(TENANT, SUMMARY)
    fee = ledger.account(TENANT, FEE)
    assert (summary.role, summary.subject_code, summary.normal_side) == (
        "custody_summary", "1002", Side.DEBIT)
    assert (fee.owner, fee.normal_side, fee.status.value) == ("P1", Side.CREDIT, "normal")
    assert fee.flags & AccountFlag.IN_ONLY
    user = ledger.account(TENANT, "U1")
    assert (user.balance_fen, user.frozen_fen, user.available_fen) == (10_000, 0, 10_000)
