"""Chains in one ledger batch (R-L1): each chain applies whole or not at all, independently of the
others — exactly as if each chain had been posted alone, one after another, as a linked batch."""

import copy
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cunguan.ledger.engine import BatchState, plan_batch
from cunguan.ledger.model import AccountStatus, Freeze, Reject, Side, Transfer
from cunguan.ledger.rules import AccountState

DAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
ACCOUNTS = ("A", "B", "C", "D")


def _state(balances_fen: list[int], frozen_for_debit: str | None = None) -> BatchState:
    return BatchState({
        no: AccountState(no, Side.CREDIT,
                         AccountStatus.FROZEN_FOR_DEBIT if no == frozen_for_debit
                         else AccountStatus.NORMAL, 0, 0, balance_fen, 0, 0)
        for no, balance_fen in zip(ACCOUNTS, balances_fen, strict=True)})


def _plan(state: BatchState, commands: list[Transfer | Freeze], **how: object) -> object:
    ids = iter(range(1, 10**6))
    return plan_batch("T", commands, state, accounting_date=DAY, now=NOW,
                      next_tx_id=ids.__next__, **how)  # type: ignore[arg-type]


def _outcome(results: list) -> list[str]:  # type: ignore[type-arg]
    return ["ok" if r.ok else str(r.reject) for r in results]


def test_r_l1_a_failed_chain_leaves_nothing_and_the_next_chain_still_applies() -> None:
    # A chain of two: the first move applies, the second cannot (C pays nothing) → both undone.
    state = _state([1_000, 0, 0, 0], frozen_for_debit="C")
    commands = [Transfer("x1", "A", "C", 300), Transfer("x2", "C", "B", 100),
                Transfer("y1", "A", "D", 200)]
    plan = _plan(state, commands, linked=False, chains=[2, 1])
    assert _outcome(plan.results) == [  # type: ignore[attr-defined]
        "linked_command_failed", Reject.ACCOUNT_FROZEN.value, "ok"]
    balances = {a.account_no: a.balance_fen for a in plan.touched_accounts}  # type: ignore
    assert balances == {"A": 800, "D": 200}
    assert len(plan.tx_rows) == 1  # type: ignore[attr-defined]
    assert {row[1] for row in plan.log_rows} == {"A", "D"}  # type: ignore[attr-defined]


def test_chain_lengths_must_cover_the_batch() -> None:
    with pytest.raises(ValueError):
        _plan(_state([1, 1, 1, 1]), [Transfer("x", "A", "B", 1)], linked=False, chains=[2])


_moves = st.tuples(st.sampled_from(ACCOUNTS), st.sampled_from(ACCOUNTS),
                   st.integers(1, 400), st.booleans())


@settings(max_examples=300, deadline=None)
@given(balances_fen=st.lists(st.integers(0, 1_000), min_size=4, max_size=4),
       chains=st.lists(st.lists(_moves, min_size=1, max_size=3), min_size=1, max_size=6),
       frozen_for_debit=st.sampled_from((None, *ACCOUNTS)))
def test_r_l1_chains_in_one_batch_equal_each_chain_posted_alone(
        balances_fen: list[int], chains: list[list[tuple[str, str, int, bool]]],
        frozen_for_debit: str | None) -> None:
    commands: list[Transfer | Freeze] = []
    lengths = []
    for c, chain in enumerate(chains):
        lengths.append(len(chain))
        commands += [Freeze(f"c{c}m{m}", debit, amount, "hold") if hold
                     else Transfer(f"c{c}m{m}", debit, credit, amount)
                     for m, (debit, credit, amount, hold) in enumerate(chain)]
    together = _plan(_state(balances_fen, frozen_for_debit), commands, linked=False,
                     chains=lengths)

    # The reference: each chain alone as a linked batch on the state the ones before left.
    state = _state(balances_fen, frozen_for_debit)
    expected: list[str] = []
    start = 0
    for n in lengths:
        trial = copy.deepcopy(state)  # a refused linked batch leaves its working state dirty
        alone = _plan(trial, commands[start:start + n], linked=True)
        expected += _outcome(alone.results)  # type: ignore[attr-defined]
        if all(r.ok for r in alone.results):  # type: ignore[attr-defined]
            state = trial
        start += n
    final = {no: (a.balance_fen, a.frozen_fen) for no, a in state.accounts.items()}

    assert _outcome(together.results) == expected  # type: ignore[attr-defined]
    touched = {a.account_no: (a.balance_fen, a.frozen_fen)
               for a in together.touched_accounts}  # type: ignore[attr-defined]
    assert touched == {no: value for no, value in final.items() if no in touched}
    assert touched.keys() >= {no for no, value in final.items()
                              if value != (balances_fen[ACCOUNTS.index(no)], 0)}
    # one transaction row per applied command, no more
    assert len(together.tx_rows) == expected.count("ok")  # type: ignore[attr-defined]
