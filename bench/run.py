"""``make bench``: runs every benchmark, writes bench/results/*.json and the table in README."""

import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import (
    api_bench,
    callback_bench,
    clearing_bench,
    commands_bench,
    custody_bench,
    flash_raise,
    grouping_bench,
    ledger_bench,
    reconcile_bench,
    reconcile_day_bench,
)

RESULTS = Path(__file__).parent / "results"
README = Path(__file__).parent / "README.md"
TABLE_START, TABLE_END = "<!-- results:start -->", "<!-- results:end -->"
CUSTODY_START, CUSTODY_END = "<!-- custody:start -->", "<!-- custody:end -->"
API_START, API_END = "<!-- api:start -->", "<!-- api:end -->"
CALLBACK_START, CALLBACK_END = "<!-- callbacks:start -->", "<!-- callbacks:end -->"


def machine() -> dict[str, object]:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_gib = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    server, settings = ledger_bench.server_facts()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": memory_gib,
            "os": platform.platform(), "python": sys.version.split()[0], "postgresql": server,
            "postgresql_settings": settings}


def describe(machine_facts: object) -> str:
    facts = machine_facts if isinstance(machine_facts, dict) else {}
    settings = facts.get("postgresql_settings")
    tuning = (" (" + ", ".join(f"{name} {value}" for name, value in settings.items()) + ")"
              if isinstance(settings, dict) else "")
    return (f"{facts.get('cpu')}, {facts.get('cores')} cores, {facts.get('memory_gib')} GiB, "
            f"Python {facts.get('python')}, {facts.get('postgresql')}{tuning}")


def table(results: dict[str, object]) -> str:
    rows = [
        ("pgbench TPC-B (reference)", "pgbench_tpcb_tps", "tps", None),
        ("single transfer per commit, PostgreSQL", "single_transfer_tps_pg", "tps",
         "≥ 0.8 × pgbench"),
        ("batches of 1,000 per commit, PostgreSQL", "batched_transfers_per_s_pg",
         "transfers/s", "≥ 30,000"),
        ("batches of 1,000 per commit, SQLite", "batched_transfers_per_s_sqlite",
         "transfers/s", "≥ 50,000"),
        ("single transfer per commit, SQLite", "single_transfer_tps_sqlite", "tps", None),
    ]
    lines = ["| measure | median | unit | target |", "|---|---:|---|---|"]
    for label, key, unit, target in rows:
        lines.append(f"| {label} | {results[key]:,.0f} | {unit} | {target or ''} |")
    lines.append(f"| single ÷ pgbench | {results['single_vs_pgbench_ratio']} | ratio | ≥ 0.8 |")
    if "batched_pg_vs_pgbench_ratio" in results:   # measured since issue 20
        lines.append(f"| batched PostgreSQL ÷ pgbench | "
                     f"{results['batched_pg_vs_pgbench_ratio']} | ratio | ≥ 7 |")
    if "sqlite_raw_transfers_per_s" in results:   # measured since issue 20
        lines.append(f"| the same rows by plain executemany, SQLite (reference) | "
                     f"{results['sqlite_raw_transfers_per_s']:,.0f} | transfers/s |  |")
        lines.append(f"| batched SQLite ÷ plain executemany | "
                     f"{results['batched_vs_raw_sqlite_ratio']} | ratio | ≥ 0.5 |")
    lines.append("")
    lines.append(f"Measured {results['date']} on {describe(results['machine'])}.")
    return "\n".join(lines)


