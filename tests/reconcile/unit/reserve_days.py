"""Reserve days for the tests: one computed by hand, and a hypothesis strategy of consistent days
(every R-B3 identity holds and every R-B2 check finds nothing), built from flows the way a
payment institution's day happens: the banks' figures are derived from the books' items, the
in-transit items and the adjustments."""

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import strategies as st

from cunguan.reconcile.rules.checks import expected_bank_movement_fen
from cunguan.reconcile.rules.classes import BankKind, BankRole, CustomerKind
from cunguan.reconcile.rules.reserve import (
    Adjustment,
    AdjustmentKind,
    BankAccountDay,
    BankLine,
    ChannelAccountDay,
    CustomerAccountDay,
    CustomerItem,
    InTransitItem,
    ManagementBalance,
    PrepaidItem,
    PrepaidKind,
    ReserveBankAccount,
    ReserveDay,
    ReserveStocks,
    Side,
    in_transit_fen,
)
from cunguan.reconcile.rules.statements import Direction, StatementLine

CUSTODY = ReserveBankAccount("C001", "工商银行", BankKind.CUSTODY, BankRole.CUSTODY, "存管户")
COOPERATING = ReserveBankAccount("P001", "招商银行", BankKind.COOPERATING,
                                 BankRole.RECEIPT_PAYMENT, "收付户")
COLLECTION = ReserveBankAccount("P002", "建设银行", BankKind.COOPERATING, BankRole.COLLECTION,
                                "汇缴户")
PAYEE = "6222020000000001"
DAY = date(2026, 3, 10)


def bank_lines(account_no: str, credits_fen: int, debits_fen: int,
               day: date) -> tuple[BankLine, ...]:
    """One credit and one debit line carrying the day's turnover."""
    lines = []
    for n, (direction, amount) in enumerate(((Direction.CREDIT, credits_fen),
                                             (Direction.DEBIT, debits_fen)), start=1):
        if amount:
            lines.append(BankLine(f"{account_no}:{day}:{n}", StatementLine(
                n, day, day, direction, amount, f"{account_no}-{day}-{n}")))
    return tuple(lines)


def settle_banks(day: ReserveDay, previous_fen: dict[str, int],
                 turnover: dict[str, tuple[int, int]] | None = None) -> ReserveDay:
    """The day with each bank account's figures derived from the books: the movement the books
    and in-transit items say, from T−1's closing; the customer accounts from their items; the
    register and the management accounts agreeing."""
    banks = []
    for account in day.bank_accounts:
        number = account.account.account_no
        previous = previous_fen[number]
        moved = expected_bank_movement_fen(day, number)
        credits = max(moved, 0) + 1_000
        credits, debits = (turnover or {}).get(number, (credits, credits - moved))
        banks.append(BankAccountDay(
            account.account, previous, previous, previous + moved, credits, debits,
            bank_lines(number, credits, debits, day.day), (f"st-{number}-{day.day}",)))
    customers = []
    for customer in day.customer_accounts:
        credits = sum(i.amount_fen for i in day.customer_items
                      if i.account_no == customer.account_no and i.direction is Direction.CREDIT)
        debits = sum(i.amount_fen for i in day.customer_items
                     if i.account_no == customer.account_no and i.direction is Direction.DEBIT)
        customers.append(replace(customer, credits_fen=credits, debits_fen=debits,
                                 closing_fen=customer.previous_closing_fen + credits - debits))
    payees = frozenset(i.counterparty_account for i in day.customer_items
                       if i.counterparty_account)
    shadows = tuple(ManagementBalance(c.account_no, c.closing_fen) for c in customers)
    return replace(day, bank_accounts=tuple(banks), customer_accounts=tuple(customers),
                   registered_payees=payees, management_balances=shadows)


