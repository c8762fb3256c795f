"""A/B of the API under load: servers run from two (or more) source trees in alternating rounds,
each round measured by throughput and latency and by CPU time per request answered — the
server processes' and PostgreSQL's, read from /proc. On a shared machine whose speed drifts
by half within an hour, alternating rounds and CPU time per request are what make two
versions comparable; a single run of each is not.

    PYTHONPATH=. python -m bench.api_ab /path/to/other/clone/src,src --pairs 3 --clients 64

A tree is put first on the server's PYTHONPATH (ahead of the editable install). Linux only.
"""

import argparse
import os
import sys
from pathlib import Path
from statistics import median

import psycopg

from bench import api_bench
from bench.ledger_bench import _bench_url, recreate_pg_database

SECONDS_PER_ROUND = 10
_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    """User and system CPU time of a process and its children (the server processes)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    total = 0.0
    for each in [pid, *map(int, children)]:
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / _TICKS_PER_S
    return total


def _postgres_cpu_s() -> float:
    """CPU time of every PostgreSQL process on this machine (backends, WAL writer, …)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        try:
            raw = Path(f"/proc/{entry}/stat").read_text() if entry.isdigit() else ""
        except OSError:
            continue
        if "(postgres)" in raw:
            fields = raw.rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15]) / _TICKS_PER_S
    return total


def _round(tree: str, url: str, credential: tuple[str, str], clients: int
           ) -> dict[str, float]:
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("ANALYZE")     # every round on fresh statistics (see pg_statistics.py)
    port = api_bench.free_port()
    server = api_bench.start_server(url, port, {**os.environ, "PYTHONPATH": tree})
    try:
        base = f"http://127.0.0.1:{port}"
        api_bench._load(base, *credential, 4)                      # warm-up
        server_s, postgres_s = _cpu_s(server.pid), _postgres_cpu_s()
        result = api_bench._load(base, *credential, clients)
        requests = int(result["requests"])
        return {"requests_per_s": float(result["requests_per_s"]),
                "p50_ms": float(result["p50_ms"]), "p99_ms": float(result["p99_ms"]),
                "python_ms_per_request": 1000 * (_cpu_s(server.pid) - server_s) / requests,
                "postgres_ms_per_request": 1000 * (_postgres_cpu_s() - postgres_s) / requests}
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", help="source directories, comma-separated")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=64)
    args = parser.parse_args()
    if api_bench.WRK is None:   # the Python generator would measure itself, not the servers
        sys.exit("wrk is needed for comparable rounds: run scripts/ensure-wrk first")
    trees = [os.path.abspath(tree) for tree in args.trees.split(",")]
    api_bench.SECONDS_PER_ROUND = SECONDS_PER_ROUND
    recreate_pg_database()
    url = _bench_url()
    credential = api_bench._seed(url)
    _round(trees[0], url, credential, args.clients)   # the first round's plans: thrown away
    rounds: dict[str, list[dict[str, float]]] = {tree: [] for tree in trees}
    for pair in range(args.pairs):
        for tree in trees if pair % 2 == 0 else trees[::-1]:
            rounds[tree].append(_round(tree, url, credential, args.clients))
            print(tree, {k: round(v, 3) for k, v in rounds[tree][-1].items()}, flush=True)
    for tree, measured in rounds.items():
        print(tree, {key: round(median(r[key] for r in measured), 3) for key in measured[0]})


if __name__ == "__main__":
    main()
