"""The pure inputs of the reserve-fund checks, identities and reports (R-B1..R-B5): one frozen
``ReserveDay`` per day T, filled by the reconciliation store from the database (the ledger's
customer fund accounts and lines, the imported statements, the match result, the register).

The three account sets of R-B1:

- customer fund accounts (客户资金账户): the institution's accounts for its customers in the
  ledger, ``CustomerAccountDay`` with the ledger lines behind them, ``CustomerItem``;
- reserve bank accounts (备付金银行账户): ``ReserveBankAccount`` at the custody bank (存管户,
  收付户, 汇缴户) or a cooperating bank (收付户, 汇缴户), with T's statement, ``BankAccountDay``;
- the bank's management accounts (管理账户): shadow accounts one to one with the customer
  fund accounts, ``ManagementBalance``.

Amounts are int fen. A customer item's ``customer_signed_fen`` is its effect on customer fund
accounts (+ credit); its ``bank_signed_fen`` (= customer effect + fee) its effect on the reserve
bank account it names: the fee a customer pays stays in the reserve accounts as the
institution's fee income until transferred out (R-B3). An in-transit item's ``effect_fen`` is
its contribution to bank balance − books: a line the bank has and the books not yet counts with
its own sign, an item the books have and the bank not yet with the opposite sign.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from cunguan.core import limits
from cunguan.core.errors import invariant
from cunguan.reconcile.rules.classes import (
    BankKind,
    BankRole,
    BusinessClass,
    Category,
    CustomerKind,
    Mode,
    bank_subject,
    category,
    classify,
    mode,
)
from cunguan.reconcile.rules.register import AccountKind, BankAccount
from cunguan.reconcile.rules.statements import Direction, StatementLine

#: How the register's kinds of account (``register.AccountKind``) stand in R-B1: its custody,
#: receipt-payment and collection accounts are the custody bank's (item level); a cooperating
#: bank's account is a receipt-payment account in report mode. A quick-pay channel's
#: settlement account is no reserve bank account (its money is in transit, subject 1221).
REGISTER_KINDS: dict[AccountKind, tuple[BankKind, BankRole]] = {
    AccountKind.CUSTODY: (BankKind.CUSTODY, BankRole.CUSTODY),
    AccountKind.RECEIPT_PAYMENT: (BankKind.CUSTODY, BankRole.RECEIPT_PAYMENT),
    AccountKind.COLLECTION: (BankKind.CUSTODY, BankRole.COLLECTION),
    AccountKind.COOPERATING: (BankKind.COOPERATING, BankRole.RECEIPT_PAYMENT),
}


@dataclass(frozen=True, slots=True)
class ReserveBankAccount:
    """A reserve bank account (R-B1: 备付金银行账户).

    Attributes:
      account_no: the bank's account no.
      bank_name: the bank holding it (报表中的"某银行").
      kind: custody bank (存管行) or cooperating bank (合作行).
      role: custody (存管户), receipt-payment (收付户), collection (汇缴户) or non-demand.
      name: the account's name, or "".
    """

    account_no: str
    bank_name: str
    kind: BankKind
    role: BankRole
    name: str = ""

    def __post_init__(self) -> None:
        invariant(bool(self.account_no), "a reserve bank account has an account no.")
        invariant(bank_subject(self.kind, self.role) is not None,
                  f"{self.account_no}: a {self.role} account cannot be at a {self.kind} bank")

    @classmethod
    def from_register(cls, account: BankAccount) -> "ReserveBankAccount | None":
        """The reserve bank account a registered bank account is, None for a channel's."""
        kind_role = REGISTER_KINDS.get(account.kind)
        if kind_role is None:
            return None
        return cls(account.account_no, account.bank_name, *kind_role)

    @property
    def subject(self) -> str:
        subject = bank_subject(self.kind, self.role)
        return subject if subject is not None else ""

    @property
    def mode(self) -> Mode:
        return mode(self.kind)


