"""Custody day benchmark: a realistic mix of custody operations on SQLite and PostgreSQL.

The target (issue 3) is a 3,000,000-operation day in ≤ 5 minutes on PostgreSQL — the peak
seed 003 promises "for the small-split scenario, through the batch asynchronous interface".
This runs a sample of the same mix two ways and reports operations/s, the wall time, peak
memory, and the time the full day would take at that rate: one request at a time
(``OPERATIONS``, as single API calls), and through the set-based calls
(``SET_BASED_OPERATIONS``, in calls of ``PER_CALL`` requests, as the batch interface and the
lending and repayment windows send them).
"""

import multiprocessing
import random
import resource
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Any

from sqlalchemy import text
from stdnum import luhn
from stdnum.cn import ric

from bench.ledger_bench import _bench_url, recreate_pg_database
from bench.pg_statistics import fresh_statistics
from cunguan.core.clock import CST, FixedClock
from cunguan.core.process import tune_garbage_collection
from cunguan.custody.handlers.base import CustodyResult
from cunguan.custody.handlers.commands import CardRequest, ChannelAnswer
from cunguan.custody.handlers.lending_service import (
    BidRequest,
    LendingService,
    ProjectStep,
    ProjectTerms,
)
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules.kyc import IdKind
from cunguan.custody.rules.schedules import Method
from cunguan.db.connection import make_engine, upgrade
from cunguan.ledger.service import LedgerService
from cunguan.platform.group_commit import GroupCommit

TENANT = "BENCH-P2P"
USERS = 200
OPERATIONS = 6_000
SET_BASED_OPERATIONS = 30_000
PER_CALL = 1_000
SET_BASED_ROUNDS = 3
CLIENTS = 16
#: Client processes sending the set-based calls on PostgreSQL (each core runs one; SQLite
#: takes one writer at a time, so there one).
STREAMS_PG = 2
STREAM_START_S_MAX, STREAM_RUN_S_MAX = 300, 3_600
DAY_OPERATIONS = 3_000_000
TARGET_SECONDS_PG = 300
PASSWORD = "246810"


def _id_no(seq: int) -> str:
    body = f"11010519{80 + seq % 20:02d}0101{seq % 1000:03d}"
    return next(body + d for d in "0123456789X" if ric.is_valid(body + d))


def _card(seq: int) -> str:
    body = f"622202{seq:012d}"
    return body + luhn.calc_check_digit(body)


def _service(url: str) -> LendingService:
    engine = make_engine(url)
    clock = FixedClock(datetime(2026, 11, 23, 9, 0, tzinfo=CST))
    return LendingService(engine, LedgerService(engine, clock=clock), clock=clock)


def _setup(url: str) -> tuple[LendingService, list[str]]:
    upgrade(make_engine(url))
    custody = _service(url)
    engine = custody.engine
    custody.onboard_platform(TENANT, "bench", date(2026, 11, 23))
    for account_no in (chart.OWN, chart.MARKETING):
        custody.fund_platform(TENANT, f"fund-{account_no}", account_no, 10**12)
    users = [f"U{i:05d}" for i in range(USERS)]

    def prepare(index: int) -> None:
        user = users[index]
        role = "borrower" if index < USERS // 10 else "lender"
        assert custody.open_user(TENANT, f"open-{user}", user_id=user, role=role, name=user,
                                 id_kind=IdKind.RESIDENT_ID, id_no=_id_no(index),
                                 mobile=f"139{index:08d}", card_no=_card(index),
                                 password=PASSWORD).ok
        assert custody.authorize(TENANT, f"auth-{user}", user,
                                 ("recharge", "bid", "repay", "withdraw"), 10**12,
                                 custody.clock() + timedelta(days=30), PASSWORD).ok

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(prepare, range(USERS)))
    for index, user in enumerate(users):  # opening balances, outside the timed part
        assert custody.offline_transfer(TENANT, f"seed-{user}", _card(index), 10**10).ok
    if engine.dialect.name == "postgresql":  # as autovacuum would have by then
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    tune_garbage_collection()   # as `cunguan worker` does once its services are built
    return custody, users


#: One operation of the day: its kind and its request (a set-based call's item).
Op = tuple[str, Any]
Chain = list[Op]
#: Operations that have a set-based form, and the call that takes many of them.
SET_BASED = {"recharge": "recharges", "red_packet": "red_packets", "withdraw": "withdraws",
             "channel_result": "channel_results", "bid": "bids", "lend": "lends",
             "repay": "repays", "settle_repayment": "settle_repayments",
             "register_project": "register_projects"}
