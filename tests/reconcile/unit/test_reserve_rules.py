"""Customer reserve funds: the classes of R-B4, the identities of R-B3, the checks of R-B2."""

from dataclasses import replace
from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cunguan.core.calendar import WorkingCalendar
from cunguan.reconcile.rules import identities as ids
from cunguan.reconcile.rules.checks import CHECKS, Severity, due_by, run_checks
from cunguan.reconcile.rules.classes import (
    BankKind,
    BankRole,
    BusinessClass,
    Category,
    CustomerKind,
    Mode,
    category,
    classify,
    entry,
    mode,
)
from cunguan.reconcile.rules.reserve import (
    Adjustment,
    AdjustmentKind,
    BreakItem,
    CustomerItem,
    InTransitItem,
    ManagementBalance,
    ReserveBankAccount,
    ReserveDay,
    Side,
)
from cunguan.reconcile.rules.statements import Direction
from tests.reconcile.unit.reserve_days import (
    CHANNEL_NO,
    DAY,
    PAYEE,
    carry,
    consistent_days,
    hand_day,
)

CALENDAR = WorkingCalendar()


def failing(day: object) -> dict[str, int]:
    """Each failing identity's code (with its account) and difference."""
    return {f"{i.code}:{i.account_no}": i.difference_fen
            for i in ids.identities(day) if not i.holds}  # type: ignore[arg-type]


def checks_failing(day: object) -> set[str]:
    return {f.check for f in run_checks(day, CALENDAR).findings}  # type: ignore[arg-type]


# ------------------------------------------------------------------------------- R-B4


def test_r_b4_the_custody_business_types_fall_in_the_five_classes() -> None:
    assert classify("recharge") is BusinessClass.RECEIPT
    assert classify("offline_recharge") is BusinessClass.RECEIPT
    assert classify("withdrawal") is BusinessClass.PAYOUT
    assert classify("withdrawal_reversal") is BusinessClass.PAYOUT_RETURN
    assert classify("refund") is BusinessClass.REFUND
    assert classify("refund_return") is BusinessClass.REFUND_RETURN
    assert classify("red_packet") is None and category("red_packet") is Category.TRANSFER
    assert category("channel_fee") is Category.FEE
    assert category("freeze") is Category.NO_MONEY
    assert category("no_such_type") is Category.UNKNOWN


def test_r_b4_increasing_classes_debit_the_bank_decreasing_ones_credit_it() -> None:
    receipt = entry(BusinessClass.RECEIPT, "100201", CustomerKind.PAYMENT)
    assert (receipt.debit_subject, receipt.credit_subject) == ("100201", "201101.01")
    payout = entry(BusinessClass.PAYOUT, "100211", CustomerKind.SETTLEMENT)
    assert (payout.debit_subject, payout.credit_subject) == ("201102.03", "100211")
    returned = entry(BusinessClass.REFUND_RETURN, "100202", CustomerKind.PAYMENT)
    assert returned.debit_subject == "100202"


def test_r_b4_custody_bank_item_level_cooperating_banks_report_mode() -> None:
    assert mode(BankKind.CUSTODY) is Mode.ITEM
    assert mode(BankKind.COOPERATING) is Mode.REPORT
    custody = ReserveBankAccount("A", "工行", BankKind.CUSTODY, BankRole.CUSTODY)
    partner = ReserveBankAccount("B", "招行", BankKind.COOPERATING, BankRole.RECEIPT_PAYMENT)
    assert (custody.subject, partner.subject) == ("100201", "100211")


def test_r_b1_registered_accounts_are_reserve_accounts_except_a_channels() -> None:
    from cunguan.reconcile.rules.register import AccountKind, BankAccount
    custody = ReserveBankAccount.from_register(BankAccount("A", "工行", AccountKind.CUSTODY))
    partner = ReserveBankAccount.from_register(BankAccount("B", "招行", AccountKind.COOPERATING))
    assert custody is not None and custody.mode is Mode.ITEM and custody.subject == "100201"
    assert partner is not None and partner.mode is Mode.REPORT
    assert ReserveBankAccount.from_register(BankAccount("C", "渠道", AccountKind.CHANNEL)) is None


def test_r_b1_a_custody_account_is_only_at_the_custody_bank() -> None:
    from cunguan.core.errors import InvariantViolation
    with pytest.raises(InvariantViolation):
        ReserveBankAccount("B", "招行", BankKind.COOPERATING, BankRole.CUSTODY)