@dataclass(frozen=True, slots=True)
class ChannelAccountDay:
    """A payment channel's settlement account (快捷支付等渠道) on day T, by the books: the
    customer funds the institution has credited to its customers for receipts the channel
    collected, less the fees the channel keeps, not yet settled into a reserve bank account.
    It is no reserve bank account (R-B1: the channel's account is the channel's, not the
    institution's at a reserve bank); its balance is in transit towards one, a named term of
    R-B3 (渠道在途资金), and customer items naming it are receipts collected through it.

    Attributes:
      account_no: the channel's account no. as registered.
      name: the channel's name, as shown in reports.
      previous_balance_fen: the books' balance at the channel at the end of T−1.
      balance_fen: the books' balance at the channel at the end of T.
    """

    account_no: str
    name: str
    previous_balance_fen: int
    balance_fen: int

    def __post_init__(self) -> None:
        invariant(bool(self.account_no), "a channel account has an account no.")

    @property
    def movement_fen(self) -> int:
        return self.balance_fen - self.previous_balance_fen


@dataclass(frozen=True, slots=True)
class BankLine:
    """One statement line of a reserve bank account on day T, with the store's stable key (a
    report row names it: every figure is traceable to its statement line)."""

    key: str
    line: StatementLine
    business_class: BusinessClass | None = None


@dataclass(frozen=True, slots=True)
class BankAccountDay:
    """One reserve bank account on day T as its bank reports it.

    Attributes:
      account: the account.
      previous_closing_fen: the closing balance of its last statement before T (T−1).
      opening_fen: the opening balance T's statement states.
      closing_fen: the closing balance T's statement states.
      credits_fen: T's booked credits (贷方发生额) as the bank reports them.
      debits_fen: T's booked debits (借方发生额).
      lines: T's statement lines (item level; the custody bank's always, a cooperating bank's
        when it sends them).
      statement_ids: the statements T's figures come from.
    """

    account: ReserveBankAccount
    previous_closing_fen: int
    opening_fen: int
    closing_fen: int
    credits_fen: int
    debits_fen: int
    lines: tuple[BankLine, ...] = ()
    statement_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        invariant(self.credits_fen >= 0 and self.debits_fen >= 0,
                  f"{self.account.account_no}: turnover is never negative")

    @property
    def movement_fen(self) -> int:
        """T's movement: credits − debits (R-B3 "bank movement(T)")."""
        return self.credits_fen - self.debits_fen


@dataclass(frozen=True, slots=True)
class CustomerAccountDay:
    """One customer fund account (客户资金账户) on day T in the ledger.

    Attributes:
      account_no: the ledger account no.
      kind: payment, settlement, prepaid or pending.
      previous_closing_fen: its balance at the end of T−1 (the day close's snapshot).
      closing_fen: its balance at the end of T.
      credits_fen: T's credits (贷方发生额, money into the account).
      debits_fen: T's debits.
      owner: who it belongs to (a customer id), or "".
    """

    account_no: str
    kind: CustomerKind
    previous_closing_fen: int
    closing_fen: int
    credits_fen: int
    debits_fen: int
    owner: str = ""

    def __post_init__(self) -> None:
        invariant(self.credits_fen >= 0 and self.debits_fen >= 0,
                  f"{self.account_no}: turnover is never negative")

    @property
    def movement_fen(self) -> int:
        return self.credits_fen - self.debits_fen


