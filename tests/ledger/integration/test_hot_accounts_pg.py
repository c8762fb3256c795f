"""Hot accounts (热点账户) on PostgreSQL: read without a lock while a batch is planned, locked
while its lines are written, the lines moved onto what committed in between (R-L3, R-L6)."""

import random
import threading
from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy import Engine, text

from cunguan.core.clock import CST
from cunguan.ledger.engine import plan_batch
from cunguan.ledger.model import AccountFlag, AccountSpec, Reject, Side, Transfer
from cunguan.ledger.service import LedgerService
from cunguan.ledger.store.batches import BatchStore
from tests.helpers import DAY, SUMMARY, TENANT, in_threads, ledger_with_tenant

POOL = "POOL"           # a hot account many batches draw from, as a marketing account is
THREADS = 6
BATCHES_PER_THREAD = 40
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=CST)


def _ledger(engine: Engine, users: list[str], pool_fen: int,
            clock: Callable[[], datetime] | None = None) -> LedgerService:
    ledger = ledger_with_tenant(engine)
    ledger.open_accounts(TENANT, [
        AccountSpec(POOL, TENANT, "platform_marketing", "2242", Side.CREDIT, AccountFlag.HOT),
        *(AccountSpec(u, u, "lender", "2011", Side.CREDIT) for u in users)])
    assert ledger.execute(TENANT, [Transfer("fund", SUMMARY, POOL, pool_fen, funding=True)]
                          )[0].ok
    return ledger if clock is None else LedgerService(engine, clock=clock)


def _pool_lines(engine: Engine) -> list[tuple[int, str, int, int]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(  # type: ignore[misc]
            "SELECT entry_seq, side, amount_fen, balance_after_fen FROM fund_log "
            "WHERE account_no = :no ORDER BY entry_seq"), {"no": POOL})]


def _assert_continuous(engine: Engine) -> int:
    """Entry seqs 1…n, each balance after = the one before ± the line (R-L6); the last."""
    balance_fen = 0
    lines = _pool_lines(engine)
    for expected_seq, (seq, side, amount_fen, after_fen) in enumerate(lines, start=1):
        balance_fen += amount_fen if side == Side.CREDIT.value else -amount_fen
        assert (seq, after_fen) == (expected_seq, balance_fen)
        assert after_fen >= 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT balance_fen FROM accounts WHERE account_no = :no"),
                            {"no": POOL}).scalar_one() == balance_fen
    return balance_fen


@pytest.mark.postgres
def test_r_l6_a_hot_account_is_not_locked_while_a_batch_is_planned(pg_engine: Engine) -> None:
    ledger = _ledger(pg_engine, ["V8", "V9"], 10_000)
    pooled = pg_engine.raw_connection()
    store = BatchStore(pooled.driver_connection, postgres=True)
    try:
        store.begin()
        commands = [Transfer("slow", POOL, "V8", 300)]
        accounting_date, state = store.load(TENANT, commands)
        assert accounting_date == DAY and set(state.hot) == {POOL}
        plan = plan_batch(TENANT, commands, state, linked=False, accounting_date=DAY,
                          now=NOW, next_tx_id=iter(range(10**9, 10**9 + 9)).__next__)
        # Planned, not written: another batch on the same hot account goes through meanwhile.
        other = threading.Thread(target=lambda: ledger.execute(
            TENANT, [Transfer("quick", POOL, "V9", 500)]))
        other.start()
        other.join(timeout=20)
        assert not other.is_alive(), "the hot account was locked while a batch planned"
        assert store.write(TENANT, plan, commit=True)
    finally:
        pooled.close()
    lines = _pool_lines(pg_engine)
    assert [(seq, after) for seq, _, _, after in lines[-2:]] == [(2, 9_500), (3, 9_200)]
    assert _assert_continuous(pg_engine) == 9_200


class _DrainingClock:
    """The time, read once a batch is loaded: the first time, another batch first draws the
    hot account down and commits (a concurrent draw that lands between reading and writing)."""

    def __init__(self, drain: Callable[[], None]) -> None:
        self.drain: Callable[[], None] | None = drain

    def __call__(self) -> datetime:
        drain, self.drain = self.drain, None
        if drain is not None:
            drain()
        return NOW


@pytest.mark.postgres
def test_r_l3_a_draw_overtaken_by_a_concurrent_one_is_planned_again_and_refused(
        pg_engine: Engine) -> None:
    other = _ledger(pg_engine, ["V1", "V2"], 1_000)
    clock = _DrainingClock(lambda: other.execute(TENANT, [Transfer("first", POOL, "V1", 700)]))
    late = LedgerService(pg_engine, clock=clock)
    (result,) = late.execute(TENANT, [Transfer("second", POOL, "V2", 600)])
    assert clock.drain is None                      # the concurrent draw did land in between
    assert result.reject is Reject.EXCEEDS_AVAILABLE
    assert "available_fen=300" in result.detail     # judged again on the balance after it
    assert _assert_continuous(pg_engine) == 300


@pytest.mark.postgres
@pytest.mark.slow
def test_r_l3_concurrent_batches_on_a_hot_account_keep_its_log_continuous(
        pg_engine: Engine) -> None:
    users = [f"H{t}-{i}" for t in range(THREADS) for i in range(3)]
    pool_fen = 400_000
    ledger = _ledger(pg_engine, users, pool_fen)
    ledger.execute(TENANT, [Transfer(f"seed-{u}", SUMMARY, u, 50_000, funding=True)
                            for u in users])

    def worker(thread: int) -> None:
        rng, mine = random.Random(thread), users[thread * 3:thread * 3 + 3]
        service = LedgerService(pg_engine, clock=ledger.clock)
        for batch in range(BATCHES_PER_THREAD):
            service.execute(TENANT, [
                Transfer(f"t{thread}-{batch}-{n}", POOL, user, rng.randint(1, 4_000))
                if rng.random() < 0.7 else
                Transfer(f"t{thread}-{batch}-{n}", user, POOL, rng.randint(1, 2_000))
                for n, user in enumerate(rng.choices(mine, k=rng.randint(1, 8)))])

    in_threads(THREADS, worker)          # raises any thread's error
    pool_now_fen = _assert_continuous(pg_engine)
    with pg_engine.connect() as conn:
        users_fen = conn.execute(text("SELECT sum(balance_fen) FROM accounts "
                                      "WHERE account_no LIKE 'H%'")).scalar_one()
    assert pool_now_fen + users_fen == pool_fen + 50_000 * len(users)   # conserved
    assert len(_pool_lines(pg_engine)) > BATCHES_PER_THREAD * THREADS   # it really ran
