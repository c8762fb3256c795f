"""PostgreSQL under concurrency: 8 threads × thousands of random transfers, request nos.
duplicated across threads (R-L5). Totals are conserved, nothing goes negative, each request
posts exactly once, and no thread ever sees a generic error."""

import random
from collections import Counter

import pytest
from sqlalchemy import Engine, text

from cunguan.ledger.model import AccountSpec, Reject, Result, Side, Transfer
from cunguan.ledger.service import LedgerService
from tests.helpers import SUMMARY, TENANT, in_threads, ledger_with_tenant

THREADS = 8
TRANSFERS_PER_THREAD = 1_500
ACCOUNTS = [f"C{i:02d}" for i in range(12)]
SEED_FEN = 1_000_000


def _request_pool() -> list[Transfer]:
    """Transfers shared by all threads: each thread sends a random subset, so many request
    nos. arrive from several threads at once, some of them inside the same batch."""
    rng = random.Random(99)
    pool = []
    for i in range(THREADS * TRANSFERS_PER_THREAD // 2):
        debit, credit = rng.sample(ACCOUNTS, 2)
        pool.append(Transfer(f"cc{i:06d}", debit, credit, rng.randint(1, 120_000)))
    return pool


@pytest.mark.postgres
@pytest.mark.slow
def test_r_l5_concurrent_duplicates_post_exactly_once(pg_engine: Engine) -> None:
    ledger = ledger_with_tenant(pg_engine)
    ledger.open_accounts(TENANT, [AccountSpec(no, no, "lender", "2011", Side.CREDIT)
                                  for no in ACCOUNTS])
    ledger.execute(TENANT, [Transfer(f"seed-{no}", SUMMARY, no, SEED_FEN, "recharge")
                            for no in ACCOUNTS])
    pool = _request_pool()

    def worker(index: int) -> Counter[str]:
        rng, outcomes = random.Random(index), Counter[str]()
        service = LedgerService(pg_engine, clock=ledger.clock)
        sent = 0
        while sent < TRANSFERS_PER_THREAD:
            size = rng.choice([1, 1, 1, 5, 20])
            batch = [rng.choice(pool) for _ in range(size)]
            _tally(outcomes, service.execute(TENANT, batch))
            sent += size
        return outcomes

    outcomes = in_threads(THREADS, worker)   # raises any thread's error: no generic failures
    total = sum(outcomes, Counter())
    assert total["replayed"] > 0 and total["ok"] > 0  # the race really happened
    assert set(total) <= {"ok", "replayed", Reject.EXCEEDS_AVAILABLE.value}

    with pg_engine.connect() as conn:
        balances = dict(conn.execute(text(
            "SELECT account_no, balance_fen FROM accounts WHERE account_no LIKE 'C%'")).all())
        per_request = conn.execute(text(
            "SELECT request_no, count(*) FROM transactions WHERE request_no LIKE 'cc%' "
            "GROUP BY request_no HAVING count(*) > 1")).all()
        lines = conn.execute(text(
            "SELECT count(*) FROM fund_log f JOIN transactions t USING (tenant_id, tx_id) "
            "WHERE t.request_no LIKE 'cc%'")).scalar_one()
        applied = conn.execute(text(
            "SELECT count(*) FROM transactions WHERE request_no LIKE 'cc%'")).scalar_one()
    assert sum(balances.values()) == SEED_FEN * len(ACCOUNTS)  # conserved
    assert min(balances.values()) >= 0
    assert per_request == []
    assert lines == 2 * applied
    assert total["ok"] == applied  # each applied request was reported "ok" exactly once


def _tally(counter: Counter[str], results: list[Result]) -> None:
    for result in results:
        if result.replayed:
            counter["replayed"] += 1
        elif result.ok:
            counter["ok"] += 1
        else:
            counter[str(result.reject)] += 1
