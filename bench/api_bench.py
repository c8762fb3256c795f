"""HTTP load benchmark (issue 4): signed transfer-like commands at 1, 16 and 64 concurrent
clients against ``cunguan serve`` on PostgreSQL, the load generator a separate process on
loopback. Target: ≥ 1,500 requests/s with p99 ≤ 50 ms."""

import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from statistics import median

import httpx
from sqlalchemy import text

from bench.ledger_bench import _bench_url, recreate_pg_database
from bench.pg_statistics import fresh_statistics
from cunguan.core import limits, signing
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules.kyc import IdKind
from cunguan.db.connection import make_engine, upgrade
from cunguan.platform.bank import Bank

TENANT = "BENCH-API"
USERS = 64
CONCURRENCY = (1, 16, 64)
ROUNDS = 3
#: Long enough that the first second (64 connections opening at once) weighs little in p99.
SECONDS_PER_ROUND = 15
SERVER_WORKERS = 2
#: Red packets already on the books before the first round: a bank's tables hold its history,
#: and the rounds (~0.4 M requests in all) then grow them by a fraction, as a day does, instead
#: of by multiples from empty (see bench/README.md, "The database measured").
HISTORY_REQUESTS = 1_000_000
TARGET_RPS, TARGET_P99_MS = 1_500, 50


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _seed(url: str, history: int = HISTORY_REQUESTS) -> tuple[str, str]:
    """A platform with ``USERS`` users and ``history`` red packets paid to them before, its
    statistics fresh and its writes checkpointed; the platform's key (id, secret)."""
    from stdnum import luhn
    from stdnum.cn import ric

    engine = make_engine(url)
    upgrade(engine)
    bank = Bank(engine)
    bank.custody.onboard_platform(TENANT, "api benchmark", date(2026, 11, 23))
    assert bank.custody.fund_platform(TENANT, "fund", chart.MARKETING, 10**12).ok
    for seq in range(USERS):
        body = f"11010519{80 + seq % 20:02d}0101{seq:03d}"
        id_no = next(body + d for d in "0123456789X" if ric.is_valid(body + d))
        card = f"622202{seq:012d}"
        assert bank.custody.open_user(
            TENANT, f"open-{seq}", user_id=f"lu{seq:04d}", role="lender", name=f"用户{seq}",
            id_kind=IdKind.RESIDENT_ID, id_no=id_no, mobile=f"138{seq:08d}",
            card_no=card + luhn.calc_check_digit(card), password="246810").ok
    issued = bank.access.issue("platform", TENANT)
    _pay_history(bank, history)
    with engine.connect() as conn:
        admin = conn.execution_options(isolation_level="AUTOCOMMIT")
        admin.execute(text("VACUUM ANALYZE"))  # fresh statistics, as autovacuum keeps a bank's
        # The seeding's dirty pages written out now, not by a checkpoint during the rounds.
        admin.execute(text("CHECKPOINT"))
    engine.dispose()
    return issued.key_id, issued.secret


def _pay_history(bank: Bank, history: int) -> None:
    """``history`` red packets of 1 fen, set-based (the ledger posts them as it would any)."""
    for start in range(0, history, limits.requests_per_call_max):
        stop = min(history, start + limits.requests_per_call_max)
        answers = bank.custody.red_packets(TENANT, [(f"history-{n}", f"lu{n % USERS:04d}", 1)
                                                    for n in range(start, stop)])
        assert all(answer.ok for answer in answers), "the history is paid in full"


WRK = shutil.which("wrk")
WRK_REQUESTS_PER_S_MAX = 6_000   # pre-signed requests per second of a round (never runs out)
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _load_wrk(url: str, key_id: str, secret: str, concurrency: int) -> dict[str, object]:
    """One round by wrk (C, one thread): it replays requests signed here just before, each
    with its own nonce and request no. (wrk cannot compute HMACs itself)."""
    now, run = int(time.time()), uuid.uuid4().hex[:8]
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as out:
        for n in range(WRK_REQUESTS_PER_S_MAX * SECONDS_PER_ROUND):
            body = json.dumps({"request_no": f"W{run}-{n}", "user_id": f"lu{n % USERS:04d}",
                               "amount_fen": 1}, separators=(",", ":"))
            signed = signing.sign_request(key_id, signing.HMAC_SHA256, secret, "POST",
                                          "/v1/red-packets", body.encode(), now,
                                          f"w{run}n{n:09d}")
            out.write(f"{key_id}\t{signed.nonce}\t{now}\t{signed.signature}\t{body}\n")
    assert WRK is not None
    text = subprocess.run(
        [WRK, "-t", "1", "-c", str(concurrency), "-d", f"{SECONDS_PER_ROUND}s", "--latency",
         "-s", str(Path(__file__).parent / "api_wrk.lua"), url, "--", out.name],
        capture_output=True, text=True, check=True).stdout
    Path(out.name).unlink()
    total, span, unit = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m),", text).groups()
    elapsed_s = float(span) * {"ms": 0.001, "s": 1.0, "m": 60.0}[unit]
    refused = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    ok = int(total) - (int(refused.group(1)) if refused else 0)

    def pct(label: str) -> float:
        value, unit = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", text).groups()
        return round(float(value) * _UNITS_MS[unit], 2)

    return {"concurrency": concurrency, "requests": int(total), "ok": ok,
            "requests_per_s": round(ok / elapsed_s, 1), "p50_ms": pct("50"),
            "p99_ms": pct("99"), "generator": "wrk"}