def custody_table(results: dict[str, object]) -> str:
    day = custody_bench.DAY_OPERATIONS
    lines = ["| backend | operations | wall time (s) | operations/s | 3 M-operation day (s) |",
             "|---|---:|---:|---:|---:|"]
    names = {"sqlite": "sqlite, one at a time", "postgresql": "postgresql, one at a time",
             "postgresql_concurrent": "postgresql, 16 clients, group commit",
             "sqlite_set_based": "sqlite, set-based (1,000 per call), median of 3",
             "postgresql_set_based": "postgresql, set-based (1,000 per call, "
                                     f"{custody_bench.STREAMS_PG} streams), median of 3"}
    for backend in [b for b in names if b in results]:
        row = results[backend]
        assert isinstance(row, dict)
        lines.append(f"| {names[backend]} | {row['operations']:,} | {row['wall_time_s']} | "
                     f"{row['operations_per_s']:,.0f} | "
                     f"{row['day_of_3m_operations_estimated_s']:,.0f} |")
    batch = results.get("red_packets_set_based_pg")
    if isinstance(batch, dict):
        lines.append(f"| postgresql, red packets set-based ({batch['per_call']:,} per call) | "
                     f"| | {batch['packets_per_s_median']:,.0f} | "
                     f"{day / batch['packets_per_s_median']:,.0f} |")
        lines.append(f"| postgresql, red packets one at a time | | | "
                     f"{batch['single_packets_per_s']:,.0f} | "
                     f"{day / batch['single_packets_per_s']:,.0f} |")
    lines.append("")
    lines.append(f"Target: {custody_bench.DAY_OPERATIONS:,} operations in ≤ "
                 f"{custody_bench.TARGET_SECONDS_PG} s on PostgreSQL. Peak memory "
                 f"{results['peak_memory_mib']} MiB. Measured {results['date']}.")
    return "\n".join(lines)


def api_table(results: dict[str, object]) -> str:
    lines = ["| concurrent clients | requests/s (median) | p50 ms | p99 ms |",
             "|---:|---:|---:|---:|"]
    levels = results["levels"]
    assert isinstance(levels, list)
    for level in levels:
        lines.append(f"| {level['concurrency']} | {level['requests_per_s']:,.0f} | "
                     f"{level['p50_ms']} | {level['p99_ms']} |")
    bare = results.get("bare_health_same_server")
    if isinstance(bare, dict):
        lines.append(f"| ceiling: `GET /health` (no signature, no DB), 64 | "
                     f"{bare['requests_per_s']:,.0f} | | {bare['p99_ms']} |")
    lines.append("")
    lines.append(f"Load by {results.get('generator', 'bench/api_load.py')}. "
                 f"{results['command']}; {results['server_workers']} server processes on "
                 f"PostgreSQL ({_history(results)}), load generator a separate process on "
                 f"loopback, "
                 f"{results['rounds']} rounds × {results['seconds_per_round']} s per level. "
                 f"Target: ≥ 1,500 requests/s with p99 ≤ 50 ms. Measured {results['date']}.")
    flash = results.get("flash_raise")
    if isinstance(flash, dict):
        lines += ["", _flash_line(flash)]
    commands = results.get("commands")
    if isinstance(commands, dict):
        lines += ["", _commands_line(commands)]
    return "\n".join(lines)


def _commands_line(commands: dict[str, Any]) -> str:
    """One command of each kind (bench/commands_bench.py) beside the red packets of its run."""
    parts = [f"{label} {commands[kind]['per_s']:,.0f}/s (p99 {commands[kind]['p99_ms']} ms, "
             f"{commands[kind]['ratio_to_red_packets']:.2f}× red packets)"
             for kind, label in (("openings", "openings on the bank's page"),
                                 ("repayments", "repayments"),
                                 ("claim_transfers", "claim transfers"))]
    hashing = commands["argon2id"]
    return (f"One command of each kind at {commands['clients']} clients (issue 20, target ≥ 0.5× "
            f"red packets): {'; '.join(parts)}; red packets "
            f"{commands['red_packets_per_s_same_run']:,.0f}/s in the same run, `GET /health` "
            f"p99 {commands['bare_health_same_run']['p99_ms']} ms. Openings are bound by "
            f"argon2id: {hashing['hashes_per_s_all_cores']:,.0f} hashes/s on "
            f"{hashing['cores']} cores in the same run.")


