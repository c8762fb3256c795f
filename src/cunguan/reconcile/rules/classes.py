"""The five business classes of customer reserve funds (R-B4) and the subjects they map to.

Seed 001 (备付金报备, §1.6) sorts the production business data feeding the reserve-fund report
set into five classes — 收款调增客户账户, 退款调减客户账户, 打款调减客户账户, 打款退回调增客户账户,
退款退回调增客户账户 — each mapped to accounting subjects (科目), with the custody bank's
flows (存管行: item level, 明细模式) kept apart from the cooperating banks' (合作行: report
mode, 报表模式).

The subject plan is bank-like and follows the ledger's chart (custody/rules/accounts.py: 1002
the custody summary, 1221 channel money in transit, 2011 the users' accounts); docs/REPORTS.md
tables it. Asset subjects (1xxx) are debit-normal, liability subjects (2xxx) credit-normal:

=========  =====================================  ========================================
subject    name                                   what it holds
=========  =====================================  ========================================
100201     存放备付金存管银行款项-存管户          the custody account (备付金存管账户)
100202     存放备付金存管银行款项-收付户          receipt-payment accounts at the custody bank
100203     存放备付金存管银行款项-汇缴户          collection accounts at the custody bank
100211     存放备付金合作银行款项-收付户          receipt-payment accounts at cooperating banks
100212     存放备付金合作银行款项-汇缴户          collection accounts at cooperating banks
100221     存放备付金银行款项-非活期              fixed-term and notice deposits (非活期存款)
1221       渠道在途资金                           channel money not yet settled to a bank
201101     客户资金账户-支付账户                  payment accounts (充转提)
201102     客户资金账户-结算账户                  settlement accounts (代收, out only by 结算)
201103     客户资金账户-预付卡                    prepaid card balances
201104     客户资金账户-待清算                    pending-settlement funds (挂账 included)
2241       业务中间账户-手续费收入                fee income not yet transferred (未结转)
2251       应付利息收入-未结转                    interest received not yet transferred
=========  =====================================  ========================================

A class's entry moves a reserve bank account and a customer fund account in the same
direction of balance (both up, or both down): Dr bank / Cr customer for the three classes that
increase customer accounts, Dr customer / Cr bank for the two that decrease them.
"""

from dataclasses import dataclass
from enum import StrEnum

from cunguan.reconcile.rules.statements import Direction


class BusinessClass(StrEnum):
    """The five classes of R-B4: what a movement does to the customer fund accounts."""

    RECEIPT = "receipt"                 # 收款调增客户账户 (入金)
    REFUND = "refund"                   # 退款调减客户账户 (出金)
    PAYOUT = "payout"                   # 打款调减客户账户 (出金)
    PAYOUT_RETURN = "payout_return"     # 打款退回调增客户账户 (入金)
    REFUND_RETURN = "refund_return"     # 退款退回调增客户账户 (入金)


class Category(StrEnum):
    """What a ledger business type is for the reserve-fund checks: one of the five classes'
    flows in or out of the reserve accounts, or a movement of another kind that the identities
    of R-B3 name (fees, interest, own funds …), or a transfer between customer accounts that
    moves no reserve money (report 4), or not a money movement at all (holds)."""

    CLASS_FLOW = "class_flow"           # one of the five BusinessClass flows
    TRANSFER = "transfer"               # between customer fund accounts (转账): report 4
    FEE = "fee"                         # fee income to the institution (手续费收入)
    INTEREST = "interest"               # interest paid to the institution (利息收入)
    OWN_FUNDS = "own_funds"             # the institution's own money put in or taken out
    CHANNEL = "channel"                 # channel settlement between bank-held accounts
    CASH = "cash"                       # prepaid cards bought with cash or redeemed from own
                                        # funds: customer funds moved outside the banks
    OTHER = "other"                     # advances and migrations: R-B3's other adjustments
    NO_MONEY = "no_money"               # holds and releases: no balance moves
    UNKNOWN = "unknown"                 # a business type this table does not know


