"""Repayment rules as pure functions (R-C13, custody/rules/repayments.py): penalty interest,
early repayment's interest, investors' shares of an installment and interest coupons."""

from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cunguan.custody.rules.repayments import (
    COUPON_RATE_MAX,
    EARLY_INTEREST_RULES,
    PENALTY_DAILY_RATE_DEFAULT,
    Due,
    coupon_rate_ok,
    coupons_fen,
    early_interest_fen,
    penalty_fen,
    shares_fen,
)
from cunguan.custody.rules.schedules import Method, schedule

DUE_DATE = date(2026, 3, 31)


@dataclass(frozen=True)
class _Claim:
    principal_fen: int
    outstanding_fen: int
    coupon_rate: str = "0"
    coupon_due_fen: int = 0


def test_r_c13_penalty_is_the_daily_rate_per_overdue_day_rounded_half_up() -> None:
    """0.05 % a day on 1,000.00 + 10.00 yuan: nothing on or before the due date, 50.5 fen
    (rounded up to 51) a day after it, 505 fen ten days after."""
    owed = Due(100_000, 1_000, 0)
    assert penalty_fen(owed, DUE_DATE, DUE_DATE - timedelta(days=3), "0.0005") == 0
    assert penalty_fen(owed, DUE_DATE, DUE_DATE, "0.0005") == 0
    assert penalty_fen(owed, DUE_DATE, DUE_DATE + timedelta(days=1), "0.0005") == 51
    assert penalty_fen(owed, DUE_DATE, DUE_DATE + timedelta(days=10), "0.0005") == 505


@given(principal=st.integers(0, 10**10), interest=st.integers(0, 10**8),
       days=st.integers(0, 3_000))
def test_r_c13_penalty_grows_with_each_overdue_day(principal: int, interest: int,
                                                   days: int) -> None:
    """Never negative, never less for a later day, and within half a fen of the exact
    product."""
    owed = Due(principal, interest, 0)
    day = DUE_DATE + timedelta(days=days)
    got = penalty_fen(owed, DUE_DATE, day, PENALTY_DAILY_RATE_DEFAULT)
    exact = (principal + interest) * Fraction(PENALTY_DAILY_RATE_DEFAULT) * days
    assert got >= 0 and abs(got - exact) <= Fraction(1, 2)
    assert penalty_fen(owed, DUE_DATE, day + timedelta(days=1),
                       PENALTY_DAILY_RATE_DEFAULT) >= got


def test_r_c13_early_interest_by_rule() -> None:
    """'current' owes this period's interest, 'full' all the interest still scheduled,
    'none' nothing; a rule not in the list is a bug of the service's settings."""
    rest = [Due(1_000, 30, 0), Due(1_000, 20, 0), Due(1_000, 10, 0)]
    got = {rule: early_interest_fen(rule, rest[0], rest) for rule in EARLY_INTEREST_RULES}
    assert got == {"current": 30, "full": 60, "none": 0}
    with pytest.raises(KeyError):
        early_interest_fen("half", rest[0], rest)


@pytest.mark.parametrize(("rate", "ok"), [("0", True), ("0.05", True), (COUPON_RATE_MAX, True),
                                          ("0.2401", False), ("-0.01", False), ("abc", False),
                                          ("", False)])
def test_r_c18_coupon_rate_is_0_to_24_percent(rate: str, ok: bool) -> None:
    assert coupon_rate_ok(rate) is ok


@settings(max_examples=200)
@given(lent=st.lists(st.integers(1, 10**6), min_size=1, max_size=6),
       rate_bp=st.integers(0, 2_400), months=st.integers(1, 24))
def test_r_c13_shares_add_up_and_close_every_claim(lent: list[int], rate_bp: int,
                                                   months: int) -> None:
    """Settling a whole schedule installment by installment: each installment's shares add
    up to it (principal and income), no share is negative, every claim is repaid exactly
    what it lent and earns within a fen of its exact share of the interest."""
    rows = schedule(sum(lent), Fraction(rate_bp, 10_000), months, Method.EQUAL_INSTALLMENT,
                    start=date(2026, 1, 31))
    claims = [_Claim(p, p) for p in lent]
    paid: list[Due] = []
    earned = [0] * len(lent)
    for n, row in enumerate(rows, start=1):
        due = Due(row.principal_fen, row.interest_fen, 0)
        parts = shares_fen(due, claims, paid, last=n == len(rows))
        assert sum(p for p, _ in parts) == row.principal_fen
        assert sum(i for _, i in parts) == row.interest_fen
        assert min(min(p) for p in parts) >= 0
        claims = [_Claim(c.principal_fen, c.outstanding_fen - p)
                  for c, (p, _) in zip(claims, parts, strict=True)]
        earned = [e + i for e, (_, i) in zip(earned, parts, strict=True)]
        paid.append(due)
    assert all(c.outstanding_fen == 0 for c in claims)
    interest = sum(r.interest_fen for r in rows)
    assert all(abs(e - Fraction(w * interest, sum(lent))) < 1
               for e, w in zip(earned, lent, strict=True))


def test_r_c18_coupons_pay_a_month_of_the_rate_and_the_rest_at_the_end() -> None:
    """12 % a year on 1,000.00 yuan outstanding is 10.00 yuan a month, capped by what the
    coupon has left; the last installment pays all that is left; claims without a coupon
    get nothing (and are not named)."""
    with_coupon = _Claim(100_000, 100_000, "0.12", 2_500)
    nearly_done = _Claim(100_000, 100_000, "0.12", 400)
    none = _Claim(100_000, 100_000)
    assert coupons_fen([with_coupon, nearly_done, none], last=False) == [
        (with_coupon, 1_000), (nearly_done, 400)]
    assert coupons_fen([with_coupon, none], last=True) == [(with_coupon, 2_500)]


@given(outstanding=st.integers(0, 10**9), rate_bp=st.integers(0, 2_400),
       due=st.integers(0, 10**7), last=st.booleans())
def test_r_c18_a_coupon_never_pays_more_than_it_has_left(outstanding: int, rate_bp: int,
                                                         due: int, last: bool) -> None:
    claim = _Claim(outstanding, outstanding, f"0.{rate_bp:04d}", due)
    for paid_claim, amount_fen in coupons_fen([claim], last=last):
        assert paid_claim is claim and 0 < amount_fen <= due
        assert not last or amount_fen == due
