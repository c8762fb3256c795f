"""Hot accounts (热点账户): a plan made on a hot account's balance as read, then moved onto the
balance found when the account is locked for writing (engine.rebase), writes exactly what
planning on that newer balance would have written (R-L3, R-L6) — or is refused for a new
planning, never written wrong."""

from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from cunguan.ledger.engine import AccountVersion, BatchPlan, BatchState, plan_batch, rebase
from cunguan.ledger.model import AccountFlag, AccountStatus, Command, Freeze, Side, Transfer
from cunguan.ledger.rules import AccountState

DAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
HOT = "MARKETING"
USERS = ("U1", "U2", "U3")
_FLAGS = int(AccountFlag.HOT)


def _version(balance_fen: int, frozen_fen: int = 0, entry_seq: int = 0, *,
             status: str = "normal", flags: int = _FLAGS,
             overdraft_limit_fen: int = 0) -> AccountVersion:
    return AccountVersion(status, flags, overdraft_limit_fen, balance_fen, frozen_fen, entry_seq)


def _state(hot: AccountVersion, user_fen: int = 10_000) -> BatchState:
    accounts = {no: AccountState(no, Side.CREDIT, AccountStatus.NORMAL, 0, 0, user_fen, 0, 5)
                for no in USERS}
    accounts[HOT] = AccountState(HOT, Side.CREDIT, AccountStatus(hot.status), hot.flags,
                                 hot.overdraft_limit_fen, hot.balance_fen, hot.frozen_fen,
                                 hot.entry_seq)
    return BatchState(accounts, hot={HOT: hot})


def _plan(state: BatchState, commands: list[Command]) -> BatchPlan:
    ids = iter(range(100, 10**6))
    return plan_batch("T", commands, state, linked=False, accounting_date=DAY, now=NOW,
                      next_tx_id=ids.__next__)


def _hot_lines(plan: BatchPlan) -> list[tuple[object, ...]]:
    return [row for row in plan.log_rows if row[1] == HOT]


_commands = st.lists(st.one_of(
    st.builds(lambda u, a: ("out", u, a), st.sampled_from(USERS), st.integers(1, 3_000)),
    st.builds(lambda u, a: ("in", u, a), st.sampled_from(USERS), st.integers(1, 3_000)),
    st.builds(lambda a: ("freeze", HOT, a), st.integers(1, 2_000))), min_size=1, max_size=12)


def _commands_of(drawn: list[tuple[str, str, int]]) -> list[Command]:
    commands: list[Command] = []
    for index, (kind, user, amount_fen) in enumerate(drawn):
        no = f"r{index}"
        if kind == "out":
            commands.append(Transfer(no, HOT, user, amount_fen))
        elif kind == "in":
            commands.append(Transfer(no, user, HOT, amount_fen, funding=True))
        else:
            commands.append(Freeze(no, HOT, amount_fen, "hold"))
    return commands


@settings(max_examples=300, deadline=None)
@given(_commands, st.integers(0, 20_000), st.integers(0, 3_000), st.integers(0, 50),
       st.integers(-20_000, 20_000), st.integers(-3_000, 3_000), st.integers(0, 40))
def test_r_l3_a_rebased_plan_writes_what_planning_on_the_locked_balance_writes(
        drawn: list[tuple[str, str, int]], balance_fen: int, frozen_fen: int, seq: int,
        balance_shift_fen: int, frozen_shift_fen: int, seq_shift: int) -> None:
    read = _version(balance_fen, frozen_fen, seq)
    locked = _version(balance_fen + balance_shift_fen, max(0, frozen_fen + frozen_shift_fen),
                      seq + seq_shift)
    commands = _commands_of(drawn)
    rebased = rebase(_plan(_state(read), commands), {HOT: locked})
    direct = _plan(_state(locked), commands)
    if rebased is None:
        # Refused only where a decision could differ: something was refused, or the hot
        # account's available fell.
        planned = _plan(_state(read), commands)
        available_fell = (locked.balance_fen - locked.frozen_fen
                          < read.balance_fen - read.frozen_fen)
        assert available_fell or not all(r.ok for r in planned.results)
        return
    assert rebased.results == direct.results
    assert rebased.log_rows == direct.log_rows
    assert rebased.tx_rows == direct.tx_rows
    assert ({a.account_no: (a.balance_fen, a.frozen_fen, a.entry_seq)
             for a in rebased.touched_accounts}
            == {a.account_no: (a.balance_fen, a.frozen_fen, a.entry_seq)
                for a in direct.touched_accounts})


def test_r_l6_lines_on_a_hot_account_continue_after_what_committed_meanwhile() -> None:
    plan = _plan(_state(_version(1_000, entry_seq=7)), [Transfer("r1", HOT, "U1", 100)])
    rebased = rebase(plan, {HOT: _version(5_000, entry_seq=9)})
    assert rebased is not None
    (line,) = _hot_lines(rebased)
    assert (line[2], line[7], line[9]) == (10, 4_900, 4_900)  # seq, balance, available after
    (hot,) = [a for a in rebased.touched_accounts if a.account_no == HOT]
    assert (hot.balance_fen, hot.entry_seq) == (4_900, 10)


def test_r_l3_a_draw_the_newer_balance_cannot_cover_is_refused_for_a_new_planning() -> None:
    plan = _plan(_state(_version(1_000)), [Transfer("r1", HOT, "U1", 800)])
    assert plan.results[0].ok
    assert rebase(plan, {HOT: _version(500, entry_seq=1)}) is None


def test_r_l3_a_status_or_flag_change_on_the_hot_account_means_a_new_planning() -> None:
    plan = _plan(_state(_version(1_000)), [Transfer("r1", "U1", HOT, 10, funding=True)])
    assert rebase(plan, {HOT: _version(1_000, status="frozen")}) is None
    assert rebase(plan, {HOT: _version(1_000, flags=_FLAGS | AccountFlag.OUT_ONLY)}) is None


def test_r_l3_a_refusal_judged_on_an_older_balance_is_not_kept() -> None:
    # Refused for want of money on the balance as read; the hot account has been topped up
    # since, so the refusal must be judged again.
    plan = _plan(_state(_version(100)), [Transfer("r1", HOT, "U1", 500)])
    assert not plan.results[0].ok
    assert rebase(plan, {HOT: _version(10_000, entry_seq=1)}) is None
    assert rebase(plan, {HOT: _version(100)}) is plan  # nothing moved: it stands


def test_a_plan_whose_hot_accounts_did_not_move_is_written_as_planned() -> None:
    plan = _plan(_state(_version(1_000, entry_seq=3)), [Transfer("r1", HOT, "U1", 100)])
    assert plan.hot_read == {HOT: _version(1_000, entry_seq=3)}
    assert rebase(plan, {HOT: _version(1_000, entry_seq=3)}) is plan
