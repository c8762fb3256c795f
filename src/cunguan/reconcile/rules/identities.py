"""The identities of R-B3 (seed 001, 关键公式), computed from a ``ReserveDay`` with every term
shown: each identity is a frozen record of its named terms in fen, the two sides and their
difference; it holds when the difference is 0.

1. Continuity, for each reserve bank account, all of them, and the customer fund accounts:
   balance(T−1) + movement(T) = balance(T).
2. Movement: bank movement(T) = customer-fund movement(T) + interest received + net fee income
   − risk reserve transferred − interest transferred − net fee income transferred + own funds
   deposited − (cash reserve received − cash reserve deposited) + (prepaid cards redeemed with
   own funds − redemption funds transferred) + transfers between reserve accounts (nets to 0)
   + in-transit(T) − channel in-transit(T) + other adjustments. In-transit(T) is the change of
   the in-transit items' net effect over T (open at T's end − open at T−1's end): the seed's
   "T日未达账项金额". Channel in-transit(T) is the change over T of the channels' money in
   transit (渠道在途资金: receipts a quick-pay channel collected and the books credited to
   customers, less its fees, not yet settled into a reserve bank account) — named apart from
   the bank accounts' in-transit items because the channel's account is no reserve bank
   account (docs/REPORTS.md, decision R-B3-1).
3. Balance: bank balance = customer fund balance − cash reserve held + prepaid redemptions
   advanced + untransferred interest + untransferred fee income + own funds deposited
   + in-transit − channel in-transit + other adjustments, all at T's end.

(2) is (3) at T less (3) at T−1 given (1): untransferred interest falls by the interest and the
risk reserve transferred out (the risk reserve is set aside from interest income).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from cunguan.core.errors import invariant
from cunguan.reconcile.rules.reserve import (
    AdjustmentKind,
    BankAccountDay,
    InTransitItem,
    ReserveDay,
    in_transit_fen,
)


class IdentityCode(StrEnum):
    BANK_CONTINUITY = "r_b3_bank_continuity"           # per account and all accounts
    CUSTOMER_CONTINUITY = "r_b3_customer_continuity"
    MOVEMENT = "r_b3_movement"
    BALANCE = "r_b3_balance"


@dataclass(frozen=True, slots=True)
class Term:
    """One term of an identity as it enters its side.

    Attributes:
      name: its stable name (``interest_received``).
      label: its name in the reports (T日收到的利息收入).
      sign: +1 or −1, as it enters the side.
      amount_fen: its amount before the sign.
      sources: the keys of the items it sums (statement lines, ledger transactions), or ().
    """

    name: str
    label: str
    sign: int
    amount_fen: int
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        invariant(self.sign in (1, -1), f"term {self.name}: sign is +1 or -1")

    @property
    def signed_fen(self) -> int:
        return self.sign * self.amount_fen


@dataclass(frozen=True, slots=True)
class Identity:
    """One R-B3 identity on day T with every term.

    Attributes:
      code: which identity.
      title: its title in the reports.
      account_no: the bank account a continuity is of ("" for totals).
      left: the left side's terms.
      right: the right side's terms.
    """

    code: IdentityCode
    title: str
    account_no: str
    left: tuple[Term, ...]
    right: tuple[Term, ...]

    def __post_init__(self) -> None:
        names = [t.name for t in (*self.left, *self.right)]
        invariant(len(names) == len(set(names)), f"{self.code}: a term named twice")

    @property
    def left_fen(self) -> int:
        return sum(t.signed_fen for t in self.left)

    @property
    def right_fen(self) -> int:
        return sum(t.signed_fen for t in self.right)

    @property
    def difference_fen(self) -> int:
        """Left − right; 0 when the identity holds."""
        return self.left_fen - self.right_fen

    @property
    def holds(self) -> bool:
        return self.difference_fen == 0

    def term(self, name: str) -> Term:
        for t in (*self.left, *self.right):
            if t.name == name:
                return t
        raise KeyError(name)


def bank_continuity(account: BankAccountDay) -> Identity:
    """(1) for one reserve bank account: closing(T−1) + credits − debits = closing(T)."""
    keys = account.statement_ids
    return Identity(
        IdentityCode.BANK_CONTINUITY, "备付金银行账户余额连续性", account.account.account_no,
        (Term("previous_balance", "T-1日备付金银行账户余额", 1, account.previous_closing_fen),
         Term("credits", "T日贷方发生额", 1, account.credits_fen, keys),
         Term("debits", "T日借方发生额", -1, account.debits_fen, keys)),
        (Term("balance", "T日备付金银行账户余额", 1, account.closing_fen, keys),))


def bank_continuity_total(day: ReserveDay) -> Identity:
    """(1) for all reserve bank accounts together."""
    accounts = day.bank_accounts
    keys = tuple(k for a in accounts for k in a.statement_ids)
    return Identity(
        IdentityCode.BANK_CONTINUITY, "备付金银行账户余额连续性(合计)", "",
        (Term("previous_balance", "T-1日备付金银行账户余额",
              1, sum(a.previous_closing_fen for a in accounts)),
         Term("movement", "T日备付金银行账户变动金额",
              1, sum(a.movement_fen for a in accounts), keys)),
        (Term("balance", "T日备付金银行账户余额", 1, sum(a.closing_fen for a in accounts),
              keys),))


def customer_continuity(day: ReserveDay) -> Identity:
    """(1) for the customer fund accounts together."""
    accounts = day.customer_accounts
    return Identity(
        IdentityCode.CUSTOMER_CONTINUITY, "客户资金账户余额连续性", "",
        (Term("previous_balance", "T-1日客户资金账户余额",
              1, sum(a.previous_closing_fen for a in accounts)),
         Term("movement", "T日客户资金账户变动金额", 1, sum(a.movement_fen for a in accounts),
              tuple(i.source_id for i in day.customer_items))),
        (Term("balance", "T日客户资金账户余额", 1, sum(a.closing_fen for a in accounts)),))


def _adjustment(day: ReserveDay, kind: AdjustmentKind, label: str, sign: int) -> Term:
    items = day.adjustments_of(kind)
    return Term(kind.value, label, sign, sum(a.amount_fen for a in items),
                tuple(a.key for a in items))


def _keys(items: Iterable[InTransitItem]) -> tuple[str, ...]:
    return tuple(i.key for i in items)


def movement(day: ReserveDay) -> Identity:
    """(2): T's bank movement against T's customer-fund movement and the other terms."""
    k = AdjustmentKind
    fee_sources = tuple(i.source_id for i in day.customer_items if i.fee_fen) + tuple(
        a.key for a in day.adjustments_of(k.FEE_EXPENSE))
    in_transit_delta = in_transit_fen(day.in_transit) - in_transit_fen(day.in_transit_previous)
    bank = day.bank_accounts
    customers = day.customer_accounts
    return Identity(
        IdentityCode.MOVEMENT, "备付金银行账户变动金额勾稽", "",
        (Term("bank_movement", "T日备付金银行账户变动总金额", 1,
              sum(a.movement_fen for a in bank), tuple(s for a in bank for s in a.statement_ids)),),
        (Term("customer_movement", "T日客户资金账户变动金额", 1,
              sum(a.movement_fen for a in customers),
              tuple(i.source_id for i in day.customer_items)),
         _adjustment(day, k.INTEREST_RECEIVED, "T日收到的利息收入", 1),
         Term("net_fee_income", "T日手续费净收入", 1, day.net_fee_income_fen, fee_sources),
         _adjustment(day, k.RISK_RESERVE_TRANSFERRED, "T日结转的风险准备金", -1),
         _adjustment(day, k.INTEREST_TRANSFERRED, "T日结转的利息收入", -1),
         _adjustment(day, k.FEE_INCOME_TRANSFERRED, "T日结转的手续费净收入", -1),
         _adjustment(day, k.OWN_FUNDS_DEPOSITED, "T日申请存放的净自有资金", 1),
         _adjustment(day, k.CASH_RESERVE_RECEIVED, "T日接受现金形式的客户备付金", -1),
         _adjustment(day, k.CASH_RESERVE_DEPOSITED, "T日向备付金银行缴存的现金备付金", 1),
         _adjustment(day, k.PREPAID_REDEEMED_OWN_FUNDS, "T日以自有资金先行赎回预付卡的金额", 1),
         _adjustment(day, k.REDEMPTION_FUNDS_TRANSFERRED,
                     "T日向备付金存管银行办理预付卡先行赎回资金结转", -1),
         _adjustment(day, k.INTERNAL_TRANSFER, "T日备付金银行账户间划转(应为0)", 1),
         Term("in_transit", "T日未达账项金额(变动)", 1, in_transit_delta,
              _keys((*day.in_transit_previous, *day.in_transit))),
         Term("channel_in_transit", "T日渠道在途资金(变动)", -1,
              day.channel_in_transit_fen() - day.channel_in_transit_fen(closing=False),
              day.channel_sources),
         _adjustment(day, k.OTHER, "其他调整项目", 1)))


def balance(day: ReserveDay) -> Identity:
    """(3): T's bank balance against T's customer fund balance and the other balances."""
    stocks = day.stocks
    bank = day.bank_accounts
    return Identity(
        IdentityCode.BALANCE, "备付金银行账户余额勾稽", "",
        (Term("bank_balance", "备付金银行账户余额", 1, sum(a.closing_fen for a in bank),
              tuple(s for a in bank for s in a.statement_ids)),),
        (Term("customer_balance", "客户资金账户余额合计数", 1,
              sum(a.closing_fen for a in day.customer_accounts)),
         Term("cash_reserve_held", "期末以现金形式持有的客户备付金余额", -1,
              stocks.cash_reserve_held_fen),
         Term("prepaid_advanced", "期末存在的以自有资金先行偿付的预付卡赎回金额", 1,
              stocks.prepaid_advanced_fen),
         Term("untransferred_interest", "备付金银行账户中所含的未结转利息收入", 1,
              stocks.untransferred_interest_fen),
         Term("untransferred_fee_income", "备付金银行账户中所含的未结转手续费收入", 1,
              stocks.untransferred_fee_income_fen),
         Term("own_funds", "备付金银行账户中所含的申请存放的自有资金", 1, stocks.own_funds_fen),
         Term("in_transit", "未达账项金额", 1, in_transit_fen(day.in_transit),
              _keys(day.in_transit)),
         Term("channel_in_transit", "渠道在途资金", -1, day.channel_in_transit_fen(),
              tuple(c.account_no for c in day.channel_accounts)),
         Term("other", "其他调整项目", 1, stocks.other_fen)))


def identities(day: ReserveDay) -> tuple[Identity, ...]:
    """Every identity of day T: each bank account's continuity, the banks' together, the
    customer funds', the movement identity and the balance identity."""
    return (*(bank_continuity(a) for a in day.bank_accounts), bank_continuity_total(day),
            customer_continuity(day), movement(day), balance(day))
