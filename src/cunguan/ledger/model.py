"""Ledger records and commands: frozen, typed, and never updated in place.

Sides: every account has a normal side (``D`` debit or ``C`` credit). A posting on the normal
side raises the balance, a posting on the other side lowers it. A custody bank's customer
sub-accounts are credit-normal (money the bank owes), the custody summary account is
debit-normal (money the bank holds), so "summary = Σ sub-accounts" is the double-entry
identity itself.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from enum import IntFlag, StrEnum


class Side(StrEnum):
    DEBIT = "D"
    CREDIT = "C"

    @property
    def opposite(self) -> "Side":
        return Side.CREDIT if self is Side.DEBIT else Side.DEBIT


class AccountStatus(StrEnum):
    NORMAL = "normal"
    #: 止付 / 只收不付: receives, pays nothing.
    FROZEN_FOR_DEBIT = "frozen_for_debit"
    #: 冻结: neither receives nor pays.
    FROZEN = "frozen"
    #: 销户: takes nothing, pays nothing, for ever.
    CLOSED = "closed"


class AccountFlag(IntFlag):
    NONE = 0
    #: Only receives (e.g. the platform fee account 手续费账户).
    IN_ONLY = 1
    #: Only pays out (e.g. the marketing / red-packet account 红包账户).
    OUT_ONLY = 2
    #: ``available`` may go below zero, down to ``-overdraft_limit_fen``.
    OVERDRAFT = 4
    #: 热点账户: in nearly every batch (a platform's summary, marketing and fee accounts), so
    #: read without a lock when a batch is planned and locked only when its lines are written,
    #: the planned lines then moved onto whatever committed in between (engine.rebase).
    HOT = 8


class TxKind(StrEnum):
    TRANSFER = "transfer"
    FREEZE = "freeze"
    SETTLE = "settle"
    RELEASE = "release"
    REVERSAL = "reversal"


#: Kinds whose postings move money, so they carry ≥ 2 postings summing to zero (R-L1).
MONEY_KINDS = frozenset({TxKind.TRANSFER, TxKind.SETTLE, TxKind.REVERSAL})


class LineKind(StrEnum):
    """What a fund-log line records: a posting moves ``balance``; a hold line moves ``frozen``."""

    POSTING = "posting"
    HOLD = "hold"
    UNHOLD = "unhold"


class HoldStatus(StrEnum):
    OPEN = "open"
    SETTLED = "settled"
    RELEASED = "released"
    EXPIRED = "expired"


class Reject(StrEnum):
    """Named reasons a command is refused. Callers never see a generic exception."""

    AMOUNT_MUST_BE_POSITIVE = "amount_must_be_positive"
    AMOUNT_EXCEEDS_LIMIT = "amount_exceeds_limit"
    ACCOUNTS_MUST_BE_DIFFERENT = "accounts_must_be_different"
    UNBALANCED_TRANSACTION = "unbalanced_transaction"
    TOO_FEW_POSTINGS = "too_few_postings"
    TOO_MANY_POSTINGS = "too_many_postings"
    FIELD_INVALID = "field_invalid"
    ACCOUNT_NOT_FOUND = "account_not_found"
    ACCOUNT_CLOSED = "account_closed"
    ACCOUNT_FROZEN = "account_frozen"
    ACCOUNT_IN_ONLY = "account_in_only"
    ACCOUNT_OUT_ONLY = "account_out_only"
    EXCEEDS_AVAILABLE = "exceeds_available"
    HOLD_NOT_FOUND = "hold_not_found"
    HOLD_NOT_OPEN = "hold_not_open"
    HOLD_EXPIRED = "hold_expired"
    SETTLE_EXCEEDS_HOLD = "settle_exceeds_hold"
    TRANSACTION_NOT_FOUND = "transaction_not_found"
    TRANSACTION_NOT_REVERSIBLE = "transaction_not_reversible"
    ALREADY_REVERSED = "already_reversed"
    DUPLICATE_WITH_DIFFERENT_CONTENT = "duplicate_with_different_content"
    LINKED_COMMAND_FAILED = "linked_command_failed"
    TENANT_NOT_FOUND = "tenant_not_found"


@dataclass(frozen=True, slots=True)
class Posting:
    """One leg of a transaction.

    Attributes:
      account_no: the account posted to.
      side: debit or credit.
      amount_fen: a positive number of fen.
    """

    account_no: str
    side: Side
    amount_fen: int


@dataclass(frozen=True, slots=True)
class Transfer:
    """Move ``amount_fen`` from one account to another: Dr ``debit_account_no`` / Cr credit.

    Attributes:
      request_no: the caller's serial no. (请求流水号), unique per tenant.
      debit_account_no: the account debited.
      credit_account_no: the account credited.
      amount_fen: positive fen.
      business_type: what the business calls this movement (recharge, bid_lend, fee …).
      memo: free text for the fund log.
      funding: moves money against an account's direction flag: tops up an out-only account
        (the platform funding its red-packet account) or sweeps an in-only one (the platform
        taking its fee income out). Set only by the bank's own handlers, never by a platform.
    """

    request_no: str
    debit_account_no: str
    credit_account_no: str
    amount_fen: int
    business_type: str = "transfer"
    memo: str = ""
    funding: bool = False

    def content_key(self) -> str:
        return (f"T|{self.debit_account_no}|{self.credit_account_no}|{self.amount_fen}|"
                f"{self.business_type}|{self.memo}|{self.funding}")


@dataclass(frozen=True, slots=True)
class CompoundTransfer:
    """A transaction of any number of postings (≥ 2) that sum to zero.

    Attributes:
      request_no: the caller's serial no.
      postings: the legs; debits must equal credits.
      business_type: as for Transfer.
      memo: as for Transfer.
      funding: as for Transfer.
    """

    request_no: str
    postings: tuple[Posting, ...]
    business_type: str = "transfer"
    memo: str = ""
    funding: bool = False

    def content_key(self) -> str:
        legs = ";".join(f"{p.account_no},{p.side},{p.amount_fen}" for p in self.postings)
        return f"M|{legs}|{self.business_type}|{self.memo}|{self.funding}"


@dataclass(frozen=True, slots=True)
class Freeze:
    """Hold ``amount_fen`` on an account (冻结); the hold id is the transaction id.

    Attributes:
      request_no: the caller's serial no.
      account_no: the account whose available balance is held.
      amount_fen: positive fen.
      reason: why (bid, repayment pre-processing, withdrawal in flight …).
      expires_at: when an unsettled hold is released by the expiry sweep; None = never.
      business_type: as for Transfer.
    """

    request_no: str
    account_no: str
    amount_fen: int
    reason: str
    expires_at: datetime | None = None
    business_type: str = "freeze"

    def content_key(self) -> str:
        return (f"F|{self.account_no}|{self.amount_fen}|{self.reason}|{self.expires_at}|"
                f"{self.business_type}")


@dataclass(frozen=True, slots=True)
class Payee:
    account_no: str
    amount_fen: int


@dataclass(frozen=True, slots=True)
class Settle:
    """Settle an open hold once, wholly or partly, to one or many payees; the rest is released.

    Attributes:
      request_no: the caller's serial no.
      hold_id: the hold (the transaction id of its Freeze).
      payees: who receives how much; the sum may not exceed the hold.
      business_type: as for Transfer.
    """

    request_no: str
    hold_id: int
    payees: tuple[Payee, ...]
    business_type: str = "settle"

    def content_key(self) -> str:
        legs = ";".join(f"{p.account_no},{p.amount_fen}" for p in self.payees)
        return f"S|{self.hold_id}|{legs}|{self.business_type}"


@dataclass(frozen=True, slots=True)
class Release:
    """Release an open hold (解冻) without moving money.

    Attributes:
      request_no: the caller's serial no.
      hold_id: the hold.
      reason: why.
      expired: True when the expiry sweep releases it (the hold ends EXPIRED, not RELEASED).
    """

    request_no: str
    hold_id: int
    reason: str = ""
    business_type: str = "release"
    expired: bool = False

    def content_key(self) -> str:
        return f"R|{self.hold_id}|{self.reason}|{self.business_type}|{self.expired}"


@dataclass(frozen=True, slots=True)
class Reverse:
    """Reverse a posted money transaction (冲正) with a new, linked transaction (R-L9).

    Attributes:
      request_no: the caller's serial no.
      original_tx_id: the transaction reversed; it may be reversed once.
      reason: why.
    """

    request_no: str
    original_tx_id: int
    reason: str = ""
    business_type: str = "reversal"

    def content_key(self) -> str:
        return f"V|{self.original_tx_id}|{self.reason}|{self.business_type}"


Command = Transfer | CompoundTransfer | Freeze | Settle | Release | Reverse


def content_hash(command: Command) -> int:
    """A signed 64-bit fingerprint of what a command asks, for idempotent replays (R-L5)."""
    digest = hashlib.blake2b(command.content_key().encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@dataclass(frozen=True, slots=True)
class Result:
    """What became of one command.

    Attributes:
      request_no: the command's serial no.
      reject: None when it was applied, else the named reason.
      tx_id: the transaction id (also the hold id of a Freeze); None when rejected.
      replayed: True when the request no. had been applied before and nothing was posted now.
      detail: extra facts for the caller (e.g. the available amount on exceeds_available).
    """

    request_no: str
    reject: Reject | None
    tx_id: int | None = None
    replayed: bool = False
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.reject is None


@dataclass(frozen=True, slots=True)
class AccountSpec:
    """What opening an account needs.

    Attributes:
      account_no: unique per tenant.
      owner: who owns it (user id, platform id, the bank).
      role: the business role (lender, borrower, summary, fee …).
      subject_code: the accounting subject (科目).
      normal_side: D for asset-like accounts, C for liabilities such as customer money.
      flags: in-only, out-only, overdraft.
      overdraft_limit_fen: how far ``available`` may go below zero when OVERDRAFT is set.
    """

    account_no: str
    owner: str
    role: str
    subject_code: str
    normal_side: Side
    flags: AccountFlag = AccountFlag.NONE
    overdraft_limit_fen: int = 0


@dataclass(frozen=True, slots=True)
class Account:
    """An account as stored (R-L2)."""

    tenant_id: str
    account_no: str
    owner: str
    role: str
    subject_code: str
    normal_side: Side
    status: AccountStatus
    flags: AccountFlag
    overdraft_limit_fen: int
    balance_fen: int
    frozen_fen: int
    entry_seq: int

    @property
    def available_fen(self) -> int:
        return self.balance_fen - self.frozen_fen


@dataclass(frozen=True, slots=True)
class FundLogLine:
    """One line of the fund log (资金日志, R-L6): a posting, or a hold movement."""

    account_no: str
    entry_seq: int
    tx_id: int
    line_kind: LineKind
    side: Side | None
    amount_fen: int
    balance_after_fen: int
    frozen_after_fen: int
    available_after_fen: int
    counterparty_account_no: str | None
    request_no: str
    business_type: str
    accounting_date: date
    posted_at: datetime


@dataclass(frozen=True, slots=True)
class Hold:
    """A hold as stored (R-L4); its history is in the fund log."""

    tenant_id: str
    hold_id: int
    account_no: str
    amount_fen: int
    status: HoldStatus
    reason: str
    expires_at: datetime | None
    created_at: datetime
    closed_tx_id: int | None = None
