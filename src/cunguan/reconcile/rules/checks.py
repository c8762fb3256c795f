"""The seven daily checks of R-B2 (seed 001 §1.5, 主要规则), each a plain function of a
``ReserveDay`` returning its findings, registered once in ``CHECKS``. The checks of day T are due
by T + 2 working days (备付金银行应在T+2日内完成T日客户备付金信息的核对校验).

1. item-by-item match of in/out flows with each bank (逐一比对出入金信息): the breaks matching
   found, the lines against the turnover, and each account's movement against the books';
2. in-transit items from T−N arrived (T-N日的未达账项是否在T日前到账);
3. balance continuity of each bank account and of the customer fund accounts (连续性检查);
4. customer-fund movement against all bank accounts' movement (R-B3 identity 2);
5. customer-fund day-end balance against all bank balances (R-B3 identity 3);
6. payees of outgoing payments are in the customer register (收款人信息是否已列示在客户信息库);
7. management accounts against customer fund accounts (管理账户与客户资金账户余额).
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from cunguan.core import limits
from cunguan.core.calendar import WorkingCalendar
from cunguan.core.money import format_yuan
from cunguan.reconcile.rules import identities as ids
from cunguan.reconcile.rules.classes import CLASS_SPECS, Category, Mode
from cunguan.reconcile.rules.reserve import BankAccountDay, ReserveDay, in_transit_fen
from cunguan.reconcile.rules.statements import Direction


class Severity(StrEnum):
    ERROR = "error"       # the funds do not reconcile: someone must act
    WARNING = "warning"   # reconciles, but something is late or unproved


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a check found on day T.

    Attributes:
      check: the check's name (``item_match`` …).
      rule: the rule it cites (``R-B2(1)``).
      severity: error or warning.
      account_no: the account (bank or customer) it is about, or "" for totals.
      amount_fen: the amount at stake (a difference, an item's amount).
      message: what is wrong, in words.
      sources: the keys of the items behind it.
    """

    check: str
    rule: str
    severity: Severity
    account_no: str
    amount_fen: int
    message: str
    sources: tuple[str, ...] = ()


def _finding(check: str, number: int, account_no: str, amount_fen: int, message: str,
             sources: tuple[str, ...] = (), severity: Severity = Severity.ERROR) -> Finding:
    return Finding(check, f"R-B2({number})", severity, account_no, amount_fen, message, sources)


def expected_bank_movement_fen(day: ReserveDay, account_no: str) -> int:
    """What the books say moved on one reserve bank account on T: the customer items and
    adjustments on it, plus the change of its in-transit items (bank − books)."""
    items = sum(i.bank_signed_fen for i in day.customer_items if i.bank_account_no == account_no)
    adjustments = sum(a.bank_signed_fen for a in day.adjustments if a.account_no == account_no)
    transit = (in_transit_fen(day.in_transit, account_no)
               - in_transit_fen(day.in_transit_previous, account_no))
    return items + adjustments + transit


def _lines_against_turnover(account: BankAccountDay) -> list[Finding]:
    number = account.account.account_no
    credits = sum(b.line.amount_fen for b in account.lines
                  if b.line.direction is Direction.CREDIT)
    debits = sum(b.line.amount_fen for b in account.lines if b.line.direction is Direction.DEBIT)
    keys = tuple(b.key for b in account.lines)
    found = []
    if credits != account.credits_fen:
        found.append(_finding("item_match", 1, number, credits - account.credits_fen,
                              f"statement lines credit {format_yuan(credits)}, the statement "
                              f"says {format_yuan(account.credits_fen)}", keys))
    if debits != account.debits_fen:
        found.append(_finding("item_match", 1, number, debits - account.debits_fen,
                              f"statement lines debit {format_yuan(debits)}, the statement "
                              f"says {format_yuan(account.debits_fen)}", keys))
    return found