@dataclass(frozen=True, slots=True)
class CustomerItem:
    """One ledger movement of a customer fund account on day T.

    Attributes:
      source_id: the ledger's id of it (transaction id and line), for tracing.
      business_type: the ledger's business type (recharge, withdrawal …).
      account_no: the customer fund account moved.
      direction: credit (the customer's balance up) or debit.
      amount_fen: what the customer account moved, > 0, the fee included.
      fee_fen: the part of it that is the institution's fee income (0 ≤ fee ≤ amount).
      bank_account_no: the reserve bank account the money moves on ("" for a transfer between
        customer accounts and for fees).
      counterparty_account: the payer's or payee's account outside (a payout's payee card).
      counterparty_name: the payer's or payee's name, or "".
    """

    source_id: str
    business_type: str
    account_no: str
    direction: Direction
    amount_fen: int
    fee_fen: int = 0
    bank_account_no: str = ""
    counterparty_account: str = ""
    counterparty_name: str = ""

    def __post_init__(self) -> None:
        invariant(self.amount_fen > 0, f"item {self.source_id}: amount_fen must be > 0")
        invariant(0 <= self.fee_fen <= self.amount_fen,
                  f"item {self.source_id}: 0 <= fee_fen <= amount_fen")

    @property
    def business_class(self) -> BusinessClass | None:
        return classify(self.business_type)

    @property
    def category(self) -> Category:
        return category(self.business_type)

    @property
    def customer_signed_fen(self) -> int:
        """Its effect on the customer fund accounts."""
        return self.amount_fen if self.direction is Direction.CREDIT else -self.amount_fen

    @property
    def bank_signed_fen(self) -> int:
        """Its effect on the reserve bank account it names: the customer's effect plus the fee
        the institution keeps (a payout of 101 with a fee of 1 pays 100 out of the bank)."""
        return self.customer_signed_fen + self.fee_fen


class Side(StrEnum):
    """Which side has an in-transit item (未达账项) and the other not yet."""

    BANK = "bank"   # on the statement, not in the books yet (银行已记、机构未记)
    BOOK = "book"   # in the books, not on the statement yet (机构已记、银行未记)


@dataclass(frozen=True, slots=True)
class InTransitItem:
    """An in-transit item (未达账项) of a reserve bank account, open at a day's end.

    Attributes:
      key: the statement line's key (bank side) or the book item's id (book side).
      side: which side has it.
      account_no: the reserve bank account.
      direction: its direction on the bank account (credit: money in).
      amount_fen: > 0.
      value_date: the day its side booked it; its age counts from there.
      business_class: its R-B4 class when known.
      description: what it is, for the reports.
    """

    key: str
    side: Side
    account_no: str
    direction: Direction
    amount_fen: int
    value_date: date
    business_class: BusinessClass | None = None
    description: str = ""

    def __post_init__(self) -> None:
        invariant(self.amount_fen > 0, f"in-transit {self.key}: amount_fen must be > 0")

    @property
    def signed_fen(self) -> int:
        return self.amount_fen if self.direction is Direction.CREDIT else -self.amount_fen

    @property
    def effect_fen(self) -> int:
        """Its share of bank balance − books (R-B3's "in-transit" term)."""
        return self.signed_fen if self.side is Side.BANK else -self.signed_fen

    def age_days(self, day: date) -> int:
        """Calendar days from its value date to ``day`` (0 on the day itself)."""
        return (day - self.value_date).days


class AdjustmentKind(StrEnum):
    """The terms of R-B3 besides the customer funds' movement and the in-transit items."""

    INTEREST_RECEIVED = "interest_received"            # T日收到的利息收入
    FEE_EXPENSE = "fee_expense"                        # 银行收取的手续费 (net fee income −)
    RISK_RESERVE_TRANSFERRED = "risk_reserve_transferred"   # T日结转的风险准备金
    INTEREST_TRANSFERRED = "interest_transferred"      # T日结转的利息收入
    FEE_INCOME_TRANSFERRED = "fee_income_transferred"  # T日结转的手续费净收入
    OWN_FUNDS_DEPOSITED = "own_funds_deposited"        # T日申请存放的净自有资金 (signed)
    CASH_RESERVE_RECEIVED = "cash_reserve_received"    # T日接受现金形式的客户备付金
    CASH_RESERVE_DEPOSITED = "cash_reserve_deposited"  # T日向备付金银行缴存的现金备付金
    PREPAID_REDEEMED_OWN_FUNDS = "prepaid_redeemed_own_funds"   # 以自有资金先行赎回预付卡
    REDEMPTION_FUNDS_TRANSFERRED = "redemption_funds_transferred"   # 先行赎回资金结转
    INTERNAL_TRANSFER = "internal_transfer"            # 备付金银行账户间划转 (signed; nets 0)
    OTHER = "other"                                    # 其他调整项目 (signed)


