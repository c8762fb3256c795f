"""A flash raise (秒标, R-C9) through the server: concurrent bids for one project are gathered
into set-based calls (the server's coalescer), the project's remaining amount decided bid by
bid in arrival order — never a fen over-raised, every refused bid's money left free — and a
call of many answers each bid as the same bids one at a time would, in the same order."""

import itertools
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from cunguan.custody.handlers.lending_service import BidRequest, LendingService
from cunguan.custody.rules.schedules import Method
from tests.api_helpers import Api, api_for
from tests.custody_helpers import PASSWORD, PLATFORM, open_user, services

PROJECT_FEN = 3_000_000
STEP_FEN = 100_000
LENDERS = 8
BIDS_EACH = 10
FUNDS_FEN = 1_200_000


@pytest.fixture
def api(engine: Engine) -> Iterator[Api]:
    with api_for(engine, group_commit=True) as found:
        yield found


def _project(custody: LendingService, project_id: str, borrower: str) -> None:
    assert custody.register_project(
        PLATFORM, f"reg-{project_id}", project_id=project_id, borrower_user_id=borrower,
        amount_fen=PROJECT_FEN, annual_rate="0.1", months=3, method=Method.EQUAL_INSTALLMENT,
        bid_min_fen=STEP_FEN, bid_max_fen=5 * STEP_FEN, bid_step_fen=STEP_FEN).ok


def test_r_c9_a_flash_raise_over_http_never_over_raises(api: Api) -> None:
    p2p = api.onboard(PLATFORM)
    borrower = api.open_user(PLATFORM, 1, role="borrower")
    lenders = [api.open_user(PLATFORM, 10 + n) for n in range(LENDERS)]
    for lender in lenders:
        api.authorize(PLATFORM, lender)
    funded = api.bank.custody.red_packets(PLATFORM, [(f"fund-{u}", u, FUNDS_FEN)
                                                     for u in lenders])
    assert all(answer.ok for answer in funded)
    created = p2p.post("/v1/projects", {
        "request_no": "reg", "project_id": "FLASH", "borrower_user_id": borrower,
        "amount_fen": PROJECT_FEN, "annual_rate": "0.1", "months": 3,
        "method": "equal_installment", "bid_min_fen": STEP_FEN, "bid_max_fen": 5 * STEP_FEN,
        "bid_step_fen": STEP_FEN})
    assert created.status == 200, created.body
    answers: list[tuple[str, int, int, str]] = []
    lock = threading.Lock()

    def investor(worker: int) -> None:
        for n in range(BIDS_EACH):
            amount_fen = STEP_FEN * (1 + (worker + n) % 5)
            reply = p2p.post("/v1/bids", {"request_no": f"b-{worker}-{n}",
                                          "user_id": lenders[worker], "project_id": "FLASH",
                                          "amount_fen": amount_fen})
            with lock:
                answers.append((lenders[worker], amount_fen, reply.status,
                                reply.body.get("code", "ok")))

    threads = [threading.Thread(target=investor, args=(w,)) for w in range(LENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == LENDERS * BIDS_EACH          # every request answered
    codes = Counter(code for *_, code in answers)
    assert set(codes) <= {"ok", "project_full", "bid_exceeds_remaining", "exceeds_available"}
    accepted = [(user, amount) for user, amount, status, code in answers if code == "ok"]
    raised_fen = sum(amount for _, amount in accepted)
    project = p2p.get("/v1/projects/FLASH").body
    assert project["raised_fen"] == raised_fen <= PROJECT_FEN
    if codes["project_full"]:
        assert raised_fen == PROJECT_FEN
    for lender in lenders:                              # refused bids hold nothing
        account = p2p.get(f"/v1/accounts/U-{lender}").body
        mine = sum(amount for user, amount in accepted if user == lender)
        assert (account["frozen_fen"], account["balance_fen"]) == (mine, FUNDS_FEN)
    assert api.bank.set_based is not None
    assert api.bank.set_based.items >= LENDERS * BIDS_EACH


_bids = st.lists(st.tuples(st.integers(0, 3), st.integers(1, 5)), min_size=1, max_size=16)


def test_r_c9_r_l5_bids_in_one_call_answer_as_one_at_a_time_in_arrival_order(
        engine: Engine) -> None:
    """Two identical projects and two identical sets of investors: the bids sent for one as
    one set-based call, for the other one by one in the same order, get the same answers
    and leave the same amounts held."""
    custody, *_ = services(engine)
    runs = itertools.count()

    @settings(max_examples=12, deadline=None)
    @given(bids=_bids)
    def agree(bids: list[tuple[int, int]]) -> None:
        run = next(runs)
        lenders = {side: [_investor(custody, 9 * run + 4 * s + n) for n in range(4)]
                   for s, side in enumerate("AB")}
        borrower = open_user(custody, 9 * run + 8, role="borrower")
        for side in "AB":
            _project(custody, f"{side}{run}", borrower)
        grouped = custody.bids(PLATFORM, [
            BidRequest(f"A{run}-{n}", lenders["A"][user], f"A{run}", STEP_FEN * steps)
            for n, (user, steps) in enumerate(bids)])
        alone = [custody.bid(PLATFORM, f"B{run}-{n}", lenders["B"][user], f"B{run}",
                             STEP_FEN * steps) for n, (user, steps) in enumerate(bids)]
        assert [(a.ok, a.code) for a in grouped] == [(b.ok, b.code) for b in alone]
        held = {side: [custody.ledger.account(PLATFORM, f"U-{u}").frozen_fen
                       for u in lenders[side]] for side in "AB"}
        assert held["A"] == held["B"]
    agree()


def _investor(custody: LendingService, seq: int) -> str:
    user = open_user(custody, seq, recharge_fen=1_200_000)
    assert custody.authorize(PLATFORM, f"auth-{user}", user, ("bid",), 10**10,
                             custody.now() + timedelta(days=30), PASSWORD).ok
    return user
