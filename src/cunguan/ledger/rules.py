"""Pure account rules (R-L3, R-L4): each returns a reject code, or None when the move is allowed.

The engine applies them to in-memory account state; no rule touches the database. The field
rules at the end judge a command's fields before anything is read by them: callers are assumed
hostile (a float request no., a lone surrogate in a memo, a Decimal of a million digits as
flags), and each such value is refused by name, never passed on to the store.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from cunguan.core import fields, limits
from cunguan.ledger.model import (
    AccountFlag,
    AccountSpec,
    AccountStatus,
    HoldStatus,
    Reject,
    Side,
)

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


# -- fields --------------------------------------------------------------------------------------
#: A code (business type, role, subject code): ASCII letters, digits and ``_ . : -``.
_CODE: Final = re.compile(r"[A-Za-z0-9_.:\-]+")
#: Every AccountFlag bit; any other bit is refused.
FLAG_BITS: Final = sum(int(flag) for flag in AccountFlag)
_SIDES: Final = frozenset(side.value for side in Side)
_STATUSES: Final = frozenset(status.value for status in AccountStatus)


def check_text(value: object, length_max: int, *, required: bool) -> Reject | None:
    """Text for people (a memo, a reason) or a name looked up (an account no. a command
    names): a str of at most ``length_max`` printable characters — Chinese is printable; NUL,
    other control characters, format characters and lone surrogates are not, and never reach
    a column."""
    if (type(value) is str and len(value) <= length_max and value.isprintable()
            and (value or not required)):
        return None
    return Reject.FIELD_INVALID


def check_serial_no(value: object,
                    length_max: int = limits.request_no_length_max) -> Reject | None:
    """A request serial no.: 1 to ``length_max`` printable ASCII characters, no space. Wider
    than a platform's serial no. (an identifier): the custody layer derives the ledger's nos.
    from its own with ``#`` and ``@`` (``R1#fee``, ``B1#3@2``, ``R1#idle+``)."""
    if (type(value) is str and 0 < len(value) <= length_max and value.isascii()
            and value.isprintable() and " " not in value):
        return None
    return Reject.FIELD_INVALID


def check_identifier(value: object, length_max: int) -> Reject | None:
    """A code (a business type): 1 to ``length_max`` ASCII letters, digits and ``_ . : -``."""
    if type(value) is str and len(value) <= length_max and _CODE.fullmatch(value):
        return None
    return Reject.FIELD_INVALID


def check_flag(value: object) -> Reject | None:
    """A yes/no field: a real bool (1, "true" and None are not)."""
    return None if type(value) is bool else Reject.FIELD_INVALID


def check_id(value: object) -> Reject | None:
    """A hold or transaction id: an int (not a bool) from 1 to ``limits.id_max``."""
    if type(value) is int and 0 < value <= limits.id_max:
        return None
    return Reject.FIELD_INVALID


def check_moment(value: object) -> Reject | None:
    """A moment (a hold's expiry) or None: an aware datetime within the bank's dates."""
    if value is None:
        return None
    if (not isinstance(value, datetime) or value.utcoffset() is None
            or not limits.date_earliest <= value.date() <= limits.date_latest):
        return Reject.FIELD_INVALID
    return None


# -- set-up fields: refused with a FieldInvalid error naming the field --------------------------
def tenant_fields(tenant_id: object, name: object, accounting_date: object
                  ) -> tuple[str, str, date]:
    """A new tenant's id (an identifier), display name (text) and first accounting date."""
    return (fields.identifier(tenant_id, "tenant_id", limits.tenant_id_length_max),
            fields.text(name, "name", max_length=limits.display_name_length_max),
            fields.day(accounting_date, "accounting_date"))


def known_name(value: object, field: str, length_max: int) -> str:
    """A tenant id or account no. that is looked up, not created: any text a store column can
    hold (one that does not exist is then not found, under its own code)."""
    if not isinstance(value, str) or check_text(value, length_max, required=True):
        raise fields.FieldInvalid(field, f"must be 1 to {length_max} printable characters")
    return value


def account_spec(spec: object) -> AccountSpec:
    """An account to open, each field checked by type before any arithmetic (a Decimal of a
    million digits as flags is refused at once); sides and flags given as their values are
    taken as the enums."""
    if not isinstance(spec, AccountSpec):
        raise fields.FieldInvalid("spec", f"must be an AccountSpec, got {type(spec).__name__}")
    account_no = fields.identifier(spec.account_no, "account_no", limits.account_no_length_max)
    owner = fields.identifier(spec.owner, "owner", limits.identifier_length_max)
    role = fields.identifier(spec.role, "role", limits.role_length_max)
    subject = fields.identifier(spec.subject_code, "subject_code",
                                limits.subject_code_length_max)
    side = Side(fields.choice(spec.normal_side, "normal_side", _SIDES))
    flags = fields.whole_number(spec.flags, "flags", minimum=0, maximum=FLAG_BITS)
    if flags & ~FLAG_BITS:
        raise fields.FieldInvalid("flags", "names a flag that does not exist")
    return AccountSpec(account_no, owner, role, subject, side, AccountFlag(flags),
                       fields.amount_fen(spec.overdraft_limit_fen, "overdraft_limit_fen",
                                         minimum=0))


def account_status(value: object) -> AccountStatus:
    return AccountStatus(fields.choice(value, "status", _STATUSES))
