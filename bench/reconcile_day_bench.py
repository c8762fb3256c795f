"""A reconciliation day end to end: ``ReconcileService.match_day`` on SQLite and PostgreSQL,
against the matching engine alone (``matching.match``) on frames of the same lines and items,
same run; medians of ``ROUNDS``. The engine is what the day must compute; the rest is the
day's reads (lines, postings, items carried) and writes (matches, arrivals, breaks, items in
transit). Only ``match_day`` is timed: each round builds a fresh database first.

The day: ``LINES`` postings on the mirrored ledger account, a statement line for each but one
in ``1 / MISSING_EVERY`` (left in transit); then the next day, those lines arrive and the
carried items match. Run alone with ``PYTHONPATH=src:. python -m bench.reconcile_day_bench``
(writes bench/results/reconcile_day.json), or with the rest by ``make bench``.
"""

import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, create_engine, text

from cunguan.core.clock import CST, FixedClock
from cunguan.db.connection import make_engine, normalise_url, upgrade
from cunguan.ledger.model import AccountSpec, Side, Transfer
from cunguan.ledger.service import LedgerService
from cunguan.reconcile.handlers.service import ReconcileService
from cunguan.reconcile.rules import matching, register
from cunguan.reconcile.rules.statements import BookItem, Direction, Statement, StatementLine

LINES = 50_000
MISSING_EVERY = 200               # 0.5 % of the day's items wait in transit
ROUNDS = 3
POSTINGS_PER_CALL = 1_000
PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
DAY = date(2026, 12, 7)
TENANT, SUMMARY, CUSTOMER = "BENCH", "SUMMARY", "U1"
BANK_ACCOUNT, OPERATOR = "6222020200112233", "bench"


def _services(engine: Engine) -> tuple[LedgerService, ReconcileService]:
    """A tenant whose custody summary account the bank account mirrors, and one customer."""
    clock = FixedClock(datetime(DAY.year, DAY.month, DAY.day, 10, tzinfo=CST))
    ledger = LedgerService(engine, clock=clock)
    ledger.create_tenant(TENANT, "Bench", DAY)
    ledger.open_accounts(TENANT, [
        AccountSpec(SUMMARY, "bank", "custody_summary", "1002", Side.DEBIT),
        AccountSpec(CUSTOMER, "user", "lender", "2011", Side.CREDIT)])
    recon = ReconcileService(engine, ledger, clock=clock)
    recon.add_account(register.bank_account(BANK_ACCOUNT, "ICBC", "custody", tenant_id=TENANT,
                                            mirrors=[SUMMARY]), operator=OPERATOR)
    return ledger, recon


def line(no: int, amount_fen: int, ref: str, day: date = DAY) -> StatementLine:
    return StatementLine(line_no=no, value_date=day, booking_date=day,
                         direction=Direction.CREDIT, amount_fen=amount_fen,
                         bank_ref=f"B{day:%m%d}{no:06d}", end_to_end_ref=ref)


def statement(statement_id: str, opening_fen: int, lines: list[StatementLine],
              day: date = DAY) -> Statement:
    closing = opening_fen + sum(item.signed_fen for item in lines)
    return Statement("bench", statement_id, BANK_ACCOUNT, "CNY", day, day, opening_fen,
                     closing, tuple(lines))


def _amount_fen(j: int) -> int:
    return 100 + j % 50


