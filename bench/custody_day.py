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
import random
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from statistics import median
from typing import Any

from sqlalchemy import text

from bench import custody_bench
from bench.ledger_bench import _bench_url, recreate_pg_database
from bench.pg_statistics import fresh_statistics
from bench.run import RESULTS, _replace, _write, describe
from cunguan.service_layer.day_service import DayService

TENTHS = 10
RESULT_FILE = "custody_day.json"
BENCH_README = Path(__file__).parent / "README.md"
DAY_START, DAY_END = "<!-- custody-day:start -->", "<!-- custody-day:end -->"
#: The tables whose size the report gives (the ones the day's volume lands in).
REPORTED_TABLES = ("fund_log", "transactions", "holds", "custody_requests", "outbox_events",
                   "custody_withdrawals", "custody_recharges", "custody_bids",
                   "custody_claims")


def run(log: Callable[[str], None],
        operations: int = custody_bench.DAY_OPERATIONS) -> dict[str, Any]:
    recreate_pg_database()
    url = _bench_url()
    custody, users = custody_bench._setup(url)
    per_tenth = operations // TENTHS
    outcomes: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    tenths: list[dict[str, float]] = []
    with fresh_statistics(url) as analyzed:
        for tenth in range(TENTHS):
            chains = custody_bench._mix(custody, users, random.Random(tenth), per_tenth,
                                        tag=f"D{tenth}-")
            done = sum(len(chain) for chain in chains)
            kinds.update(kind for chain in chains for kind, _ in chain)
            started = time.perf_counter()
            custody_bench._run_set_based(custody, chains, custody_bench.PER_CALL, outcomes)
            elapsed = time.perf_counter() - started
            tenths.append({"operations": done, "wall_time_s": round(elapsed, 2),
                           "operations_per_s": round(done / elapsed, 1)})
            log(f"tenth {tenth + 1}: {done:,} operations, {done / elapsed:,.0f}/s")
    wall_s = sum(t["wall_time_s"] for t in tenths)
    done_total = sum(kinds.values())
    started = time.perf_counter()
    close = DayService(custody.engine, clock=custody.clock).close(custody_bench.TENANT)
    close_s = time.perf_counter() - started
    sizes = _sizes(custody.engine)
    custody.engine.dispose()
    return {"operations": done_total, "backend": "postgresql",
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
            "table_mib": sizes, "tables_analyzed_by_bench": len(analyzed),
            "peak_memory_mib": round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "target": {"day_operations": custody_bench.DAY_OPERATIONS,
                       "seconds_pg": custody_bench.TARGET_SECONDS_PG}}


def _sizes(engine: Any) -> dict[str, float]:
    with engine.connect() as conn:
        return {name: round(conn.execute(text(
            "SELECT pg_total_relation_size(CAST(:name AS regclass))"), {"name": name}
        ).scalar_one() / 2**20, 1) for name in REPORTED_TABLES}


def day_table(result: dict[str, Any]) -> str:
    lines = ["| tenth of the day | operations | wall time (s) | operations/s |",
             "|---:|---:|---:|---:|"]
    for number, tenth in enumerate(result["tenths"], start=1):
        lines.append(f"| {number} | {tenth['operations']:,} | {tenth['wall_time_s']} | "
                     f"{tenth['operations_per_s']:,.0f} |")
    close = result["day_close"]
    lines += ["", f"Whole day: {result['operations']:,} operations in "
              f"{result['wall_time_s']:,} s ({result['operations_per_s']:,.0f}/s; target "
              f"{result['target']['seconds_pg']} s). Last tenth's rate ÷ first's: "
              f"{result['first_to_last_tenth_rate_ratio']}. Day close: "
              f"{'closed' if close['closed'] else 'NOT closed'}, {close['findings']} findings, "
              f"{close['wall_time_s']} s. fund_log {result['table_mib']['fund_log']:,} MiB. "
              f"Peak memory {result['peak_memory_mib']} MiB. Measured {result['date']} on "
              f"{describe(result['machine'])}."]
    return "\n".join(lines)


def render(result: dict[str, Any]) -> None:
    readme = BENCH_README.read_text()
    BENCH_README.write_text(_replace(readme, DAY_START, DAY_END, day_table(result)))


def main() -> None:
    if sys.argv[1:] == ["--render-only"]:
        render(json.loads((RESULTS / RESULT_FILE).read_text()))
        return
    operations = int(sys.argv[1]) if len(sys.argv) > 1 else custody_bench.DAY_OPERATIONS
    result = run(lambda line: print(f"[bench-day] {line}", flush=True), operations)
    if operations == custody_bench.DAY_OPERATIONS:   # a shorter trial run records nothing
        _write(RESULT_FILE, result)
        render(result)
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