#: Each kind's sign in R-B3's movement identity (bank movement = customer movement + Σ sign ×
#: amount + …). Cash received and own-funds redemptions move customer funds outside the bank.
ADJUSTMENT_SIGN: dict[AdjustmentKind, int] = {
    AdjustmentKind.INTEREST_RECEIVED: +1,
    AdjustmentKind.FEE_EXPENSE: -1,
    AdjustmentKind.RISK_RESERVE_TRANSFERRED: -1,
    AdjustmentKind.INTEREST_TRANSFERRED: -1,
    AdjustmentKind.FEE_INCOME_TRANSFERRED: -1,
    AdjustmentKind.OWN_FUNDS_DEPOSITED: +1,
    AdjustmentKind.CASH_RESERVE_RECEIVED: -1,
    AdjustmentKind.CASH_RESERVE_DEPOSITED: +1,
    AdjustmentKind.PREPAID_REDEEMED_OWN_FUNDS: +1,
    AdjustmentKind.REDEMPTION_FUNDS_TRANSFERRED: -1,
    AdjustmentKind.INTERNAL_TRANSFER: +1,
    AdjustmentKind.OTHER: +1,
}

#: Kinds that move no reserve bank account (money held in cash, or paid from own funds).
OFF_BANK_KINDS = frozenset({AdjustmentKind.CASH_RESERVE_RECEIVED,
                            AdjustmentKind.PREPAID_REDEEMED_OWN_FUNDS})
