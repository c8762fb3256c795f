"""The ledger engine: plans a batch of commands over in-memory account state (pure, no I/O).

The store loads the accounts, holds and earlier requests a batch touches (locked, in a fixed order),
``plan_batch`` applies the rules command by command and returns every row to write; the store writes
them set-based in the same DB transaction. Only this module decides how balances change.

Hot accounts (``AccountFlag.HOT``) are the exception to "locked when loaded": the store reads
them unlocked, locks them just before writing, and ``rebase`` moves the planned lines onto what
committed in between — or says the batch must be planned again with them locked.
"""

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, NamedTuple

from cunguan.core import limits
from cunguan.ledger import rules
from cunguan.ledger.model import (
    MONEY_KINDS,
    AccountFlag,
    Command,
    CompoundTransfer,
    Freeze,
    HoldStatus,
    LineKind,
    Payee,
    Posting,
    Reject,
    Release,
    Result,
    Reverse,
    Settle,
    Side,
    Transfer,
    TxKind,
    content_hash,
)
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
_SEQ, _BALANCE, _FROZEN, _AVAILABLE = (LOG_COLUMNS.index(name) for name in (
    "entry_seq", "balance_after_fen", "frozen_after_fen", "available_after_fen"))
_POSTING, _HOLD, _UNHOLD = LineKind.POSTING.value, LineKind.HOLD.value, LineKind.UNHOLD.value
_DEBIT, _CREDIT, _TRANSFER = Side.DEBIT.value, Side.CREDIT.value, TxKind.TRANSFER.value


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


