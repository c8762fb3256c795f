"""Repayments to the end (R-C12) and investors' shares that never drift (R-C13)."""

import itertools
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from cunguan.custody.handlers.lending_service import LendingService, ProjectStep
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules.schedules import Method
from cunguan.custody.store.tables import custody_installments, custody_projects
from tests.custody_helpers import PASSWORD, PLATFORM, open_user, services

_projects = itertools.count()


def _lent(custody: LendingService, borrower: str, bids: list[tuple[str, int]], *,
          amount_fen: int, rate: str, months: int, method: Method) -> str:
    project = f"T{next(_projects)}"
    registered = custody.register_project(
        PLATFORM, f"prj-{project}", project_id=project, borrower_user_id=borrower,
        amount_fen=amount_fen, annual_rate=rate, months=months, method=method,
        bid_min_fen=1, bid_max_fen=amount_fen, bid_step_fen=1)
    assert registered.ok, registered
    for n, (lender, bid_fen) in enumerate(bids):
        assert custody.bid(PLATFORM, f"bid-{project}-{n}", lender, project, bid_fen,
                           password=PASSWORD).ok
    lent = custody.lend(PLATFORM, f"lend-{project}", project)
    assert lent.ok, lent
    return project


def _repay_once(custody: LendingService, project: str, n: int) -> str:
    """One installment frozen and settled to the investors; the repayment's code."""
    frozen = custody.repays(PLATFORM, [ProjectStep(f"rp-{project}-{n}", project, True)])[0]
    if frozen.ok:
        settled = custody.settle_repayments(PLATFORM, [ProjectStep(f"st-{project}-{n}",
                                                                   project)])[0]
        assert settled.ok, settled
    return frozen.code


def _repay_to_the_end(custody: LendingService, project: str, months: int) -> None:
    codes = []
    while not codes or codes[-1] == "ok":
        codes.append(_repay_once(custody, project, len(codes)))
        assert len(codes) <= months + 1, codes
    assert codes[-1] == "project_not_repaying" and len(codes) > 1, codes
    assert custody.outstanding(PLATFORM, project) == (0, 0)
    with custody.engine.connect() as conn:
        status = conn.execute(select(custody_projects.c.status).where(
            custody_projects.c.project_id == project)).scalar_one()
        owed = conn.execute(select(custody_installments.c.status).where(
            custody_installments.c.project_id == project)).scalars().all()
    assert status == "settled" and set(owed) == {"paid"}


@pytest.mark.parametrize(("method", "amount_fen", "months"), [
    (Method.INTEREST_FIRST, 100_000, 3),     # interest-free: months 1 and 2 are 0 + 0
    (Method.INTEREST_FIRST, 1, 12),
    (Method.EQUAL_PRINCIPAL, 100, 36),       # 1.00 yuan over 36 months
    (Method.EQUAL_PRINCIPAL, 10, 36),        # fewer fen than months
    (Method.EQUAL_INSTALLMENT, 100, 36),
    (Method.EQUAL_INSTALLMENT, 7, 12),
    (Method.BULLET, 1, 6),
])
def test_r_c12_interest_free_and_tiny_loans_repay_to_the_end(
        engine: Engine, method: Method, amount_fen: int, months: int) -> None:
    custody, _, _, _ = services(engine)
    borrower = open_user(custody, 10, role="borrower", recharge_fen=10_000)
    lender = open_user(custody, 1, recharge_fen=200_000)
    project = _lent(custody, borrower, [(lender, amount_fen)], amount_fen=amount_fen,
                    rate="0", months=months, method=method)
    _repay_to_the_end(custody, project, months)


def test_r_c12_zero_installments_are_paid_at_lending_and_said_so(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    borrower = open_user(custody, 10, role="borrower", recharge_fen=10_000)
    lender = open_user(custody, 1, recharge_fen=200_000)
    project = f"T{next(_projects)}"
    assert custody.register_project(
        PLATFORM, "prj-z", project_id=project, borrower_user_id=borrower, amount_fen=100_000,
        annual_rate="0", months=3, method=Method.INTEREST_FIRST, bid_min_fen=1,
        bid_max_fen=100_000, bid_step_fen=1).ok
    assert custody.bid(PLATFORM, "bid-z", lender, project, 100_000, password=PASSWORD).ok
    lent = custody.lend(PLATFORM, "lend-z", project)
    assert lent.data["installments_paid_at_lending"] == [1, 2]
    frozen = custody.repays(PLATFORM, [ProjectStep("rp-z", project, True)])[0]
    assert frozen.ok and frozen.data["period"] == 3


def test_r_c12_every_schedule_repays_to_completion(engine: Engine) -> None:
    """Whatever the amount, rate, term and method, the loan lends, every installment is
    repaid and settled, and the project ends settled with nothing outstanding."""
    custody, _, _, _ = services(engine)
    borrower = open_user(custody, 10, role="borrower", recharge_fen=50_000_000)
    lender = open_user(custody, 1, recharge_fen=50_000_000)

    @settings(max_examples=12, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(amount_fen=st.one_of(st.integers(1, 200), st.integers(1, 5_000_000)),
           rate_bp=st.sampled_from([0, 1, 600, 2400, 3600]), months=st.integers(1, 14),
           method=st.sampled_from(list(Method)))
    def check(amount_fen: int, rate_bp: int, months: int, method: Method) -> None:
        project = _lent(custody, borrower, [(lender, amount_fen)], amount_fen=amount_fen,
                        rate=f"{rate_bp / 10000:.4f}", months=months, method=method)
        _repay_to_the_end(custody, project, months)
    check()


def _received_fen(custody: LendingService, lenders: list[str]) -> list[int]:
    return [custody.ledger.account(PLATFORM, chart.user_account_no(u)).balance_fen
            for u in lenders]


def test_r_c13_tiny_claims_stay_within_a_fen_of_their_share_every_period(
        engine: Engine) -> None:
    """Bids of 30/30/40 fen on a 1.00-yuan, 12-month loan: after every settlement each claim
    has been repaid within a fen of its exact share of the principal repaid so far, and has
    received within a fen of its share of the interest paid so far."""
    custody, _, _, _ = services(engine)
    borrower = open_user(custody, 10, role="borrower", recharge_fen=10_000)
    lenders = [open_user(custody, i, recharge_fen=1_000) for i in (1, 2, 3)]
    weights = [30, 30, 40]
    project = _lent(custody, borrower, list(zip(lenders, weights, strict=True)),
                    amount_fen=100, rate="0.12", months=12, method=Method.EQUAL_INSTALLMENT)
    start = _received_fen(custody, lenders)
    for n in range(12):
        assert _repay_once(custody, project, n) == "ok"
        claims = {c.claim_id: c for c in custody.claims(PLATFORM, project)}
        got = [b - s for b, s in zip(_received_fen(custody, lenders), start, strict=True)]
        repaid = 100 - sum(c.outstanding_fen for c in claims.values())
        for w, total in zip(weights, got, strict=True):
            # principal + interest received, against the exact share of both
            assert abs(total - Fraction(w * sum(got), 100)) < 2
        for claim in claims.values():
            exact = Fraction(claim.principal_fen * repaid, 100)
            assert abs(claim.principal_fen - claim.outstanding_fen - exact) < 1, (n, claim)