class BankKind(StrEnum):
    """Which kind of reserve bank holds an account (R-B1)."""

    CUSTODY = "custody"           # 备付金存管银行: item-level reconciliation (明细模式)
    COOPERATING = "cooperating"   # 备付金合作银行: report mode (报表模式)


class BankRole(StrEnum):
    """What a reserve bank account is for (R-B1; 备付金专用存款账户 and 非活期)."""

    CUSTODY = "custody"                   # 备付金存管账户 (only at the custody bank)
    RECEIPT_PAYMENT = "receipt_payment"   # 备付金收付账户
    COLLECTION = "collection"             # 备付金汇缴账户
    NON_DEMAND = "non_demand"             # 定期、通知存款等非活期存款账户


class CustomerKind(StrEnum):
    """The customer fund accounts of R-B1 (支付机构的客户资金账户)."""

    PAYMENT = "payment"         # 支付账户
    SETTLEMENT = "settlement"   # 结算账户 / 待结算
    PREPAID = "prepaid"         # 预付卡余额
    PENDING = "pending"         # 待清算资金 (unallocated receipts included)


class Mode(StrEnum):
    """How a bank's flows are reconciled (R-B4)."""

    ITEM = "item"       # 明细模式: every line matched
    REPORT = "report"   # 报表模式: totals per account


@dataclass(frozen=True, slots=True)
class ClassSpec:
    """A business class with its subjects.

    Attributes:
      business_class: the class.
      name_zh: its name in seed 001.
      customer_sign: +1 when it increases customer fund accounts, −1 when it decreases them.
      bank_direction: how it moves the reserve bank account (credit: money in, 入金).
      detail_subject: the class's detail code under the customer subject (``201101.03``: payment
        accounts, payouts), by which the report set sums.
    """

    business_class: BusinessClass
    name_zh: str
    customer_sign: int
    bank_direction: Direction
    detail_subject: str

    @property
    def is_inflow(self) -> bool:
        """入金 (increases the reserve bank accounts) rather than 出金."""
        return self.bank_direction is Direction.CREDIT


CLASS_SPECS: dict[BusinessClass, ClassSpec] = {
    BusinessClass.RECEIPT: ClassSpec(
        BusinessClass.RECEIPT, "收款调增客户账户", +1, Direction.CREDIT, "01"),
    BusinessClass.REFUND: ClassSpec(
        BusinessClass.REFUND, "退款调减客户账户", -1, Direction.DEBIT, "02"),
    BusinessClass.PAYOUT: ClassSpec(
        BusinessClass.PAYOUT, "打款调减客户账户", -1, Direction.DEBIT, "03"),
    BusinessClass.PAYOUT_RETURN: ClassSpec(
        BusinessClass.PAYOUT_RETURN, "打款退回调增客户账户", +1, Direction.CREDIT, "04"),
    BusinessClass.REFUND_RETURN: ClassSpec(
        BusinessClass.REFUND_RETURN, "退款退回调增客户账户", +1, Direction.CREDIT, "05"),
}

#: The bank-side subject of a reserve bank account, by bank kind and role.
BANK_SUBJECTS: dict[tuple[BankKind, BankRole], str] = {
    (BankKind.CUSTODY, BankRole.CUSTODY): "100201",
    (BankKind.CUSTODY, BankRole.RECEIPT_PAYMENT): "100202",
    (BankKind.CUSTODY, BankRole.COLLECTION): "100203",
    (BankKind.CUSTODY, BankRole.NON_DEMAND): "100221",
    (BankKind.COOPERATING, BankRole.RECEIPT_PAYMENT): "100211",
    (BankKind.COOPERATING, BankRole.COLLECTION): "100212",
    (BankKind.COOPERATING, BankRole.NON_DEMAND): "100221",
}

#: The customer-side subject by kind of customer fund account.
CUSTOMER_SUBJECTS: dict[CustomerKind, str] = {
    CustomerKind.PAYMENT: "201101",
    CustomerKind.SETTLEMENT: "201102",
    CustomerKind.PREPAID: "201103",
    CustomerKind.PENDING: "201104",
}