def _flash_line(flash: dict[str, Any]) -> str:
    """The flash raise (bench/flash_raise.py) beside the red packets of its own run."""
    ratio = flash["bids_per_s"] / flash["red_packets_per_s_same_run"]
    return (f"Flash raise (issue 20): {flash['bids']:,} bids for one "
            f"{flash['project_fen'] // 100:,}-yuan project from {flash['clients']} clients: "
            f"{flash['bids_per_s']:,.0f} bids/s, p50 {flash['p50_ms']} ms, p99 "
            f"{flash['p99_ms']} ms, over-raised {flash['over_raised_fen']} fen; red packets "
            f"{flash['red_packets_per_s_same_run']:,.0f}/s in the same run (bids ÷ red packets "
            f"{ratio:.2f}, target ≥ 0.8, p99 ≤ 50 ms); `GET /health` p99 "
            f"{flash['bare_health_same_run']['p99_ms']} ms.")


def _history(results: dict[str, object]) -> str:
    history = results.get("history_requests")
    return (f"{history:,} red packets on the books before the first round"
            if isinstance(history, int) and history else "an empty database at the start")


def _replace(text: str, start: str, end: str, body: str) -> str:
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    return f"{head}{start}\n{body}\n{end}{tail}"


def stamp(results: dict[str, Any]) -> None:
    """Say when and on what ``results`` were measured."""
    results["date"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["machine"] = machine()


def save(name: str, results: dict[str, Any]) -> None:
    (RESULTS / name).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


def _write(name: str, results: dict[str, Any]) -> None:
    stamp(results)
    save(name, results)


def render(ledger: dict[str, object], custody: dict[str, object],
           api: dict[str, object], callbacks: dict[str, Any]) -> None:
    readme = _replace(README.read_text(), TABLE_START, TABLE_END, table(ledger))
    readme = _replace(readme, CUSTODY_START, CUSTODY_END, custody_table(custody))
    readme = _replace(readme, API_START, API_END, api_table(api))
    readme = _replace(readme, CALLBACK_START, CALLBACK_END, callback_table(callbacks))
    README.write_text(readme)


def callback_table(results: dict[str, Any]) -> str:
    lines = ["| platform answers in | events | seconds | events/s | outcome |",
             "|---:|---:|---:|---:|---|"]
    for run in results["runs"]:
        lines.append(f"| {run['receiver_delay_ms']:g} ms | {run['events']:,} | "
                     f"{run['seconds']} | {run['events_per_s']:,.0f} | {run['deliveries']} |")
    lines.append("")
    lines.append(f"One worker, {results['sends_in_flight_max']} posts in flight. "
                 f"Measured {results['date']}.")
    return "\n".join(lines)


def main() -> None:
    if sys.argv[1:] == ["--render-only"]:  # rewrite the tables from the recorded results
        render(*(json.loads((RESULTS / f"{name}.json").read_text())
                 for name in ("ledger", "custody", "api", "callbacks")))
        return
    RESULTS.mkdir(exist_ok=True)
    log = lambda message: print(f"[bench] {message}", flush=True)  # noqa: E731
    ledger = ledger_bench.run(log)
    _write("ledger.json", ledger)
    if sys.argv[1:] == ["--ledger-only"]:   # the ledger's bench alone, the rest as recorded
        render(ledger, *(json.loads((RESULTS / f"{name}.json").read_text())
                         for name in ("custody", "api", "callbacks")))
        print(table(ledger))
        return
    custody = custody_bench.run(log)
    _write("custody.json", custody)
    api = api_bench.run(log)
    api["flash_raise"] = flash_raise.run(log)["flash_raise"]
    api["commands"] = commands_bench.run(log)
    _write("api.json", api)
    callbacks = callback_bench.run_all(log)
    _write("callbacks.json", callbacks)
    _write("clearing.json", clearing_bench.run(log))
    reconcile = reconcile_bench.run(log)
    _write("reconcile.json", reconcile)
    grouping = grouping_bench.run(log)
    _write("grouping.json", grouping)
    day = reconcile_day_bench.run(log)
    _write("reconcile_day.json", day)
    render(ledger, custody, api, callbacks)
    print(table(ledger))
    print(custody_table(custody))
    print(api_table(api))
    print(callback_table(callbacks))
    print(reconcile_bench.summary(reconcile))
    print(grouping_bench.summary(grouping))
    print(reconcile_day_bench.summary(day))


if __name__ == "__main__":
    main()
