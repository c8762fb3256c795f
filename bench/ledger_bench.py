"""Ledger benchmark: transfers/s on PostgreSQL and SQLite against pgbench TPC-B on the same server.

Run with ``make bench``. Medians of several rounds; the machine is shared and noisy.
"""

import multiprocessing
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from cunguan.db.connection import make_engine, normalise_url, upgrade
from cunguan.ledger.model import AccountSpec, Side, Transfer
from cunguan.ledger.service import LedgerService

ADMIN_URL = os.environ.get("CUNGUAN_BENCH_DATABASE_URL",
                           "postgresql://postgres@127.0.0.1:5432/test")
BENCH_DB = "cunguan_bench"
TENANT = "BENCH"
ACCOUNTS = 10_000
CLIENTS = 4
ROUNDS = 3
ROUND_SECONDS = 12
BATCH_SIZE = 1_000
BATCHES_PER_ROUND = 12
PGBENCH_SCALE = 4


def _bench_url(name: str = BENCH_DB) -> str:
    """The URL of the benchmark database ``name`` (on the server of ``ADMIN_URL``)."""
    base = ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def _account_no(index: int) -> str:
    return f"A{index:07d}"


#: The server settings a write-heavy run depends on (scripts/tune-postgres sizes them).
SERVER_SETTINGS = ("shared_buffers", "max_wal_size", "checkpoint_timeout", "wal_compression",
                   "synchronous_commit", "autovacuum")


def server_facts() -> tuple[str, dict[str, str]]:
    """The server's version and its values of ``SERVER_SETTINGS``, recorded with every
    result."""
    engine = create_engine(normalise_url(ADMIN_URL))
    with engine.connect() as conn:
        def show(name: str) -> str:
            return str(conn.execute(text(f"SHOW {name}")).scalar_one())
        version = f"PostgreSQL {show('server_version')}"
        settings = {name: show(name) for name in SERVER_SETTINGS}
    engine.dispose()
    return version, settings