class _Planner:
    """Applies commands one at a time; a rejected command leaves the working state untouched."""

    def __init__(self, tenant_id: str, state: BatchState, accounting_date: date,
                 now: datetime, next_tx_id: Callable[[], int]) -> None:
        self.tenant_id = tenant_id
        self.state = state
        self.accounting_date = accounting_date
        self.now = now
        self.next_tx_id = next_tx_id
        self.tx_rows: list[tuple[object, ...]] = []
        self.log_rows: list[tuple[object, ...]] = []
        self.new_holds: list[tuple[int, str, int, str, datetime | None]] = []

    # -- lines ---------------------------------------------------------------------------------
    def _line(self, account: AccountState, tx_id: int, kind: str, side: str | None,
              amount_fen: int, counterparty: str | None, request_no: str,
              business_type: str) -> None:
        # Plain strings, not enums, on this path: it runs twice per transfer.
        account.entry_seq += 1
        account.touched = True
        self.log_rows.append((
            self.tenant_id, account.account_no, account.entry_seq, tx_id, kind, side,
            amount_fen, account.balance_fen, account.frozen_fen,
            account.balance_fen - account.frozen_fen, counterparty, request_no, business_type,
            self.accounting_date, self.now,
        ))

    def _tx_row(self, tx_id: int, request_no: str, kind: str, business_type: str,
                digest: int, hold_id: int | None = None, reverses: int | None = None,
                memo: str = "") -> None:
        self.tx_rows.append((
            self.tenant_id, tx_id, request_no, kind, business_type, digest,
            self.accounting_date, self.now, hold_id, reverses, memo,
        ))

    # -- money ---------------------------------------------------------------------------------
    @staticmethod
    def _check_moves(moves: Sequence[tuple[AccountState, int]], *,
                     direction_exempt: bool) -> tuple[Reject | None, str]:
        """Status and direction per move; available on each account's net move."""
        for account, delta in moves:
            reject = (rules.check_can_receive(account, direction_exempt=direction_exempt)
                      if delta > 0 else rules.check_can_pay(account,
                                                            direction_exempt=direction_exempt))
            if reject:
                return reject, account.account_no
        net_fen: dict[str, int] = {}
        for account, delta in moves:
            net_fen[account.account_no] = net_fen.get(account.account_no, 0) + delta
        for account, _ in moves:
            decrease_fen = -net_fen[account.account_no]
            if decrease_fen > 0 and rules.check_available(account, decrease_fen):
                return Reject.EXCEEDS_AVAILABLE, (
                    f"{account.account_no} available_fen={account.available_fen}")
        return None, ""

    def _moves(self, postings: Sequence[Posting]) -> list[tuple[AccountState, int]] | str:
        """Each posting as (account, signed change of its balance); a missing account's no."""
        moves = []
        for posting in postings:
            account = self.state.accounts.get(posting.account_no)
            if account is None:
                return posting.account_no
            rises = posting.side is account.normal_side
            moves.append((account, posting.amount_fen if rises else -posting.amount_fen))
        return moves

    def transfer(self, cmd: Transfer, digest: int) -> Result:
        """The hot path: two legs, no Posting objects."""
        amount_fen = cmd.amount_fen
        reject = rules.check_amount(amount_fen)
        if reject:
            return Result(cmd.request_no, reject)
        debit_no, credit_no = cmd.debit_account_no, cmd.credit_account_no
        if debit_no == credit_no:
            return Result(cmd.request_no, Reject.ACCOUNTS_MUST_BE_DIFFERENT)
        debit = self.state.accounts.get(debit_no)
        credit = self.state.accounts.get(credit_no)
        if debit is None or credit is None:
            return Result(cmd.request_no, Reject.ACCOUNT_NOT_FOUND,
                          detail=debit_no if debit is None else credit_no)
        debit_delta = amount_fen if debit.normal_side is Side.DEBIT else -amount_fen
        credit_delta = amount_fen if credit.normal_side is Side.CREDIT else -amount_fen
        reject, detail = self._check_moves(((debit, debit_delta), (credit, credit_delta)),
                                           direction_exempt=cmd.funding)
        if reject:
            return Result(cmd.request_no, reject, detail=detail)
        tx_id = self.next_tx_id()
        debit.balance_fen += debit_delta
        credit.balance_fen += credit_delta
        request_no, business_type = cmd.request_no, cmd.business_type
        self._line(debit, tx_id, _POSTING, _DEBIT, amount_fen, credit_no, request_no,
                   business_type)
        self._line(credit, tx_id, _POSTING, _CREDIT, amount_fen, debit_no, request_no,
                   business_type)
        self._tx_row(tx_id, request_no, _TRANSFER, business_type, digest, memo=cmd.memo)
        return Result(request_no, None, tx_id)

    def compound(self, cmd: CompoundTransfer, digest: int) -> Result:
        if len(cmd.postings) < 2:
            return Result(cmd.request_no, Reject.TOO_FEW_POSTINGS)
        if len(cmd.postings) > limits.postings_per_transaction_max:
            return Result(cmd.request_no, Reject.TOO_MANY_POSTINGS)
        signed_sum_fen = 0
        for posting in cmd.postings:
            reject = rules.check_amount(posting.amount_fen)
            if reject:
                return Result(cmd.request_no, reject)
            signed_sum_fen += (posting.amount_fen if posting.side is Side.DEBIT
                               else -posting.amount_fen)
        if signed_sum_fen != 0:
            return Result(cmd.request_no, Reject.UNBALANCED_TRANSACTION,
                          detail=f"debits_minus_credits_fen={signed_sum_fen}")
        if len({p.account_no for p in cmd.postings}) < 2:
            return Result(cmd.request_no, Reject.ACCOUNTS_MUST_BE_DIFFERENT)
        return self._money(cmd.request_no, TxKind.TRANSFER, cmd.postings, cmd.business_type,
                           digest, memo=cmd.memo, funding=cmd.funding)

    def _money(self, request_no: str, kind: TxKind, postings: Sequence[Posting],
               business_type: str, digest: int, *, memo: str = "",
               reverses: int | None = None, funding: bool = False) -> Result:
        # A reversal restores the state before the original, so direction flags do not apply.
        exempt = funding or reverses is not None
        moves = self._moves(postings)
        if isinstance(moves, str):
            return Result(request_no, Reject.ACCOUNT_NOT_FOUND, detail=moves)
        reject, detail = self._check_moves(moves, direction_exempt=exempt)
        if reject:
            return Result(request_no, reject, detail=detail)
        tx_id = self.next_tx_id()
        pair = len(postings) == 2
        for index, (posting, (account, delta)) in enumerate(zip(postings, moves, strict=True)):
            account.balance_fen += delta
            counterparty = postings[1 - index].account_no if pair else None
            self._line(account, tx_id, _POSTING, posting.side.value, posting.amount_fen,
                       counterparty, request_no, business_type)
        self._tx_row(tx_id, request_no, kind.value, business_type, digest, reverses=reverses,
                     memo=memo)
        return Result(request_no, None, tx_id)

    # -- holds ---------------------------------------------------------------------------------
    def freeze(self, cmd: Freeze, digest: int) -> Result:
        reject = rules.check_amount(cmd.amount_fen)
        account = self.state.accounts.get(cmd.account_no)
        if reject is None and account is None:
            reject = Reject.ACCOUNT_NOT_FOUND
        if reject is None and account is not None:
            reject = rules.check_can_pay(account) or rules.check_available(
                account, cmd.amount_fen)
        if reject or account is None:
            detail = f"available_fen={account.available_fen}" if account else ""
            return Result(cmd.request_no, reject, detail=detail)
        tx_id = self.next_tx_id()
        account.frozen_fen += cmd.amount_fen
        self._line(account, tx_id, _HOLD, None, cmd.amount_fen, None, cmd.request_no,
                   cmd.business_type)
        self._tx_row(tx_id, cmd.request_no, TxKind.FREEZE.value, cmd.business_type, digest,
                     hold_id=tx_id, memo=cmd.reason)
        self.state.holds[tx_id] = HoldState(tx_id, cmd.account_no, cmd.amount_fen,
                                            HoldStatus.OPEN, cmd.expires_at)
        self.new_holds.append((tx_id, cmd.account_no, cmd.amount_fen, cmd.reason,
                               cmd.expires_at))
        return Result(cmd.request_no, None, tx_id)

    def _open_hold(self, hold_id: int, *, for_expiry: bool = False
                   ) -> tuple[HoldState | None, Reject | None]:
        hold = self.state.holds.get(hold_id)
        if hold is None:
            return None, Reject.HOLD_NOT_FOUND
        if for_expiry:
            return hold, (None if hold.status is HoldStatus.OPEN else Reject.HOLD_NOT_OPEN)
        return hold, rules.check_hold_usable(hold, self.now)

    def _unhold(self, hold: HoldState, tx_id: int, status: HoldStatus, request_no: str,
                business_type: str) -> AccountState:
        account = self.state.accounts[hold.account_no]
        account.frozen_fen -= hold.amount_fen
        self._line(account, tx_id, _UNHOLD, None, hold.amount_fen, None, request_no,
                   business_type)
        hold.status = status
        hold.closed_tx_id = tx_id
        hold.touched = True
        return account

    def settle(self, cmd: Settle, digest: int) -> Result:
        hold, reject = self._open_hold(cmd.hold_id)
        if hold is None or reject:
            return Result(cmd.request_no, reject)
        payer = self.state.accounts[hold.account_no]
        reject = self._check_settle(cmd, hold, payer)
        if reject:
            return Result(cmd.request_no, reject)
        tx_id = self.next_tx_id()
        self._unhold(hold, tx_id, HoldStatus.SETTLED, cmd.request_no, cmd.business_type)
        total_fen = sum(p.amount_fen for p in cmd.payees)
        single = cmd.payees[0].account_no if len(cmd.payees) == 1 else None
        payer.balance_fen -= total_fen
        self._line(payer, tx_id, _POSTING, payer.normal_side.opposite.value, total_fen, single,
                   cmd.request_no, cmd.business_type)
        side = payer.normal_side  # the payer is posted on its opposite side, payees on this
        for payee in cmd.payees:
            account = self.state.accounts[payee.account_no]
            rises = account.normal_side is side
            account.balance_fen += payee.amount_fen if rises else -payee.amount_fen
            self._line(account, tx_id, _POSTING, side.value, payee.amount_fen,
                       payer.account_no, cmd.request_no, cmd.business_type)
        self._tx_row(tx_id, cmd.request_no, TxKind.SETTLE.value, cmd.business_type, digest,
                     hold_id=hold.hold_id)
        return Result(cmd.request_no, None, tx_id)

    def _check_settle(self, cmd: Settle, hold: HoldState, payer: AccountState) -> Reject | None:
        if not cmd.payees:
            return Reject.TOO_FEW_POSTINGS
        if len(cmd.payees) > limits.payees_per_settle_max:
            return Reject.TOO_MANY_POSTINGS
        reject = rules.check_can_pay(payer)
        if reject:
            return reject
        for payee in cmd.payees:
            reject = rules.check_amount(payee.amount_fen)
            if reject:
                return reject
            if payee.account_no == payer.account_no:
                return Reject.ACCOUNTS_MUST_BE_DIFFERENT
            account = self.state.accounts.get(payee.account_no)
            if account is None:
                return Reject.ACCOUNT_NOT_FOUND
            # A payee on the payer's side gains; on the other side (e.g. a debit-normal account
            # paid from a credit-normal one) the payment lowers it, so it must be able to pay.
            if account.normal_side is payer.normal_side:
                reject = rules.check_can_receive(account)
            else:
                reject = rules.check_can_pay(account) or rules.check_available(
                    account, payee.amount_fen)
            if reject:
                return reject
        if sum(p.amount_fen for p in cmd.payees) > hold.amount_fen:
            return Reject.SETTLE_EXCEEDS_HOLD
        return None

    def release(self, cmd: Release, digest: int) -> Result:
        hold, reject = self._open_hold(cmd.hold_id, for_expiry=cmd.expired)
        if hold is None or reject:
            return Result(cmd.request_no, reject)
        tx_id = self.next_tx_id()
        status = HoldStatus.EXPIRED if cmd.expired else HoldStatus.RELEASED
        self._unhold(hold, tx_id, status, cmd.request_no, cmd.business_type)
        self._tx_row(tx_id, cmd.request_no, TxKind.RELEASE.value, cmd.business_type, digest,
                     hold_id=hold.hold_id, memo=cmd.reason)
        return Result(cmd.request_no, None, tx_id)

    def reverse(self, cmd: Reverse, digest: int) -> Result:
        original = self.state.originals.get(cmd.original_tx_id)
        if original is None:
            return Result(cmd.request_no, Reject.TRANSACTION_NOT_FOUND)
        if original.kind not in MONEY_KINDS or original.kind is TxKind.REVERSAL:
            return Result(cmd.request_no, Reject.TRANSACTION_NOT_REVERSIBLE)
        if original.reversed:
            return Result(cmd.request_no, Reject.ALREADY_REVERSED)
        postings = [Posting(p.account_no, p.side.opposite, p.amount_fen)
                    for p in original.postings]
        result = self._money(cmd.request_no, TxKind.REVERSAL, postings, cmd.business_type,
                             digest, memo=cmd.reason, reverses=cmd.original_tx_id)
        if result.ok:
            original.reversed = True
        return result