def hand_day() -> ReserveDay:
    """The day of docs/REPORTS.md's worked example, every figure computed by hand there:
    bank balances 159,500 → 191,780 fen, customer funds 150,000 → 177,900 fen."""
    previous_transit = (InTransitItem("R0", Side.BOOK, "P001", Direction.CREDIT, 2_000,
                                      DAY - timedelta(days=1), None, "recharge R0"),)
    items = (
        CustomerItem("R1", "recharge", "U-1", Direction.CREDIT, 30_000, 0, "C001"),
        CustomerItem("W1", "withdrawal", "U-2", Direction.DEBIT, 10_100, 100, "C001", PAYEE),
        CustomerItem("WR1", "withdrawal_reversal", "U-1", Direction.CREDIT, 5_000, 0, "C001"),
        CustomerItem("B1", "bid", "U-1", Direction.DEBIT, 20_000),
        CustomerItem("B1", "bid", "S-1", Direction.CREDIT, 20_000),
        CustomerItem("R2", "recharge", "U-2", Direction.CREDIT, 3_000, 0, "P001"),
    )
    day = ReserveDay(
        DAY, "示例支付",
        bank_accounts=(BankAccountDay(CUSTODY, 0, 0, 0, 0, 0),
                       BankAccountDay(COOPERATING, 0, 0, 0, 0, 0)),
        customer_accounts=(
            CustomerAccountDay("U-1", CustomerKind.PAYMENT, 100_000, 0, 0, 0, "u1"),
            CustomerAccountDay("U-2", CustomerKind.PAYMENT, 50_000, 0, 0, 0, "u2"),
            CustomerAccountDay("S-1", CustomerKind.SETTLEMENT, 0, 0, 0, 0, "m1")),
        customer_items=items,
        adjustments=(Adjustment("I1", AdjustmentKind.INTEREST_RECEIVED, 300, "C001", "利息"),
                     Adjustment("F1", AdjustmentKind.FEE_EXPENSE, 20, "C001", "汇款手续费"),
                     Adjustment("O1", AdjustmentKind.OWN_FUNDS_DEPOSITED, 5_000, "P001",
                                "自有资金存入")),
        in_transit_previous=previous_transit,
        in_transit=(InTransitItem("R2", Side.BOOK, "P001", Direction.CREDIT, 3_000, DAY,
                                  None, "recharge R2"),),
        previous_stocks=ReserveStocks(untransferred_interest_fen=1_000,
                                      untransferred_fee_income_fen=500, own_funds_fen=10_000))
    return settle_banks(day, {"C001": 120_000, "P001": 39_500},
                        {"C001": (35_300, 10_020), "P001": (7_000, 0)})


# ---------------------------------------------------------------- the hypothesis strategy

amounts = st.integers(min_value=1, max_value=10_000_000)
ACCOUNTS = (CUSTODY, COOPERATING, COLLECTION)
_INFLOWS = ("recharge", "offline_recharge", "withdrawal_reversal", "refund_return")
_OUTFLOWS = ("withdrawal", "refund")
_ON_BANK_KINDS = tuple(k for k in AdjustmentKind if k not in (
    AdjustmentKind.CASH_RESERVE_RECEIVED, AdjustmentKind.PREPAID_REDEEMED_OWN_FUNDS,
    AdjustmentKind.INTERNAL_TRANSFER))


@st.composite
def _items(draw: st.DrawFn, customers: list[str], banks: list[str]) -> list[CustomerItem]:
    items: list[CustomerItem] = []
    for n in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(("in", "out", "transfer", "fee")))
        who = draw(st.sampled_from(customers))
        amount = draw(amounts)
        bank = draw(st.sampled_from(banks))
        if kind == "in":
            items.append(CustomerItem(f"i{n}", draw(st.sampled_from(_INFLOWS)), who,
                                      Direction.CREDIT, amount, 0, bank))
        elif kind == "out":
            fee = draw(st.integers(0, amount))
            items.append(CustomerItem(f"o{n}", draw(st.sampled_from(_OUTFLOWS)), who,
                                      Direction.DEBIT, amount, fee, bank, f"6222{n:012d}"))
        elif kind == "transfer":
            fee = draw(st.integers(0, amount - 1))
            to = draw(st.sampled_from(customers))
            items.append(CustomerItem(f"t{n}", "bid", who, Direction.DEBIT, amount, fee))
            items.append(CustomerItem(f"t{n}", "bid", to, Direction.CREDIT, amount - fee))
        else:
            items.append(CustomerItem(f"f{n}", "service_fee", who, Direction.DEBIT, amount,
                                      amount))
    return items