def recreate_pg_database(name: str = BENCH_DB) -> None:
    """The benchmark database ``name`` dropped (its connections ended) and created empty."""
    admin = create_engine(normalise_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()


def seed(url: str) -> None:
    """A tenant with a summary account and ACCOUNTS funded user accounts."""
    engine = make_engine(url)
    upgrade(engine)
    ledger = LedgerService(engine)
    ledger.create_tenant(TENANT, "benchmark", date(2026, 11, 23))
    ledger.open_accounts(TENANT, [AccountSpec("SUMMARY", "bank", "summary", "1002", Side.DEBIT)]
                         + [AccountSpec(_account_no(i), "u", "lender", "2011", Side.CREDIT)
                            for i in range(ACCOUNTS)])
    for start in range(0, ACCOUNTS, BATCH_SIZE):
        ledger.execute(TENANT, [Transfer(f"seed-{i}", "SUMMARY", _account_no(i), 10**12,
                                         "recharge") for i in range(start, start + BATCH_SIZE)])
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def _random_transfer(rng: random.Random, request_no: str) -> Transfer:
    debit, credit = rng.sample(range(ACCOUNTS), 2)
    return Transfer(request_no, _account_no(debit), _account_no(credit),
                    rng.randint(1, 100_000))


def _single_worker(url: str, client: int, round_no: int, seconds: float, counts: Any,
                   start: Any) -> None:
    engine = make_engine(url, pool_size=1)
    ledger = LedgerService(engine)
    rng = random.Random(client * 1000 + round_no)
    # Connected and warm (plans prepared) before the clock starts, as pgbench reports its tps
    # "without initial connection time".
    warm = ledger.transfer(TENANT, _random_transfer(rng, f"s{round_no}-{client}-warm"))
    assert warm.ok, warm
    start.wait()
    done = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        result = ledger.transfer(TENANT, _random_transfer(rng, f"s{round_no}-{client}-{done}"))
        assert result.ok, result
        done += 1
    counts[client] = (done, time.perf_counter() - started)
    engine.dispose()


def single_transfer_tps(url: str, clients: int, round_no: int) -> float:
    """One transfer per commit from ``clients`` processes (the GIL would cap threads), all
    started together once connected: transfers over the longest client's window. The same
    count of clients as pgbench, and like pgbench's tps without connecting (nor importing)."""
    counts = multiprocessing.Manager().dict()
    start = multiprocessing.Barrier(clients)
    workers = [multiprocessing.Process(target=_single_worker,
                                       args=(url, c, round_no, ROUND_SECONDS, counts, start))
               for c in range(clients)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if any(w.exitcode != 0 for w in workers):
        raise RuntimeError("a benchmark client failed")
    windows: list[tuple[int, float]] = list(counts.values())
    return sum(done for done, _ in windows) / max(seconds for _, seconds in windows)


def batched_transfers_per_s(url: str, round_no: int) -> float:
    """Batches of BATCH_SIZE transfers, one commit each, from one client."""
    engine = make_engine(url)
    ledger = LedgerService(engine)
    rng = random.Random(round_no)
    batches = [[_random_transfer(rng, f"b{round_no}-{b}-{i}") for i in range(BATCH_SIZE)]
               for b in range(BATCHES_PER_ROUND)]
    started = time.perf_counter()
    for batch in batches:
        results = ledger.execute(TENANT, batch)
        assert all(r.ok for r in results)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return BATCH_SIZE * BATCHES_PER_ROUND / elapsed


#: The ledger's tables a batch writes, and what the SQLite reference writes them again into.
_RAW_TABLES = ("transactions", "fund_log", "accounts")


def sqlite_raw_per_s(url: str, round_no: int, *, history: bool = True
                     ) -> tuple[float, float]:
    """The reference for batched SQLite (issue 20: the ledger ≥ 0.5× of it): the rows that
    ``BATCHES_PER_ROUND`` batches of ``BATCH_SIZE`` transfers wrote — their transactions, their
    fund-log lines and their accounts' new balances and entry seqs (one update per account a
    batch touched, as the ledger writes them) — read back from the ledger's own tables and
    written again by plain ``executemany`` into tables of the same shape (the same DDL and
    indexes, no triggers), one commit a batch, on the same file and pragmas (WAL,
    synchronous=FULL): SQLite's own cost of that writing, with no ledger work. Transfers/s
    and rows/s (a transaction, a fund-log line and an account update are a row each).

    ``history``: the copies first hold the rows the ledger's tables held before those batches
    (copied untimed), so each insert lands in B-trees of the same size, as the ledger's do;
    into empty copies a batch dirtied 128 pages where the ledger's dirtied 569 (WAL frames of
    one batch, measured 2026-12-07) — the difference being the tables' size, not ledger work.
    """
    path = url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    raw = f"raw{round_no}{'h' if history else 'e'}"
    _raw_tables(conn, raw)
    transfers = BATCH_SIZE * BATCHES_PER_ROUND
    txs = conn.execute("SELECT * FROM transactions ORDER BY rowid DESC LIMIT ?",
                       (transfers,)).fetchall()[::-1]
    lines = conn.execute("SELECT * FROM fund_log ORDER BY rowid DESC LIMIT ?",
                         (2 * transfers,)).fetchall()[::-1]
    if history:
        for table, count in (("transactions", transfers), ("fund_log", 2 * transfers)):
            conn.execute(f"INSERT INTO {raw}_{table} SELECT * FROM {table} WHERE rowid <= "
                         f"(SELECT max(rowid) FROM {table}) - ?", (count,))
    tx_sql = f"INSERT INTO {raw}_transactions VALUES ({', '.join('?' * len(txs[0]))})"
    line_sql = f"INSERT INTO {raw}_fund_log VALUES ({', '.join('?' * len(lines[0]))})"
    update_sql = (f"UPDATE {raw}_accounts SET balance_fen = ?, frozen_fen = ?, entry_seq = ? "
                  "WHERE tenant_id = ? AND account_no = ?")
    updates = [_account_updates(lines[2 * b * BATCH_SIZE:2 * (b + 1) * BATCH_SIZE])
               for b in range(BATCHES_PER_ROUND)]
    started = time.perf_counter()
    for b in range(BATCHES_PER_ROUND):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(tx_sql, txs[b * BATCH_SIZE:(b + 1) * BATCH_SIZE])
        conn.executemany(line_sql, lines[2 * b * BATCH_SIZE:2 * (b + 1) * BATCH_SIZE])
        conn.executemany(update_sql, updates[b])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    rows = len(txs) + len(lines) + sum(len(batch) for batch in updates)
    return transfers / elapsed, rows / elapsed


def _account_updates(lines: list[Any]) -> list[tuple[Any, ...]]:
    """Each account's balance, frozen amount and entry seq after a batch's fund-log lines
    (``SELECT *`` rows: tenant, account, entry seq, …, balance after, frozen after, …)."""
    last: dict[tuple[str, str], tuple[Any, ...]] = {}
    for line in lines:
        last[(line[0], line[1])] = (line[7], line[8], line[2], line[0], line[1])
    return list(last.values())


def _raw_tables(conn: sqlite3.Connection, raw: str) -> None:
    """Empty copies ``{raw}_{table}`` of the ledger's tables (accounts with its rows),
    indexes included."""
    for table in _RAW_TABLES:
        copy_name = f"{raw}_{table}"
        for kind, name, sql in conn.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT "
                "NULL AND type IN ('table', 'index') ORDER BY type DESC", (table,)).fetchall():
            copy = sql.replace(f"TABLE {table} ", f"TABLE {copy_name} ", 1).replace(
                f" ON {table} ", f" ON {copy_name} ", 1)
            if kind == "index":
                copy = copy.replace(f"INDEX {name} ", f"INDEX {raw}_{name} ", 1)
            conn.execute(copy)
    conn.execute(f"INSERT INTO {raw}_accounts SELECT * FROM accounts")


def pgbench_init() -> None:
    if shutil.which("pgbench") is None:
        raise RuntimeError("pgbench not found: install PostgreSQL's client tools")
    subprocess.run(["pgbench", *_pgbench_args(), "-i", "-q", "-s", str(PGBENCH_SCALE),
                    BENCH_DB], check=True, capture_output=True)


def pgbench_tps(clients: int) -> float:
    """One round of pgbench TPC-B (``pgbench_init`` first)."""
    out = subprocess.run(["pgbench", *_pgbench_args(), "-n", "-c", str(clients), "-j", "2",
                          "-T", str(ROUND_SECONDS), BENCH_DB],
                         check=True, capture_output=True, text=True).stdout
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    if match is None:
        raise RuntimeError(f"cannot read pgbench output:\n{out}")
    return float(match.group(1))


def _pgbench_args() -> list[str]:
    match = re.match(r"postgres(?:ql)?://(?:(\w+)@)?([\w.\-]+)(?::(\d+))?/", ADMIN_URL)
    if match is None:
        raise RuntimeError(f"cannot read host from {ADMIN_URL}")
    user, host, port = match.groups()
    return ["-h", host, "-p", port or "5432", "-U", user or "postgres"]


def rounds(measure: Callable[[int], float]) -> list[float]:
    return [measure(r) for r in range(ROUNDS)]


def run(log: Callable[[str], None]) -> dict[str, Any]:
    recreate_pg_database()
    pgbench_init()
    pg_url = _bench_url()
    log("seeding the ledger on PostgreSQL")
    seed(pg_url)
    log(f"{ROUNDS} rounds, each: pgbench TPC-B (scale {PGBENCH_SCALE}, {CLIENTS} clients, "
        f"{ROUND_SECONDS}s), single transfers ({CLIENTS} client processes, {ROUND_SECONDS}s), "
        f"{BATCHES_PER_ROUND} batches of {BATCH_SIZE}, one after the other")
    pgbench: list[float] = []
    single_pg: list[float] = []
    batched_pg: list[float] = []
    for r in range(ROUNDS):   # each ratio pairs measures minutes apart, not a quarter hour
        pgbench.append(pgbench_tps(CLIENTS))
        single_pg.append(single_transfer_tps(pg_url, CLIENTS, r))
        batched_pg.append(batched_transfers_per_s(pg_url, r))
    with tempfile.TemporaryDirectory() as folder:
        sqlite_url = f"sqlite:///{Path(folder) / 'bench.db'}"
        log("seeding the ledger on SQLite")
        seed(sqlite_url)
        log("batched transfers on SQLite (synchronous=FULL), each round followed by the "
            "same rows by plain executemany (the reference), into copies holding the tables' "
            "history and into empty ones")
        batched_sqlite: list[float] = []
        raw: list[tuple[float, float]] = []
        raw_empty: list[tuple[float, float]] = []
        for r in range(ROUNDS):
            batched_sqlite.append(batched_transfers_per_s(sqlite_url, r))
            raw.append(sqlite_raw_per_s(sqlite_url, r))
            raw_empty.append(sqlite_raw_per_s(sqlite_url, r, history=False))
        log("single transfers on SQLite, 1 client")
        single_sqlite = rounds(lambda r: single_transfer_tps(sqlite_url, 1, r))
    median = statistics.median
    raw_sqlite = [transfers for transfers, _ in raw]
    raw_empty_sqlite = [transfers for transfers, _ in raw_empty]
    return {
        "pgbench_tpcb_tps": round(median(pgbench), 1),
        "single_transfer_tps_pg": round(median(single_pg), 1),
        "single_vs_pgbench_ratio": round(median(single_pg) / median(pgbench), 3),
        "single_vs_pgbench_ratio_by_round": [round(a / b, 3) for a, b in zip(
            single_pg, pgbench, strict=True)],
        "batched_transfers_per_s_pg": round(median(batched_pg), 1),
        "batched_pg_vs_pgbench_ratio": round(median(batched_pg) / median(pgbench), 2),
        "batched_pg_vs_pgbench_ratio_by_round": [round(a / b, 2) for a, b in zip(
            batched_pg, pgbench, strict=True)],
        "batched_vs_raw_sqlite_ratio_by_round": [round(a / b, 3) for a, b in zip(
            batched_sqlite, raw_sqlite, strict=True)],
        "batched_transfers_per_s_sqlite": round(median(batched_sqlite), 1),
        "single_transfer_tps_sqlite": round(median(single_sqlite), 1),
        "sqlite_raw_rows_per_s": round(median(rows for _, rows in raw), 1),
        "sqlite_raw_transfers_per_s": round(median(raw_sqlite), 1),
        "batched_vs_raw_sqlite_ratio": round(median(batched_sqlite) / median(raw_sqlite), 3),
        "sqlite_raw_empty_tables_transfers_per_s": round(median(raw_empty_sqlite), 1),
        "batched_vs_raw_empty_tables_sqlite_ratio": round(
            median(batched_sqlite) / median(raw_empty_sqlite), 3),
        "clients": CLIENTS,
        "batch_size": BATCH_SIZE,
        "rounds": {"pgbench_tpcb_tps": pgbench, "single_transfer_tps_pg": single_pg,
                   "batched_transfers_per_s_pg": batched_pg,
                   "batched_transfers_per_s_sqlite": batched_sqlite,
                   "sqlite_raw_transfers_per_s": raw_sqlite,
                   "sqlite_raw_empty_tables_transfers_per_s": raw_empty_sqlite,
                   "single_transfer_tps_sqlite": single_sqlite},
        "targets": {"single_vs_pgbench_ratio": 0.8, "batched_transfers_per_s_pg": 30_000,
                    "batched_pg_vs_pgbench_ratio": 7, "batched_vs_raw_sqlite_ratio": 0.5,
                    "batched_transfers_per_s_sqlite": 50_000},
    }