#: A refused field: the reject and the field's name.
Problem = tuple[Reject, str]
_INVALID = Reject.FIELD_INVALID


def field_refusal(cmd: Command) -> Result | None:
    """A command whose fields are malformed, refused naming the first such field (the field
    rules, in order); None when every field has its form. Checked before anything is read by
    those fields, so no value of any type reaches the store; amounts are only type-checked
    here (their range is the rules' ``check_amount``)."""
    check = _FIELD_CHECKS.get(type(cmd))
    if check is None:
        return Result(getattr(cmd, "request_no", ""), _INVALID,
                      detail="command: not a ledger command")
    problem = check(cmd)
    return None if problem is None else Result(cmd.request_no, problem[0], detail=problem[1])


def field_refusals(commands: Sequence[Command]) -> list[Result | None]:
    return [field_refusal(cmd) for cmd in commands]


def _common_problem(cmd: Command) -> Problem | None:
    if rules.check_serial_no(cmd.request_no):
        return _INVALID, "request_no"
    if rules.check_identifier(cmd.business_type, limits.business_type_length_max):
        return _INVALID, "business_type"
    return None


def _account_problem(account_no: object, amount_fen: object, field: str) -> Problem | None:
    """An account no. a command names (it is looked up: a well-formed unknown one is
    account_not_found) and the amount it moves (an int; its range is check_amount's)."""
    if rules.check_text(account_no, limits.account_no_length_max, required=True):
        return _INVALID, field
    if type(amount_fen) is not int:
        return Reject.AMOUNT_MUST_BE_POSITIVE, "amount_fen"
    return None


