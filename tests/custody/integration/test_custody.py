"""Custody end to end on both backends (R-C1..R-C18): every money step through the ledger."""

from datetime import datetime, timedelta

from sqlalchemy import Engine
from stdnum import luhn

from cunguan.custody.handlers.commands import CustodyPolicy
from cunguan.custody.handlers.lending_service import LendingService
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules.kyc import IdKind
from cunguan.custody.rules.schedules import Method
from cunguan.custody.rules.withdrawals import FeePolicy
from tests.custody_helpers import (
    PASSWORD,
    PLATFORM,
    icbc_card,
    open_user,
    resident_id,
    services,
)


def _balance(custody: LendingService, account_no: str) -> tuple[int, int]:
    account = custody.ledger.account(PLATFORM, account_no)
    return account.balance_fen, account.frozen_fen


def _user(user_id: str) -> str:
    return chart.user_account_no(user_id)


def _summary_identity(custody: LendingService) -> tuple[int, int]:
    accounts = custody.ledger.accounts(PLATFORM)
    held = sum(a.balance_fen for a in accounts if a.account_no in chart.BANK_HELD)
    owed = sum(a.balance_fen for a in accounts if a.account_no not in chart.BANK_HELD)
    return held, owed


def test_r_c1_r_c2_onboarding_opens_the_chart_with_its_rules(engine: Engine) -> None:
    custody, ledger, _, _ = services(engine)
    numbers = {a.account_no for a in ledger.accounts(PLATFORM)}
    assert {chart.SUMMARY, chart.FEE, chart.MARKETING, chart.OWN, chart.RISK_RESERVE,
            chart.INTEREST} <= numbers
    held, owed = _summary_identity(custody)
    assert held == owed == 20_000_000
    refused = custody.fund_platform(PLATFORM, "fund-fee", chart.FEE, 1)
    assert refused.code == "account_not_fundable"


def test_r_c4_opening_checks_four_elements_and_one_person_one_account(engine: Engine
                                                                      ) -> None:
    custody, _, _, _ = services(engine)
    open_user(custody, 1)
    again = custody.open_user(PLATFORM, "open-dup", user_id="other", role="lender", name="x",
                              id_kind=IdKind.RESIDENT_ID, id_no=resident_id(1),
                              mobile="13900000000", card_no=icbc_card(99), password=PASSWORD)
    assert again.code == "person_has_account"
    minor = custody.open_user(PLATFORM, "open-minor", user_id="kid", role="lender",
                              name="小明", id_kind=IdKind.RESIDENT_ID,
                              id_no=resident_id(2, birth="20100101"), mobile="13900000001",
                              card_no=icbc_card(2), password=PASSWORD)
    assert minor.code == "under_age"
    passport = custody.open_user(PLATFORM, "open-pp", user_id="pp", role="lender",
                                 name="John Smith", id_kind=IdKind.PASSPORT, id_no="E1234567",
                                 mobile="13900000002", card_no=icbc_card(3), password=PASSWORD)
    assert passport.ok and passport.data["status"] == "pending_review"
    assert custody.red_packet(PLATFORM, "rp-pp", "pp", 100).code == "user_not_active"
    assert custody.approve_user(PLATFORM, "approve-pp", "pp").data["status"] == "active"
    # The refusal is recorded: the same serial no. answers the same, posting nothing.
    replay = custody.open_user(PLATFORM, "open-minor", user_id="kid", role="lender",
                               name="小明", id_kind=IdKind.RESIDENT_ID,
                               id_no=resident_id(2, birth="20100101"), mobile="13900000001",
                               card_no=icbc_card(2), password=PASSWORD)
    assert replay.replayed and replay.code == "under_age"


