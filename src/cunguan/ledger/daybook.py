"""Day-end checks (R-L7, R-L8): plain functions over the day's facts, registered in a list.

Each check returns findings; any finding stops the day's close. Nothing is ever "fixed" here.
Business contexts register their own checks (e.g. custody's summary-account identity, R-C1).

When a day may close (R-L7, ``close_decision``): only once its business date has passed in
the bank's time zone (CST), and only once. Days close in order, one a call: a close with no
date closes the earliest day not closed yet, once it has ended; when it has not, and the day
before it is closed and over, the call is a retry of that close — a no-op that says so
(``day_already_closed``) — otherwise it is refused (``day_not_ended``). A close of a given
date: a closed one is ``day_already_closed``, one not over ``day_not_ended``, one that is not
the next to close ``day_not_next``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from cunguan.core import limits
from cunguan.core.clock import CST
from cunguan.ledger.model import Side


class CloseOutcome(StrEnum):
    """What one close call did (or why it did nothing)."""

    CLOSED = "day_closed"
    FINDINGS = "day_close_findings"       # a check failed: the day stays cut over
    ALREADY_CLOSED = "day_already_closed"  # a retry: nothing to do
    NOT_ENDED = "day_not_ended"           # refused: the business date has not passed in CST
    NOT_NEXT = "day_not_next"             # refused: an earlier day is still open


def day_ended(day: date, now: datetime) -> bool:
    """A business day has ended once the bank's calendar (CST) has moved past it."""
    return now.astimezone(CST).date() > day


def close_decision(next_day: date, last_closed: date | None, asked: date | None,
                   asked_closed: bool, now: datetime) -> tuple[CloseOutcome, date]:
    """Whether a close may go ahead (``CLOSED``: close that day) or what it answers instead.

    ``next_day``: the earliest day not closed (one cut over whose close failed, else the
    open day); ``last_closed``: the latest day closed; ``asked``: the day named by the
    caller, if any, and whether it is closed.
    """
    if asked is not None:
        if asked_closed:
            return CloseOutcome.ALREADY_CLOSED, asked
        if not day_ended(asked, now):
            return CloseOutcome.NOT_ENDED, asked
        if asked != next_day:
            return CloseOutcome.NOT_NEXT, asked
        return CloseOutcome.CLOSED, asked
    if day_ended(next_day, now):
        return CloseOutcome.CLOSED, next_day
    if (last_closed is not None and last_closed == next_day - timedelta(days=1)
            and day_ended(last_closed, now)):
        return CloseOutcome.ALREADY_CLOSED, last_closed
    return CloseOutcome.NOT_ENDED, next_day


def decision_message(outcome: CloseOutcome, day: date, next_day: date) -> str:
    """What a close that did not run says."""
    if outcome is CloseOutcome.ALREADY_CLOSED:
        later = (f"; {next_day} closes once it has ended (after 24:00 CST)"
                 if next_day > day else "")
        return f"day {day} is already closed{later}"
    if outcome is CloseOutcome.NOT_ENDED:
        return f"day {day} has not ended: it may close after 24:00 CST"
    return f"day {day} is not the next day to close: {next_day} is"


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing wrong, citing the rule it breaks."""

    rule: str
    check: str
    subject: str
    message: str


@dataclass(frozen=True, slots=True)
class AccountDay:
    """One account's figures for the day being closed.

    Attributes:
      account_no, subject_code, normal_side: from the account.
      opening_fen: the previous close's balance (0 for a new account).
      debit_fen, credit_fen: postings dated this day.
      closing_fen: opening ± the day's postings, in the account's normal-side terms.
      last_line_balance_fen: balance after the last fund-log line dated this day or before
        (None when the account has never moved).
      later_movement_fen: net postings dated after this day (business goes on during the close).
      current_balance_fen: the balance in the accounts table now.
      current_frozen_fen: the frozen amount in the accounts table now.
      open_holds_fen: the sum of the account's open holds now.
      last_entry_seq, last_line_frozen_fen: the account's last fund-log line dated this day
        or before, and its frozen amount after it (0, 0 when it has never moved); the
        snapshot keeps them for the next close.
    """

    account_no: str
    subject_code: str
    normal_side: Side
    opening_fen: int
    debit_fen: int
    credit_fen: int
    last_line_balance_fen: int | None
    later_movement_fen: int
    current_balance_fen: int
    current_frozen_fen: int
    open_holds_fen: int
    last_entry_seq: int = 0
    last_line_frozen_fen: int = 0

    @property
    def closing_fen(self) -> int:
        delta = self.debit_fen - self.credit_fen
        return self.opening_fen + (delta if self.normal_side is Side.DEBIT else -delta)


@dataclass(slots=True)
class DayFacts:
    """What the store gathers for closing ``accounting_date`` of one tenant."""

    tenant_id: str
    accounting_date: date
    accounts: list[AccountDay]
    #: (tx_id, debits − credits) of every money transaction dated this day that does not balance.
    unbalanced_transactions: list[tuple[int, int]] = field(default_factory=list)
    #: Extra per-context facts, keyed by the context that registered a check.
    extra: dict[str, object] = field(default_factory=dict)


Check = Callable[[DayFacts], list[Finding]]


def _capped(findings: list[Finding], check: str) -> list[Finding]:
    if len(findings) <= limits.findings_per_check_max:
        return findings
    kept = findings[: limits.findings_per_check_max]
    more = len(findings) - len(kept)
    return [*kept, Finding(kept[0].rule, check, "…", f"{more} more findings not listed")]


def check_transactions_balanced(facts: DayFacts) -> list[Finding]:
    """R-L1: every money transaction's postings sum to zero."""
    return _capped([Finding("R-L1", "transactions_balanced", f"tx {tx_id}",
                            f"debits − credits = {diff} fen")
                    for tx_id, diff in facts.unbalanced_transactions], "transactions_balanced")


