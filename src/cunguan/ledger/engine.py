"""The ledger engine: plans a batch of commands over in-memory account state (pure, no I/O).

The store loads the accounts, holds and earlier requests a batch touches (locked, in a fixed order),
``plan_batch`` applies the rules command by command (``planner.Planner``) and returns every row to
write; the store writes them set-based in the same DB transaction. Only this module and the
planner decide how balances change. The batch's records live in ``batch``, the field rules in
``field_checks``; both are re-exported here.

Hot accounts (``AccountFlag.HOT``) are the exception to "locked when loaded": the store reads
them unlocked, locks them just before writing, and ``rebase`` moves the planned lines onto what
committed in between — or says the batch must be planned again with them locked.
"""

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import NamedTuple

from cunguan.ledger.batch import (
    LOG_COLUMNS,
    TX_COLUMNS,
    AccountVersion,
    BatchPlan,
    BatchState,
    OriginalTx,
    PriorRequest,
)
from cunguan.ledger.field_checks import Problem, field_refusal, field_refusals
from cunguan.ledger.model import (
    AccountFlag,
    Command,
    CompoundTransfer,
    Freeze,
    Reject,
    Release,
    Result,
    Settle,
    Transfer,
    content_hash,
)
from cunguan.ledger.planner import Planner
from cunguan.ledger.rules import AccountState, HoldState

#: Names other modules import from here (the engine's records and field rules live beside it).
__all__ = [
    "LOG_COLUMNS", "TX_COLUMNS", "AccountState", "AccountVersion", "BatchPlan", "BatchState",
    "HoldState", "OriginalTx", "PriorRequest", "Problem", "field_refusal", "field_refusals",
    "plan_batch", "rebase", "reusing_ids",
]

_SEQ, _BALANCE, _FROZEN, _AVAILABLE = (LOG_COLUMNS.index(name) for name in (
    "entry_seq", "balance_after_fen", "frozen_after_fen", "available_after_fen"))


def plan_batch(tenant_id: str, commands: Sequence[Command], state: BatchState, *,
               linked: bool, accounting_date: date, now: datetime,
               next_tx_id: Callable[[], int],
               chains: Sequence[int] | None = None,
               refusals: Sequence[Result | None] | None = None,
               stamps: tuple[object, object] | None = None) -> BatchPlan:
    """Apply ``commands`` in order, in chains of consecutive commands (``chains`` gives their
    lengths): a chain applies whole or not at all, its commands then answering with the
    culprit's code and ``linked_command_failed``; chains are independent of each other.
    ``linked`` makes the whole batch one chain; by default each command is a chain of its own.
    ``refusals``: ``field_refusals(commands)`` when the caller has it already (it loaded the
    state by the well-formed commands only). ``stamps``: the accounting date and ``now`` as
    the rows carry them, when the store wants them already in its driver's form.

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
        planner = Planner(tenant_id, working, accounting_date, now,
                           reusing_ids(issued, next_tx_id), stamps)
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


def _plan_chain(planner: "Planner", prior: dict[str, PriorRequest],
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


def _dispatch(planner: Planner, cmd: Command, digest: int) -> Result:
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
