"""The records reconciliation works on: a bank's statement and its lines, and the book items
(the ledger's side) they are matched against. Every format parses into ``Statement``; the store
reads the books into ``BookItem``; matching takes both.

Amounts are int fen, never negative; the direction says which way the money went, seen from the
account holder (a credit is money into the account, as on the bank's statement).
"""

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from cunguan.core.errors import invariant


class Direction(StrEnum):
    """Which way a line moved the account, seen from its holder."""

    CREDIT = "credit"   # 贷: money in
    DEBIT = "debit"     # 借: money out


class LineStatus(StrEnum):
    """What the bank says became of a line (R-B4, R-C15)."""

    BOOKED = "booked"       # settled on the account
    PENDING = "pending"     # announced, not yet booked (camt.054 notices, channel files)
    RETURNED = "returned"   # a payout the beneficiary's bank sent back (退汇)
    REVERSED = "reversed"   # the bank reversed its own earlier line (冲正)


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One movement on a bank account as the bank reports it.

    Attributes:
      line_no: where it stands in the file (1-based; for refusals and tracing a figure back).
      value_date: the date the money counts from (起息日).
      booking_date: the date the bank booked it (记账日).
      direction: credit (in) or debit (out).
      amount_fen: the amount moved, > 0.
      bank_ref: the bank's own reference of the line (银行流水号), unique within a statement.
      end_to_end_ref: the reference the payer gave (our request serial no. when we paid or
        were paid by a rail that carries it), or "".
      counterparty_account: the other side's account no., or "".
      counterparty_name: the other side's name, or "".
      description: the bank's narrative (摘要/附言), or "".
      status: booked, pending, returned or reversed.
      fee_fen: the bank's fee charged on this line (0 when none or separate).
      balance_after_fen: the balance the bank shows after the line, when the format gives it.
      original_ref: for a returned or reversed line, the reference of the line it undoes.
    """

    line_no: int
    value_date: date
    booking_date: date
    direction: Direction
    amount_fen: int
    bank_ref: str
    end_to_end_ref: str = ""
    counterparty_account: str = ""
    counterparty_name: str = ""
    description: str = ""
    status: LineStatus = LineStatus.BOOKED
    fee_fen: int = 0
    balance_after_fen: int | None = None
    original_ref: str = ""

    def __post_init__(self) -> None:
        invariant(self.amount_fen > 0, f"line {self.line_no}: amount_fen must be > 0")
        invariant(self.fee_fen >= 0, f"line {self.line_no}: fee_fen must be >= 0")

    @property
    def signed_fen(self) -> int:
        """The amount with the sign of its effect on the balance (credit +, debit −)."""
        return self.amount_fen if self.direction is Direction.CREDIT else -self.amount_fen


class _Building:
    """A ``StatementLine`` being built: the same slots, in the same order, but settable, so
    that a finished one can become the record by ``__class__`` assignment (which Python
    allows between classes of the same layout). Setting a plain slot is one quick store;
    each of the frozen record's slots costs a descriptor call (4x the time over 14 fields)."""

    __slots__ = StatementLine.__slots__

    def __init__(self, line_no: int, value_date: date, booking_date: date,
                 direction: Direction, amount_fen: int, bank_ref: str, end_to_end_ref: str,
                 counterparty_account: str, counterparty_name: str, description: str,
                 status: LineStatus, fee_fen: int, balance_after_fen: int | None,
                 original_ref: str) -> None:
        self.line_no = line_no
        self.value_date = value_date
        self.booking_date = booking_date
        self.direction = direction
        self.amount_fen = amount_fen
        self.bank_ref = bank_ref
        self.end_to_end_ref = end_to_end_ref
        self.counterparty_account = counterparty_account
        self.counterparty_name = counterparty_name
        self.description = description
        self.status = status
        self.fee_fen = fee_fen
        self.balance_after_fen = balance_after_fen
        self.original_ref = original_ref


