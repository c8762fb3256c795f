"""A flash raise (秒标) through the signed API (issue 20): thousands of investors bid for one
project the second it opens, every bid checked against what is left, never a fen over-raised.

5,000 bids of mixed amounts (100 to 1,000 yuan in steps of 100) for one 1,000,000-yuan project,
from 64 concurrent clients, against ``cunguan serve`` (2 processes) on PostgreSQL. Beside it, in
the same run and from the same load generator: red packets at 64 clients (the command lane's
rate, which bids are measured against) and bare ``GET /health`` (the machine's ceiling).

    python -m bench.flash_raise        # prints the JSON it measured

The load generator is a separate process (``python -m bench.flash_raise load FILE``): it
replays requests signed just before each phase, each on its own nonce and request no.
"""

import asyncio
import json
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from bench.api_bench import serving
from bench.custody_bench import _card, _id_no
from cunguan.core import signing
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules.kyc import IdKind
from cunguan.db.connection import make_engine, upgrade
from cunguan.platform.bank import Bank

TENANT = "BENCH-FLASH"
INVESTORS = 500
BIDS = 5_000
CLIENTS = 64
PROJECT_ID = "FLASH-1"
PROJECT_FEN = 1_000_000 * 100
BID_STEP_FEN = 100 * 100
#: Each investor holds enough for every bid it may send (10 bids of at most 1,000 yuan).
INVESTOR_FUNDS_FEN = 10 * 1_000 * 100
RED_PACKET_SECONDS = 10
PASSWORD = "246810"


def _seed(url: str) -> tuple[str, str]:
    """The platform, its borrower, ``INVESTORS`` funded investors with a standing bid
    authorization, and the project, raising; the platform's key (id, secret)."""
    engine = make_engine(url)
    upgrade(engine)
    bank = Bank(engine)
    custody = bank.custody
    custody.onboard_platform(TENANT, "flash raise benchmark", date(2026, 11, 23))
    assert custody.fund_platform(TENANT, "fund", chart.MARKETING, 10**12).ok
    people = [("borrower", "fb0000", 0)] + [("lender", f"fi{n:04d}", n + 1)
                                           for n in range(INVESTORS)]
    expires_at = datetime.now(UTC) + timedelta(days=30)
    for role, user_id, seq in people:
        assert custody.open_user(
            TENANT, f"open-{user_id}", user_id=user_id, role=role, name=f"用户{seq}",
            id_kind=IdKind.RESIDENT_ID, id_no=_id_no(seq), mobile=f"139{seq:08d}",
            card_no=_card(seq), password=PASSWORD, risk_tolerance=5).ok
        if role == "lender":
            assert custody.authorize(TENANT, f"auth-{user_id}", user_id, ("bid",),
                                     INVESTOR_FUNDS_FEN, expires_at, PASSWORD).ok
    funded = custody.red_packets(TENANT, [(f"fund-{user_id}", user_id, INVESTOR_FUNDS_FEN)
                                          for role, user_id, _ in people if role == "lender"])
    assert all(answer.ok for answer in funded)
    assert custody.register_project(
        TENANT, "project", project_id=PROJECT_ID, borrower_user_id="fb0000",
        amount_fen=PROJECT_FEN, annual_rate="0.08", months=12, method="equal_installment",
        bid_min_fen=BID_STEP_FEN, bid_max_fen=10 * BID_STEP_FEN, bid_step_fen=BID_STEP_FEN,
        risk_level=1).ok
    issued = bank.access.issue("platform", TENANT)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return issued.key_id, issued.secret


def _signed_file(key_id: str, secret: str, path: str, bodies: list[dict[str, Any]]) -> str:
    """The requests, signed now, one JSON line each (path, headers, body)."""
    now = int(time.time())
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as out:
        for body in bodies:
            raw = json.dumps(body, separators=(",", ":")).encode()
            signed = signing.sign_request(key_id, signing.HMAC_SHA256, secret, "POST", path,
                                          raw, now)
            out.write(json.dumps({"path": path, "headers": signed.headers(),
                                  "body": raw.decode()}) + "\n")
    return out.name


def _bids(run: str) -> list[dict[str, Any]]:
    """``BIDS`` bids of mixed amounts, investors in turn (amounts cycle through 1–10 steps)."""
    return [{"request_no": f"B{run}-{n}", "user_id": f"fi{n % INVESTORS:04d}",
             "project_id": PROJECT_ID, "amount_fen": BID_STEP_FEN * (1 + (n * 7) % 10)}
            for n in range(BIDS)]


def _red_packets(run: str, count: int) -> list[dict[str, Any]]:
    return [{"request_no": f"R{run}-{n}", "user_id": f"fi{n % INVESTORS:04d}",
             "amount_fen": 1} for n in range(count)]


def _load(base: str, file: str, seconds: float | None) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "bench.flash_raise", "load", base, file,
                          str(CLIENTS), str(seconds or 0)],
                         capture_output=True, text=True, check=True)
    Path(file).unlink()
    return dict(json.loads(out.stdout))