#: Kinds whose amount may be negative (own funds taken back, transfers out, corrections).
SIGNED_KINDS = frozenset({AdjustmentKind.OWN_FUNDS_DEPOSITED, AdjustmentKind.INTERNAL_TRANSFER,
                          AdjustmentKind.OTHER})


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One movement of an R-B3 term on day T (interest the bank paid, own funds put in …).

    Attributes:
      key: its source (a statement line's key or a ledger transaction id).
      kind: which term.
      amount_fen: > 0, or any non-zero for the signed kinds.
      account_no: the reserve bank account it moved ("" for the off-bank kinds).
      description: what it is, for report 6.
    """

    key: str
    kind: AdjustmentKind
    amount_fen: int
    account_no: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        if self.kind in SIGNED_KINDS:
            invariant(self.amount_fen != 0, f"adjustment {self.key}: amount_fen must be != 0")
        else:
            invariant(self.amount_fen > 0, f"adjustment {self.key}: amount_fen must be > 0")
        invariant((self.account_no == "") == (self.kind in OFF_BANK_KINDS),
                  f"adjustment {self.key}: {self.kind} names a bank account iff it moves one")

    @property
    def bank_signed_fen(self) -> int:
        """Its effect on the reserve bank account it names (0 for the off-bank kinds)."""
        return 0 if self.kind in OFF_BANK_KINDS else ADJUSTMENT_SIGN[self.kind] * self.amount_fen


@dataclass(frozen=True, slots=True)
class BreakItem:
    """A break the matching found on an item-level account for day T (R-B2 check 1)."""

    key: str
    break_class: str
    account_no: str
    side: Side
    amount_fen: int
    difference_fen: int = 0
    description: str = ""


@dataclass(frozen=True, slots=True)
class ManagementBalance:
    """The bank's management account (管理账户) of one customer fund account at T's end."""

    account_no: str
    balance_fen: int


class PrepaidKind(StrEnum):
    """Prepaid card business moving reserve funds (reports 7, 8 and 13)."""

    CASH_PURCHASE = "cash_purchase"         # 现金购卡
    CASH_REDEMPTION = "cash_redemption"     # 预付卡现金赎回
    DEPOSIT_RECEIVED = "deposit_received"   # 售卡押金收取
    DEPOSIT_REFUNDED = "deposit_refunded"   # 售卡押金退还


@dataclass(frozen=True, slots=True)
class PrepaidItem:
    """One prepaid card movement on day T.

    Attributes:
      key: its source id.
      kind: purchase with cash, redemption in cash, card deposit received or refunded.
      amount_fen: > 0.
      cards: how many cards, ≥ 1.
      account_no: the reserve bank account it is held on ("" while held in cash).
    """

    key: str
    kind: PrepaidKind
    amount_fen: int
    cards: int = 1
    account_no: str = ""

    def __post_init__(self) -> None:
        invariant(self.amount_fen > 0 and self.cards >= 1,
                  f"prepaid item {self.key}: amount_fen > 0 and cards >= 1")


@dataclass(frozen=True, slots=True)
class ReserveStocks:
    """The balances of R-B3's balance identity besides the accounts', at one day's end.

    Attributes:
      cash_reserve_held_fen: customer reserve funds held in cash (以现金形式持有).
      prepaid_advanced_fen: prepaid redemptions advanced from own funds, not yet transferred.
      untransferred_interest_fen: interest in the reserve accounts not yet transferred out.
      untransferred_fee_income_fen: net fee income in the reserve accounts not yet transferred.
      own_funds_fen: own funds deposited in the reserve accounts (申请存放的自有资金).
      other_fen: other adjustments carried (其他调整项目).
      card_deposits_fen: card deposits held in the reserve accounts (report 13).
    """

    cash_reserve_held_fen: int = 0
    prepaid_advanced_fen: int = 0
    untransferred_interest_fen: int = 0
    untransferred_fee_income_fen: int = 0
    own_funds_fen: int = 0
    other_fen: int = 0
    card_deposits_fen: int = 0


@dataclass(frozen=True, slots=True)
class ReserveDay:
    """Everything the seven checks, the three identities and the 13 reports need of day T.

    Attributes:
      day: T.
      institution: the payment institution (or platform) whose reserve funds these are.
      bank_accounts: every reserve bank account with T's statement figures.
      customer_accounts: every customer fund account with its T−1 and T balances.
      customer_items: T's ledger movements of the customer fund accounts.
      adjustments: T's movements of the other R-B3 terms.
      in_transit_previous: the in-transit items open at the end of T−1.
      in_transit: the in-transit items open at the end of T.
      breaks: the breaks matching found on T for the item-level accounts.
      registered_payees: the customer register's payee accounts (at least every payee of T's
        outgoing payments that is registered).
      management_balances: the bank's management accounts at T's end.
      previous_stocks: R-B3's other balances at the end of T−1 (T's follow from T's items).
      prepaid_items: T's prepaid card movements.
      in_transit_days_max: N of R-B2 check 2: an item older than this is overdue.
      channel_accounts: the payment channels' settlement accounts by the books (their
        balances are the channels' money in transit, R-B3).
    """

    day: date
    institution: str
    bank_accounts: tuple[BankAccountDay, ...] = ()
    customer_accounts: tuple[CustomerAccountDay, ...] = ()
    customer_items: tuple[CustomerItem, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()
    in_transit_previous: tuple[InTransitItem, ...] = ()
    in_transit: tuple[InTransitItem, ...] = ()
    breaks: tuple[BreakItem, ...] = ()
    registered_payees: frozenset[str] = field(default_factory=frozenset)
    management_balances: tuple[ManagementBalance, ...] = ()
    previous_stocks: ReserveStocks = field(default_factory=ReserveStocks)
    prepaid_items: tuple[PrepaidItem, ...] = ()
    in_transit_days_max: int = limits.reserve_in_transit_days_max
    channel_accounts: tuple[ChannelAccountDay, ...] = ()

    def __post_init__(self) -> None:
        numbers = [b.account.account_no for b in self.bank_accounts]
        channels = [c.account_no for c in self.channel_accounts]
        invariant(len(channels) == len(set(channels)) and not set(channels) & set(numbers),
                  f"{self.day}: a channel account twice, or also a reserve bank account")
        invariant(len(numbers) == len(set(numbers)), f"{self.day}: a bank account twice")
        customers = [c.account_no for c in self.customer_accounts]
        invariant(len(customers) == len(set(customers)), f"{self.day}: a customer account twice")
        invariant(self.in_transit_days_max >= 0, "in_transit_days_max >= 0")

    def adjustments_of(self, kind: AdjustmentKind) -> tuple[Adjustment, ...]:
        return tuple(a for a in self.adjustments if a.kind is kind)

    def adjustment_fen(self, kind: AdjustmentKind) -> int:
        return sum(a.amount_fen for a in self.adjustments if a.kind is kind)

    def items_of(self, business_class: BusinessClass) -> tuple[CustomerItem, ...]:
        return tuple(i for i in self.customer_items if i.business_class is business_class)

    def prepaid_fen(self, kind: PrepaidKind) -> int:
        return sum(p.amount_fen for p in self.prepaid_items if p.kind is kind)

    def channel_in_transit_fen(self, *, closing: bool = True) -> int:
        """The channels' money in transit (渠道在途资金) at the end of T (or of T−1)."""
        return sum(c.balance_fen if closing else c.previous_balance_fen
                   for c in self.channel_accounts)

    @property
    def channel_sources(self) -> tuple[str, ...]:
        """The keys of T's items and adjustments that moved the channels' money in transit."""
        numbers = {c.account_no for c in self.channel_accounts}
        return tuple(i.source_id for i in self.customer_items if i.bank_account_no in numbers) \
            + tuple(a.key for a in self.adjustments if a.account_no in numbers)

    @property
    def fee_income_fen(self) -> int:
        """Fees the institution took from customers on T (手续费收入)."""
        return sum(i.fee_fen for i in self.customer_items)

    @property
    def net_fee_income_fen(self) -> int:
        """Fee income less the banks' charges (手续费净收入)."""
        return self.fee_income_fen - self.adjustment_fen(AdjustmentKind.FEE_EXPENSE)

    @property
    def stocks(self) -> ReserveStocks:
        """R-B3's other balances at the end of T: T−1's moved by T's items."""
        before = self.previous_stocks
        a = self.adjustment_fen
        deposits = (self.prepaid_fen(PrepaidKind.DEPOSIT_RECEIVED)
                    - self.prepaid_fen(PrepaidKind.DEPOSIT_REFUNDED))
        return ReserveStocks(
            cash_reserve_held_fen=before.cash_reserve_held_fen
            + a(AdjustmentKind.CASH_RESERVE_RECEIVED) - a(AdjustmentKind.CASH_RESERVE_DEPOSITED),
            prepaid_advanced_fen=before.prepaid_advanced_fen
            + a(AdjustmentKind.PREPAID_REDEEMED_OWN_FUNDS)
            - a(AdjustmentKind.REDEMPTION_FUNDS_TRANSFERRED),
            untransferred_interest_fen=before.untransferred_interest_fen
            + a(AdjustmentKind.INTEREST_RECEIVED) - a(AdjustmentKind.INTEREST_TRANSFERRED)
            - a(AdjustmentKind.RISK_RESERVE_TRANSFERRED),
            untransferred_fee_income_fen=before.untransferred_fee_income_fen
            + self.net_fee_income_fen - a(AdjustmentKind.FEE_INCOME_TRANSFERRED),
            own_funds_fen=before.own_funds_fen + a(AdjustmentKind.OWN_FUNDS_DEPOSITED),
            other_fen=before.other_fen + a(AdjustmentKind.OTHER),
            card_deposits_fen=before.card_deposits_fen + deposits,
        )


def in_transit_fen(items: Iterable[InTransitItem], account_no: str | None = None) -> int:
    """The in-transit items' net effect on bank balance − books (of one account, or all)."""
    return sum(i.effect_fen for i in items if account_no is None or i.account_no == account_no)
