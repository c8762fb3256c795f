"""A ledger batch's state and plan: what the store loads for planning and what planning gives it
to write (plain records, no I/O; the store and the planner share them)."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from cunguan.ledger.model import Posting, Result, TxKind
from cunguan.ledger.rules import AccountState, HoldState

#: Column order of a fund-log row, shared with the store.
LOG_COLUMNS = (
    "tenant_id", "account_no", "entry_seq", "tx_id", "line_kind", "side", "amount_fen",
    "balance_after_fen", "frozen_after_fen", "available_after_fen", "counterparty_account_no",
    "request_no", "business_type", "accounting_date", "posted_at",
)
#: Column order of a transaction row, shared with the store.
TX_COLUMNS = (
    "tenant_id", "tx_id", "request_no", "kind", "business_type", "content_hash",
    "accounting_date", "created_at", "hold_id", "reverses_tx_id", "memo",
)


@dataclass(frozen=True, slots=True)
class PriorRequest:
    """A request no. already applied: what a replay returns."""

    tx_id: int
    content_hash: int


@dataclass(slots=True)
class OriginalTx:
    """A posted transaction that a Reverse command names."""

    kind: TxKind
    postings: list[Posting]
    reversed: bool


class AccountVersion(NamedTuple):
    """What the rules read of an account: a hot account's as read, and as locked at writing."""

    status: str
    flags: int
    overdraft_limit_fen: int
    balance_fen: int
    frozen_fen: int
    entry_seq: int


@dataclass(slots=True)
class BatchState:
    """Everything a batch reads, loaded and locked by the store before planning; ``hot``: the
    hot accounts among ``accounts``, read without a lock, as they were read."""

    accounts: dict[str, AccountState]
    holds: dict[int, HoldState] = field(default_factory=dict)
    prior: dict[str, PriorRequest] = field(default_factory=dict)
    originals: dict[int, OriginalTx] = field(default_factory=dict)
    hot: dict[str, AccountVersion] = field(default_factory=dict)


@dataclass(slots=True)
class BatchPlan:
    """The outcome of planning: results in command order and the rows to write."""

    results: list[Result]
    tx_rows: list[tuple[object, ...]] = field(default_factory=list)
    log_rows: list[tuple[object, ...]] = field(default_factory=list)
    new_holds: list[tuple[int, str, int, str, datetime | None]] = field(default_factory=list)
    touched_accounts: list[AccountState] = field(default_factory=list)
    closed_holds: list[HoldState] = field(default_factory=list)
    #: The hot accounts the plan's outcome depends on, as read (unlocked) for planning.
    hot_read: dict[str, AccountVersion] = field(default_factory=dict)

    @property
    def writes_anything(self) -> bool:
        return bool(self.tx_rows)