@st.composite
def _adjustments(draw: st.DrawFn, banks: list[str], cards: str,
                 items: list[CustomerItem]) -> list[Adjustment]:
    """On-bank adjustments; cash-held and own-funds redemptions come with the customer item
    they go with (customer funds moved outside the banks)."""
    found: list[Adjustment] = []
    for n in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(_ON_BANK_KINDS))
        amount = draw(amounts)
        if kind in (AdjustmentKind.OWN_FUNDS_DEPOSITED, AdjustmentKind.OTHER):
            amount *= draw(st.sampled_from((1, -1)))
        found.append(Adjustment(f"a{n}", kind, amount, draw(st.sampled_from(banks))))
    if len(banks) > 1 and draw(st.booleans()):
        amount = draw(amounts)
        found += [Adjustment("x-out", AdjustmentKind.INTERNAL_TRANSFER, -amount, banks[0]),
                  Adjustment("x-in", AdjustmentKind.INTERNAL_TRANSFER, amount, banks[1])]
    if draw(st.booleans()):
        amount = draw(amounts)
        found.append(Adjustment("cash", AdjustmentKind.CASH_RESERVE_RECEIVED, amount))
        items.append(CustomerItem("cash", "card_cash_purchase", cards, Direction.CREDIT, amount))
    if draw(st.booleans()):
        amount = draw(amounts)
        found.append(Adjustment("adv", AdjustmentKind.PREPAID_REDEEMED_OWN_FUNDS, amount))
        items.append(CustomerItem("adv", "card_redemption_own_funds", cards, Direction.DEBIT,
                                  amount))
    return found


@st.composite
def _in_transit(draw: st.DrawFn, day: date, banks: list[str], prefix: str,
                oldest_days: int) -> list[InTransitItem]:
    return [InTransitItem(f"{prefix}{n}", draw(st.sampled_from(tuple(Side))),
                          draw(st.sampled_from(banks)),
                          draw(st.sampled_from(tuple(Direction))), draw(amounts),
                          day - timedelta(days=draw(st.integers(0, oldest_days))))
            for n in range(draw(st.integers(0, 4)))]


CHANNEL_NO = "Q001"


