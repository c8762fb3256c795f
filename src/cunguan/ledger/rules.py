"""Pure account rules (R-L3, R-L4): each returns a reject code, or None when the move is allowed.

The engine applies them to in-memory account state; no rule touches the database.
"""

from dataclasses import dataclass
from datetime import datetime

from cunguan.core import limits
from cunguan.ledger.model import AccountFlag, AccountStatus, HoldStatus, Reject, Side

_IN_ONLY, _OUT_ONLY = int(AccountFlag.IN_ONLY), int(AccountFlag.OUT_ONLY)
_OVERDRAFT = int(AccountFlag.OVERDRAFT)


@dataclass(slots=True)
class AccountState:
    """The mutable working copy of an account inside one batch."""

    account_no: str
    normal_side: Side
    status: AccountStatus
    #: AccountFlag bits as a plain int: IntFlag arithmetic is slow on the hot path.
    flags: int
    overdraft_limit_fen: int
    balance_fen: int
    frozen_fen: int
    entry_seq: int
    touched: bool = False

    @property
    def available_fen(self) -> int:
        return self.balance_fen - self.frozen_fen

    def floor_fen(self) -> int:
        """The lowest ``available`` may go."""
        return -self.overdraft_limit_fen if self.flags & _OVERDRAFT else 0


@dataclass(slots=True)
class HoldState:
    hold_id: int
    account_no: str
    amount_fen: int
    status: HoldStatus
    expires_at: datetime | None
    closed_tx_id: int | None = None
    touched: bool = False


def check_amount(amount_fen: int) -> Reject | None:
    if type(amount_fen) is not int or amount_fen <= 0:
        return Reject.AMOUNT_MUST_BE_POSITIVE
    if amount_fen > limits.amount_fen_max:
        return Reject.AMOUNT_EXCEEDS_LIMIT
    return None


def check_can_receive(account: AccountState, *, direction_exempt: bool = False) -> Reject | None:
    """May ``account``'s balance go up? A reversal or a funding move ignores the direction flags."""
    if account.status is AccountStatus.CLOSED:
        return Reject.ACCOUNT_CLOSED
    if account.status is AccountStatus.FROZEN:
        return Reject.ACCOUNT_FROZEN
    if not direction_exempt and account.flags & _OUT_ONLY:
        return Reject.ACCOUNT_OUT_ONLY
    return None


def check_can_pay(account: AccountState, *, direction_exempt: bool = False) -> Reject | None:
    """May ``account``'s balance go down (or be held)? Available is checked separately."""
    if account.status is AccountStatus.CLOSED:
        return Reject.ACCOUNT_CLOSED
    if account.status in (AccountStatus.FROZEN, AccountStatus.FROZEN_FOR_DEBIT):
        return Reject.ACCOUNT_FROZEN
    if not direction_exempt and account.flags & _IN_ONLY:
        return Reject.ACCOUNT_IN_ONLY
    return None


def check_available(account: AccountState, decrease_fen: int) -> Reject | None:
    """Would lowering ``available`` by ``decrease_fen`` breach the account's floor?"""
    if account.available_fen - decrease_fen < account.floor_fen():
        return Reject.EXCEEDS_AVAILABLE
    return None


def check_hold_usable(hold: HoldState, now: datetime) -> Reject | None:
    if hold.status is not HoldStatus.OPEN:
        return Reject.HOLD_NOT_OPEN
    if hold.expires_at is not None and hold.expires_at <= now:
        return Reject.HOLD_EXPIRED
    return None


def check_text(value: str, length_max: int, *, required: bool) -> Reject | None:
    if (not isinstance(value, str) or len(value) > length_max or (required and not value)
            or not value.isprintable()):   # NUL and other control characters never reach a column
        return Reject.FIELD_INVALID
    return None
