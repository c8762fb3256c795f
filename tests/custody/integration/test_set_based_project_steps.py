"""Set-based project steps (R-C10, R-C11, R-C13, R-L5): lending, repayment freezes and
settlements of many projects in one DB transaction, each answering exactly as the single
form would — refused alone, replayed, two steps on the same project in one call one after
the other, finance-plan holdings re-invested."""

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from cunguan.custody.handlers.lending_service import (
    BidRequest,
    LendingService,
    ProjectStep,
    ProjectTerms,
)
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules.schedules import Method
from cunguan.custody.store.tables import custody_claims, custody_installments
from tests.custody_helpers import PASSWORD, PLATFORM, open_user, services

_PLATFORM_ACCOUNTS = (chart.SUMMARY, chart.FEE, chart.OWN, chart.MARKETING,
                      chart.CHANNEL_TRANSIT)
_PROJECTS = ("P0", "P1", "P2", "P3", "PX")   # P3 never fills; PX does not exist
_KINDS = ("recharge", "bid", "repay", "withdraw")


def _authorized(custody: LendingService, user: str) -> str:
    assert custody.authorize(PLATFORM, f"auth-{user}", user, _KINDS, 10**10,
                             custody.now() + timedelta(days=30), PASSWORD).ok
    return user


def _platform_day(custody: LendingService) -> list[str]:
    """Four projects: P0 part-funded by a finance plan, P1 with a red packet and a coupon,
    P2 plain, all three full; P3 still raising. Returns every user."""
    lenders = [_authorized(custody, open_user(custody, n, recharge_fen=3_000_000))
               for n in range(1, 4)]
    borrowers = [_authorized(custody, open_user(custody, 10 + n, role="borrower",
                                                recharge_fen=2_000_000)) for n in range(4)]
    for n, borrower in enumerate(borrowers):
        assert custody.register_project(
            PLATFORM, f"reg-{n}", project_id=f"P{n}", borrower_user_id=borrower,
            amount_fen=600_000, annual_rate="0.12", months=3,
            method=Method.EQUAL_INSTALLMENT, bid_min_fen=100_000, bid_max_fen=600_000,
            bid_step_fen=100_000, service_fee_rate="0.01").ok
    saver = open_user(custody, 30, recharge_fen=1_000_000)
    assert custody.create_plan(PLATFORM, "plan", "M3", "三月盈", "0.06", 3).ok
    assert custody.purchase_plan(PLATFORM, "buy", saver, "M3", 500_000, password=PASSWORD).ok
    assert custody.match_plan(PLATFORM, "match", "buy", "P0", 200_000).ok
    bids = [("P0", lenders[0], 400_000, 0, "0"), ("P1", lenders[1], 300_000, 5_000, "0.02"),
            ("P1", lenders[2], 300_000, 0, "0"), ("P2", lenders[0], 600_000, 0, "0"),
            ("P3", lenders[1], 100_000, 0, "0")]
    for n, (project, user, amount_fen, packet_fen, coupon) in enumerate(bids):
        assert custody.bid(PLATFORM, f"bid-{n}", user, project, amount_fen,
                           red_packet_fen=packet_fen, coupon_rate=coupon).ok
    return [*lenders, *borrowers, saver]


_calls = st.lists(st.tuples(
    st.sampled_from(("lend", "repay", "settle")),
    st.lists(st.tuples(st.integers(0, 25), st.integers(0, len(_PROJECTS) - 1)),
             min_size=1, max_size=6)), min_size=1, max_size=8)


def _send(custody: LendingService, kind: str, steps: list[ProjectStep], *, many: bool
          ) -> list[Any]:
    if many:
        call = {"lend": custody.lends, "repay": custody.repays,
                "settle": custody.settle_repayments}[kind]
        return call(PLATFORM, steps)
    single = {"lend": custody.lend, "repay": custody.repay,
              "settle": custody.settle_repayment}[kind]
    return [single(PLATFORM, s.request_no, s.project_id) for s in steps]


def _end(custody: LendingService, users: list[str]) -> Any:
    ledger = custody.ledger
    with custody.engine.connect() as conn:
        claims = conn.execute(select(
            custody_claims.c.claim_id, custody_claims.c.outstanding_fen,
            custody_claims.c.status, custody_claims.c.coupon_due_fen,
        ).order_by(custody_claims.c.claim_id)).all()
        installments = conn.execute(select(
            custody_installments.c.project_id, custody_installments.c.period,
            custody_installments.c.status, custody_installments.c.penalty_fen,
        ).order_by(custody_installments.c.project_id, custody_installments.c.period)).all()
    accounts = [ledger.account(PLATFORM, f"U-{u}") for u in users]
    accounts += [ledger.account(PLATFORM, no) for no in _PLATFORM_ACCOUNTS]
    return ([(a.balance_fen, a.frozen_fen) for a in accounts], [tuple(c) for c in claims],
            [tuple(i) for i in installments])


@settings(max_examples=12, deadline=None)
@given(calls=_calls)
def test_r_l5_set_based_and_single_project_steps_agree(calls: list[Any]) -> None:
    """The same lend / repay / settle requests sent set-based (one call each) or one at a
    time end the same: answers (codes, replays), balances and holds, claims, schedules."""
    from tests.conftest import fresh_engine

    ends = []
    for mode in ("many", "single"):
        with fresh_engine("sqlite", label=mode) as engine:
            custody = services(engine)[0]
            users = _platform_day(custody)
            answers = []
            for kind, requests in calls:
                steps = [ProjectStep(f"n-{no}", _PROJECTS[p]) for no, p in requests]
                answers += _send(custody, kind, steps, many=mode == "many")
            ends.append(([(a.code, a.replayed, a.data) for a in answers],
                         _end(custody, users)))
    assert ends[0] == ends[1]


