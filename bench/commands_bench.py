"""One command of each kind through the API at 64 clients (issue 20): account openings on the
bank's page, repayments of lent projects, and claim transfers (债权转让), each beside the red
packets of the same run.

Against ``cunguan serve`` (2 processes) on PostgreSQL, the load from wrk replaying requests
prepared just before each phase, each once (``bench/wrk_replay.py``, as the flash raise's):

- openings: ``OPENINGS`` form posts of the bank's account-opening page (``POST /pages/{token}``
  with its CSRF cookie and the user's four elements and password), each on a page session of
  its own, each from its own client address (the server trusts the load generator as a proxy,
  ``X-Forwarded-For``: a page counts posts per address, and thousands of users open from
  thousands of browsers);
- repayments: ``POST /v1/projects/{id}/repay`` for ``PROJECTS`` lent projects, one each (the
  installment frozen in the borrower's account under a standing authorization);
- claim transfers: ``POST /v1/listings/{id}/purchase`` for ``PROJECTS`` listed claims, each
  bought by another investor under a standing authorization;
- red packets (``RED_PACKETS_BESIDE`` just before each phase, ``RED_PACKETS`` at the end) and
  bare ``GET /health``: the same run's references; each kind's ratio is to the red packets
  just before it.

For each phase the CPU the server processes and PostgreSQL spent is read from /proc before
and after: per request, it says whether a kind is bound by the processor or waits.

    python -m bench.commands_bench           # prints the JSON it measured
    python -m bench.commands_bench --save    # and records it in bench/results/api.json
"""

import json
import os
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import text
from stdnum.cn import ric

from bench import wrk_replay
from bench.api_bench import _bare, free_port, start_server
from bench.custody_bench import _card
from bench.ledger_bench import _bench_url, recreate_pg_database
from cunguan.custody.handlers.lending_service import BidRequest, ProjectStep, ProjectTerms
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules import passwords
from cunguan.custody.rules.kyc import IdKind
from cunguan.db.connection import make_engine, upgrade
from cunguan.platform.bank import Bank
from cunguan.platform.pages import CSRF_COOKIE