# ------------------------------------------------------------------------------- R-B3


def test_r_b3_hand_computed_day_continuity_of_every_account() -> None:
    day = hand_day()
    custody, partner = day.bank_accounts
    assert (custody.previous_closing_fen, custody.credits_fen, custody.debits_fen,
            custody.closing_fen) == (120_000, 35_300, 10_020, 145_280)
    assert (partner.previous_closing_fen, partner.movement_fen, partner.closing_fen) == (
        39_500, 7_000, 46_500)
    total = ids.bank_continuity_total(day)
    assert (total.term("previous_balance").amount_fen, total.term("movement").amount_fen,
            total.term("balance").amount_fen) == (159_500, 32_280, 191_780)
    customers = ids.customer_continuity(day)
    assert (customers.term("previous_balance").amount_fen,
            customers.term("movement").amount_fen,
            customers.term("balance").amount_fen) == (150_000, 27_900, 177_900)
    assert total.holds and customers.holds


def test_r_b3_hand_computed_day_movement_identity_term_by_term() -> None:
    identity = ids.movement(hand_day())
    terms = {t.name: t.signed_fen for t in identity.right}
    assert identity.term("bank_movement").amount_fen == 32_280
    assert terms["customer_movement"] == 27_900
    assert terms["interest_received"] == 300
    assert terms["net_fee_income"] == 80            # 100 withdrawal fee − 20 bank charge
    assert terms["own_funds_deposited"] == 5_000
    assert terms["in_transit"] == -1_000            # −3,000 open now, −2,000 open before
    assert sum(terms.values()) == 32_280
    assert identity.difference_fen == 0 and identity.holds
    assert identity.term("net_fee_income").sources == ("W1", "F1")


def test_r_b3_hand_computed_day_balance_identity_term_by_term() -> None:
    identity = ids.balance(hand_day())
    terms = {t.name: t.signed_fen for t in identity.right}
    assert identity.left_fen == 191_780
    assert terms == {"customer_balance": 177_900, "cash_reserve_held": 0,
                     "prepaid_advanced": 0, "untransferred_interest": 1_300,
                     "untransferred_fee_income": 580, "own_funds": 15_000,
                     "in_transit": -3_000, "channel_in_transit": 0, "other": 0}
    assert identity.holds


def test_r_b3_risk_reserve_comes_out_of_untransferred_interest() -> None:
    day = hand_day()
    moved = replace(day, adjustments=(*day.adjustments, Adjustment(
        "RR", AdjustmentKind.RISK_RESERVE_TRANSFERRED, 30, "C001")))
    assert moved.stocks.untransferred_interest_fen == 1_270
    assert ids.movement(moved).term("risk_reserve_transferred").signed_fen == -30


@settings(max_examples=150, deadline=None)
@given(consistent_days())
def test_r_b3_r_b2_a_consistent_day_holds_every_identity_and_check(day: object) -> None:
    assert failing(day) == {}
    assert run_checks(day, CALENDAR).findings == ()  # type: ignore[arg-type]


@settings(max_examples=100, deadline=None)
@given(consistent_days(), st.integers(min_value=1, max_value=1_000_000), st.data())
def test_r_b3_a_wrong_bank_closing_breaks_continuity_and_balance_by_it(
        day: object, delta: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(day.bank_accounts) - 1))  # type: ignore[attr-defined]
    accounts = list(day.bank_accounts)  # type: ignore[attr-defined]
    wrong = accounts[index]
    accounts[index] = replace(wrong, closing_fen=wrong.closing_fen + delta)
    broken = replace(day, bank_accounts=tuple(accounts))  # type: ignore[type-var]
    number = wrong.account.account_no
    assert failing(broken) == {f"r_b3_bank_continuity:{number}": -delta,
                               "r_b3_bank_continuity:": -delta, "r_b3_balance:": delta}
    assert checks_failing(broken) == {"continuity", "balance"}


@settings(max_examples=100, deadline=None)
@given(consistent_days(), st.integers(min_value=1, max_value=1_000_000))
def test_r_b3_an_unbooked_bank_credit_breaks_movement_and_item_match(
        day: object, delta: int) -> None:
    first = day.bank_accounts[0]  # type: ignore[attr-defined]
    more = replace(first, credits_fen=first.credits_fen + delta,
                   closing_fen=first.closing_fen + delta)
    broken = replace(day, bank_accounts=(more, *day.bank_accounts[1:]))  # type: ignore
    assert failing(broken) == {"r_b3_movement:": delta, "r_b3_balance:": delta}
    found = {f.check: f.amount_fen for f in run_checks(broken, CALENDAR).findings
             if f.check != "item_match" or "books" in f.message}
    assert found == {"item_match": delta, "movement": delta, "balance": delta}