def test_r_c10_r_c13_a_project_lent_repaid_and_settled_in_set_based_calls(engine: Engine
                                                                          ) -> None:
    custody = services(engine)[0]
    users = _platform_day(custody)
    lent = custody.lends(PLATFORM, [ProjectStep("l-0", "P0"), ProjectStep("l-1", "P1"),
                                    ProjectStep("l-1b", "P1"), ProjectStep("l-3", "P3"),
                                    ProjectStep("l-2", "P2"), ProjectStep("l-x", "PX")])
    assert [a.code for a in lent] == ["ok", "ok", "project_not_full", "project_not_full",
                                      "ok", "project_not_found"]
    assert lent[1].data == {"project_id": "P1", "lent_fen": 600_000,
                            "service_fee_fen": 6_000, "claims": 2}
    frozen = custody.repays(PLATFORM, [ProjectStep("r-0", "P0"), ProjectStep("r-1", "P1"),
                                       ProjectStep("r-1b", "P1"), ProjectStep("r-3", "P3")])
    assert [a.code for a in frozen] == ["ok", "ok", "repayment_in_progress",
                                        "project_not_repaying"]
    saver_before = custody.ledger.account(PLATFORM, f"U-{users[-1]}")
    settled = custody.settle_repayments(PLATFORM, [
        ProjectStep("s-0", "P0"), ProjectStep("s-1", "P1"), ProjectStep("s-2", "P2")])
    assert [a.code for a in settled] == ["ok", "ok", "nothing_frozen"]
    assert [a.data["investors"] for a in settled[:2]] == [2, 2]
    saver = custody.ledger.account(PLATFORM, f"U-{users[-1]}")
    # The saver's share of P0's installment arrived and stays frozen in the plan (R-C19).
    assert saver.balance_fen > saver_before.balance_fen
    assert saver.frozen_fen - saver_before.frozen_fen == (
        saver.balance_fen - saver_before.balance_fen)
    assert custody.settle_repayment(PLATFORM, "s-1", "P1").replayed


def _terms(no: str, project_id: str, borrower: str, **changes: Any) -> ProjectTerms:
    terms = {"amount_fen": 600_000, "annual_rate": "0.12", "months": 3,
             "method": Method.EQUAL_INSTALLMENT, "bid_min_fen": 100_000,
             "bid_max_fen": 600_000, "bid_step_fen": 100_000, **changes}
    return ProjectTerms(no, project_id, borrower, **terms)


def test_r_c8_projects_registered_in_one_call_answer_as_one_at_a_time(engine: Engine
                                                                      ) -> None:
    custody = services(engine)[0]
    users = _platform_day(custody)
    lender, borrower = users[0], users[3]
    requests = [_terms("g-1", "N1", borrower), _terms("g-2", "N1", borrower),
                _terms("g-3", "P0", borrower), _terms("g-4", "N2", lender),
                _terms("g-5", "N3", "nobody"), _terms("g-6", "N4", borrower, months=0),
                _terms("g-7", "N5", borrower, bid_min_fen=0),
                _terms("g-8", "N6", borrower, guarantor_user_id=lender),
                _terms("g-9", "N7", borrower, guarantor_user_id="nobody")]
    answers = custody.register_projects(PLATFORM, requests)
    codes = ["ok", "project_exists", "project_exists", "not_a_borrower", "user_not_found",
             "field_invalid", "field_invalid", "ok", "user_not_found"]   # months=0: its form
    assert [a.code for a in answers] == codes
    assert answers[0].data == {"project_id": "N1", "status": "raising"}
    fields = [{**asdict(r), "project_id": r.project_id if r.project_id == "P0"
               else f"S{r.project_id}"} for r in requests]   # new ids, P0 still taken
    one_by_one = [custody.register_project(PLATFORM, f"s{f.pop('request_no')}", **f)
                  for f in fields]
    assert [a.code for a in one_by_one] == codes
    assert custody.register_projects(PLATFORM, requests[:1])[0].replayed


def test_r_c9_r_l5_a_bid_malformed_by_its_own_check_is_answered_and_not_recorded(
        engine: Engine) -> None:
    """A bid whose red packet is not below its amount, or whose coupon is out of range, is
    refused by its own check in a call of many as alone, and is not recorded: its serial
    no. stays free for the corrected bid, however it was sent."""
    custody, *_ = services(engine)
    lender = _authorized(custody, open_user(custody, 1, recharge_fen=1_000_000))
    borrower = open_user(custody, 2, role="borrower")
    assert custody.register_project(
        PLATFORM, "reg", project_id="P", borrower_user_id=borrower, amount_fen=600_000,
        annual_rate="0.12", months=3, method=Method.EQUAL_INSTALLMENT, bid_min_fen=100_000,
        bid_max_fen=600_000, bid_step_fen=100_000).ok
    packet, coupon = custody.bids(PLATFORM, [
        BidRequest("b1", lender, "P", 100_000, red_packet_fen=100_000),
        BidRequest("b2", lender, "P", 100_000, coupon_rate="0.5")])
    alone = custody.bid(PLATFORM, "b3", lender, "P", 100_000, red_packet_fen=200_000)
    assert [packet.code, coupon.code, alone.code] == [
        "red_packet_invalid", "coupon_invalid", "red_packet_invalid"]
    assert [custody.request_status(PLATFORM, no) for no in ("b1", "b2", "b3")] == [None] * 3
    fixed = custody.bids(PLATFORM, [BidRequest("b1", lender, "P", 100_000),
                                    BidRequest("b2", lender, "P", 100_000)])
    assert all(answer.ok and not answer.replayed for answer in fixed)
    assert custody.bid(PLATFORM, "b3", lender, "P", 100_000).ok