#: The project steps: their single forms, taking (tenant, request no., project).
PROJECT_STEPS = ("lend", "repay", "settle_repayment")


def _mix(users: list[str], rng: random.Random, operations: int, tag: str = "",
         stream: int = 0, streams: int = 1) -> list[Chain]:
    """The day's operations in the proportions of a lending platform's day, as chains: the
    operations of one chain depend on each other (a withdrawal and its channel result, a
    project's bids, lending and repayment) and run in order; chains are independent. Request
    nos. and project ids start with ``tag`` (a part of a day drawn separately). Of
    ``streams``, the operations of stream ``stream``'s users only."""
    mine = [user for index, user in enumerate(users) if index % streams == stream]
    lenders = [user for user in mine if users.index(user) >= USERS // 10]
    borrowers = [user for user in mine if users.index(user) < USERS // 10]
    serial = iter(range(10**9))
    chains: list[Chain] = []
    project_no = 0

    def no(prefix: str) -> str:
        return f"{tag}{prefix}{next(serial)}"

    drawn = 0
    while drawn < operations:
        user = rng.choice(lenders)
        card = _card(users.index(user))
        roll = rng.random()
        if roll < 0.40:
            chains.append([("recharge", CardRequest(no("RC"), user, card,
                                                    rng.randint(100, 100_000) * 100))])
        elif roll < 0.55:
            chains.append([("red_packet", (no("RP"), user, 88))])
        elif roll < 0.95:
            request_no = no("WD")
            chains.append([("withdraw", CardRequest(request_no, user, card,
                                                    rng.randint(1, 500) * 100)),
                           ("channel_result", ChannelAnswer(no("CH"), request_no, True))])
        else:
            project_no += 1
            chains.append(_project_ops(rng, lenders, rng.choice(borrowers),
                                       f"{tag}P{project_no}", no))
        drawn += len(chains[-1])
    return chains


def _project_ops(rng: random.Random, lenders: list[str],
                 borrower: str, project: str, no: Callable[[str], str]) -> Chain:
    bids = 10
    ops: Chain = [("register_project", ProjectTerms(
        no("PR"), project, borrower, amount_fen=bids * 100_000, annual_rate="0.1", months=3,
        method=Method.EQUAL_INSTALLMENT, bid_min_fen=100_000, bid_max_fen=100_000,
        bid_step_fen=100_000, service_fee_rate="0.01"))]
    ops += [("bid", BidRequest(no("BD"), lender, project, 100_000))
            for lender in rng.sample(lenders, bids)]
    ops += [(kind, ProjectStep(no(prefix), project))
            for kind, prefix in zip(PROJECT_STEPS, ("LD", "RY", "SR"), strict=True)]
    return ops


def _single(custody: LendingService, kind: str, request: Any) -> CustodyResult:
    """One operation through its single form (as one API request would)."""
    if kind in ("recharge", "withdraw"):
        call = custody.recharge if kind == "recharge" else custody.withdraw
        return call(TENANT, request.request_no, request.user_id, request.card_no,
                    request.amount_fen)
    if kind == "red_packet":
        return custody.red_packet(TENANT, *request)
    if kind == "channel_result":
        return custody.channel_result(TENANT, request.request_no, request.withdrawal_no,
                                      request.succeeded)
    if kind == "bid":
        return custody.bid(TENANT, request.request_no, request.user_id, request.project_id,
                           request.amount_fen)
    if kind == "register_project":
        fields = asdict(request)
        return custody.register_project(TENANT, fields.pop("request_no"), **fields)
    single = getattr(custody, kind)   # the project steps
    return single(TENANT, request.request_no, request.project_id)  # type: ignore[no-any-return]


def _waves(chains: list[Chain]) -> list[list[Op]]:
    """The day as waves: the n-th operation of every chain in wave n (each depends only on
    the one before it in its chain)."""
    waves: list[list[Op]] = []
    for chain in chains:
        for step, op in enumerate(chain):
            if step == len(waves):
                waves.append([])
            waves[step].append(op)
    return waves


def _run_set_based(custody: LendingService, chains: list[Chain], per_call: int,
                   outcomes: Counter[str]) -> None:
    """The mix as a bank's front end would send it on: each operation that has a set-based
    form in calls of ``per_call`` requests (a campaign, a recharge or withdrawal batch, the
    channel's answer file, a day's project registrations, a lending window's bids, lendings,
    repayments and settlements)."""
    for wave in _waves(chains):
        by_kind: dict[str, list[Any]] = {}
        for kind, request in wave:
            by_kind.setdefault(kind, []).append(request)
        for kind, requests in by_kind.items():
            call = getattr(custody, SET_BASED[kind])
            for start in range(0, len(requests), per_call):
                outcomes.update(a.code for a in call(TENANT, requests[start:start + per_call]))


#: One stream's chains, drawn in its own process: its stream no. → chains.
Draw = Callable[[int], list[Chain]]


def run_streams(url: str, draw: Draw, streams: int, per_call: int
                ) -> tuple[float, Counter[str], Counter[str], int]:
    """The set-based calls of ``streams`` client processes at once, each with its own chains
    (``draw``) on its own connections, as a bank's front end running several processes sends
    them; a platform sends each user's requests on one stream, which keeps them in order.
    Returns the wall time from the moment all are ready to the last one done, the kinds of
    operation sent, the outcomes, and how many tables the statistics keeper analyzed."""
    context = multiprocessing.get_context("fork")
    ready, answers = context.Barrier(streams + 1), context.Queue()
    processes = [context.Process(target=_stream, args=(url, draw, n, per_call, ready, answers))
                 for n in range(streams)]
    for process in processes:   # forked before the statistics keeper's thread starts
        process.start()
    with _statistics(url) as analyzed:
        ready.wait(timeout=STREAM_START_S_MAX)
        started = time.perf_counter()
        done = [answers.get(timeout=STREAM_RUN_S_MAX) for _ in processes]
        elapsed = time.perf_counter() - started
    for process in processes:
        process.join()
    failures = [answer for answer in done if isinstance(answer, str)]
    if failures:
        raise RuntimeError(f"a stream failed: {failures[0]}")
    return (elapsed, sum((kinds for kinds, _ in done), Counter()),
            sum((outcomes for _, outcomes in done), Counter()), len(analyzed))


def _stream(url: str, draw: Draw, stream: int, per_call: int, ready: Any,
            answers: Any) -> None:
    custody = _service(url)
    try:
        chains = draw(stream)
        kinds = Counter(kind for chain in chains for kind, _ in chain)
        ready.wait(timeout=STREAM_START_S_MAX)
        outcomes: Counter[str] = Counter()
        _run_set_based(custody, chains, per_call, outcomes)
        answers.put((kinds, outcomes))
    except BaseException as exc:  # the parent raises it: a stream must not fail silently
        answers.put(f"{type(exc).__name__}: {exc}")
    finally:
        custody.engine.dispose()


def _run_backend(url: str, clients: int = 1, grouped: bool = False,
                 per_call: int = 0, operations: int = OPERATIONS,
                 streams: int = 1) -> dict[str, Any]:
    """The mix by one client in order, by ``clients`` threads taking chains with the custody
    commands of the process group-committed (platform/group_commit.py), or set-based in
    calls of ``per_call`` from ``streams`` processes."""
    custody, users = _setup(url)
    if grouped:
        custody.runner = GroupCommit(custody.engine, custody.run_alone)
    if per_call:
        custody.engine.dispose()    # the streams' processes open their own connections
        elapsed, kinds, outcomes, analyzed = run_streams(url, _stream_mix(
            users, "", operations, streams), streams, per_call)
    else:
        with _statistics(url) as tables:
            elapsed, kinds, outcomes = _run_clients(custody, users, clients, operations)
        analyzed = len(tables)
    operations = sum(kinds.values())
    rate = operations / elapsed
    custody.engine.dispose()
    return {"operations": operations, "clients": clients, "group_commit": grouped,
            "set_based_per_call": per_call or None,
            "streams": streams if per_call else None,
            "wall_time_s": round(elapsed, 2),
            "operations_per_s": round(rate, 1),
            "day_of_3m_operations_estimated_s": round(DAY_OPERATIONS / rate, 0),
            "mix": dict(kinds), "outcomes": dict(outcomes),
            "tables_analyzed_by_bench": analyzed}


def _stream_mix(users: list[str], tag: str, operations: int, streams: int,
                seed: int = 11) -> Draw:
    """Each stream's share of a mix of ``operations``: its own users, seed and request nos."""
    return lambda stream: _mix(users, random.Random(seed * 100 + stream),
                               operations // streams, f"{tag}s{stream}-", stream, streams)


def _run_clients(custody: LendingService, users: list[str], clients: int,
                 operations: int) -> tuple[float, Counter[str], Counter[str]]:
    chains = _mix(users, random.Random(11), operations)
    outcomes: Counter[str] = Counter()

    def run_chain(chain: Chain) -> list[str]:
        return [_single(custody, kind, request).code for kind, request in chain]

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for codes in pool.map(run_chain, chains):
            outcomes.update(codes)
    return (time.perf_counter() - started,
            Counter(kind for chain in chains for kind, _ in chain), outcomes)


def _statistics(url: str) -> AbstractContextManager[list[str]]:
    return fresh_statistics(url) if url.startswith("postgresql") else nullcontext([])


def _red_packets_set_based(url: str, calls: int = 5, per_call: int = 1_000
                           ) -> dict[str, Any]:
    """The set-based path (``LendingService.red_packets``) against single red packets, on the
    same database: what the custody day needs every operation to become."""
    custody, users = _setup(url)
    lenders = users[USERS // 10:]
    rates = []
    with fresh_statistics(url):
        single = _red_packet_rates(custody, lenders, calls, per_call, rates)
    custody.engine.dispose()
    return {"per_call": per_call, "packets_per_s_median": round(median(rates), 1),
            "single_packets_per_s": round(single, 1),
            "ratio": round(median(rates) / single, 1)}


def _red_packet_rates(custody: LendingService, lenders: list[str], calls: int, per_call: int,
                      rates: list[float]) -> float:
    for call in range(calls):
        packets = [(f"RB{call}-{i}", lenders[i % len(lenders)], 88) for i in range(per_call)]
        started = time.perf_counter()
        answers = custody.red_packets(TENANT, packets)
        rates.append(per_call / (time.perf_counter() - started))
        assert all(a.ok for a in answers)
    started = time.perf_counter()
    for i in range(300):
        assert custody.red_packet(TENANT, f"RS{i}", lenders[i % len(lenders)], 88).ok
    return 300 / (time.perf_counter() - started)


def _sqlite_set_based() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        return _run_backend(f"sqlite:///{Path(folder) / 'custody.db'}", per_call=PER_CALL,
                            operations=SET_BASED_OPERATIONS)   # one stream: one writer


def _pg_set_based() -> dict[str, Any]:
    recreate_pg_database()
    return _run_backend(_bench_url(), per_call=PER_CALL, operations=SET_BASED_OPERATIONS,
                        streams=STREAMS_PG)


def _median_round(one: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``SET_BASED_ROUNDS`` runs, each on a fresh database: the median one, with every
    round's rate beside it (the machine is shared and noisy)."""
    rounds = sorted((one() for _ in range(SET_BASED_ROUNDS)),
                    key=lambda r: float(r["operations_per_s"]))
    chosen = rounds[len(rounds) // 2]
    return {**chosen, "rounds_operations_per_s": [r["operations_per_s"] for r in rounds]}


def run(log: Callable[[str], None]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        log(f"custody mix on SQLite: {USERS} users, {OPERATIONS} operations")
        results["sqlite"] = _run_backend(f"sqlite:///{Path(folder) / 'custody.db'}")
    log(f"custody mix on SQLite, set-based: {SET_BASED_OPERATIONS} operations, "
        f"{SET_BASED_ROUNDS} rounds")
    results["sqlite_set_based"] = _median_round(_sqlite_set_based)
    recreate_pg_database()
    log(f"custody mix on PostgreSQL: {USERS} users, {OPERATIONS} operations")
    results["postgresql"] = _run_backend(_bench_url())
    recreate_pg_database()
    log(f"custody mix on PostgreSQL, {CLIENTS} clients, group commit")
    results["postgresql_concurrent"] = _run_backend(_bench_url(), clients=CLIENTS,
                                                    grouped=True)
    log(f"custody mix on PostgreSQL, set-based: {SET_BASED_OPERATIONS} operations, "
        f"{SET_BASED_ROUNDS} rounds")
    results["postgresql_set_based"] = _median_round(_pg_set_based)
    recreate_pg_database()
    log("red packets on PostgreSQL, set-based, 1,000 per call")
    results["red_packets_set_based_pg"] = _red_packets_set_based(_bench_url())
    results["peak_memory_mib"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    results["target"] = {"day_operations": DAY_OPERATIONS, "seconds_pg": TARGET_SECONDS_PG}
    return results