def _transfer_problem(cmd: Transfer) -> Problem | None:
    """The hot path: each rule called once, nothing in between (~2 µs a transfer)."""
    if rules.check_serial_no(cmd.request_no):
        return _INVALID, "request_no"
    if rules.check_identifier(cmd.business_type, limits.business_type_length_max):
        return _INVALID, "business_type"
    if rules.check_text(cmd.debit_account_no, limits.account_no_length_max, required=True):
        return _INVALID, "debit_account_no"
    if rules.check_text(cmd.credit_account_no, limits.account_no_length_max, required=True):
        return _INVALID, "credit_account_no"
    if type(cmd.amount_fen) is not int:
        return Reject.AMOUNT_MUST_BE_POSITIVE, "amount_fen"
    return _memo_problem(cmd.memo, cmd.funding)


def _memo_problem(memo: object, funding: object) -> Problem | None:
    if rules.check_text(memo, limits.memo_length_max, required=False):
        return _INVALID, "memo"
    if rules.check_flag(funding):
        return _INVALID, "funding"
    return None


def _legs_problem(legs: object, leg_type: type, field: str, count_max: int) -> Problem | None:
    """A compound transfer's postings or a settlement's payees: a tuple or list of their
    records, each naming an account and an amount (a posting also a Side)."""
    if not isinstance(legs, (tuple, list)):
        return _INVALID, field
    if len(legs) > count_max:
        return Reject.TOO_MANY_POSTINGS, field
    for index, leg in enumerate(legs):
        if type(leg) is not leg_type or not isinstance(leg, (Posting, Payee)):
            return _INVALID, f"{field}[{index}]"
        problem = _account_problem(leg.account_no, leg.amount_fen,
                                   f"{field}[{index}].account_no")
        if problem:
            return problem
        if isinstance(leg, Posting) and type(leg.side) is not Side:
            return _INVALID, f"{field}[{index}].side"
    return None