@st.composite
def _channel(draw: st.DrawFn, customers: list[str], banks: list[str], items: list[CustomerItem],
             adjustments: list[Adjustment]) -> tuple[ChannelAccountDay, ...]:
    """A quick-pay channel's day, or none: receipts it collected (customer items naming it),
    the fees it keeps (borne by the institution's own funds, as the ledger books them) and its
    settlement of earlier days' money into a reserve bank account (a transfer between the
    mirrored accounts, netting 0); its balance by the books, T−1's drawn, T's following."""
    if not draw(st.booleans()):
        return ()
    previous = draw(st.integers(0, 50_000_000))
    moved = 0
    for n in range(draw(st.integers(0, 5))):
        amount = draw(amounts)
        items.append(CustomerItem(f"q{n}", "recharge", draw(st.sampled_from(customers)),
                                  Direction.CREDIT, amount, 0, CHANNEL_NO))
        fee = draw(st.integers(0, amount // 100))
        if fee:
            adjustments.append(Adjustment(f"qf{n}", AdjustmentKind.OWN_FUNDS_DEPOSITED, -fee,
                                          CHANNEL_NO, "channel_fee"))
        moved += amount - fee
    settled = draw(st.integers(0, previous))
    if settled:
        adjustments += [Adjustment("qs-out", AdjustmentKind.INTERNAL_TRANSFER, -settled,
                                   CHANNEL_NO, "channel_settlement"),
                        Adjustment("qs-in", AdjustmentKind.INTERNAL_TRANSFER, settled,
                                   draw(st.sampled_from(banks)), "channel_settlement")]
    return (ChannelAccountDay(CHANNEL_NO, "快捷支付", previous, previous + moved - settled),)


@st.composite
def consistent_days(draw: st.DrawFn) -> ReserveDay:
    """A day where everything reconciles: the banks moved as the books and the in-transit items
    say, and T−1 balanced by R-B3 (the first bank account takes what the others leave)."""
    day = DAY + timedelta(days=draw(st.integers(0, 400)))
    accounts = list(ACCOUNTS[:draw(st.integers(1, 3))])
    banks = [a.account_no for a in accounts]
    customers = [CustomerAccountDay(f"U-{n}", draw(st.sampled_from(tuple(CustomerKind))),
                                    draw(st.integers(0, 100_000_000)), 0, 0, 0)
                 for n in range(draw(st.integers(1, 4)))]
    customers.append(CustomerAccountDay("CARDS", CustomerKind.PREPAID, 100_000_000, 0, 0, 0))
    numbers = [c.account_no for c in customers]
    items = draw(_items(numbers, banks))
    adjustments = draw(_adjustments(banks, "CARDS", items))
    channels = draw(_channel(numbers, banks, items, adjustments))
    previous = draw(_in_transit(day - timedelta(days=1), banks, "p", 4))
    arrived = draw(st.lists(st.booleans(), min_size=len(previous), max_size=len(previous)))
    still = [i for i, gone in zip(previous, arrived, strict=True) if not gone]
    transit = still + draw(_in_transit(day, banks, "n", 5))
    stocks = ReserveStocks(*(draw(st.integers(0, 10_000_000)) for _ in range(7)))
    prepaid = draw(st.lists(st.builds(PrepaidItem, st.text("abc", min_size=1, max_size=3),
                                      st.sampled_from(tuple(PrepaidKind)), amounts,
                                      st.integers(1, 9)), max_size=4))
    stocks = replace(stocks, card_deposits_fen=stocks.card_deposits_fen + sum(
        p.amount_fen for p in prepaid if p.kind is PrepaidKind.DEPOSIT_REFUNDED))
    raw = ReserveDay(day, "示例支付", tuple(BankAccountDay(a, 0, 0, 0, 0, 0) for a in accounts),
                     tuple(customers), tuple(items), tuple(adjustments), tuple(previous),
                     tuple(transit), previous_stocks=stocks, prepaid_items=tuple(prepaid),
                     channel_accounts=channels)
    before = (sum(c.previous_closing_fen for c in customers) - stocks.cash_reserve_held_fen
              + stocks.prepaid_advanced_fen + stocks.untransferred_interest_fen
              + stocks.untransferred_fee_income_fen + stocks.own_funds_fen + stocks.other_fen
              + in_transit_fen(previous) - sum(c.previous_balance_fen for c in channels))
    others = {n: draw(st.integers(0, 50_000_000)) for n in banks[1:]}
    return settle_banks(raw, {banks[0]: before - sum(others.values()), **others})


def carry(day: ReserveDay, items: tuple[CustomerItem, ...] = (),
          in_transit: tuple[InTransitItem, ...] | None = None,
          adjustments: tuple[Adjustment, ...] = ()) -> ReserveDay:
    """The next calendar day after ``day``: its balances, stocks and open in-transit items
    carried forward, T's own items given, the channels' balances moved by the items and
    adjustments naming them, the banks settled from the books."""
    customers = tuple(replace(c, previous_closing_fen=c.closing_fen, credits_fen=0,
                              debits_fen=0, closing_fen=0) for c in day.customer_accounts)
    channels = tuple(replace(c, previous_balance_fen=c.balance_fen, balance_fen=c.balance_fen
                             + sum(i.bank_signed_fen for i in items
                                   if i.bank_account_no == c.account_no)
                             + sum(a.bank_signed_fen for a in adjustments
                                   if a.account_no == c.account_no))
                     for c in day.channel_accounts)
    following = replace(
        day, day=day.day + timedelta(days=1), customer_accounts=customers, customer_items=items,
        adjustments=adjustments, in_transit_previous=day.in_transit,
        in_transit=day.in_transit if in_transit is None else in_transit, breaks=(),
        previous_stocks=day.stocks, prepaid_items=(), channel_accounts=channels)
    return settle_banks(following, {b.account.account_no: b.closing_fen
                                    for b in day.bank_accounts})
