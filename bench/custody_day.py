"""The whole custody day (issue 3): 3,000,000 operations on PostgreSQL, set-based, then the
day close over everything the day wrote.

``custody_bench`` runs a 30,000-operation sample of the mix on a fresh database and says how
long the day would take at that rate. This runs the day itself, in tenths drawn one after the
other (the same mix, each tenth with its own request nos.), and reports each tenth's rate: the
last tenth runs against tables ten times fuller than the first, so the tenths show whether the
sample's rate holds for a whole day. The day close then runs every day-end check (R-L8,
R-C2: the summary account against the sub-accounts, trial balance, holds, …).

``make bench-day`` (not part of ``make bench``: it takes ten minutes or more on this machine).
"""

import json
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from statistics import median
from typing import Any

from sqlalchemy import text

from bench import custody_bench
from bench.ledger_bench import _bench_url, recreate_pg_database
from bench.run import RESULTS, _replace, describe, save, stamp
from cunguan.core.clock import FixedClock
from cunguan.platform.day_service import DayService

TENTHS = 10
BACKENDS = ("postgresql", "sqlite")
RESULT_FILE = "custody_day.json"
BENCH_README = Path(__file__).parent / "README.md"
DAY_START, DAY_END = "<!-- custody-day:start -->", "<!-- custody-day:end -->"
#: The tables whose size the report gives (the ones the day's volume lands in).
REPORTED_TABLES = ("fund_log", "transactions", "holds", "custody_requests", "outbox_events",
                   "custody_withdrawals", "custody_recharges", "custody_bids",
                   "custody_claims")


def run(log: Callable[[str], None], backend: str = "postgresql",
        operations: int = custody_bench.DAY_OPERATIONS) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        if backend == "postgresql":
            recreate_pg_database()
            url = _bench_url()
        else:
            url = f"sqlite:///{Path(folder) / 'custody-day.db'}"
        return _day(url, backend, operations, log)


def _day(url: str, backend: str, operations: int, log: Callable[[str], None]
         ) -> dict[str, Any]:
    custody, users = custody_bench._setup(url)
    per_tenth = operations // TENTHS
    outcomes: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    tenths: list[dict[str, float]] = []
    streams = custody_bench.STREAMS_PG if backend == "postgresql" else 1
    custody.engine.dispose()    # the streams' processes open their own connections
    analyzed = 0
    for tenth in range(TENTHS):
        elapsed, sent, answered, tables = custody_bench.run_streams(
            url, custody_bench._stream_mix(users, f"D{tenth}-", per_tenth, streams, seed=tenth),
            streams, custody_bench.PER_CALL)
        done = sum(sent.values())
        kinds.update(sent)
        outcomes.update(answered)
        analyzed += tables
        tenths.append({"operations": done, "wall_time_s": round(elapsed, 2),
                       "operations_per_s": round(done / elapsed, 1)})
        log(f"{backend} tenth {tenth + 1}: {done:,} operations, {done / elapsed:,.0f}/s")
    wall_s = sum(t["wall_time_s"] for t in tenths)
    done_total = sum(kinds.values())
    started = time.perf_counter()
    # The synthetic day closes once it has ended (R-L7): the close's clock is a day later.
    after_day = FixedClock(custody.clock() + timedelta(days=1))
    close = DayService(custody.engine, clock=after_day).close(custody_bench.TENANT)
    close_s = time.perf_counter() - started
    sizes = _sizes(custody.engine) if backend == "postgresql" else _file_size(url)
    custody.engine.dispose()
    return {"operations": done_total, "backend": backend,
            "set_based_per_call": custody_bench.PER_CALL, "users": custody_bench.USERS,
            "wall_time_s": round(wall_s, 1),
            "operations_per_s": round(done_total / wall_s, 1),
            "tenths": tenths,
            "first_to_last_tenth_rate_ratio": round(
                tenths[-1]["operations_per_s"] / tenths[0]["operations_per_s"], 2),
            "median_tenth_operations_per_s": median(t["operations_per_s"] for t in tenths),
            "mix": dict(kinds), "outcomes": dict(outcomes),
            "day_close": {"closed": close.closed, "findings": len(close.findings),
                          "wall_time_s": round(close_s, 1)},
            "table_mib": sizes, "tables_analyzed_by_bench": analyzed, "streams": streams,
            "peak_memory_mib": round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "target": {"day_operations": custody_bench.DAY_OPERATIONS,
                       "seconds_pg": custody_bench.TARGET_SECONDS_PG}}