def check_item_match(day: ReserveDay) -> list[Finding]:
    """(1) Every flow with each bank: the custody bank item by item (the breaks matching found,
    its lines adding up to its turnover), every bank by its account's total against the books'
    (report mode, 报表模式)."""
    found = [_finding("item_match", 1, b.account_no, b.difference_fen or b.amount_fen,
                      f"{b.break_class} ({b.side}): {b.description or b.key}", (b.key,))
             for b in day.breaks]
    known = {a.account.account_no for a in day.bank_accounts} | {
        c.account_no for c in day.channel_accounts}
    for account in day.bank_accounts:
        number = account.account.account_no
        if account.account.mode is Mode.ITEM:
            found += _lines_against_turnover(account)
        difference = account.movement_fen - expected_bank_movement_fen(day, number)
        if difference:
            found.append(_finding(
                "item_match", 1, number, difference,
                f"the bank moved {format_yuan(account.movement_fen)}, the books and in-transit "
                f"items account for {format_yuan(account.movement_fen - difference)}",
                account.statement_ids))
    for item in day.customer_items:
        if item.bank_account_no and item.bank_account_no not in known:
            found.append(_finding("item_match", 1, item.bank_account_no, item.amount_fen,
                                  f"item {item.source_id} names an account that is neither a "
                                  f"reserve bank account nor a channel's", (item.source_id,)))
    return found


def check_in_transit_arrived(day: ReserveDay) -> list[Finding]:
    """(2) In-transit items older than N days (T−N) should have arrived by T."""
    n = day.in_transit_days_max
    return [_finding("in_transit_arrived", 2, i.account_no, i.amount_fen,
                     f"in transit since {i.value_date} ({i.age_days(day.day)} days > {n}): "
                     f"{i.side} {i.direction} {i.description or i.key}", (i.key,))
            for i in day.in_transit if i.age_days(day.day) > n]


def check_continuity(day: ReserveDay) -> list[Finding]:
    """(3) Each bank account's statement continues T−1's and adds up; each customer fund
    account adds up, and its ledger items account for its turnover."""
    found = []
    for account in day.bank_accounts:
        number = account.account.account_no
        gap = account.opening_fen - account.previous_closing_fen
        if gap:
            found.append(_finding("continuity", 3, number, gap,
                                  f"T's statement opens at {format_yuan(account.opening_fen)}, "
                                  f"T−1 closed at {format_yuan(account.previous_closing_fen)}",
                                  account.statement_ids))
        identity = ids.bank_continuity(account)
        if not identity.holds:
            found.append(_finding("continuity", 3, number, identity.difference_fen,
                                  "balance(T−1) + movement(T) ≠ balance(T)",
                                  account.statement_ids))
    items: dict[str, list[int]] = defaultdict(lambda: [0, 0])   # account: [credits, debits]
    for item in day.customer_items:
        items[item.account_no][0 if item.direction is Direction.CREDIT else 1] += item.amount_fen
    for customer in day.customer_accounts:
        difference = customer.previous_closing_fen + customer.movement_fen - customer.closing_fen
        if difference:
            found.append(_finding("continuity", 3, customer.account_no, difference,
                                  "customer account: balance(T−1) + movement(T) ≠ balance(T)"))
        credits, debits = items.pop(customer.account_no, [0, 0])
        if (credits, debits) != (customer.credits_fen, customer.debits_fen):
            found.append(_finding(
                "continuity", 3, customer.account_no,
                credits - debits - customer.movement_fen,
                f"ledger items credit {format_yuan(credits)} / debit {format_yuan(debits)}, "
                f"the account {format_yuan(customer.credits_fen)} / "
                f"{format_yuan(customer.debits_fen)}"))
    for account_no, (credits, debits) in items.items():
        found.append(_finding("continuity", 3, account_no, credits - debits,
                              "ledger items on an account that is not a customer fund account"))
    return found


def check_movement(day: ReserveDay) -> list[Finding]:
    """(4) T's customer-fund movement against all reserve bank accounts' (R-B3 identity 2);
    movements of a business type nobody classified cannot be proved."""
    identity = ids.movement(day)
    found = []
    if not identity.holds:
        found.append(_finding("movement", 4, "", identity.difference_fen,
                              f"bank movement {format_yuan(identity.left_fen)} ≠ "
                              f"{format_yuan(identity.right_fen)} by R-B3"))
    internal = identity.term("internal_transfer")
    if internal.amount_fen:
        found.append(_finding("movement", 4, "", internal.amount_fen,
                              "transfers between reserve bank accounts do not net to 0",
                              internal.sources))
    for item in day.customer_items:
        if item.category is Category.UNKNOWN:
            found.append(_finding("movement", 4, item.account_no, item.amount_fen,
                                  f"business type {item.business_type!r} is not classified "
                                  f"(R-B4)", (item.source_id,), Severity.WARNING))
    return found