def _bare(url: str) -> dict[str, float]:
    """The ceiling of this machine for this stack: ``GET /health`` (no signature, no DB) by
    the same wrk at 64 connections against the same server."""
    text = subprocess.run([str(WRK), "-t", "1", "-c", "64", "-d", "5s", "--latency",
                           f"{url}/health"], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", text).groups()
    return {"requests_per_s": round(rate, 1), "p99_ms": round(float(value) * _UNITS_MS[unit], 2)}


def _load(url: str, key_id: str, secret: str, concurrency: int) -> dict[str, object]:
    if WRK:
        return _load_wrk(url, key_id, secret, concurrency)
    out = subprocess.run(
        [sys.executable, "-m", "bench.api_load", url, key_id, secret, "--users", str(USERS),
         "--concurrency", str(concurrency), "--seconds", str(SECONDS_PER_ROUND)],
        capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout))


def start_server(url: str, port: int, env: dict[str, str] | None = None
                 ) -> subprocess.Popen[bytes]:
    """``cunguan serve`` as this benchmark runs it, once it answers ``/health``."""
    server = subprocess.Popen(
        [sys.executable, "-m", "cunguan", "--database-url", url, "serve", "--port", str(port),
         "--workers", str(SERVER_WORKERS), "--no-worker"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    return server


@contextmanager
def serving(seed: Callable[[str], tuple[str, str]]) -> Iterator[tuple[str, str, str, str]]:
    """A fresh benchmark database seeded by ``seed`` (which answers the platform's key) and
    ``cunguan serve`` on it: (database URL, key id, secret, base URL); stopped after."""
    recreate_pg_database()
    url = _bench_url()
    key_id, secret = seed(url)
    port = free_port()
    server = start_server(url, port)
    try:
        yield url, key_id, secret, f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)


def run(log: Callable[[str], None]) -> dict[str, object]:
    with serving(_seed) as (url, key_id, secret, base):
        _load(base, key_id, secret, 4)            # warm-up: connections, caches, plans
        with fresh_statistics(url):
            levels = _levels(base, key_id, secret, log)
        bare = _bare(base) if WRK else None
    return {"levels": levels, "server_workers": SERVER_WORKERS, "backend": "postgresql",
            "command": "POST /v1/red-packets (HMAC-SHA256 signed, marketing → user transfer)",
            "target": {"requests_per_s": TARGET_RPS, "p99_ms": TARGET_P99_MS},
            "generator": "wrk (pre-signed requests)" if WRK else "bench/api_load.py",
            "history_requests": HISTORY_REQUESTS,
            "bare_health_same_server": bare,
            "seconds_per_round": SECONDS_PER_ROUND, "rounds": ROUNDS}


def _levels(base: str, key_id: str, secret: str, log: Callable[[str], None]
            ) -> list[dict[str, object]]:
    levels = []
    for concurrency in CONCURRENCY:
        rounds = [_load(base, key_id, secret, concurrency) for _ in range(ROUNDS)]
        level = {"concurrency": concurrency,
                 "requests_per_s": median(float(r["requests_per_s"]) for r in rounds),
                 "p50_ms": median(float(r["p50_ms"]) for r in rounds),
                 "p99_ms": median(float(r["p99_ms"]) for r in rounds),
                 "rounds": rounds}
        log(f"api c={concurrency}: {level['requests_per_s']:,.0f} req/s, "
            f"p50 {level['p50_ms']} ms, p99 {level['p99_ms']} ms")
        levels.append(level)
    return levels


if __name__ == "__main__":
    print(json.dumps(run(print), indent=2))