def _file_size(url: str) -> dict[str, float]:
    """SQLite keeps the whole database in one file (and its write-ahead log)."""
    path = Path(url.removeprefix("sqlite:///"))
    return {"database_file": round(sum(p.stat().st_size for p in (
        path, path.with_name(path.name + "-wal")) if p.exists()) / 2**20, 1)}


def _sizes(engine: Any) -> dict[str, float]:
    with engine.connect() as conn:
        return {name: round(conn.execute(text(
            "SELECT pg_total_relation_size(CAST(:name AS regclass))"), {"name": name}
        ).scalar_one() / 2**20, 1) for name in REPORTED_TABLES}


def day_table(results: dict[str, Any]) -> str:
    days = [results[b] for b in BACKENDS if b in results]
    lines = ["| tenth of the day | " + " | ".join(f"{d['backend']} operations/s" for d in days)
             + " |", "|---:|" + "---:|" * len(days)]
    for number in range(TENTHS):
        lines.append(f"| {number + 1} | " + " | ".join(
            f"{d['tenths'][number]['operations_per_s']:,.0f}" for d in days) + " |")
    lines.append("")
    for day in days:
        close = day["day_close"]
        sizes = ", ".join(f"{name} {mib:,} MiB" for name, mib in day["table_mib"].items()
                          if name in ("fund_log", "database_file"))
        lines.append(
            f"- **{day['backend']}**: {day['operations']:,} operations in "
            f"{day['wall_time_s']:,} s ({day['operations_per_s']:,.0f}/s), outcomes "
            f"{day['outcomes']}; last tenth's rate ÷ first's "
            f"{day['first_to_last_tenth_rate_ratio']}; day close "
            f"{'passed' if close['closed'] else 'FAILED'} ({close['findings']} findings) in "
            f"{close['wall_time_s']} s; {sizes}; peak memory {day['peak_memory_mib']} MiB. "
            f"Measured {day['date']} on {describe(day['machine'])}.")
    lines.append("")
    lines.append(f"Target: {custody_bench.DAY_OPERATIONS:,} operations in ≤ "
                 f"{custody_bench.TARGET_SECONDS_PG} s on PostgreSQL.")
    return "\n".join(lines)


def render(results: dict[str, Any]) -> None:
    readme = BENCH_README.read_text()
    BENCH_README.write_text(_replace(readme, DAY_START, DAY_END, day_table(results)))


def main() -> None:
    """``python -m bench.custody_day [postgresql|sqlite|both] [operations]``; a run of the
    whole day records its backend's result, a shorter trial run records nothing."""
    path = RESULTS / RESULT_FILE
    recorded = json.loads(path.read_text()) if path.exists() else {}
    if sys.argv[1:] == ["--render-only"]:
        render(recorded)
        return
    which = sys.argv[1] if len(sys.argv) > 1 else "both"
    operations = int(sys.argv[2]) if len(sys.argv) > 2 else custody_bench.DAY_OPERATIONS
    for backend in BACKENDS if which == "both" else (which,):
        result = run(lambda line: print(f"[bench-day] {line}", flush=True), backend,
                     operations)
        print(json.dumps(result, indent=2, ensure_ascii=False))
        if operations == custody_bench.DAY_OPERATIONS:
            stamp(result)
            recorded[backend] = result
            save(RESULT_FILE, recorded)
            render(recorded)


if __name__ == "__main__":
    main()