TENANT = "BENCH-CMD"
#: A database of its own: the other benchmarks drop and recreate theirs.
BENCH_DB = "cunguan_bench_commands"
CLIENTS = 64
LENDERS = 500
BORROWERS = 250
#: Lent projects: each repaid once, and its one claim listed and bought once.
PROJECTS = 2_500
PROJECT_FEN = 1_000 * 100
OPENINGS = 600
RED_PACKETS = 20_000
#: Red packets replayed just before each phase: the phase's ratio is to these (the machine is
#: shared, and its load drifts within minutes). ``red_packets_per_s_same_run`` is the median of
#: these and the ``RED_PACKETS`` at the end.
RED_PACKETS_BESIDE = 6_000
#: Each lender bids for its share of the projects and buys as many claims.
LENDER_FUNDS_FEN = 2 * (PROJECTS // LENDERS + 1) * PROJECT_FEN
PASSWORD = "246810"
RETURN_URL = "https://p2p.example/return"
REPLAY_S_MAX = 900
#: wrk leaves an answer slower than its timeout (2 s unless told) out of its latencies.
WRK_TIMEOUT_S = 120
SEED_THREADS = 2
#: The operations whose answers are counted from the request log, by phase.
OPERATIONS = {"openings": "open_user", "repayments": "repay", "claim_transfers": "buy_claim"}


def _id_no(seq: int) -> str:
    """A valid resident ID no., distinct for every ``seq`` (born on a day of its own)."""
    born = date(1970, 1, 1) + timedelta(days=seq // 500)
    body = f"110105{born:%Y%m%d}{seq % 500:03d}"
    return next(body + d for d in "0123456789X" if ric.is_valid(body + d))


def _mobile(seq: int) -> str:
    return f"13{seq:09d}"


# -- seeding ------------------------------------------------------------------------------
def _open(bank: Bank, people: list[tuple[str, str, int]]) -> None:
    custody = bank.custody

    def one(person: tuple[str, str, int]) -> None:
        role, user_id, seq = person
        opened = custody.open_user(
            TENANT, f"open-{user_id}", user_id=user_id, role=role, name=f"用户{seq}",
            id_kind=IdKind.RESIDENT_ID, id_no=_id_no(seq), mobile=_mobile(seq),
            card_no=_card(seq), password=PASSWORD, risk_tolerance=5)
        assert opened.ok, opened
        kind = "bid" if role == "lender" else "repay"
        granted = custody.authorize(TENANT, f"auth-{user_id}", user_id, (kind,), 10**9,
                                    datetime.now(UTC) + timedelta(days=30), PASSWORD)
        assert granted.ok, granted
    with ThreadPoolExecutor(SEED_THREADS) as pool:
        list(pool.map(one, people))


def _chunks(items: list[Any], size: int = 1_000) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _seed(url: str) -> tuple[str, str, list[str], list[str]]:
    """The platform; lenders and borrowers opened, authorized, funded; ``PROJECTS`` projects
    raised by one bid each and lent, each claim listed for sale. Answers the platform's key,
    the projects and the listings."""
    engine = make_engine(url)
    upgrade(engine)
    bank = Bank(engine)
    custody = bank.custody
    custody.onboard_platform(TENANT, "command benchmark", date(2026, 11, 23))
    assert custody.fund_platform(TENANT, "fund", chart.MARKETING, 10**12).ok
    bank.queries.set_settings(TENANT, return_url_prefix="https://p2p.example/")
    lenders = [f"cl{n:04d}" for n in range(LENDERS)]
    borrowers = [f"cb{n:04d}" for n in range(BORROWERS)]
    _open(bank, [("lender", u, n) for n, u in enumerate(lenders)]
          + [("borrower", u, LENDERS + n) for n, u in enumerate(borrowers)])
    funded = custody.red_packets(TENANT, [(f"fund-{u}", u, LENDER_FUNDS_FEN) for u in lenders])
    assert all(a.ok for a in funded)
    projects = [f"P{n:05d}" for n in range(PROJECTS)]
    for chunk in _chunks(projects):
        done = custody.register_projects(TENANT, [ProjectTerms(
            f"reg-{p}", p, borrowers[int(p[1:]) % BORROWERS], PROJECT_FEN, "0.08", 12,
            "equal_installment", 100 * 100, PROJECT_FEN, 100 * 100) for p in chunk])
        assert all(a.ok for a in done), next(a for a in done if not a.ok)
        done = custody.bids(TENANT, [BidRequest(
            f"bid-{p}", lenders[int(p[1:]) % LENDERS], p, PROJECT_FEN) for p in chunk])
        assert all(a.ok for a in done), next(a for a in done if not a.ok)
        done = custody.lends(TENANT, [ProjectStep(f"lend-{p}", p) for p in chunk])
        assert all(a.ok for a in done), next(a for a in done if not a.ok)
    with engine.connect() as conn:
        claims = conn.execute(text(
            "SELECT claim_id, holder_user_id FROM custody_claims WHERE tenant_id = :t "
            "ORDER BY claim_id"), {"t": TENANT}).all()
    listings = []
    for claim_id, holder in claims:
        listed = custody.list_claim(TENANT, f"L-{claim_id}", claim_id, holder, PROJECT_FEN)
        assert listed.ok, listed
        listings.append(f"L-{claim_id}")
    issued = bank.access.issue("platform", TENANT)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return issued.key_id, issued.secret, projects, listings


def _pages(url: str, count: int, run: str) -> list[tuple[str, str, str]]:
    """``count`` account-opening page sessions, as ``POST /v1/pages`` creates them: (token,
    CSRF token, user id) each."""
    engine = make_engine(url)
    bank = Bank(engine)
    sessions = []
    for n in range(count):
        user_id = f"o{run}{n:05d}"
        session = bank.pages.create(TENANT, "open_account", f"O{run}-{n}",
                                    {"user_id": user_id, "role": "lender"}, RETURN_URL)
        sessions.append((session.token, session.csrf_token, user_id))
    engine.dispose()
    return sessions


# -- the requests -------------------------------------------------------------------------
def _signed_file(key_id: str, secret: str, requests: list[tuple[str, dict[str, Any]]]) -> str:
    """Signed JSON commands — (path, body) each — signed now, one line each."""
    return wrk_replay.signed_file(key_id, secret, requests, nonce_prefix="c")


def _form_file(sessions: list[tuple[str, str, str]], first_seq: int) -> str:
    """The opening page's form posts: each user's four elements and password, from an address
    of its own."""
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as out:
        for n, (token, csrf, _) in enumerate(sessions):
            seq = first_seq + n
            form = urlencode({"csrf_token": csrf, "password": PASSWORD,
                              "password_again": PASSWORD, "name": f"开户{n}",
                              "id_kind": IdKind.RESIDENT_ID.value, "id_no": _id_no(seq),
                              "mobile": _mobile(seq), "card_no": _card(seq)})
            out.write(wrk_replay.line("POST", f"/pages/{token}", {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"{CSRF_COOKIE}={csrf}",
                "X-Forwarded-For": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"}, form))
    return out.name


def _red_packets(run: str, count: int) -> list[tuple[str, dict[str, Any]]]:
    return [("/v1/red-packets", {"request_no": f"R{run}-{n}", "user_id": f"cl{n % LENDERS:04d}",
                                 "amount_fen": 1}) for n in range(count)]


def _repays(run: str, projects: list[str]) -> list[tuple[str, dict[str, Any]]]:
    return [(f"/v1/projects/{p}/repay", {"request_no": f"Y{run}-{p}"}) for p in projects]


def _purchases(run: str, listings: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """Each listing bought by the lender after its seller (never the seller itself)."""
    return [(f"/v1/listings/{listing}/purchase",
             {"request_no": f"T{run}-{n}", "buyer_user_id": f"cl{(n + 1) % LENDERS:04d}"})
            for n, listing in enumerate(listings)]


# -- measuring ----------------------------------------------------------------------------
def _cpu_s(pids: Callable[[], list[int]]) -> float:
    """User and system CPU seconds of the processes ``pids`` names now, with their ended
    children's. A PostgreSQL backend that ends during a phase is not counted: the server's
    pool keeps its connections."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15])
    return total / tick


def _tree(root: int) -> list[int]:
    """``root`` and every process under it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _postgres() -> list[int]:
    """The PostgreSQL backends serving the benchmark's database (the server's pooled
    connections): not the other databases' on a shared server."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if BENCH_DB.encode() in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _replay(base: str, file: str, count: int, server_pid: int) -> dict[str, Any]:
    """Every request of ``file`` sent once from ``CLIENTS`` connections: the rate at which
    they were answered, their latencies, and the CPU spent per request."""
    server_before, db_before = _cpu_s(lambda: _tree(server_pid)), _cpu_s(_postgres)
    report = wrk_replay.run_wrk(base, file, clients=CLIENTS, duration_s_max=REPLAY_S_MAX,
                                timeout_s=WRK_TIMEOUT_S)
    server_s = _cpu_s(lambda: _tree(server_pid)) - server_before
    db_s = _cpu_s(_postgres) - db_before
    busy = (server_s + db_s) / wrk_replay.elapsed_s(report) / (os.cpu_count() or 1)
    return {**wrk_replay.measured(report, count),
            "server_cpu_ms_per_request": round(1000 * server_s / count, 2),
            "postgres_cpu_ms_per_request": round(1000 * db_s / count, 2),
            "machine_busy": round(busy, 2)}


def _answers(url: str, operation: str) -> dict[str, int]:
    """How a phase's requests were answered, by code (the request log's record of each)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT status, result FROM custody_requests WHERE tenant_id = :t "
            "AND operation = :o AND request_no NOT LIKE 'open-%'"),
            {"t": TENANT, "o": operation})
        codes = Counter("ok" if status == "ok" else json.loads(result)["code"]
                        for status, result in rows)
    engine.dispose()
    return dict(codes)


def hash_bound() -> dict[str, Any]:
    """The opening's argon2id hash alone: milliseconds per hash, on one thread and on as many
    as the machine has cores, and the openings per second that allows."""
    cores = os.cpu_count() or 1
    hashes = 40
    started = time.perf_counter()
    for _ in range(hashes):
        passwords.hash_password(PASSWORD)
    one_ms = 1000 * (time.perf_counter() - started) / hashes
    with ProcessPoolExecutor(cores) as pool:   # as the server's processes hash
        list(pool.map(passwords.hash_password, [PASSWORD] * cores))
        started = time.perf_counter()
        list(pool.map(passwords.hash_password, [PASSWORD] * (hashes * cores)))
        all_per_s = hashes * cores / (time.perf_counter() - started)
    return {"memory_kib": passwords.ARGON2_MEMORY_KIB, "time_cost": passwords.ARGON2_TIME_COST,
            "parallelism": passwords.ARGON2_PARALLELISM, "ms_per_hash_one_core": round(one_ms, 1),
            "hashes_per_s_all_cores": round(all_per_s, 1), "cores": cores}


@contextmanager
def _serving() -> Iterator[tuple[str, str, str, list[str], list[str], str, int]]:
    recreate_pg_database(BENCH_DB)
    url = _bench_url(BENCH_DB)
    key_id, secret, projects, listings = _seed(url)
    port = free_port()
    # The load generator posts the opening page as a proxy in front of its users would.
    server = start_server(url, port, {**os.environ, "CUNGUAN_TRUSTED_PROXIES": "127.0.0.1"})
    try:
        yield url, key_id, secret, projects, listings, f"http://127.0.0.1:{port}", server.pid
    finally:
        server.terminate()
        server.wait(10)


def run(log: Callable[[str], None]) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:6]
    phases: dict[str, dict[str, Any]] = {}
    beside: dict[str, dict[str, Any]] = {}   # each phase's red packets, just before it
    with _serving() as (url, key_id, secret, projects, listings, base, pid):
        log(f"commands: seeded {len(projects)} lent projects, {len(listings)} listings")
        _replay(base, _signed_file(key_id, secret, _red_packets(f"warm{run_id}", 2_000)),
                2_000, pid)
        sessions = _pages(url, OPENINGS, run_id)
        requests = {
            "openings": lambda: _form_file(sessions, 10_000),
            "claim_transfers": lambda: _signed_file(key_id, secret,
                                                    _purchases(run_id, listings)),
            "repayments": lambda: _signed_file(key_id, secret, _repays(run_id, projects))}
        counts = {"openings": OPENINGS, "claim_transfers": len(listings),
                  "repayments": len(projects)}
        for kind, prepared in requests.items():
            beside[kind] = _replay(base, _signed_file(key_id, secret, _red_packets(
                f"{kind[:2]}{run_id}", RED_PACKETS_BESIDE)), RED_PACKETS_BESIDE, pid)
            if kind == "openings":   # the hash's own rate, just before the openings too
                hashing_beside = hash_bound()
            phases[kind] = _replay(base, prepared(), counts[kind], pid)
        packets = _replay(base, _signed_file(key_id, secret, _red_packets(run_id, RED_PACKETS)),
                          RED_PACKETS, pid)
        bare = _bare(base)
    red_per_s = median([packets["answered_per_s"], *(r["answered_per_s"]
                                                     for r in beside.values())])
    commands: dict[str, Any] = {}
    for kind, phase in phases.items():
        red_beside = beside[kind]["answered_per_s"]
        commands[kind] = {
            "requests": phase["requests"], "per_s": phase["answered_per_s"],
            "p50_ms": phase["p50_ms"], "p99_ms": phase["p99_ms"],
            "ratio_to_red_packets": round(phase["answered_per_s"] / red_beside, 3),
            "red_packets_per_s_beside": red_beside,
            "answers": _answers(url, OPERATIONS[kind]), "socket_errors": phase["socket_errors"],
            "server_cpu_ms_per_request": phase["server_cpu_ms_per_request"],
            "postgres_cpu_ms_per_request": phase["postgres_cpu_ms_per_request"],
            "machine_busy": phase["machine_busy"]}
        log(f"{kind}: {phase['answered_per_s']:,.0f}/s (p50 {phase['p50_ms']} ms, p99 "
            f"{phase['p99_ms']} ms) = {commands[kind]['ratio_to_red_packets']}× the red "
            f"packets just before ({red_beside:,.0f}/s); CPU/request server "
            f"{phase['server_cpu_ms_per_request']} ms, PostgreSQL "
            f"{phase['postgres_cpu_ms_per_request']} ms, machine {phase['machine_busy']:.0%}")
    result = {"clients": CLIENTS, "server_workers": 2, "backend": "postgresql",
              "openings_per_s": commands["openings"]["per_s"],
              "repayments_per_s": commands["repayments"]["per_s"],
              "claim_transfers_per_s": commands["claim_transfers"]["per_s"],
              **commands,
              "red_packets_per_s_same_run": red_per_s,
              "red_packets_p99_ms_same_run": packets["p99_ms"],
              "red_packets_cpu_ms_per_request_same_run": {
                  "server": packets["server_cpu_ms_per_request"],
                  "postgres": packets["postgres_cpu_ms_per_request"]},
              "bare_health_same_run": bare, "argon2id": hash_bound(),
              "argon2id_just_before_openings": hashing_beside,
              "openings_to_hashes": round(commands["openings"]["per_s"]
                                          / hashing_beside["hashes_per_s_all_cores"], 2),
              "generator": "wrk (prepared requests, each sent once)",
              "date": datetime.now(UTC).isoformat(timespec="seconds")}
    log(f"red packets {red_per_s:,.0f}/s (p99 {packets['p99_ms']} ms); /health p99 "
        f"{bare['p99_ms']} ms; argon2id {result['argon2id']}")
    return result


def save(commands: dict[str, Any]) -> None:
    """Record ``commands`` in bench/results/api.json, under its own key, with the machine."""
    from bench.run import RESULTS, machine
    path = RESULTS / "api.json"
    results = json.loads(path.read_text())
    results["commands"] = {**commands, "machine": machine()}
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    import sys
    measured = run(print)
    print(json.dumps(measured, indent=2, ensure_ascii=False))
    if "--save" in sys.argv[1:]:
        save(measured)
