"""A flash raise (秒标) through the signed API (issue 20): thousands of investors bid for one
project the second it opens, every bid checked against what is left, never a fen over-raised.

5,000 bids of mixed amounts (100 to 1,000 yuan in steps of 100) for one 1,000,000-yuan project,
from 64 concurrent clients, against ``cunguan serve`` (2 processes) on PostgreSQL. Beside it, in
the same run and from the same load generator: red packets at 64 clients (the command lane's
rate, which bids are measured against) and bare ``GET /health`` (the machine's ceiling).

    python -m bench.flash_raise        # prints the JSON it measured

The load comes from wrk (C, one thread, as the API benchmark's): it replays requests signed
just before each phase, each on its own nonce and request no., once each, and stops when every
one is answered (``bench/wrk_replay.py``, ``bench/replay_wrk.lua``); the rate is the requests
over that time. Once the list has run out, a connection that asks again is given ``/health``
while the last answers arrive (at most 63, fast, in wrk's latencies beside 5,000). What each
bid was answered is read from the request log afterwards.
"""

import json
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text

from bench import wrk_replay
from bench.api_bench import _bare, serving
from bench.custody_bench import _card, _id_no
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
#: Red packets of the same run, replayed the same way (a few seconds' worth).
RED_PACKETS = 20_000
#: wrk's duration: an upper bound; a replay stops when every request is answered.
REPLAY_S_MAX = 600
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


def _signed_file(key_id: str, secret: str, requests: list[tuple[str, dict[str, Any]]]
                 ) -> str:
    return wrk_replay.signed_file(key_id, secret, requests, nonce_prefix="f")


def _bids(run: str) -> list[tuple[str, dict[str, Any]]]:
    """``BIDS`` bids of mixed amounts, investors in turn (amounts cycle through 1–10 steps)."""
    return [("/v1/bids", {"request_no": f"B{run}-{n}", "user_id": f"fi{n % INVESTORS:04d}",
                          "project_id": PROJECT_ID,
                          "amount_fen": BID_STEP_FEN * (1 + (n * 7) % 10)})
            for n in range(BIDS)]


def _red_packets(run: str, count: int) -> list[tuple[str, dict[str, Any]]]:
    return [("/v1/red-packets", {"request_no": f"R{run}-{n}",
                                 "user_id": f"fi{n % INVESTORS:04d}", "amount_fen": 1})
            for n in range(count)]


def _replay(base: str, file: str, count: int) -> dict[str, Any]:
    """Every request of ``file`` sent once from ``CLIENTS`` connections: the rate at which
    they were answered and their latencies (wrk's, up to when the last was answered)."""
    return wrk_replay.replay(base, file, count, clients=CLIENTS, duration_s_max=REPLAY_S_MAX)


def _answers(url: str) -> dict[str, int]:
    """How the bids were answered, by code (the request log's record of each)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT status, result FROM custody_requests WHERE tenant_id = :t "
            "AND operation = 'bid'"), {"t": TENANT})
        codes = Counter("ok" if status == "ok" else json.loads(result)["code"]
                        for status, result in rows)
    engine.dispose()
    return dict(codes)


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
        _replay(base, _signed_file(key_id, secret, _red_packets(f"warm{run_id}", 2_000)),
                2_000)
        bids = _replay(base, _signed_file(key_id, secret, _bids(run_id)), BIDS)
        packets = _replay(base, _signed_file(key_id, secret, _red_packets(run_id, RED_PACKETS)),
                          RED_PACKETS)
        bare = _bare(base)
    books = _books(url)
    flash = {"bids": BIDS, "clients": CLIENTS, "project_fen": PROJECT_FEN,
             "bids_per_s": bids["answered_per_s"], "p50_ms": bids["p50_ms"],
             "p99_ms": bids["p99_ms"], "over_raised_fen": max(0, books["raised_fen"] - PROJECT_FEN),
             "raised_fen": books["raised_fen"], "held_bids_fen": books["held_bids_fen"],
             "answers": _answers(url), "socket_errors": bids["socket_errors"],
             "red_packets_per_s_same_run": packets["answered_per_s"],
             "red_packets_p99_ms_same_run": packets["p99_ms"], "bare_health_same_run": bare,
             "generator": "wrk (pre-signed requests, each sent once)"}
    log(f"flash raise: {flash['bids_per_s']:,.0f} bids/s (p50 {flash['p50_ms']} ms, p99 "
        f"{flash['p99_ms']} ms), raised {flash['raised_fen']:,} of {PROJECT_FEN:,} fen; red "
        f"packets {flash['red_packets_per_s_same_run']:,.0f}/s; /health p99 {bare['p99_ms']} ms")
    return {"flash_raise": flash, "date": datetime.now(UTC).isoformat(timespec="seconds")}


if __name__ == "__main__":
    print(json.dumps(run(print), indent=2))
