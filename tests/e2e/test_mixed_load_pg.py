"""Mixed commands under load against two real server processes on PostgreSQL (issue 20):
bids for several projects at once, red packets, recharges, withdrawals, repayments of lent
projects and purchases of listed claims from many clients.
Every request gets an answer (no closed connection, no 5xx), no project is over-raised, and
PostgreSQL detects no deadlock: rows of every kind are locked in one order, whichever server
process and whichever group a request runs in."""

import random
import threading
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import Engine, text

from cunguan.client import CunguanClient
from cunguan.custody.rules.kyc import IdKind
from cunguan.platform.bank import Bank
from tests.custody_helpers import PASSWORD, icbc_card, resident_id
from tests.e2e.server_helpers import running_server
from tests.e2e.test_api_server import database  # noqa: F401  (the fixture)

pytestmark = pytest.mark.postgres
PROJECTS = 4
INVESTORS = 12
CLIENTS = 16
REQUESTS_EACH = 30
STEP_FEN = 10_000


def _deadlocks(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        )).scalar_one())


def _platform(server_url: str, engine: Engine) -> tuple[CunguanClient, list[str]]:
    """The platform, its investors (money, standing authorizations) and a borrower."""
    bank = Bank(engine)
    issued = bank.access.issue("operator")
    operator = CunguanClient(server_url, issued.key_id, issued.secret)
    made = operator.post("/v1/operator/platforms", {
        "tenant_id": "P2P", "name": "load", "accounting_date": "2026-11-23"})
    assert made.status == 200, made.body
    assert operator.post("/v1/operator/platforms/P2P/fundings", {
        "request_no": "fund-m", "account": "marketing", "amount_fen": 10**10}).status == 200
    users = []
    for seq in range(INVESTORS + 1):
        user_id = f"u{seq:03d}"
        assert bank.custody.open_user(
            "P2P", f"open-{seq}", user_id=user_id, role="borrower" if seq == 0 else "lender",
            name=f"用户{seq}", id_kind=IdKind.RESIDENT_ID, id_no=resident_id(seq),
            mobile=f"138{seq:08d}", card_no=icbc_card(seq), password=PASSWORD).ok
        assert bank.custody.authorize(
            "P2P", f"auth-{seq}", user_id, ("recharge", "bid", "withdraw", "repay"), 10**9,
            bank.clock() + timedelta(days=30), PASSWORD).ok
        users.append(user_id)
    funded = bank.custody.red_packets("P2P", [(f"fund-{u}", u, 5_000_000) for u in users])
    assert all(answer.ok for answer in funded)
    return CunguanClient(server_url, made.body["key_id"], made.body["secret"]), users


def _lent_with_listings(engine: Engine, users: list[str]) -> None:
    """``PROJECTS`` more projects (M0…) of the borrower, each raised by 8 investors and lent;
    every claim listed for sale at its principal (listing ``ls-M<n>-<bid>``)."""
    custody = Bank(engine).custody
    for n in range(PROJECTS):
        project = f"M{n}"
        assert custody.register_project(
            "P2P", f"reg-{project}", project_id=project, borrower_user_id=users[0],
            amount_fen=40 * STEP_FEN, annual_rate="0.1", months=3,
            method="equal_installment", bid_min_fen=STEP_FEN, bid_max_fen=5 * STEP_FEN,
            bid_step_fen=STEP_FEN).ok
        for k in range(8):
            assert custody.bid("P2P", f"b-{project}-{k}", users[1 + k], project,
                               5 * STEP_FEN).ok
        assert custody.lend("P2P", f"lend-{project}", project).ok
        for k in range(8):
            assert custody.list_claim("P2P", f"ls-{project}-{k}", f"b-{project}-{k}",
                                      users[1 + k], 5 * STEP_FEN).ok


def _request(n: int, worker: int, investors: list[str], rng: random.Random
             ) -> tuple[str, dict[str, object]]:
    user = rng.choice(investors)
    seq = int(user[1:])
    kind = rng.choice(("bid", "bid", "red_packet", "recharge", "withdraw", "repay",
                       "purchase", "purchase"))
    no = f"{kind}-{worker}-{n}"
    if kind == "repay":
        return f"/v1/projects/M{rng.randrange(PROJECTS)}/repay", {"request_no": no}
    if kind == "purchase":
        listing = f"ls-M{rng.randrange(PROJECTS)}-{rng.randrange(8)}"
        return f"/v1/listings/{listing}/purchase", {"request_no": no, "buyer_user_id": user}
    if kind == "bid":
        return "/v1/bids", {"request_no": no, "user_id": user,
                            "project_id": f"L{rng.randrange(PROJECTS)}",
                            "amount_fen": STEP_FEN * rng.randint(1, 5)}
    if kind == "red_packet":
        return "/v1/red-packets", {"request_no": no, "user_id": user, "amount_fen": 1}
    return f"/v1/{kind}s", {"request_no": no, "user_id": user, "card_no": icbc_card(seq),
                            "amount_fen": 1_000 * rng.randint(1, 5)}


def test_r_c9_r_l1_mixed_load_on_two_server_processes_answers_all_and_never_deadlocks(
        database) -> None:  # noqa: F811
    engine, url = database
    with running_server(url, "--workers", "2", "--no-worker") as server:
        p2p, users = _platform(server.url, engine)
        for n in range(PROJECTS):
            made = p2p.post("/v1/projects", {
                "request_no": f"reg-{n}", "project_id": f"L{n}", "borrower_user_id": users[0],
                "amount_fen": 40 * STEP_FEN, "annual_rate": "0.1", "months": 3,
                "method": "equal_installment", "bid_min_fen": STEP_FEN,
                "bid_max_fen": 5 * STEP_FEN, "bid_step_fen": STEP_FEN})
            assert made.status == 200, made.body
        _lent_with_listings(engine, users)
        before = _deadlocks(engine)
        answers: Counter[tuple[str, int]] = Counter()
        dropped: list[str] = []
        lock = threading.Lock()

        def client(worker: int) -> None:
            rng = random.Random(worker)
            mine = CunguanClient(server.url, p2p.key_id, p2p.secret)
            for n in range(REQUESTS_EACH):
                path, body = _request(n, worker, users[1:], rng)
                try:
                    reply = mine.post(path, body)
                    outcome = (path, reply.status)
                except httpx.HTTPError as exc:          # a request left without an answer
                    with lock:
                        dropped.append(f"{path}: {exc!r}")
                    continue
                with lock:
                    answers[outcome] += 1

        threads = [threading.Thread(target=client, args=(w,)) for w in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        raised = [p2p.get(f"/v1/projects/L{n}").body["raised_fen"] for n in range(PROJECTS)]
    assert dropped == []
    assert sum(answers.values()) == CLIENTS * REQUESTS_EACH
    assert all(status < 500 for _, status in answers), answers
    for suffix in ("/purchase", "/repay"):   # those kinds did run, not only refused
        assert any(path.endswith(suffix) and status == 200 for path, status in answers)
    assert all(0 < r <= 40 * STEP_FEN for r in raised), raised
    assert _deadlocks(engine) == before          # read once the servers' backends are gone