def _compound_problem(cmd: CompoundTransfer) -> Problem | None:
    return (_common_problem(cmd)
            or _legs_problem(cmd.postings, Posting, "postings",
                          limits.postings_per_transaction_max)
            or _memo_problem(cmd.memo, cmd.funding))


def _freeze_problem(cmd: Freeze) -> Problem | None:
    problem = (_common_problem(cmd)
               or _account_problem(cmd.account_no, cmd.amount_fen, "account_no"))
    if problem:
        return problem
    if rules.check_text(cmd.reason, limits.reason_length_max, required=False):
        return _INVALID, "reason"
    if rules.check_moment(cmd.expires_at):
        return _INVALID, "expires_at"
    return None


def _settle_problem(cmd: Settle) -> Problem | None:
    problem = _common_problem(cmd)
    if problem:
        return problem
    if rules.check_id(cmd.hold_id):
        return _INVALID, "hold_id"
    return _legs_problem(cmd.payees, Payee, "payees", limits.payees_per_settle_max)


def _release_problem(cmd: Release) -> Problem | None:
    problem = _common_problem(cmd)
    if problem:
        return problem
    if rules.check_id(cmd.hold_id):
        return _INVALID, "hold_id"
    if rules.check_text(cmd.reason, limits.reason_length_max, required=False):
        return _INVALID, "reason"
    if rules.check_flag(cmd.expired):
        return _INVALID, "expired"
    return None


def _reverse_problem(cmd: Reverse) -> Problem | None:
    problem = _common_problem(cmd)
    if problem:
        return problem
    if rules.check_id(cmd.original_tx_id):
        return _INVALID, "original_tx_id"
    if rules.check_text(cmd.reason, limits.reason_length_max, required=False):
        return _INVALID, "reason"
    return None


_FIELD_CHECKS: dict[type, Callable[[Any], Problem | None]] = {
    Transfer: _transfer_problem, CompoundTransfer: _compound_problem, Freeze: _freeze_problem,
    Settle: _settle_problem, Release: _release_problem, Reverse: _reverse_problem,
}