FEE_INCOME_SUBJECT = "2241"
INTEREST_UNTRANSFERRED_SUBJECT = "2251"
CHANNEL_TRANSIT_SUBJECT = "1221"


@dataclass(frozen=True, slots=True)
class Entry:
    """A class's entry for one movement: the subject debited and the one credited."""

    debit_subject: str
    credit_subject: str


def bank_subject(kind: BankKind, role: BankRole) -> str | None:
    """The subject of a reserve bank account, None for a combination R-B1 does not allow (a
    custody account, 存管账户, exists only at the custody bank)."""
    return BANK_SUBJECTS.get((kind, role))


def entry(business_class: BusinessClass, bank: str, customer: CustomerKind) -> Entry:
    """The entry of one movement of ``business_class`` on the bank subject ``bank``: the three
    classes that increase customer accounts debit the bank and credit the customer, the two
    that decrease them the other way round. The customer subject carries the class's detail
    code (``201101.03`` = payment accounts, payouts) so that the report set sums by class."""
    spec = CLASS_SPECS[business_class]
    customer_subject = f"{CUSTOMER_SUBJECTS[customer]}.{spec.detail_subject}"
    if spec.customer_sign > 0:
        return Entry(bank, customer_subject)
    return Entry(customer_subject, bank)


def mode(kind: BankKind) -> Mode:
    """The custody bank reconciles item by item; cooperating banks by report (R-B4)."""
    return Mode.ITEM if kind is BankKind.CUSTODY else Mode.REPORT


#: The ledger's business types (grep src/cunguan/custody for them) and what each is for the
#: reserve funds. A withdrawal is a payout (打款); a returned withdrawal its return (打款退回).
#: Quick-pay and offline recharges are receipts (收款). Refunds are for the payment businesses
#: to come (退款, 退款退回). Red packets, bids, lending, repayments … move money between
#: customer fund accounts only: transfers (report 4).
_CLASSES: dict[str, BusinessClass] = {
    "recharge": BusinessClass.RECEIPT,
    "offline_recharge": BusinessClass.RECEIPT,
    "receipt": BusinessClass.RECEIPT,
    "withdrawal": BusinessClass.PAYOUT,
    "payout": BusinessClass.PAYOUT,
    "withdrawal_reversal": BusinessClass.PAYOUT_RETURN,
    "payout_return": BusinessClass.PAYOUT_RETURN,
    "refund": BusinessClass.REFUND,
    "refund_return": BusinessClass.REFUND_RETURN,
}

_CATEGORIES: dict[str, Category] = {
    **{name: Category.TRANSFER for name in (
        "transfer", "settle", "red_packet", "investment_red_packet", "interest_coupon", "bid",
        "lend", "repayment", "early_repayment", "advance_repayment", "compensation",
        "debt_transfer", "plan", "plan_interest", "redeemed", "holding")},
    **{name: Category.FEE for name in ("channel_fee", "service_fee", "custody_fee", "fee")},
    **{name: Category.INTEREST for name in ("interest", "deposit_interest")},
    **{name: Category.OWN_FUNDS for name in ("platform_funding", "own_funds")},
    "channel_settlement": Category.CHANNEL,
    **{name: Category.CASH for name in ("card_cash_purchase", "card_redemption_own_funds")},
    **{name: Category.OTHER for name in (
        "advance_funding", "migration", "migration_funding", "migration_funding_return",
        "migration_allocation", "reversal", "adjustment")},
    **{name: Category.NO_MONEY for name in ("freeze", "release")},
}


def classify(business_type: str) -> BusinessClass | None:
    """The R-B4 class of a ledger business type, None when it is not one of the five flows."""
    return _CLASSES.get(business_type)


def category(business_type: str) -> Category:
    """What a ledger business type is for the reserve funds; UNKNOWN for a type this table does
    not name (check 4 of R-B2 reports such movements: they cannot be proved)."""
    if business_type in _CLASSES:
        return Category.CLASS_FLOW
    return _CATEGORIES.get(business_type, Category.UNKNOWN)