@settings(max_examples=100, deadline=None)
@given(consistent_days(), st.integers(min_value=1, max_value=1_000_000))
def test_r_b3_a_customer_balance_off_breaks_customer_continuity_and_balance(
        day: object, delta: int) -> None:
    first = day.customer_accounts[0]  # type: ignore[attr-defined]
    off = replace(first, closing_fen=first.closing_fen + delta)
    broken = replace(day, customer_accounts=(off, *day.customer_accounts[1:]))  # type: ignore
    assert failing(broken) == {"r_b3_customer_continuity:": -delta, "r_b3_balance:": -delta}
    assert checks_failing(broken) == {"continuity", "balance", "management"}


# ------------------------------------------------------------------------------- R-B2


def test_r_b2_the_seven_checks_are_registered_once_each_citing_its_rule() -> None:
    assert [c.number for c in CHECKS] == [1, 2, 3, 4, 5, 6, 7]
    assert len({c.name for c in CHECKS}) == 7
    assert all(c.rule == f"R-B2({c.number})" for c in CHECKS)


def test_r_b2_checks_of_day_t_are_due_by_t_plus_two_working_days() -> None:
    assert due_by(date(2026, 3, 10), CALENDAR) == date(2026, 3, 12)   # Tue → Thu
    assert due_by(date(2026, 3, 13), CALENDAR) == date(2026, 3, 17)   # Fri → Tue
    run = run_checks(hand_day(), CALENDAR)
    assert run.due_by == date(2026, 3, 12)
    assert not run.late(date(2026, 3, 12)) and run.late(date(2026, 3, 13))
    assert run.clean


def test_r_b2_1_a_break_from_matching_is_a_finding_with_its_difference() -> None:
    day = replace(hand_day(), breaks=(BreakItem("L9", "fee_mismatch", "C001", Side.BANK, 10_000,
                                                1, "fee differs by 0.01 yuan"),))
    (finding,) = run_checks(day, CALENDAR).findings
    assert (finding.check, finding.rule, finding.amount_fen, finding.sources) == (
        "item_match", "R-B2(1)", 1, ("L9",))


def test_r_b2_1_custody_lines_must_add_up_to_the_turnover() -> None:
    day = hand_day()
    custody = day.bank_accounts[0]
    short = replace(custody, lines=custody.lines[:1])
    found = run_checks(replace(day, bank_accounts=(short, day.bank_accounts[1])),
                       CALENDAR).findings
    assert [(f.check, f.amount_fen) for f in found] == [("item_match", -10_020)]


def test_r_b2_2_an_item_in_transit_past_n_days_is_raised() -> None:
    day = hand_day()
    old = InTransitItem("OLD", Side.BANK, "C001", Direction.CREDIT, 700,
                        DAY - timedelta(days=6))
    again = InTransitItem("OLD", Side.BANK, "C001", Direction.CREDIT, 700,
                          DAY - timedelta(days=6))
    late = replace(day, in_transit_previous=(*day.in_transit_previous, old),
                   in_transit=(*day.in_transit, again))
    late = replace(late, previous_stocks=day.previous_stocks)
    found = [f for f in run_checks(late, CALENDAR).findings if f.check == "in_transit_arrived"]
    assert [(f.amount_fen, f.sources, f.rule) for f in found] == [(700, ("OLD",), "R-B2(2)")]
    five = replace(late, in_transit=(*day.in_transit, replace(again, value_date=DAY
                                                               - timedelta(days=5))))
    assert not [f for f in run_checks(five, CALENDAR).findings
                if f.check == "in_transit_arrived"]


def test_r_b2_3_a_statement_that_does_not_continue_t_minus_1_is_raised() -> None:
    day = hand_day()
    custody = replace(day.bank_accounts[0], opening_fen=120_001)
    found = run_checks(replace(day, bank_accounts=(custody, day.bank_accounts[1])),
                       CALENDAR).findings
    assert [(f.check, f.amount_fen) for f in found] == [("continuity", 1)]