def plan_batch(tenant_id: str, commands: Sequence[Command], state: BatchState, *,
               linked: bool, accounting_date: date, now: datetime,
               next_tx_id: Callable[[], int],
               chains: Sequence[int] | None = None,
               refusals: Sequence[Result | None] | None = None) -> BatchPlan:
    """Apply ``commands`` in order, in chains of consecutive commands (``chains`` gives their
    lengths): a chain applies whole or not at all, its commands then answering with the
    culprit's code and ``linked_command_failed``; chains are independent of each other.
    ``linked`` makes the whole batch one chain; by default each command is a chain of its own.
    ``refusals``: ``field_refusals(commands)`` when the caller has it already (it loaded the
    state by the well-formed commands only).

    A chain that fails after an earlier command of it applied is undone by planning again from
    a copy of the state taken before, without that chain (the same transaction ids reused)."""
    if refusals is None:
        refusals = field_refusals(commands)
    spans = _spans(len(commands), chains, linked)
    many = len(spans) > 1
    pristine = _clone(state) if many and any(end - start > 1 for start, end in spans) else None
    issued: list[int] = []
    failed: dict[int, list[Result]] = {}
    while True:
        working = state if not failed or pristine is None else _clone(pristine)
        planner = _Planner(tenant_id, working, accounting_date, now,
                           reusing_ids(issued, next_tx_id))
        results: list[Result] = []
        replan = False
        for index, (start, end) in enumerate(spans):
            if index in failed:
                results += failed[index]
                continue
            chain = _plan_chain(planner, working.prior, commands[start:end],
                                refusals[start:end])
            if all(r.ok for r in chain):
                results += chain
                continue
            failed[index] = (chain if end - start == 1
                             else _fail_linked(commands[start:end], chain))
            if chain[0].ok and many:  # something of the chain applied: plan again without it
                replan = True
                break
            results += failed[index]
        if replan:
            continue
        if not many and failed:
            return BatchPlan(results, hot_read=dict(state.hot))
        touched = [a for a in working.accounts.values() if a.touched]
        return BatchPlan(
            results, planner.tx_rows, planner.log_rows, planner.new_holds, touched,
            [h for h in working.holds.values() if h.touched and h.closed_tx_id is not None],
            _hot_read(state.hot, touched, refused=bool(failed)),
        )


def _hot_read(hot: dict[str, AccountVersion], touched: list[AccountState], *,
              refused: bool) -> dict[str, AccountVersion]:
    """The hot accounts a plan's outcome depends on: those it moves, and — a refusal may
    have been judged on any of them, moved or not — every one read when it refuses anything."""
    if refused:
        return dict(hot)
    return {a.account_no: hot[a.account_no] for a in touched if a.account_no in hot}


class _Shift(NamedTuple):
    """What committed on a hot account between planning and writing; its floor now."""

    entry_seq: int
    balance_fen: int
    frozen_fen: int
    floor_fen: int


def rebase(plan: BatchPlan, locked: Mapping[str, AccountVersion]) -> BatchPlan | None:
    """The plan with its hot accounts' lines moved from the versions they were planned on
    (``plan.hot_read``) onto the versions ``locked`` now: entry seqs, balances and frozen
    amounts after each line shifted by what committed in between.

    None when the plan's decisions might not hold on the newer versions — a status, flag or
    overdraft limit changed; a line's available would fall below the floor; or the plan
    refused something while a hot account moved (the refusal was judged on an older balance)
    — and the batch must be planned again with the hot accounts locked."""
    shifts: dict[str, _Shift] = {}
    for account_no, read in plan.hot_read.items():
        now = locked[account_no]
        if now[:3] != read[:3]:
            return None
        if now != read:
            shifts[account_no] = _Shift(
                now.entry_seq - read.entry_seq, now.balance_fen - read.balance_fen,
                now.frozen_fen - read.frozen_fen,
                -now.overdraft_limit_fen if now.flags & AccountFlag.OVERDRAFT else 0)
    if not shifts:
        return plan
    if not all(result.ok for result in plan.results):
        return None
    log_rows: list[tuple[object, ...]] = []
    for row in plan.log_rows:
        shift = shifts.get(str(row[1]))
        moved = row if shift is None else _shifted(row, shift)
        if moved is None:
            return None
        log_rows.append(moved)
    touched = [a if a.account_no not in shifts else replace(
        a, entry_seq=a.entry_seq + shifts[a.account_no].entry_seq,
        balance_fen=a.balance_fen + shifts[a.account_no].balance_fen,
        frozen_fen=a.frozen_fen + shifts[a.account_no].frozen_fen)
        for a in plan.touched_accounts]
    return replace(plan, log_rows=log_rows, touched_accounts=touched)