def check_balance(day: ReserveDay) -> list[Finding]:
    """(5) T's customer fund balance against all reserve bank balances (R-B3 identity 3)."""
    identity = ids.balance(day)
    if identity.holds:
        return []
    return [_finding("balance", 5, "", identity.difference_fen,
                     f"bank balance {format_yuan(identity.left_fen)} ≠ "
                     f"{format_yuan(identity.right_fen)} by R-B3")]


def check_payees(day: ReserveDay) -> list[Finding]:
    """(6) Every payee of an outgoing payment (payouts and refunds) is in the register."""
    found = []
    for item in day.customer_items:
        spec = CLASS_SPECS.get(item.business_class) if item.business_class else None
        if spec is None or spec.is_inflow:
            continue
        if item.counterparty_account not in day.registered_payees:
            payee = item.counterparty_account or "(none)"
            found.append(_finding("payees", 6, item.account_no, item.amount_fen,
                                  f"payee {payee} of {item.source_id} is not in the customer "
                                  f"register", (item.source_id,)))
    return found


def check_management(day: ReserveDay) -> list[Finding]:
    """(7) The bank's management accounts against the customer fund accounts, one to one."""
    shadows = {m.account_no: m.balance_fen for m in day.management_balances}
    found = []
    for customer in day.customer_accounts:
        shadow = shadows.pop(customer.account_no, None)
        if shadow is None:
            found.append(_finding("management", 7, customer.account_no, customer.closing_fen,
                                  "no management account for this customer fund account"))
        elif shadow != customer.closing_fen:
            found.append(_finding("management", 7, customer.account_no,
                                  shadow - customer.closing_fen,
                                  f"management account {format_yuan(shadow)}, customer fund "
                                  f"account {format_yuan(customer.closing_fen)}"))
    for account_no, shadow in shadows.items():
        found.append(_finding("management", 7, account_no, shadow,
                              "management account without a customer fund account"))
    return found


@dataclass(frozen=True, slots=True)
class Check:
    """A registered check: its number in R-B2, name, title and function."""

    number: int
    name: str
    title: str
    run: Callable[[ReserveDay], list[Finding]]

    @property
    def rule(self) -> str:
        return f"R-B2({self.number})"


CHECKS: tuple[Check, ...] = (
    Check(1, "item_match", "逐一比对客户备付金出入金信息", check_item_match),
    Check(2, "in_transit_arrived", "核对T-N日的未达账项是否到账", check_in_transit_arrived),
    Check(3, "continuity", "备付金存款账户及客户资金账户余额连续性检查", check_continuity),
    Check(4, "movement", "客户资金账户变动额与全部备付金银行账户变动额比对", check_movement),
    Check(5, "balance", "客户资金账户日终余额与全部备付金银行账户余额比对", check_balance),
    Check(6, "payees", "出金收款人信息是否列示在客户信息库", check_payees),
    Check(7, "management", "管理账户与客户资金账户余额比对", check_management),
)


def due_by(day: date, calendar: WorkingCalendar) -> date:
    """The last day the checks of ``day`` may be completed: T + 2 working days."""
    due = day
    for _ in range(limits.reserve_checks_due_working_days):
        due = calendar.next_working_day(due)
    return due


@dataclass(frozen=True, slots=True)
class CheckRun:
    """The checks and identities of one day T, with the day they were due by."""

    day: date
    due_by: date
    findings: tuple[Finding, ...]
    identities: tuple[ids.Identity, ...]

    @property
    def clean(self) -> bool:
        return not self.findings

    def late(self, completed_on: date) -> bool:
        """Completed after T + 2 working days (R-B2)."""
        return completed_on > self.due_by


def run_checks(day: ReserveDay, calendar: WorkingCalendar) -> CheckRun:
    """Every check of ``CHECKS`` on day T, in order, with the identities they rest on."""
    findings = tuple(f for check in CHECKS for f in check.run(day))
    return CheckRun(day.day, due_by(day.day, calendar), findings, ids.identities(day))