def test_r_b2_3_ledger_items_must_account_for_the_customer_turnover() -> None:
    day = hand_day()
    extra = CustomerItem("X", "bid", "U-1", Direction.CREDIT, 5)
    found = run_checks(replace(day, customer_items=(*day.customer_items, extra)),
                       CALENDAR).findings
    assert [(f.check, f.account_no, f.amount_fen) for f in found] == [("continuity", "U-1", 5)]


def test_r_b2_4_an_unclassified_business_type_is_a_warning() -> None:
    day = hand_day()
    items = tuple(replace(i, business_type="mystery") if i.source_id == "B1" else i
                  for i in day.customer_items)
    found = run_checks(replace(day, customer_items=items), CALENDAR).findings
    assert {(f.check, f.severity) for f in found} == {("movement", Severity.WARNING)}
    assert len(found) == 2


def test_r_b2_6_a_payee_not_in_the_register_is_raised() -> None:
    day = replace(hand_day(), registered_payees=frozenset())
    found = run_checks(day, CALENDAR).findings
    assert [(f.check, f.rule, f.amount_fen, f.sources) for f in found] == [
        ("payees", "R-B2(6)", 10_100, ("W1",))]
    assert PAYEE in found[0].message


def test_r_b2_7_management_accounts_must_shadow_the_customer_accounts() -> None:
    day = hand_day()
    shadows = (ManagementBalance("U-1", 115_001), ManagementBalance("U-2", 42_900),
               ManagementBalance("Z-9", 5))
    found = run_checks(replace(day, management_balances=shadows), CALENDAR).findings
    assert sorted((f.account_no, f.amount_fen) for f in found) == [
        ("S-1", 20_000), ("U-1", 1), ("Z-9", 5)]
    assert {f.rule for f in found} == {"R-B2(7)"}


def test_r_b2_r_b3_a_week_where_items_arrive_and_one_stays_in_transit_past_n_days() -> None:
    """The issue's demo day, in pure form: a payout returned, a fee 0.01 yuan off, the day's
    in-transit receipt arriving the next day, a payout the bank never shows raised once it is
    more than N = 5 days old; the identities hold every day (the in-transit term carries it)."""
    first = hand_day()
    lost = CustomerItem("W9", "withdrawal", "U-1", Direction.DEBIT, 500, 0, "C001", PAYEE)
    never = InTransitItem("W9", Side.BOOK, "C001", Direction.DEBIT, 500, first.day
                          + timedelta(days=1), None, "payout W9")
    second = carry(first, (lost,), (never,))
    second = replace(second, breaks=(BreakItem("L7", "fee_mismatch", "C001", Side.BANK, 10_000,
                                               1, "fee differs by 0.01 yuan"),))
    assert [(f.check, f.amount_fen) for f in run_checks(second, CALENDAR).findings] == [
        ("item_match", 1)]
    assert ids.movement(second).term("in_transit").amount_fen == 3_000 + 500
    days = [second]
    for _ in range(6):
        days.append(carry(days[-1]))
    for day in days:
        assert failing(day) == {}
    overdue = [[f.sources for f in run_checks(d, CALENDAR).findings
                if f.check == "in_transit_arrived"] for d in days]
    assert overdue == [[], [], [], [], [], [], [("W9",)]]


def test_r_b2_1_r_b4_a_cooperating_bank_is_checked_by_its_totals() -> None:
    day = hand_day()
    custody, partner = day.bank_accounts
    more = replace(partner, credits_fen=partner.credits_fen + 1, closing_fen=partner.closing_fen
                   + 1)
    found = [f for f in run_checks(replace(day, bank_accounts=(custody, more)), CALENDAR).findings
             if f.check == "item_match"]
    assert [(f.account_no, f.amount_fen) for f in found] == [("P001", 1)]


# ------------------------------------------------------- R-B3: the channel's money in transit


@settings(max_examples=100, deadline=None)
@given(consistent_days().filter(lambda d: bool(d.channel_accounts)))
def test_r_b3_r_b2_a_day_with_a_quick_pay_channel_holds_with_its_money_in_transit_named(
        day: ReserveDay) -> None:
    """Receipts a channel collected are credited to customers on T and reach a reserve bank
    account only when the channel settles: the identities hold with the channel's money in
    transit as their own term, and no check finds the channel's account foreign."""
    assert failing(day) == {}
    assert checks_failing(day) <= {"in_transit_arrived"}
    channel = day.channel_accounts[0]
    assert ids.balance(day).term("channel_in_transit").signed_fen == -channel.balance_fen
    assert ids.movement(day).term("channel_in_transit").signed_fen == -channel.movement_fen