def test_r_c3_companies_wait_for_operator_approval(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    company = custody.open_user(PLATFORM, "open-co", user_id="co", role="borrower",
                                kind="company", name="某某科技有限公司",
                                id_kind=IdKind.BUSINESS_LICENCE, id_no="91110000MA01234567",
                                mobile="13900000009", card_no=icbc_card(9), password=PASSWORD)
    assert company.ok and company.data["status"] == "pending_approval"
    assert custody.approve_user(PLATFORM, "ap-co", "co").ok


def test_r_c5_cards_unbind_only_when_empty_and_replace_keeps_the_money(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    user = open_user(custody, 1, recharge_fen=50_000)
    busy = custody.unbind_card(PLATFORM, "ub-1", user, icbc_card(1))
    assert busy.code == "balance_not_zero"
    replaced = custody.replace_card(PLATFORM, "rep-1", user, icbc_card(1), icbc_card(501))
    assert replaced.ok
    refused = custody.withdraw(PLATFORM, "wd-old", user, icbc_card(1), 10_000,
                               password=PASSWORD)
    assert refused.code == "card_not_bound"  # same card in, same card out
    assert custody.withdraw(PLATFORM, "wd-new", user, icbc_card(501), 10_000,
                            password=PASSWORD).ok


def test_r_c7_quick_pay_recharge_fee_and_t_plus_1_settlement(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    user = open_user(custody, 1, recharge_fen=1_000_000)
    assert _balance(custody, _user(user)) == (1_000_000, 0)
    assert _balance(custody, chart.OWN)[0] == 10_000_000 - 1_500  # 0.15% borne by platform
    assert _balance(custody, chart.CHANNEL_TRANSIT)[0] == 1_000_000 - 1_500
    status = custody.request_status(PLATFORM, "rc-u0001")
    assert status is not None and status["result"]["settle_on"] == "2026-11-24"
    settled = custody.settle_channel(PLATFORM, "chs-1", datetime(2026, 11, 24).date())
    assert settled.data == {"recharges": 1, "net_fen": 998_500, "advance_repaid_fen": 0}
    assert _balance(custody, chart.CHANNEL_TRANSIT)[0] == 0
    held, owed = _summary_identity(custody)
    assert held == owed


def test_r_c7_offline_transfer_is_allocated_by_the_payer_card(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    user = open_user(custody, 1)
    mine = custody.offline_transfer(PLATFORM, "off-1", icbc_card(1), 30_000)
    stranger = custody.offline_transfer(PLATFORM, "off-2", icbc_card(777), 5_000)
    assert mine.data["allocated_to"] == user and stranger.data["allocated_to"] == "unallocated"
    assert _balance(custody, _user(user))[0] == 30_000
    assert _balance(custody, chart.UNALLOCATED)[0] == 5_000


def _project(custody: LendingService, borrower: str, amount_fen: int = 1_000_000,
             months: int = 3, method: Method = Method.EQUAL_INSTALLMENT) -> str:
    result = custody.register_project(
        PLATFORM, f"prj-{amount_fen}-{months}", project_id=f"P{amount_fen}-{months}",
        borrower_user_id=borrower, amount_fen=amount_fen, annual_rate="0.12", months=months,
        method=method, bid_min_fen=10_000, bid_max_fen=1_000_000, bid_step_fen=10_000,
        service_fee_rate="0.01")
    assert result.ok, result
    return str(result.data["project_id"])


def test_r_c8_r_c9_r_c10_bid_lend_and_claims(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    borrower = open_user(custody, 10, role="borrower")
    lenders = [open_user(custody, i, recharge_fen=700_000) for i in range(1, 4)]
    project = _project(custody, borrower)
    assert custody.bid(PLATFORM, "b-x", borrower, project, 10_000,
                       password=PASSWORD).code == "borrower_cannot_bid"
    assert custody.bid(PLATFORM, "b-noauth", lenders[0], project, 10_000).code == (
        "authorization_required")
    assert custody.bid(PLATFORM, "b-step", lenders[0], project, 15_000,
                       password=PASSWORD).code == "bid_not_on_step"
    amounts = [400_000, 300_000, 300_000]
    for i, (lender, amount) in enumerate(zip(lenders, amounts, strict=True)):
        packet = 5_000 if i == 0 else 0
        result = custody.bid(PLATFORM, f"b-{i}", lender, project, amount, password=PASSWORD,
                             red_packet_fen=packet)
        assert result.ok, result
    assert _balance(custody, _user(lenders[0])) == (700_000, 395_000)
    assert custody.bid(PLATFORM, "b-late", lenders[1], project, 10_000,
                       password=PASSWORD).code == "project_full"
    lent = custody.lend(PLATFORM, "lend-1", project)
    assert lent.ok, lent
    assert _balance(custody, _user(borrower)) == (1_000_000 - 10_000, 0)  # less 1% fee
    assert _balance(custody, chart.FEE)[0] == 10_000
    assert _balance(custody, chart.MARKETING)[0] == 10_000_000 - 5_000
    assert _balance(custody, _user(lenders[0])) == (305_000, 0)
    assert custody.outstanding(PLATFORM, project) == (1_000_000, 1_000_000)
    held, owed = _summary_identity(custody)
    assert held == owed


def test_r_c10_failed_raise_releases_every_bid(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    borrower = open_user(custody, 10, role="borrower")
    lender = open_user(custody, 1, recharge_fen=500_000)
    project = _project(custody, borrower)
    assert custody.bid(PLATFORM, "b-1", lender, project, 200_000, password=PASSWORD,
                       red_packet_fen=1_000).ok
    failed = custody.fail_raise(PLATFORM, "fail-1", project)
    assert failed.data["released_bids"] == 1 and failed.data["red_packets_returned_fen"] == 1_000
    assert _balance(custody, _user(lender)) == (500_000, 0)
    assert custody.lend(PLATFORM, "lend-x", project).code == "project_not_full"


def test_r_c12_r_c13_repayments_pay_investors_and_close_claims(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    borrower = open_user(custody, 10, role="borrower", recharge_fen=200_000)
    lenders = [open_user(custody, i, recharge_fen=700_000) for i in range(1, 4)]
    project = _project(custody, borrower)
    for i, (lender, amount) in enumerate(zip(lenders, [400_000, 300_000, 300_000],
                                             strict=True)):
        assert custody.bid(PLATFORM, f"b-{i}", lender, project, amount, password=PASSWORD).ok
    assert custody.lend(PLATFORM, "lend", project).ok
    before = [_balance(custody, _user(u))[0] for u in lenders]
    paid_total = 0
    for period in range(1, 4):
        frozen = custody.repay(PLATFORM, f"rp-{period}", project, password=PASSWORD)
        assert frozen.ok, frozen
        assert custody.repay(PLATFORM, f"rp-{period}-again", project,
                             password=PASSWORD).code == "repayment_in_progress"
        settled = custody.settle_repayment(PLATFORM, f"st-{period}", project)
        assert settled.ok, settled
        paid_total += settled.data["paid_fen"]
        claims, loan = custody.outstanding(PLATFORM, project)
        assert claims == loan
    after = [_balance(custody, _user(u))[0] for u in lenders]
    gains = [a - b for a, b in zip(after, before, strict=True)]
    assert sum(gains) == paid_total
    assert gains[0] > gains[1] == gains[2]  # pro rata 4:3:3
    assert custody.outstanding(PLATFORM, project) == (0, 0)
    assert custody.repay(PLATFORM, "rp-4", project, password=PASSWORD).code in (
        "project_not_repaying", "nothing_due")
    held, owed = _summary_identity(custody)
    assert held == owed


def test_r_c13_overdue_installment_carries_penalty_interest(engine: Engine) -> None:
    custody, ledger, days, clock = services(engine)
    borrower = open_user(custody, 10, role="borrower", recharge_fen=500_000)
    lender = open_user(custody, 1, recharge_fen=1_000_000)
    project = _project(custody, borrower, months=1, method=Method.BULLET)
    assert custody.bid(PLATFORM, "b-1", lender, project, 1_000_000, password=PASSWORD).ok
    assert custody.lend(PLATFORM, "lend", project).ok
    for _ in range(33):  # lent 23 Nov, due 23 Dec: close days until 26 Dec (3 days late)
        clock.advance(timedelta(days=1))   # a day closes once it has ended (R-L7)
        assert days.close(PLATFORM).closed
    frozen = custody.repay(PLATFORM, "rp-1", project, password=PASSWORD)
    assert frozen.ok, frozen
    # 1,000,000 + 10,000 interest; 3 days × 0.05% × 1,010,000 = 1,515 fen
    assert frozen.data["penalty_fen"] == 1_515
    assert ledger.account(PLATFORM, _user(borrower)).frozen_fen == 1_011_515


def test_r_c15_r_c17_withdrawal_fee_hold_and_channel_outcomes(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    user = open_user(custody, 1, recharge_fen=500_000)
    card = icbc_card(1)
    first = custody.withdraw(PLATFORM, "wd-1", user, card, 100_000, password=PASSWORD)
    assert first.ok and first.data["fee_fen"] == 0 and first.data["status"] == "processing"
    second = custody.withdraw(PLATFORM, "wd-2", user, card, 200_000, password=PASSWORD)
    assert second.data["fee_fen"] == 600  # 0.3% of 2,000 yuan, second this month
    assert _balance(custody, _user(user)) == (500_000, 300_600)
    assert custody.channel_result(PLATFORM, "ch-1", "wd-1", succeeded=True).ok
    assert custody.channel_result(PLATFORM, "ch-2", "wd-2", succeeded=False).ok
    assert _balance(custody, _user(user)) == (400_000, 0)
    too_much = custody.withdraw(PLATFORM, "wd-3", user, card, 400_000, password=PASSWORD)
    assert too_much.code == "exceeds_available"
    assert too_much.data["max_withdrawable_fen"] == 398_804  # + 1,196 fee = 400,000
    reversed_ = custody.statement_reversal(PLATFORM, "rev-1", "wd-1")
    assert reversed_.ok
    assert _balance(custody, _user(user)) == (500_000, 0)
    held, owed = _summary_identity(custody)
    assert held == owed


def test_r_c15_platform_review_and_fee_taken_from_amount(engine: Engine) -> None:
    policy = CustodyPolicy(withdrawal_review=True,
                           fees=FeePolicy(free_per_month=0, fee_from_amount=True))
    custody, _, _, _ = services(engine, policy=policy)
    user = open_user(custody, 1, recharge_fen=100_000)
    pending = custody.withdraw(PLATFORM, "wd-1", user, icbc_card(1), 100_000,
                               password=PASSWORD)
    assert pending.data == {"status": "pending_review", "rail": "super_online",
                            "amount_fen": 99_700, "fee_fen": 300,
                            "hold_id": pending.data["hold_id"]}
    assert custody.channel_result(PLATFORM, "c-1", "wd-1", True).code == (
        "withdrawal_wrong_state")
    assert custody.review_withdrawal(PLATFORM, "rv-1", "wd-1", approved=True).ok
    assert custody.channel_result(PLATFORM, "c-2", "wd-1", True).ok
    assert _balance(custody, _user(user)) == (0, 0)
    assert _balance(custody, chart.FEE)[0] == 300


def test_r_c16_large_withdrawal_on_saturday_is_refused_before_the_bank(engine: Engine) -> None:
    custody, _, _, clock = services(engine)
    user = open_user(custody, 1, recharge_fen=30_000_000)
    monday = custody.withdraw(PLATFORM, "wd-mon", user, icbc_card(1), 10_000_000,
                              password=PASSWORD)
    assert monday.ok and monday.data["rail"] == "hvps"
    clock.advance(timedelta(days=5, hours=4))  # Saturday 14:00
    saturday = custody.withdraw(PLATFORM, "wd-sat", user, icbc_card(1), 5_000_000,
                                password=PASSWORD)
    assert saturday.ok and saturday.data["rail"] == "super_online"
    refused = custody.withdraw(PLATFORM, "wd-sat-big", user, icbc_card(1), 5_000_001,
                               password=PASSWORD)
    assert refused.code == "hvps_closed" and "17:15" in refused.message
    assert _balance(custody, _user(user))[1] == 10_000_000 + 5_000_000 + 15_000  # one fee


def test_r_c18_cash_red_packet_comes_from_the_marketing_account(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    user = open_user(custody, 1)
    assert custody.red_packet(PLATFORM, "rp-1", user, 888).ok
    assert _balance(custody, _user(user))[0] == 888
    assert _balance(custody, chart.MARKETING)[0] == 10_000_000 - 888


def test_r_c4_password_lock_and_standing_authorization(engine: Engine) -> None:
    custody, _, _, clock = services(engine)
    user = open_user(custody, 1, recharge_fen=300_000)
    for attempt in range(5):
        wrong = custody.withdraw(PLATFORM, f"wd-bad-{attempt}", user, icbc_card(1), 100,
                                 password="975310")
        assert wrong.code == "password_wrong"
    locked = custody.withdraw(PLATFORM, "wd-locked", user, icbc_card(1), 100,
                              password=PASSWORD)
    assert locked.code == "password_locked"
    clock.advance(timedelta(hours=3, seconds=1))
    auth = custody.authorize(PLATFORM, "auth-1", user, ("withdraw",), 50_000,
                             clock() + timedelta(days=30), PASSWORD)
    assert auth.ok, auth
    assert custody.withdraw(PLATFORM, "wd-auth", user, icbc_card(1), 50_000).ok
    assert custody.withdraw(PLATFORM, "wd-over", user, icbc_card(1), 50_001).code == (
        "authorization_required")
    assert custody.revoke_authorization(PLATFORM, "rv-1", user, "withdraw").ok
    assert custody.withdraw(PLATFORM, "wd-after", user, icbc_card(1), 100).code == (
        "authorization_required")


def test_r_c21_request_status_and_replays(engine: Engine) -> None:
    custody, ledger, _, _ = services(engine)
    user = open_user(custody, 1)
    first = custody.red_packet(PLATFORM, "rp-1", user, 500)
    again = custody.red_packet(PLATFORM, "rp-1", user, 500)
    other = custody.red_packet(PLATFORM, "rp-1", user, 501)
    assert first.ok and again.replayed and again.data == first.data
    assert other.code == "duplicate_with_different_content"
    assert ledger.account(PLATFORM, _user(user)).balance_fen == 500
    status = custody.request_status(PLATFORM, "rp-1")
    assert status is not None and status["status"] == "ok"
    assert custody.request_status(PLATFORM, "nope") is None


def test_r_c6_unsupported_bank_opens_but_cannot_quick_pay(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    body = "621260" + "0" * 12  # CSRCB debit card, 19 digits: not in the quick-pay list
    card = body + luhn.calc_check_digit(body)
    opened = custody.open_user(PLATFORM, "open-x", user_id="x", role="lender", name="李四",
                               id_kind=IdKind.RESIDENT_ID, id_no=resident_id(1),
                               mobile="13700000000", card_no=card, password=PASSWORD)
    assert opened.ok and opened.data["quick_pay"] is False
    refused = custody.recharge(PLATFORM, "rc-x", "x", card, 100, password=PASSWORD)
    assert refused.code == "bank_not_supported"


def test_r_c1_r_l8_a_sub_account_changed_behind_the_ledger_stops_the_close(
        engine: Engine) -> None:
    from sqlalchemy import text

    custody, _, days, clock = services(engine)
    user = open_user(custody, 1, recharge_fen=100_000)
    clock.advance(timedelta(days=2))   # the days have ended (R-L7)
    assert days.close(PLATFORM).closed
    with engine.begin() as conn:  # a credit to a sub-account that bypassed the ledger
        conn.execute(text("UPDATE accounts SET balance_fen = balance_fen + 100 "
                          "WHERE account_no = :a"), {"a": _user(user)})
    outcome = days.close(PLATFORM)
    assert not outcome.closed
    assert "continuity" in {f.check for f in outcome.findings}


def _lent_project(custody: LendingService, *, guarantor: str | None = None,
                  months: int = 3) -> tuple[str, str, list[str]]:
    borrower = open_user(custody, 10, role="borrower", recharge_fen=200_000)
    lenders = [open_user(custody, i, recharge_fen=700_000) for i in range(1, 3)]
    result = custody.register_project(
        PLATFORM, "prj", project_id="P1", borrower_user_id=borrower, amount_fen=1_000_000,
        annual_rate="0.12", months=months, method=Method.EQUAL_INSTALLMENT,
        bid_min_fen=10_000, bid_max_fen=1_000_000, bid_step_fen=10_000,
        guarantor_user_id=guarantor)
    assert result.ok, result
    for i, lender in enumerate(lenders):
        assert custody.bid(PLATFORM, f"b-{i}", lender, "P1", 500_000, password=PASSWORD).ok
    assert custody.lend(PLATFORM, "lend", "P1").ok
    return "P1", borrower, lenders


def test_r_c14_debt_transfer_moves_the_claim_and_the_price_atomically(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    project, _, (seller, other) = _lent_project(custody)
    buyer = open_user(custody, 7, recharge_fen=600_000)
    listed = custody.list_claim(PLATFORM, "ls-1", "b-0", seller, 510_000)  # above principal
    assert listed.ok and listed.data["fee_fen"] == 2_550
    assert custody.list_claim(PLATFORM, "ls-2", "b-0", seller, 500_000).code == (
        "claim_not_transferable")
    assert custody.list_claim(PLATFORM, "ls-3", "b-1", seller, 1).code == "claim_not_held"
    seller_before = _balance(custody, _user(seller))[0]
    bought = custody.buy_claim(PLATFORM, "buy-1", "ls-1", buyer, password=PASSWORD)
    assert bought.ok, bought
    assert _balance(custody, _user(buyer))[0] == 600_000 - 510_000
    assert _balance(custody, _user(seller))[0] == seller_before + 510_000 - 2_550
    assert custody.buy_claim(PLATFORM, "buy-2", "ls-1", other, password=PASSWORD).code == (
        "listing_not_open")
    # Repayments now go to the buyer.
    assert custody.repay(PLATFORM, "rp-1", project, password=PASSWORD).ok
    buyer_before = _balance(custody, _user(buyer))[0]
    assert custody.settle_repayment(PLATFORM, "st-1", project).ok
    assert _balance(custody, _user(buyer))[0] > buyer_before
    assert custody.outstanding(PLATFORM, project)[0] == custody.outstanding(PLATFORM,
                                                                            project)[1]


def test_r_c14_cancelled_listing_unlocks_the_claim(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    _, _, (seller, _other) = _lent_project(custody)
    assert custody.list_claim(PLATFORM, "ls-1", "b-0", seller, 480_000).ok  # below principal
    assert custody.cancel_listing(PLATFORM, "cx-1", "ls-1").ok
    assert custody.list_claim(PLATFORM, "ls-2", "b-0", seller, 480_000).ok


def test_r_c13_guarantor_compensation_creates_a_recourse_claim(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    guarantor = open_user(custody, 20, role="guarantor", recharge_fen=2_000_000)
    project, _, lenders = _lent_project(custody, guarantor=guarantor)
    before = [_balance(custody, _user(u))[0] for u in lenders]
    paid = custody.compensate(PLATFORM, "comp-1", project, "guarantor")
    assert paid.ok, paid
    gains = [_balance(custody, _user(u))[0] - b for u, b in zip(lenders, before, strict=True)]
    assert sum(gains) == paid.data["paid_fen"] and gains[0] == gains[1]
    assert _balance(custody, _user(guarantor))[0] == 2_000_000 - paid.data["paid_fen"]
    assert custody.outstanding(PLATFORM, project)[0] == custody.outstanding(PLATFORM,
                                                                            project)[1]
    risk = custody.compensate(PLATFORM, "comp-2", project, "risk_reserve")
    assert risk.code == "exceeds_available"  # the reserve was never funded
    assert custody.fund_platform(PLATFORM, "fund-risk", chart.RISK_RESERVE, 1_000_000).ok
    assert custody.compensate(PLATFORM, "comp-3", project, "risk_reserve").ok


def test_r_c15_t0_payout_of_unsettled_money_is_advanced_and_repaid(engine: Engine) -> None:
    custody, _, _, _ = services(engine)  # the summary account holds the platform's 200,000
    user = open_user(custody, 1, recharge_fen=30_000_000)  # quick pay: settles T+1
    assert custody.withdraw(PLATFORM, "wd-1", user, icbc_card(1), 25_000_000,
                            password=PASSWORD).ok
    paid = custody.channel_result(PLATFORM, "ch-1", "wd-1", succeeded=True)
    assert paid.ok, paid
    assert _balance(custody, chart.ADVANCE)[0] == 5_000_000
    assert _balance(custody, chart.SUMMARY)[0] == 0
    held, owed = _summary_identity(custody)
    assert held == owed
    settled = custody.settle_channel(PLATFORM, "chs-1", datetime(2026, 11, 24).date())
    assert settled.data["advance_repaid_fen"] == 5_000_000
    assert _balance(custody, chart.ADVANCE)[0] == 0


def test_r_c15_without_an_advancer_the_payout_waits_for_settlement(engine: Engine) -> None:
    custody, _, _, _ = services(engine, policy=CustodyPolicy(advance_funder=None))
    user = open_user(custody, 1, recharge_fen=30_000_000)
    assert custody.withdraw(PLATFORM, "wd-1", user, icbc_card(1), 25_000_000,
                            password=PASSWORD).ok
    waiting = custody.channel_result(PLATFORM, "ch-1", "wd-1", succeeded=True)
    assert waiting.code == "awaiting_channel_settlement"
    assert custody.settle_channel(PLATFORM, "chs-1", datetime(2026, 11, 24).date()).ok
    assert custody.channel_result(PLATFORM, "ch-2", "wd-1", succeeded=True).ok


def test_r_c13_early_repayment_closes_every_claim(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    project, _, _ = _lent_project(custody, months=6)
    assert custody.repay(PLATFORM, "rp-1", project, password=PASSWORD).ok
    assert custody.settle_repayment(PLATFORM, "st-1", project).ok
    early = custody.repay_early(PLATFORM, "early", project, password=PASSWORD)
    assert early.ok, early
    assert early.data["rule"] == "current"
    claims, loan = custody.outstanding(PLATFORM, project)
    assert claims == loan == early.data["principal_fen"]
    assert custody.settle_repayment(PLATFORM, "st-early", project).ok
    assert custody.outstanding(PLATFORM, project) == (0, 0)
    assert custody.repay(PLATFORM, "rp-x", project, password=PASSWORD).code == (
        "project_not_repaying")


def test_r_c18_interest_coupon_is_recorded_at_lending_and_paid_with_repayments(
        engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    borrower = open_user(custody, 10, role="borrower", recharge_fen=200_000)
    lenders = [open_user(custody, i, recharge_fen=700_000) for i in range(1, 3)]
    project = _project(custody, borrower)
    assert custody.bid(PLATFORM, "b-0", lenders[0], project, 500_000, password=PASSWORD,
                       coupon_rate="0.02").ok
    assert custody.bid(PLATFORM, "b-x", lenders[1], project, 500_000, password=PASSWORD,
                       coupon_rate="0.5").code == "coupon_invalid"
    assert custody.bid(PLATFORM, "b-1", lenders[1], project, 500_000, password=PASSWORD).ok
    assert custody.lend(PLATFORM, "lend", project).ok
    due = {c.claim_id: c.coupon_due_fen for c in custody.claims(PLATFORM, project)}
    assert due["b-1"] == 0 and due["b-0"] > 0
    marketing_before = _balance(custody, chart.MARKETING)[0]
    for period in range(1, 4):
        assert custody.repay(PLATFORM, f"rp-{period}", project, password=PASSWORD).ok
        assert custody.settle_repayment(PLATFORM, f"st-{period}", project).ok
    assert marketing_before - _balance(custody, chart.MARKETING)[0] == due["b-0"]
    held, owed = _summary_identity(custody)
    assert held == owed


def test_r_c19_finance_plan_freezes_matches_reinvests_and_pays_interest(engine: Engine
                                                                        ) -> None:
    custody, _, days, clock = services(engine)
    assert custody.fund_platform(PLATFORM, "fund-int", chart.INTEREST, 1_000_000).ok
    borrower = open_user(custody, 10, role="borrower", recharge_fen=300_000)
    saver = open_user(custody, 1, recharge_fen=2_000_000)
    other = open_user(custody, 2, recharge_fen=1_000_000)
    assert custody.create_plan(PLATFORM, "plan-1", "M3", "三月盈", "0.06", 3).ok
    bought = custody.purchase_plan(PLATFORM, "buy-1", saver, "M3", 1_500_000,
                                   password=PASSWORD)
    assert bought.ok and _balance(custody, _user(saver)) == (2_000_000, 1_500_000)
    project = _project(custody, borrower)
    assert custody.match_plan(PLATFORM, "match-1", "buy-1", project, 600_000).ok
    assert custody.match_plan(PLATFORM, "match-2", "buy-1", project, 2_000_000).code == (
        "plan_idle_short")
    assert custody.bid(PLATFORM, "b-o", other, project, 400_000, password=PASSWORD).ok
    assert _balance(custody, _user(saver))[1] == 1_500_000  # 900,000 idle + 600,000 bid
    assert custody.lend(PLATFORM, "lend", project).ok
    assert _balance(custody, _user(saver)) == (1_400_000, 900_000)
    assert custody.repay(PLATFORM, "rp-1", project, password=PASSWORD).ok
    settled = custody.settle_repayment(PLATFORM, "st-1", project)
    assert settled.ok
    balance, frozen = _balance(custody, _user(saver))
    assert frozen == balance - 500_000  # what the plan received stays frozen, re-invested
    assert custody.redeem_plan(PLATFORM, "red-0", "buy-1").code == "plan_not_mature"
    for _ in range(3):
        clock.advance(timedelta(days=1))   # a day closes once it has ended (R-L7)
        assert days.close(PLATFORM).closed
    redeemed = custody.redeem_plan(PLATFORM, "red-1", "buy-1")
    assert redeemed.ok and redeemed.data["interest_fen"] == 740  # 1.5 M × 6% × 3/365
    assert _balance(custody, _user(saver))[1] == 0


def test_r_c21_unknown_platform_is_an_answer_not_an_exception(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    result = custody.red_packet("NO-SUCH-PLATFORM", "rp-1", "u1", 100)
    assert (result.ok, result.code) == (False, "user_not_found")
    funded = custody.fund_platform("NO-SUCH-PLATFORM", "f-1", chart.OWN, 100)
    assert (funded.ok, funded.code) == (False, "tenant_not_found")