def _shifted(row: tuple[object, ...], shift: _Shift) -> tuple[object, ...] | None:
    """A fund-log row moved by ``shift``; None where available fell below the floor (a line
    whose available did not fall passed its check when planned, and passes it now)."""
    seq, balance_fen, frozen_fen, available_fen = (
        int(row[_SEQ]), int(row[_BALANCE]), int(row[_FROZEN]), int(row[_AVAILABLE]))  # type: ignore[call-overload]
    available_shift_fen = shift.balance_fen - shift.frozen_fen
    if available_shift_fen < 0 and available_fen + available_shift_fen < shift.floor_fen:
        return None
    return (*row[:_SEQ], seq + shift.entry_seq, *row[_SEQ + 1:_BALANCE],
            balance_fen + shift.balance_fen, frozen_fen + shift.frozen_fen,
            available_fen + available_shift_fen, *row[_AVAILABLE + 1:])


def _spans(count: int, chains: Sequence[int] | None,
           linked: bool) -> list[tuple[int, int]]:
    if linked:
        lengths = [count] if count else []
    else:
        lengths = [1] * count if chains is None else list(chains)
    if sum(lengths) != count or any(n < 1 for n in lengths):
        raise ValueError("chain lengths must be positive and add up to the batch")
    spans, start = [], 0
    for n in lengths:
        spans.append((start, start + n))
        start += n
    return spans


def _plan_chain(planner: "_Planner", prior: dict[str, PriorRequest],
                commands: Sequence[Command],
                refusals: Sequence[Result | None]) -> list[Result]:
    """The commands of one chain in order, up to the first refused."""
    results: list[Result] = []
    for cmd, refusal in zip(commands, refusals, strict=True):
        if refusal is not None:
            results.append(refusal)
            return results
        digest = content_hash(cmd)
        earlier = prior.get(cmd.request_no)
        if earlier is not None:
            result = _replay(cmd.request_no, earlier, digest)
        else:
            result = _dispatch(planner, cmd, digest)
            if result.ok and result.tx_id is not None:
                prior[cmd.request_no] = PriorRequest(result.tx_id, digest)
        results.append(result)
        if not result.ok:
            return results
    return results


def reusing_ids(issued: list[int], next_tx_id: Callable[[], int]) -> Callable[[], int]:
    """Transaction ids handed out again in the same order on each planning pass, so a pass
    never takes more ids than the batch has commands."""
    position = 0

    def take() -> int:
        nonlocal position
        if position == len(issued):
            issued.append(next_tx_id())
        position += 1
        return issued[position - 1]
    return take


def _clone(state: BatchState) -> BatchState:
    """A copy the planner can change without touching ``state`` (account and hold rows are
    flat values, so copying each object is enough)."""
    return BatchState({no: copy.copy(a) for no, a in state.accounts.items()},
                      {hold_id: copy.copy(h) for hold_id, h in state.holds.items()},
                      dict(state.prior),
                      {tx_id: OriginalTx(o.kind, o.postings, o.reversed)
                       for tx_id, o in state.originals.items()}, state.hot)


def _replay(request_no: str, earlier: PriorRequest, digest: int) -> Result:
    if earlier.content_hash != digest:
        return Result(request_no, Reject.DUPLICATE_WITH_DIFFERENT_CONTENT,
                      detail=f"first applied as tx {earlier.tx_id}")
    return Result(request_no, None, earlier.tx_id, replayed=True)


def _dispatch(planner: _Planner, cmd: Command, digest: int) -> Result:
    if isinstance(cmd, Transfer):
        return planner.transfer(cmd, digest)
    if isinstance(cmd, CompoundTransfer):
        return planner.compound(cmd, digest)
    if isinstance(cmd, Freeze):
        return planner.freeze(cmd, digest)
    if isinstance(cmd, Settle):
        return planner.settle(cmd, digest)
    if isinstance(cmd, Release):
        return planner.release(cmd, digest)
    return planner.reverse(cmd, digest)


def _fail_linked(commands: Sequence[Command], results: list[Result]) -> list[Result]:
    """In a linked batch one failure fails all: the culprit keeps its code, the rest say why."""
    failed: list[Result] = []
    for index, cmd in enumerate(commands):
        if index < len(results) and not results[index].ok:
            failed.append(results[index])
        else:
            failed.append(Result(cmd.request_no, Reject.LINKED_COMMAND_FAILED))
    return failed
