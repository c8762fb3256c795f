"""Investors' shares split on the running totals (R-C13): no claim drifts from its share."""

from datetime import date
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from cunguan.core.money import split_cumulative, split_pro_rata, split_running
from cunguan.custody.rules.schedules import Method, schedule, split_schedule


def _within_a_fen(received: list[int], weights: list[int]) -> bool:
    running, total = sum(received), sum(weights)
    return all(abs(r - Fraction(w * running, total)) < 1
               for r, w in zip(received, weights, strict=True))


@settings(max_examples=400)
@given(weights=st.lists(st.integers(0, 10**6), min_size=1, max_size=12).filter(any),
       amounts=st.lists(st.one_of(st.integers(0, 3), st.integers(0, 10**7)), max_size=40))
def test_r_c13_running_split_keeps_every_party_within_a_fen(
        weights: list[int], amounts: list[int]) -> None:
    """Whatever the parties and the amounts, after every split each party's running total is
    within one fen of its exact share, no part is negative and each split adds up."""
    received = [0] * len(weights)
    for amount in amounts:
        parts = split_cumulative(amount, weights, received)
        assert sum(parts) == amount and min(parts) >= 0
        received = [r + p for r, p in zip(received, parts, strict=True)]
        assert _within_a_fen(received, weights), (weights, received)


def test_r_c13_tiny_claims_do_not_drift_over_a_year() -> None:
    """Bids of 30/30/40 fen on a 1.00-yuan, 12-month loan: the first claim is repaid 25.8 fen
    (give or take a fen) after ten periods, not paid off — as splitting each installment by
    itself, the ties to the first claim, did."""
    weights = [30, 30, 40]
    principal = [i.principal_fen for i in schedule(100, "0.12", 12, Method.EQUAL_INSTALLMENT,
                                                   start=date(2026, 1, 31))]
    first_ten = sum(principal[:10])
    old = [sum(col) for col in zip(*(split_pro_rata(p, weights) for p in principal[:10]),
                                   strict=True)]
    assert abs(old[0] - Fraction(30 * first_ten, 100)) >= 1   # the drift this rule removes
    new = [sum(col) for col in zip(*split_running(principal, weights)[:10], strict=True)]
    assert _within_a_fen(new, weights) and new[0] < 30


@settings(max_examples=150)
@given(principal=st.integers(1, 10**9), rate_bp=st.integers(0, 3600),
       months=st.integers(1, 120), method=st.sampled_from(list(Method)),
       shares=st.lists(st.integers(1, 10**6), min_size=1, max_size=8))
def test_r_c13_every_installment_of_a_schedule_splits_within_a_fen(
        principal: int, rate_bp: int, months: int, method: Method, shares: list[int]) -> None:
    plan = schedule(principal, f"{rate_bp / 10000:.4f}", months, method,
                    start=date(2026, 1, 31))
    principal_got, interest_got = [0] * len(shares), [0] * len(shares)
    for installment, parts in zip(plan, split_schedule(plan, shares), strict=True):
        assert sum(p for p, _ in parts) == installment.principal_fen
        assert sum(i for _, i in parts) == installment.interest_fen
        principal_got = [g + p for g, (p, _) in zip(principal_got, parts, strict=True)]
        interest_got = [g + i for g, (_, i) in zip(interest_got, parts, strict=True)]
        assert _within_a_fen(principal_got, shares) and _within_a_fen(interest_got, shares)