def statement_line(line_no: int, value_date: date, booking_date: date, direction: Direction,
                   amount_fen: int, bank_ref: str, end_to_end_ref: str,
                   counterparty_account: str, counterparty_name: str, description: str,
                   status: LineStatus, fee_fen: int, balance_after_fen: int | None,
                   original_ref: str) -> StatementLine:
    """``StatementLine(...)`` (every field, in order) for a reader of a million lines: the
    same record and checks, built as a ``_Building`` that then becomes the record, rather than
    through the frozen dataclass's ``__init__`` (which costs as much again as reading an
    entry)."""
    if amount_fen <= 0 or fee_fen < 0:   # the invariants' own refusal
        return StatementLine(line_no, value_date, booking_date, direction, amount_fen,
                             bank_ref, end_to_end_ref, counterparty_account,
                             counterparty_name, description, status, fee_fen,
                             balance_after_fen, original_ref)
    line = _Building(line_no, value_date, booking_date, direction, amount_fen, bank_ref,
                     end_to_end_ref, counterparty_account, counterparty_name, description,
                     status, fee_fen, balance_after_fen, original_ref)
    line.__class__ = StatementLine  # type: ignore[assignment]
    return line  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement of one bank account for one period (usually a day).

    Attributes:
      source_format: the format it was read from (``csv:icbc``, ``mt940``, ``camt.053`` …).
      statement_id: the bank's id of the statement (or one derived from account and dates when
        the format has none); an import is idempotent by it and by the file's hash.
      account_no: the bank account it is of.
      currency: ISO 4217 code, ``CNY`` unless the file says otherwise.
      from_date: the first day it covers.
      to_date: the last day it covers.
      opening_balance_fen: the balance before its first line (may be negative: an overdraft).
      closing_balance_fen: the balance after its last line.
      lines: its movements in file order.
      balances_stated: False when the format states no balances (a camt.054 notification, a
        channel's settlement file): then the opening balance is 0 and the closing balance the
        booked movement, and neither may be chained to the account's last statement.
    """

    source_format: str
    statement_id: str
    account_no: str
    currency: str
    from_date: date
    to_date: date
    opening_balance_fen: int
    closing_balance_fen: int
    lines: tuple[StatementLine, ...] = field(default=())
    balances_stated: bool = True

    @property
    def movement_fen(self) -> int:
        """The booked lines' net effect on the balance."""
        return sum(line.signed_fen for line in self.lines if line.status is not LineStatus.PENDING)

    def balances_continue(self) -> bool:
        """Opening balance plus the booked movement is the closing balance (R-B3)."""
        return self.opening_balance_fen + self.movement_fen == self.closing_balance_fen


@dataclass(frozen=True, slots=True)
class BookItem:
    """One movement the books expect on a bank account: the ledger's side of a match.

    Attributes:
      item_id: the book's id for it (a ledger transaction id, or a custody request's id).
      account_no: the bank account the books expect it on.
      value_date: the accounting date it was booked on.
      direction: credit (money expected in) or debit (money expected out).
      amount_fen: > 0.
      reference: the request serial no. the rail carries (our end-to-end reference), or "".
      counterparty_account: the other side's account no., or "".
      status: booked, or pending while the books still wait for the bank (a payout in flight).
      fee_fen: the fee the books expect the bank to charge on it.
      business_class: its R-B4 class (receipt, refund, payout, payout_return, refund_return) or "".
    """

    item_id: str
    account_no: str
    value_date: date
    direction: Direction
    amount_fen: int
    reference: str = ""
    counterparty_account: str = ""
    status: LineStatus = LineStatus.BOOKED
    fee_fen: int = 0
    business_class: str = ""

    def __post_init__(self) -> None:
        invariant(self.amount_fen > 0, f"book item {self.item_id}: amount_fen must be > 0")
        invariant(self.fee_fen >= 0, f"book item {self.item_id}: fee_fen must be >= 0")