def check_trial_balance(facts: DayFacts) -> list[Finding]:
    """R-L8 试算平衡: the day's debits equal its credits; debit balances equal credit balances."""
    findings = []
    debit_fen = sum(a.debit_fen for a in facts.accounts)
    credit_fen = sum(a.credit_fen for a in facts.accounts)
    if debit_fen != credit_fen:
        findings.append(Finding("R-L8", "trial_balance", "movements",
                                f"debits {debit_fen} ≠ credits {credit_fen} fen"))
    by_side = {Side.DEBIT: 0, Side.CREDIT: 0}
    for account in facts.accounts:
        by_side[account.normal_side] += account.closing_fen
    if by_side[Side.DEBIT] != by_side[Side.CREDIT]:
        findings.append(Finding(
            "R-L8", "trial_balance", "balances",
            f"debit-side balances {by_side[Side.DEBIT]} ≠ credit-side {by_side[Side.CREDIT]}"))
    return findings


def check_continuity(facts: DayFacts) -> list[Finding]:
    """R-L8: yesterday's balance + today's movements = today's balance, for every account."""
    findings = []
    for account in facts.accounts:
        recorded = account.last_line_balance_fen or 0
        if account.closing_fen != recorded:
            findings.append(Finding(
                "R-L8", "continuity", account.account_no,
                f"opening {account.opening_fen} + movements = {account.closing_fen}, "
                f"but the fund log says {recorded}"))
        if account.closing_fen + account.later_movement_fen != account.current_balance_fen:
            findings.append(Finding(
                "R-L8", "continuity", account.account_no,
                f"close {account.closing_fen} + later {account.later_movement_fen} ≠ current "
                f"balance {account.current_balance_fen}"))
    return _capped(findings, "continuity")


def check_frozen_matches_holds(facts: DayFacts) -> list[Finding]:
    """R-L4: an account's frozen amount is exactly the sum of its open holds."""
    return _capped([
        Finding("R-L4", "frozen_matches_holds", a.account_no,
                f"frozen {a.current_frozen_fen} ≠ open holds {a.open_holds_fen}")
        for a in facts.accounts if a.current_frozen_fen != a.open_holds_fen
    ], "frozen_matches_holds")


#: The registered day-end checks, run in order. Contexts append to it at import.
CHECKS: list[Check] = [
    check_transactions_balanced,
    check_trial_balance,
    check_continuity,
    check_frozen_matches_holds,
]


def register_check(check: Check) -> Check:
    if check not in CHECKS:
        CHECKS.append(check)
    return check


def run_checks(facts: DayFacts) -> list[Finding]:
    findings: list[Finding] = []
    for check in CHECKS:
        findings.extend(check(facts))
    return findings


def format_report(facts: DayFacts, findings: list[Finding]) -> str:
    lines = [f"Day close of {facts.tenant_id} for {facts.accounting_date}: "
             f"{len(facts.accounts)} accounts, {len(CHECKS)} checks, "
             f"{'PASSED' if not findings else f'{len(findings)} FINDINGS'}"]
    lines.extend(f"  [{f.rule}] {f.check} {f.subject}: {f.message}" for f in findings)
    return "\n".join(lines)