@contextmanager
def _database(backend: str) -> Iterator[Engine]:
    """A migrated, empty database: a SQLite file, or a PostgreSQL schema dropped after."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            engine = make_engine(f"sqlite:///{folder}/day.db")
            upgrade(engine)
            yield engine
            engine.dispose()
        return
    schema = f"bench_day_{time.monotonic_ns()}"
    admin = create_engine(normalise_url(PG_URL))
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = make_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def _day(engine: Engine) -> tuple[float, float, int]:
    """(seconds of day T's match_day, of T+1's, lines matched on T), on a fresh world."""
    ledger, recon = _services(engine)
    for start in range(0, LINES, POSTINGS_PER_CALL):
        ledger.execute(TENANT, [Transfer(f"R{j}", SUMMARY, CUSTOMER, _amount_fen(j), "recharge")
                                for j in range(start, min(LINES, start + POSTINGS_PER_CALL))])
    today = [line(j + 1, _amount_fen(j), f"R{j}") for j in range(LINES) if j % MISSING_EVERY]
    first = statement("BENCH-T", 0, today)
    recon.import_statement(first, file_sha256="a" * 64, operator=OPERATOR)
    started = time.perf_counter()
    run = recon.match_day(BANK_ACCOUNT, DAY, operator=OPERATOR)
    day_s = time.perf_counter() - started
    if (run.matched, run.in_transit) != (2 * len(today), LINES - len(today)):
        raise SystemExit(f"reconcile day bench: {run}")
    next_day = DAY + timedelta(days=1)
    late = [line(j + 1, _amount_fen(j), f"R{j}", next_day)
            for j in range(LINES) if j % MISSING_EVERY == 0]
    recon.import_statement(statement("BENCH-T1", first.closing_balance_fen, late, next_day),
                           file_sha256="b" * 64, operator=OPERATOR)
    started = time.perf_counter()
    after = recon.match_day(BANK_ACCOUNT, next_day, operator=OPERATOR)
    next_s = time.perf_counter() - started
    if (after.matched, after.in_transit) != (2 * len(late), 0):
        raise SystemExit(f"reconcile day bench, T+1: {after}")
    return day_s, next_s, run.matched


def _engine_alone() -> float:
    """Seconds of ``matching.match`` on frames of the same day: the work match_day must do."""
    lines = [(f"S{j}", BANK_ACCOUNT, line(j + 1, _amount_fen(j), f"R{j}"))
             for j in range(LINES) if j % MISSING_EVERY]
    items = [BookItem(f"P{j}", BANK_ACCOUNT, DAY, Direction.CREDIT, _amount_fen(j), f"R{j}")
             for j in range(LINES)]
    started = time.perf_counter()
    matching.match(matching.bank_frame(lines), matching.book_frame(items), as_of=DAY)
    return time.perf_counter() - started


def run(log: Callable[[str], None] = print) -> dict[str, Any]:
    results: dict[str, Any] = {"lines": LINES, "in_transit": LINES // MISSING_EVERY}
    engine_times: list[float] = []
    for backend in ("sqlite", "postgresql"):
        days, nexts = [], []
        for _ in range(ROUNDS):
            engine_times.append(_engine_alone())
            with _database(backend) as engine:
                day_s, next_s, _ = _day(engine)
            days.append(day_s)
            nexts.append(next_s)
        day_s = statistics.median(days)
        log(f"reconcile day: {backend} match_day {day_s:.2f} s for {LINES:,} lines "
            f"(T+1, the carried items: {statistics.median(nexts):.3f} s)")
        results[f"match_day_s_{backend}"] = round(day_s, 3)
        results[f"next_day_s_{backend}"] = round(statistics.median(nexts), 3)
        results[f"rounds_{backend}"] = {"match_day_s": days, "next_day_s": nexts}
    engine_s = statistics.median(engine_times)
    results["engine_alone_s"] = round(engine_s, 3)
    for backend in ("sqlite", "postgresql"):
        results[f"match_day_vs_engine_ratio_{backend}"] = round(
            results[f"match_day_s_{backend}"] / engine_s, 1)
    results["engine_rounds_s"] = engine_times
    return results


def summary(results: dict[str, Any]) -> str:
    return (f"reconcile day: {results['lines']:,} lines, match_day SQLite "
            f"{results['match_day_s_sqlite']} s, PostgreSQL {results['match_day_s_postgresql']}"
            f" s; the engine alone {results['engine_alone_s']} s (ratios "
            f"{results['match_day_vs_engine_ratio_sqlite']}x, "
            f"{results['match_day_vs_engine_ratio_postgresql']}x)")


def main() -> None:
    from bench.run import RESULTS, save, stamp
    results = run(lambda message: print(f"[bench] {message}", flush=True))
    stamp(results)
    RESULTS.mkdir(exist_ok=True)
    if "--no-save" not in sys.argv:
        save("reconcile_day.json", results)
    print(summary(results))


if __name__ == "__main__":
    sys.exit(main())