async def _replay(base: str, lines: list[dict[str, Any]], clients: int,
                  seconds: float) -> dict[str, Any]:
    """Send every line (or, with ``seconds``, as many as fit in that time) from ``clients``
    concurrent clients; latencies, status codes and the answers' codes."""
    queue = iter(lines)
    latencies_ms: list[float] = []
    statuses: dict[str, int] = {}
    codes: dict[str, int] = {}
    stop_at = time.monotonic() + seconds if seconds else float("inf")

    async def client(http: httpx.AsyncClient) -> None:
        for line in queue:
            if time.monotonic() > stop_at:
                return
            started = time.perf_counter()
            try:
                reply = await http.post(line["path"], content=line["body"].encode(),
                                        headers={**line["headers"],
                                                 "Content-Type": "application/json"})
                status, code = str(reply.status_code), str(reply.json().get("code") or "ok")
            except (httpx.HTTPError, ValueError) as exc:  # counted: a dropped answer
                status, code = "no_answer", type(exc).__name__
            latencies_ms.append((time.perf_counter() - started) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
            codes[code] = codes.get(code, 0) + 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        started = time.monotonic()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        elapsed_s = time.monotonic() - started
    latencies_ms.sort()

    def pct(p: float) -> float:
        return round(latencies_ms[min(len(latencies_ms) - 1, int(p * len(latencies_ms)))], 2)

    return {"requests": len(latencies_ms), "elapsed_s": round(elapsed_s, 2),
            "answered_per_s": round(len(latencies_ms) / elapsed_s, 1),
            "p50_ms": pct(0.50), "p99_ms": pct(0.99), "statuses": statuses, "codes": codes}


def _bare(base: str) -> dict[str, Any]:
    """``GET /health`` at ``CLIENTS`` clients for 5 s from the same generator."""
    async def go() -> dict[str, Any]:
        latencies_ms: list[float] = []
        stop_at = time.monotonic() + 5

        async def client(http: httpx.AsyncClient) -> None:
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                await http.get("/health")
                latencies_ms.append((time.perf_counter() - started) * 1000)

        limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
            await asyncio.gather(*(client(http) for _ in range(CLIENTS)))
        latencies_ms.sort()
        return {"requests_per_s": round(len(latencies_ms) / 5, 1),
                "p99_ms": round(latencies_ms[int(0.99 * len(latencies_ms))], 2)}
    return asyncio.run(go())


def _books(url: str) -> dict[str, int]:
    """What the books say after the raise: raised, accepted bids' sum, bids still held."""
    engine = make_engine(url)
    with engine.connect() as conn:
        raised = conn.execute(text(
            "SELECT raised_fen FROM custody_projects WHERE tenant_id = :t AND project_id = :p"),
            {"t": TENANT, "p": PROJECT_ID}).scalar_one()
        held_fen, held = conn.execute(text(
            "SELECT coalesce(sum(amount_fen), 0), count(*) FROM custody_bids "
            "WHERE tenant_id = :t AND project_id = :p AND status = 'frozen'"),
            {"t": TENANT, "p": PROJECT_ID}).one()
    engine.dispose()
    return {"raised_fen": int(raised), "held_bids_fen": int(held_fen), "held_bids": int(held)}


def run(log: Callable[[str], None]) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:6]
    with serving(_seed) as (url, key_id, secret, base):
        _load(base, _signed_file(key_id, secret, "/v1/red-packets",
                                 _red_packets(f"warm{run_id}", 500)), None)
        bids = _load(base, _signed_file(key_id, secret, "/v1/bids", _bids(run_id)), None)
        packets = _load(base, _signed_file(key_id, secret, "/v1/red-packets",
                                           _red_packets(run_id, 60_000)), RED_PACKET_SECONDS)
        bare = _bare(base)
    books = _books(url)
    result = {
        "flash_raise": {"bids": BIDS, "clients": CLIENTS, "project_fen": PROJECT_FEN,
                        "bids_per_s": bids["answered_per_s"], "p50_ms": bids["p50_ms"],
                        "p99_ms": bids["p99_ms"],
                        "over_raised_fen": max(0, books["raised_fen"] - PROJECT_FEN),
                        "raised_fen": books["raised_fen"], "held_bids_fen": books["held_bids_fen"],
                        "answers": bids["codes"], "statuses": bids["statuses"],
                        "red_packets_per_s_same_run": packets["answered_per_s"],
                        "red_packets_p99_ms_same_run": packets["p99_ms"],
                        "bare_health_same_run": bare},
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    flash = result["flash_raise"]
    log(f"flash raise: {flash['bids_per_s']:,.0f} bids/s (p50 {flash['p50_ms']} ms, p99 "
        f"{flash['p99_ms']} ms), raised {flash['raised_fen']:,} of {PROJECT_FEN:,} fen; red "
        f"packets {flash['red_packets_per_s_same_run']:,.0f}/s; /health p99 {bare['p99_ms']} ms")
    return result


if __name__ == "__main__":
    if sys.argv[1:2] == ["load"]:
        base_url, path, clients, seconds = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
        lines = [json.loads(line) for line in Path(path).read_text().splitlines()]
        print(json.dumps(asyncio.run(_replay(base_url, lines, int(clients), float(seconds)))))
    else:
        print(json.dumps(run(print), indent=2))