@settings(max_examples=100, deadline=None)
@given(consistent_days().filter(lambda d: any(c.balance_fen or c.previous_balance_fen
                                                 for c in d.channel_accounts)))
def test_r_b3_leaving_the_channel_out_breaks_both_identities_by_its_money(
        day: ReserveDay) -> None:
    """The term is not decoration: without the channel the balance identity is off by exactly
    the channel's balance, the movement identity by its movement, and its receipts are found
    naming an account that is no reserve bank account (the demo's report before the fix)."""
    channel = day.channel_accounts[0]
    without = replace(day, channel_accounts=())
    off = failing(without)
    assert off.get("r_b3_balance:", 0) == -channel.balance_fen
    assert off.get("r_b3_movement:", 0) == -channel.movement_fen
    foreign = [f for f in run_checks(without, CALENDAR).findings
               if f.check == "item_match" and f.account_no == CHANNEL_NO]
    assert len(foreign) == sum(1 for i in day.customer_items if i.bank_account_no == CHANNEL_NO)


@st.composite
def _simulated_week(draw: st.DrawFn) -> list[ReserveDay]:
    """Days following a consistent day with a channel: each day the channel collects receipts
    and keeps its fees, settles the previous day's money into the custody account, the bank
    pays interest, a payout goes out and one comes back (退汇), items go into transit and
    earlier ones arrive."""
    days = [draw(consistent_days().filter(lambda d: bool(d.channel_accounts)))]
    for n in range(draw(st.integers(1, 5))):
        day = days[-1]
        bank = day.bank_accounts[0].account.account_no
        who = day.customer_accounts[0].account_no
        amount = draw(st.integers(1, 1_000_000))
        fee = draw(st.integers(0, amount // 100))
        payout = draw(st.integers(1, 10_000))
        items = (CustomerItem(f"d{n}q", "recharge", who, Direction.CREDIT, amount, 0, CHANNEL_NO),
                 CustomerItem(f"d{n}w", "withdrawal", who, Direction.DEBIT, payout, 0, bank,
                              PAYEE),
                 CustomerItem(f"d{n}r", "withdrawal_reversal", who, Direction.CREDIT, payout, 0,
                              bank))
        settled = day.channel_accounts[0].balance_fen
        adjustments = [Adjustment(f"d{n}i", AdjustmentKind.INTEREST_RECEIVED,
                                  draw(st.integers(1, 5_000)), bank)]
        if fee:
            adjustments.append(Adjustment(f"d{n}f", AdjustmentKind.OWN_FUNDS_DEPOSITED, -fee,
                                          CHANNEL_NO, "channel_fee"))
        if settled > 0:
            adjustments += [
                Adjustment(f"d{n}s-", AdjustmentKind.INTERNAL_TRANSFER, -settled, CHANNEL_NO),
                Adjustment(f"d{n}s+", AdjustmentKind.INTERNAL_TRANSFER, settled, bank)]
        kept = tuple(i for i in day.in_transit if draw(st.booleans()))
        new = tuple(InTransitItem(f"d{n}t{k}", draw(st.sampled_from(tuple(Side))), bank,
                                  draw(st.sampled_from(tuple(Direction))),
                                  draw(st.integers(1, 100_000)), day.day + timedelta(days=1))
                    for k in range(draw(st.integers(0, 2))))
        days.append(carry(day, items, (*kept, *new), tuple(adjustments)))
    return days


@settings(max_examples=60, deadline=None)
@given(_simulated_week())
def test_r_b3_identities_hold_every_simulated_day_with_interest_fees_transit_and_returns(
        days: list[ReserveDay]) -> None:
    for day in days:
        assert failing(day) == {}, day.day
        assert checks_failing(day) <= {"in_transit_arrived"}, day.day
        assert ids.movement(day).term("internal_transfer").amount_fen == 0
    for before, day in pairwise(days):
        assert day.channel_accounts[0].previous_balance_fen == \
            before.channel_accounts[0].balance_fen
        assert day.channel_in_transit_fen() == sum(   # only T's receipts net of fees remain
            i.amount_fen for i in day.customer_items if i.bank_account_no == CHANNEL_NO) \
            + sum(a.amount_fen for a in day.adjustments if a.account_no == CHANNEL_NO
                  and a.kind is AdjustmentKind.OWN_FUNDS_DEPOSITED)
